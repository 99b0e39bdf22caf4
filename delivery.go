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

// Task is a claimed delivery with everything needed to attempt it, read in
// one query. The claim holds a lease until LeaseUntil; after that another
// dispatcher may claim it again.
type Task struct {
	Delivery   Delivery
	Message    Message
	Endpoint   Endpoint
	LeaseUntil time.Time
}

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
	// DisableEndpoint disables the endpoint (it answered 410 Gone).
	DisableEndpoint bool
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

// EndpointStats counts an endpoint's deliveries by status.
type EndpointStats struct {
	Success, Pending, Fail, Sending, Canceled int64
}
