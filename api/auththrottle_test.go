package api

import (
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestAuthThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := newAuthThrottle[netip.Prefix](nil, func() time.Time { return now })
	guesser := netip.MustParsePrefix("198.51.100.7/32")
	other := netip.MustParsePrefix("198.51.100.8/32")

	for i := range authFailureBurst {
		if w := a.wait(guesser); w != 0 {
			t.Fatalf("failure %d waits %v, want none within the burst", i+1, w)
		}
		a.failed(guesser)
	}
	if w := a.wait(guesser); w != authFailureEvery {
		t.Fatalf("after %d failures a client waits %v, want %v", authFailureBurst, w, authFailureEvery)
	}
	if w := a.wait(other); w != 0 {
		t.Fatalf("another client waits %v", w)
	}
	// One place frees every authFailureEvery.
	now = now.Add(authFailureEvery)
	if w := a.wait(guesser); w != 0 {
		t.Fatalf("a place did not free after %v: wait %v", authFailureEvery, w)
	}
	a.failed(guesser)
	if w := a.wait(guesser); w != authFailureEvery {
		t.Fatalf("wait %v after using the freed place", w)
	}
}

func TestAuthThrottleClient(t *testing.T) {
	a := newAuthThrottle[netip.Prefix]([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, time.Now)
	for _, tc := range []struct {
		remote, forwarded, want string
	}{
		{"198.51.100.7:4000", "", "198.51.100.7/32"},
		{"198.51.100.7:4000", "203.0.113.9", "198.51.100.7/32"}, // not a trusted proxy: its header is not believed
		{"10.1.2.3:4000", "203.0.113.9", "203.0.113.9/32"},
		{"10.1.2.3:4000", "203.0.113.9, 198.51.100.1, 10.9.9.9", "198.51.100.1/32"}, // the last hop not trusted
		{"10.1.2.3:4000", "junk", "10.1.2.3/32"},
		{"[2001:db8::1]:4000", "", "2001:db8::/64"},
		{"[::ffff:198.51.100.7]:4000", "", "198.51.100.7/32"},
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		if tc.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tc.forwarded)
		}
		if got := a.client(r); got.String() != tc.want {
			t.Errorf("client(%s, X-Forwarded-For %q) = %s, want %s", tc.remote, tc.forwarded, got, tc.want)
		}
	}
}
