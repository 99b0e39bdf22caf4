package hookline

import (
	"context"
	"time"
)

// Operational event types: what happened to endpoints and deliveries, which
// operators subscribe to with operational webhooks, in the shapes of the
// Svix API's operational webhooks.
const (
	EventEndpointCreated         = "endpoint.created"
	EventEndpointUpdated         = "endpoint.updated"
	EventEndpointDeleted         = "endpoint.deleted"
	EventEndpointDisabled        = "endpoint.disabled"
	EventMessageAttemptExhausted = "message.attempt.exhausted"
	EventMessageAttemptFailing   = "message.attempt.failing"
	EventMessageAttemptRecovered = "message.attempt.recovered"
)

// FailingAfterAttempts is the number of failed attempts of a delivery after
// which message.attempt.failing is sent (the fourth, as Svix does); a later
// success sends message.attempt.recovered.
const FailingAfterAttempts = 4

// OperationalEvent is one operational webhook's content: {"type", "data"}.
type OperationalEvent struct {
	Type string `json:"type"`
	// Data is EndpointEventData or AttemptEventData.
	Data any `json:"data"`
}

// EndpointEventData is the data of the endpoint.* events. FailSince and
// Trigger ("manual" or "automatic") are set for endpoint.disabled only.
type EndpointEventData struct {
	AppID       string     `json:"appId"`
	AppUID      *string    `json:"appUid,omitempty"`
	EndpointID  string     `json:"endpointId"`
	EndpointUID *string    `json:"endpointUid,omitempty"`
	FailSince   *time.Time `json:"failSince,omitempty"`
	Trigger     string     `json:"trigger,omitempty"`
}

// AttemptEventData is the data of the message.attempt.* events.
type AttemptEventData struct {
	AppID       string            `json:"appId"`
	AppUID      *string           `json:"appUid,omitempty"`
	EndpointID  string            `json:"endpointId"`
	MsgID       string            `json:"msgId"`
	MsgEventID  *string           `json:"msgEventId,omitempty"`
	LastAttempt AttemptEventBrief `json:"lastAttempt"`
}

// AttemptEventBrief is the attempt an AttemptEventData is about.
type AttemptEventBrief struct {
	ID                 string    `json:"id"`
	ResponseStatusCode int       `json:"responseStatusCode"`
	Timestamp          time.Time `json:"timestamp"`
}

// EndpointEvent returns the event of type typ (one of the endpoint.*) about
// ep. For endpoint.disabled, trigger says "manual" or "automatic" and
// failSince, when not nil, since when the endpoint had been failing.
func EndpointEvent(typ string, ep *Endpoint, trigger string, failSince *time.Time) OperationalEvent {
	d := EndpointEventData{AppID: ep.AppID, EndpointID: ep.ID, EndpointUID: ep.UID}
	if typ == EventEndpointDisabled {
		d.Trigger, d.FailSince = trigger, failSince
	}
	return OperationalEvent{Type: typ, Data: d}
}

// AttemptEvent returns the event of type typ (one of the message.attempt.*)
// about attempt a of task t.
func AttemptEvent(typ string, t *Task, a *Attempt) OperationalEvent {
	return OperationalEvent{Type: typ, Data: AttemptEventData{
		AppID: t.Delivery.AppID, EndpointID: t.Endpoint.ID, MsgID: t.Message.ID, MsgEventID: t.Message.EventID,
		LastAttempt: AttemptEventBrief{ID: a.ID, ResponseStatusCode: a.StatusCode, Timestamp: a.CreatedAt},
	}}
}

// A Notifier sends operational events to the operator's operational webhook
// endpoints. Notify is called after what the event reports has happened;
// it must not block for long, and a failure to notify must not undo the
// operation: it logs rather than returns errors.
type Notifier interface {
	Notify(ctx context.Context, e OperationalEvent)
}
