package hookline

import "time"

// DisabledReason says why an endpoint is disabled.
type DisabledReason string

// The reasons an endpoint is disabled.
const (
	// DisabledManual: an API call set disabled (a create, a replace or a
	// patch).
	DisabledManual DisabledReason = "manual"
	// DisabledGone: the endpoint answered an attempt with 410 Gone.
	DisabledGone DisabledReason = "gone"
	// DisabledFailing: its attempts had all failed for longer than the
	// dispatcher allows (dispatch.Config.DisableAfter).
	DisabledFailing DisabledReason = "failing"
)

// Trigger is the trigger of the endpoint.disabled operational event that
// disabling an endpoint for r sends: "manual" when an API call did it,
// "automatic" when the dispatcher did.
func (r DisabledReason) Trigger() string {
	if r == DisabledManual {
		return "manual"
	}
	return "automatic"
}

// prepareDisabled gives e the DisabledReason and DisabledAt a store
// writes with it, given prev, the endpoint as stored before (nil for a
// create): none when e is enabled; those of prev when prev was disabled
// already (the first reason stays); else DisabledManual at now.
func (e *Endpoint) prepareDisabled(prev *Endpoint, now time.Time) {
	switch {
	case !e.Disabled:
		e.DisabledReason, e.DisabledAt = "", nil
	case prev != nil && prev.Disabled:
		e.DisabledReason, e.DisabledAt = prev.DisabledReason, StoredTimePtr(prev.DisabledAt)
	default:
		at := StoredTime(now)
		e.DisabledReason, e.DisabledAt = DisabledManual, &at
	}
}

// PrepareUpdate gives e what a Store sets when it replaces prev, the
// endpoint as stored, with e: UpdatedAt of now, and why and since when it
// is disabled (an update that disables an enabled endpoint does it
// manually at now; one that keeps it disabled keeps prev's reason and
// time; one that enables it clears them). What the caller set in
// DisabledReason and DisabledAt is not kept.
func (e *Endpoint) PrepareUpdate(prev *Endpoint, now time.Time) {
	e.UpdatedAt = StoredTime(now)
	e.prepareDisabled(prev, now)
}

// ReleasesHeld reports whether a Store that replaces prev, the endpoint as
// stored, with e makes the endpoint's held deliveries due at once: those a
// dispatcher deferred without an attempt (Outcome.Deferred) for its
// circuit breaker or its limits. An update does when it leaves the
// endpoint enabled and changes its URL or enables it: the dispatcher then
// gives the endpoint a fresh breaker, and what held the deliveries back,
// failures of the endpoint as it was, no longer says anything of it.
func (e *Endpoint) ReleasesHeld(prev *Endpoint) bool {
	return !e.Disabled && (prev.Disabled || prev.URL != e.URL)
}
