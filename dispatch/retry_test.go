package dispatch

import (
	"net/http"
	"testing"
	"time"
)

func TestJitterStaysWithinBounds(t *testing.T) {
	const d = 10 * time.Second
	lo, hi := d, d
	for range 10000 {
		j := jitter(d, 0.2)
		if j < 8*time.Second || j > 12*time.Second {
			t.Fatalf("jitter(%v, 0.2) = %v, outside ±20%%", d, j)
		}
		lo, hi = min(lo, j), max(hi, j)
	}
	// 10,000 draws that never leave ±2 % of d would mean jitter is not applied.
	if lo > 9800*time.Millisecond || hi < 10200*time.Millisecond {
		t.Fatalf("10000 draws spread only over [%v, %v]", lo, hi)
	}
	if got := jitter(d, 0); got != d {
		t.Errorf("jitter with fraction 0 = %v, want %v", got, d)
	}
	if got := jitter(d, -1); got != d {
		t.Errorf("jitter with a negative fraction = %v, want %v", got, d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"soon", 0, false},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"0", time.Second, true}, // clamped up to the minimum
		{"1", time.Second, true},
		{"120", 2 * time.Minute, true},
		{"86400", 24 * time.Hour, true},
		{"86401", 24 * time.Hour, true},      // clamped down to the maximum
		{"99999999999999999999", 0, false},   // overflows int64: unparsable
		{"9999999999", 24 * time.Hour, true}, // would overflow a Duration
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), time.Second, true}, // a date in the past
		{now.Add(72 * time.Hour).Format(http.TimeFormat), 24 * time.Hour, true},
	} {
		got, ok := retryAfter(tc.header, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}
