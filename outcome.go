package hookline

import "time"

// Outcome is the result of attempting a Task, written back by the dispatcher.
type Outcome struct {
	DeliveryID string
	Attempt    Attempt
	// Status is the new state: StatusSuccess, StatusPending (retry at
	// NextAttemptAt) or StatusFail (schedule exhausted or not retryable).
	Status        Status
	NextAttemptAt time.Time
	// Attempts is the new count of attempts in the current schedule.
	Attempts int
	// Disable, when set, disables the endpoint for this reason
	// (DisabledGone: it answered 410 Gone; DisabledFailing: it has been
	// failing for too long), unless it is disabled already.
	Disable DisabledReason
	// Deferred says the delivery was not attempted (its endpoint was at its
	// rate or concurrency limit, or its circuit breaker was open): it is
	// pending again at NextAttemptAt with its Attempts and trigger as they
	// were, and held (DeliveryCounts.Held) until it is claimed again; Attempt
	// is not logged.
	Deferred bool
}

// PrepareOutcomes gives outcomes what a Store sets when it records them,
// in place: each attempt made gets an id when it has none (kept in the
// caller's outcome, so that Complete called again with the same outcomes
// logs no attempt twice), its delivery's id, and a creation time of now
// when unset; a retry (StatusPending) gets a next attempt of now when
// unset. Times get the precision they read back with. It reports whether
// any outcome is a retry, which may be due before what NextDue said.
func PrepareOutcomes(outcomes []Outcome, now time.Time) (retrying bool) {
	for i := range outcomes {
		o := &outcomes[i]
		if o.Status == StatusPending {
			if o.NextAttemptAt.IsZero() {
				o.NextAttemptAt = now
			}
			o.NextAttemptAt = StoredTime(o.NextAttemptAt)
			retrying = true
		}
		if o.Deferred {
			continue // not attempted: nothing to log
		}
		a := &o.Attempt
		stamp(&a.ID, PrefixAttempt, &a.CreatedAt, nil, now)
		if a.DeliveryID == "" {
			a.DeliveryID = o.DeliveryID
		}
	}
	return retrying
}

// NextAt is the time the delivery is due again: NextAttemptAt for a retry,
// nil for a delivery that is done.
func (o *Outcome) NextAt() *time.Time {
	if o.Status != StatusPending {
		return nil
	}
	return &o.NextAttemptAt
}

// Disables reports whether the outcome disables its endpoint: an attempt
// made (not Deferred) with a Disable reason.
func (o *Outcome) Disables() bool { return o.Disable != "" && !o.Deferred }

// Retries reports whether a failed attempt made with trigger goes back on
// the automatic schedule, while the schedule lasts. Only a scheduled
// attempt does: a manual one (Resend, Recover) is made once, and when it
// fails its delivery fails for good, as svix-server's worker has it; the
// schedule the manual attempt took the place of is not restarted. A
// manual attempt's failure is not the end of a schedule either: it sends
// no message.attempt.exhausted (nor .failing) and counts nothing towards
// disabling the endpoint for failing too long.
func (t Trigger) Retries() bool { return t == TriggerScheduled }
