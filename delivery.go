package hookline

import (
	"time"
)

// Status is the state of a delivery or the outcome of an attempt, with the
// numbers of the Svix API's MessageStatus.
type Status int

const (
	StatusSuccess Status = 0
	StatusPending Status = 1
	StatusFail    Status = 2
	StatusSending Status = 3
)

// String returns the Svix statusText of s.
func (s Status) String() string {
	switch s {
	case StatusSuccess:
		return "success"
	case StatusPending:
		return "pending"
	case StatusFail:
		return "fail"
	case StatusSending:
		return "sending"
	}
	return "unknown"
}

// Trigger says why an attempt was made.
type Trigger int

const (
	TriggerScheduled Trigger = 0
	TriggerManual    Trigger = 1
)

// Delivery is the state of one message towards one endpoint (Svix's
// "message endpoint", id prefix msgep_). The store is the queue: a pending
// delivery whose NextAttemptAt has passed and whose lease is free is due.
type Delivery struct {
	ID            string
	AppID         string
	MessageID     string
	EndpointID    string
	Status        Status
	Trigger       Trigger    // of the next attempt
	Attempts      int        // attempts made in the current schedule
	NextAttemptAt *time.Time // nil unless pending
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ShownStatus is the status the API shows for d, as svix-server shows it:
// a pending delivery that was attempted and waits for its retry is
// StatusSending; StatusPending is for one not attempted (in its current
// schedule), and so for one that waits for a resend's or a recover's manual
// attempt, whose Attempts start again at 0 (where svix-server shows its
// last attempt's status: docs/svix-compatibility.md says so). The lists'
// status filters follow the same rule.
func (d *Delivery) ShownStatus() Status {
	if d.Status == StatusPending && d.Attempts > 0 {
		return StatusSending
	}
	return d.Status
}

// Task is a claimed delivery with everything needed to attempt it, read in
// one query. The claim holds a lease until LeaseUntil; after that another
// dispatcher may claim it again.
type Task struct {
	Delivery   Delivery
	Message    Message
	Endpoint   Endpoint
	LeaseUntil time.Time
	// AppThrottleRate is the throttleRate of the delivery's application:
	// the most deliveries per second to all its endpoints together (nil:
	// no limit beyond each endpoint's own).
	AppThrottleRate *int
}

// A Feed takes deliveries from a Store as the store creates them: a Store
// that is a Feeder leases each new delivery due at once to the feed's Owner
// in the transaction that creates it (while the feed reserves room for it)
// and hands the Task over once that transaction commits, so that a local
// dispatcher sends it without claiming it first. The store is still the
// queue: a fed delivery is leased like a claimed one, and goes back to the
// queue when its lease expires or is released.
//
// The store calls Reserve, Unreserve and Deliver from its own goroutine and
// within its transactions: they must be quick and must not block, nor call
// the store.
type Feed interface {
	// Owner names the lease holder, as ClaimDue's owner does.
	Owner() string
	// Lease is how long a fed delivery is leased for.
	Lease() time.Duration
	// Reserve asks room for the delivery of t, leased to the feed should
	// it take it, and reports whether the feed takes it.
	Reserve(t *Task) bool
	// Unreserve gives back the room reserved for t, which was not created
	// after all (its transaction was rolled back).
	Unreserve(t *Task)
	// Deliver hands over leased tasks whose transaction committed, each
	// reserved before.
	Deliver(tasks []*Task)
}

// A Feeder is a Store that can feed new deliveries to a local dispatcher.
type Feeder interface {
	// SetFeed makes the store feed f, or stop feeding when f is nil. Once it
	// returns, the previous feed gets no more calls.
	SetFeed(f Feed)
}

// DeliveryView is a delivery with its endpoint, for listing a message's
// destinations.
type DeliveryView struct {
	Delivery Delivery
	Endpoint Endpoint
}

// EndpointMessage is a message with its delivery state towards one endpoint.
type EndpointMessage struct {
	Message  Message
	Delivery Delivery
}

// DeliveryCounts counts the deliveries of a store by state, as the
// hookline_deliveries metric reports them. A delivery is in one state at a
// time; those that succeeded are in none.
type DeliveryCounts struct {
	// Pending deliveries (StatusPending) wait for their first attempt or a
	// retry, those of a disabled endpoint included, and are not held.
	Pending int64
	// Sending deliveries (StatusSending) are leased by a dispatcher: their
	// attempt is in flight, or waits in the dispatcher for a place under
	// its endpoint's concurrency cap.
	Sending int64
	// Held deliveries are pending because a dispatcher deferred them
	// without attempting them (Outcome.Deferred): the endpoint's circuit
	// breaker was open, or the endpoint's or the application's
	// throttleRate, or the concurrency cap of an endpoint that hangs, kept
	// them back. A delivery stops being held when it is claimed again or
	// resent; it is due at once when its endpoint's URL changes or the
	// endpoint is enabled again (Endpoint.ReleasesHeld).
	Held int64
	// Failed deliveries (StatusFail) exhausted their schedule, or were
	// refused for good (410 Gone), and wait for a resend or a recover.
	Failed int64
}

// Add counts n deliveries of status, held or not (only a pending delivery
// can be held).
func (c *DeliveryCounts) Add(status Status, held bool, n int64) {
	switch {
	case status == StatusPending && held:
		c.Held += n
	case status == StatusPending:
		c.Pending += n
	case status == StatusSending:
		c.Sending += n
	case status == StatusFail:
		c.Failed += n
	}
}

// EndpointStats counts an endpoint's deliveries by status.
type EndpointStats struct {
	Success, Pending, Fail, Sending, Canceled int64
}

// Add counts n deliveries of status.
func (s *EndpointStats) Add(status Status, n int64) {
	switch status {
	case StatusSuccess:
		s.Success += n
	case StatusPending:
		s.Pending += n
	case StatusFail:
		s.Fail += n
	case StatusSending:
		s.Sending += n
	}
}
