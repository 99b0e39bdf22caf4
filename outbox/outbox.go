// Package outbox sends Hookline webhooks from inside an application's own
// PostgreSQL transactions: the transactional outbox pattern, with Hookline's
// tables as the outbox.
//
// An application that keeps its data in the database Hookline runs on (with
// the postgres store) calls Send with the pgx transaction in which it
// changes that data. The message and one delivery per matching endpoint are
// written in that transaction, with the notification that wakes the
// dispatchers of every 'hookline serve' node; so the webhook goes out if and
// only if the transaction commits, and never says something the database
// then forgets, nor fails to say what it kept.
//
//	tx, _ := pool.Begin(ctx)
//	// ... the application's own writes ...
//	id, err := outbox.Send(ctx, tx, "hookline", "shop", outbox.Message{
//		EventType: "invoice.paid",
//		Payload:   json.RawMessage(`{"invoice":"in_123"}`),
//	})
//	// ...
//	tx.Commit(ctx) // only now does the webhook exist
//
// The message is what POST /api/v1/app/{app}/msg would create: the same
// validation, the same endpoint matching (event type, channels, enabled),
// the same signatures and retries once the dispatchers take it.
package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/postgres"
)

// DefaultRetention is how long a message's payload is kept when
// Message.Retention is zero: 90 days, as the API's default.
const DefaultRetention = 90 * 24 * time.Hour

// Message is a webhook to send.
type Message struct {
	// EventType is the message's type ("invoice.paid"); endpoints subscribe
	// to types.
	EventType string
	// Payload is the JSON object delivered. It is stored without
	// insignificant whitespace, its keys in their order.
	Payload json.RawMessage
	// EventID, when set, is a unique id of the event in the application: a
	// second message with the same EventID is refused (ECONFLICT), which
	// makes retrying a transaction safe.
	EventID string
	// Channels narrow the endpoints that receive it (at most 5).
	Channels []string
	// Tags label it for listing (at most 5).
	Tags []string
	// DeliverAt, when set, delays the first attempt until then.
	DeliverAt *time.Time
	// Retention is how long the payload is kept (1 hour to 90 days);
	// zero means DefaultRetention.
	Retention time.Duration
}

// Send writes msg for the application app (its id or uid) in tx, a
// transaction on the database of a Hookline postgres store whose tables
// are in schema ("" for tx's search_path). It returns the message's id
// (msg_...), which is the webhook-id of its deliveries.
//
// Errors carry the codes of the hookline package: EINVALID for a message
// the API would refuse, ENOTFOUND for an unknown application, ECONFLICT
// for a taken EventID; these leave tx usable. Any other error comes from
// PostgreSQL, and tx must be rolled back.
func Send(ctx context.Context, tx pgx.Tx, schema, app string, msg Message) (string, error) {
	m := &hookline.Message{
		ID:        hookline.NewID(hookline.PrefixMessage),
		AppID:     app,
		EventType: msg.EventType,
		Channels:  msg.Channels,
		Tags:      msg.Tags,
		Payload:   msg.Payload,
		CreatedAt: time.Now().UTC(),
		DeliverAt: msg.DeliverAt,
	}
	if msg.EventID != "" {
		m.EventID = &msg.EventID
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, msg.Payload); err != nil {
		return "", hookline.Invalid([]string{"payload"}, "must be a JSON object")
	}
	m.Payload = buf.Bytes()
	retention := msg.Retention
	switch {
	case retention == 0:
		retention = DefaultRetention
	case retention < time.Hour || retention > DefaultRetention:
		return "", hookline.Invalid([]string{"retention"}, "must be between 1 hour and 90 days")
	}
	m.ExpiresAt = m.CreatedAt.Add(retention)
	if app == "" {
		return "", hookline.Invalid([]string{"app"}, "must name an application")
	}
	if _, err := postgres.CreateMessageTx(ctx, tx, schema, m); err != nil {
		return "", err
	}
	return m.ID, nil
}
