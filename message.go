package hookline

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is an event an application sends: a JSON object of an event type,
// optionally on channels. Its ID is the webhook-id of every delivery of it.
type Message struct {
	ID        string
	AppID     string
	EventType string
	EventID   *string // optional caller-chosen unique id, for de-duplication
	Channels  []string
	Tags      []string
	Payload   json.RawMessage // the exact bytes delivered; nil once expunged
	CreatedAt time.Time
	// DeliverAt, when set, is when the first attempt is due instead of at once.
	DeliverAt *time.Time
	// ExpiresAt is when the payload may be expunged (payloadRetentionPeriod).
	ExpiresAt time.Time
	// TraceParent is the W3C traceparent of the span that accepted the
	// message, empty when it was not traced: the spans of its delivery
	// attempts are its children, so that one trace follows the message.
	TraceParent string
	// ContentType and Headers, set on a request a source received (see
	// Source), are the request's content type and the headers forwarded
	// with each delivery of it. Empty: application/json, no headers.
	ContentType string
	Headers     http.Header

	// OnlyEndpoint, when set, makes CreateMessage create a single delivery to
	// that endpoint of the application, whatever its filters (send-example).
	// It is not stored.
	OnlyEndpoint string
}

// Prepare gives m what a Store sets when it creates it: an id and a creation
// time when unset, and times at the precision they read back with.
func (m *Message) Prepare(now time.Time) {
	stamp(&m.ID, PrefixMessage, &m.CreatedAt, nil, now)
	m.DeliverAt = StoredTimePtr(m.DeliverAt)
	m.ExpiresAt = StoredTime(m.ExpiresAt)
}

// DueAt is when the first attempt of a new message is due: DeliverAt when
// set, else its creation.
func (m *Message) DueAt() time.Time {
	if m.DeliverAt != nil {
		return *m.DeliverAt
	}
	return m.CreatedAt
}

// Validate checks the fields a caller sets. The payload must be a JSON object.
func (m *Message) Validate() error {
	if err := m.ValidateFields(); err != nil {
		return err
	}
	if !IsJSONObject(m.Payload) {
		return Invalid([]string{"body", "payload"}, "must be a JSON object")
	}
	return nil
}

// ValidateFields is Validate without the check that the payload is a JSON
// object, for a caller that has parsed it as one already. The payload must
// still be valid UTF-8, as JSON requires (a decoder that keeps its bytes, as
// json.RawMessage does, lets invalid ones through), and, when its content
// type is JSON, escape no lone surrogate (jsonEscapeProblem).
func (m *Message) ValidateFields() error {
	if !utf8.Valid(m.Payload) {
		return Invalid([]string{"body", "payload"}, "must be valid UTF-8")
	}
	if isJSONType(m.ContentType) {
		if problem := jsonEscapeProblem(m.Payload, false); problem != "" {
			return Invalid([]string{"body", "payload"}, "%s", problem)
		}
	}
	if err := checkName([]string{"body", "eventType"}, m.EventType, MaxEventTypeLen); err != nil {
		return err
	}
	if err := checkOptionalName([]string{"body", "eventId"}, m.EventID, MaxUIDLen); err != nil {
		return err
	}
	if err := checkNames("channels", m.Channels, MaxChannelLen, MaxMsgChannels); err != nil {
		return err
	}
	return checkNames("tags", m.Tags, MaxChannelLen, MaxMsgChannels)
}

// IsJSONObject reports whether b is valid JSON whose top-level value is an object.
func IsJSONObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return json.Valid(b)
		}
		return false
	}
	return false
}

// isJSONType reports whether a message's content type is JSON: empty (the
// default, application/json), application/json or a +json type.
func isJSONType(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
