package hookline

import (
	"testing"
	"time"
)

func TestEndpointDisabledReason(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	stored := now.Truncate(time.Microsecond)
	earlier := stored.Add(-time.Hour)

	// Created disabled: manual at its creation, whatever the caller said.
	e := Endpoint{Disabled: true, DisabledReason: DisabledGone, DisabledAt: &earlier}
	e.Prepare(now)
	if e.DisabledReason != DisabledManual || e.DisabledAt == nil || !e.DisabledAt.Equal(e.CreatedAt) {
		t.Fatalf("created disabled: %q at %v, created %v", e.DisabledReason, e.DisabledAt, e.CreatedAt)
	}
	e = Endpoint{DisabledReason: DisabledGone, DisabledAt: &earlier}
	if e.Prepare(now); e.DisabledReason != "" || e.DisabledAt != nil {
		t.Fatalf("created enabled: %q at %v", e.DisabledReason, e.DisabledAt)
	}

	gone := &Endpoint{Disabled: true, DisabledReason: DisabledGone, DisabledAt: &earlier}
	enabled := &Endpoint{}
	for _, tc := range []struct {
		name     string
		prev     *Endpoint
		disabled bool
		why      DisabledReason
		at       *time.Time
	}{
		{"disables an enabled endpoint", enabled, true, DisabledManual, &stored},
		{"keeps a disabled endpoint disabled", gone, true, DisabledGone, &earlier},
		{"enables a disabled endpoint", gone, false, "", nil},
		{"keeps an enabled endpoint enabled", enabled, false, "", nil},
	} {
		e := Endpoint{Disabled: tc.disabled, DisabledReason: DisabledFailing}
		e.PrepareUpdate(tc.prev, now)
		if e.DisabledReason != tc.why || (e.DisabledAt == nil) != (tc.at == nil) ||
			(tc.at != nil && !e.DisabledAt.Equal(*tc.at)) || !e.UpdatedAt.Equal(stored) {
			t.Errorf("an update that %s: %q at %v, updated %v; want %q at %v", tc.name, e.DisabledReason, e.DisabledAt,
				e.UpdatedAt, tc.why, tc.at)
		}
	}
	kept := Endpoint{Disabled: true}
	if kept.PrepareUpdate(gone, now); kept.DisabledAt == gone.DisabledAt {
		t.Error("the update shares its time with the endpoint as stored")
	}

	for why, want := range map[DisabledReason]string{DisabledManual: "manual", DisabledGone: "automatic", DisabledFailing: "automatic"} {
		if got := why.Trigger(); got != want {
			t.Errorf("%q.Trigger() = %q, want %q", why, got, want)
		}
	}
}
