package api

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// messageIn is a message to send.
type messageIn struct {
	EventType              string          `json:"eventType" api:"required" doc:"The event type's name."`
	EventID                *string         `json:"eventId,omitempty" doc:"A unique id of the caller's choice in the application; a second message with it is a conflict (409)."`
	Payload                json.RawMessage `json:"payload" api:"required" doc:"The JSON object delivered as the webhook body, with its keys in the order given."`
	Channels               []string        `json:"channels,omitempty"`
	Tags                   []string        `json:"tags,omitempty"`
	Application            *applicationIn  `json:"application,omitempty" doc:"Creates the application when the path names it by a uid that does not exist yet; its uid must be the path's (422 otherwise)."`
	DeliverAt              *string         `json:"deliverAt,omitempty" format:"date-time" doc:"When to make the first attempt instead of at once; before the payload's retention ends."`
	PayloadRetentionPeriod *int64          `json:"payloadRetentionPeriod,omitempty" doc:"Days to keep the payload, 5 to 90; 90 by default. Then the payload is expunged."`
	PayloadRetentionHours  *int64          `json:"payloadRetentionHours,omitempty" doc:"Hours to keep the payload, 1 to 2160, instead of payloadRetentionPeriod."`
	TransformationsParams  json.RawMessage `json:"transformationsParams,omitempty" doc:"Of it Hookline reads rawPayload, the body to deliver byte for byte instead of payload (what the SDKs' messageInRaw sends), and headers[\"content-type\"], its content type (application/json by default). The rest is accepted and ignored: Hookline has no transformations."`
}

// transformationsIn is what Hookline reads of a messageIn's
// transformationsParams.
type transformationsIn struct {
	RawPayload *string           `json:"rawPayload"`
	Headers    map[string]string `json:"headers"`
}

// maxContentTypeLen bounds the content type of a raw payload.
const maxContentTypeLen = 256

// raw returns the payload and content type transformationsParams sets
// (rawPayload, headers["content-type"]), or ok false when it sets none.
func (in *messageIn) raw() (payload []byte, contentType string, ok bool, err error) {
	if len(in.TransformationsParams) == 0 || string(in.TransformationsParams) == "null" {
		return nil, "", false, nil
	}
	loc := []string{"body", "transformationsParams"}
	var t transformationsIn
	if err := json.Unmarshal(in.TransformationsParams, &t); err != nil {
		return nil, "", false, hookline.Invalid(loc, "must be an object whose rawPayload is a string and headers an object of strings")
	}
	if t.RawPayload == nil {
		return nil, "", false, nil
	}
	if *t.RawPayload == "" {
		return nil, "", false, hookline.Invalid(append(loc, "rawPayload"), "must not be empty")
	}
	contentType = "application/json"
	for k, v := range t.Headers {
		if !strings.EqualFold(k, "content-type") {
			continue
		}
		if _, _, err := mime.ParseMediaType(v); err != nil || len(v) > maxContentTypeLen {
			return nil, "", false, hookline.Invalid(append(loc, "headers", k), "must be a media type (RFC 9110), at most %d bytes", maxContentTypeLen)
		}
		contentType = v
	}
	return []byte(*t.RawPayload), contentType, true, nil
}

// messageOut is a message.
type messageOut struct {
	ID        string          `json:"id"`
	EventType string          `json:"eventType"`
	EventID   *string         `json:"eventId,omitempty"`
	Channels  []string        `json:"channels,omitempty"`
	Tags      []string        `json:"tags,omitempty"`
	Payload   json.RawMessage `json:"payload" doc:"The payload; {} when it was not asked for (with_content=false), {\"expired\": true} once expunged."`
	Timestamp jsonTime        `json:"timestamp"`
	DeliverAt *jsonTime       `json:"deliverAt,omitempty"`
}

var (
	emptyObject = json.RawMessage("{}")
	// expiredPayload is the payload of a message whose content was
	// expunged, as svix-server shows it.
	expiredPayload = json.RawMessage(`{"expired":true}`)
)

// messageOutOf shows m; its payload is {} unless withContent, and
// {"expired":true} once expunged. A raw payload (one with its content type)
// that is not JSON shows as {}: GET .../msg/{msg_id}/raw reads it.
func messageOutOf(m *hookline.Message, withContent bool) messageOut {
	out := messageOut{
		ID: m.ID, EventType: m.EventType, EventID: m.EventID, Channels: m.Channels, Tags: m.Tags,
		Payload: emptyObject, Timestamp: jsonTime(m.CreatedAt), DeliverAt: optTime(m.DeliverAt),
	}
	switch {
	case withContent && len(m.Payload) > 0:
		if m.ContentType == "" || json.Valid(m.Payload) {
			out.Payload = m.Payload
		}
	case withContent:
		out.Payload = expiredPayload
	}
	return out
}

// messageRawOut is a message's payload as it is delivered, in a string.
type messageRawOut struct {
	Payload string `json:"payload" doc:"The body delivered, byte for byte; {\"expired\":true} once expunged."`
}

// getRawMessage returns the payload of a message as a string, whatever
// its content type.
func (s *Server) getRawMessage(c *call) (int, any, error) {
	_, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	if len(msg.Payload) == 0 {
		return http.StatusOK, messageRawOut{Payload: string(expiredPayload)}, nil
	}
	return http.StatusOK, messageRawOut{Payload: string(msg.Payload)}, nil
}

// Bounds of a message's payload retention: payloadRetentionPeriod as the
// Svix API has it, payloadRetentionHours as its hosted API has it. When the
// retention ends, the store expunges the payload.
const (
	minRetentionDays  = 5
	maxRetentionDays  = 90
	maxRetentionHours = 90 * 24
)

// createMessage stores a message and its deliveries (202). The payload is
// kept as sent, without whitespace, its keys in their order.
func (s *Server) createMessage(c *call) (int, any, error) {
	b, err := c.readBody()
	if err != nil {
		return 0, nil, err
	}
	var in messageIn
	fast := in.decodeFast(b)
	if !fast {
		in = messageIn{}
		if _, err := decodeJSON(b, &in); err != nil {
			return 0, nil, err
		}
		// A payload that is not valid JSON is refused by Validate below.
		var buf bytes.Buffer
		if json.Compact(&buf, in.Payload) == nil {
			in.Payload = buf.Bytes()
		}
	}
	withContent, err := c.query().withContent()
	if err != nil {
		return 0, nil, err
	}
	now := time.Now().UTC()
	msg := &hookline.Message{
		ID: hookline.NewID(hookline.PrefixMessage), EventType: in.EventType, EventID: in.EventID,
		Channels: in.Channels, Tags: in.Tags, Payload: in.Payload, CreatedAt: now,
	}
	validate := msg.Validate
	if fast {
		validate = msg.ValidateFields // decodeFast parsed the payload as an object
	}
	if raw, contentType, ok, err := in.raw(); err != nil {
		return 0, nil, err
	} else if ok {
		// Delivered as given: not necessarily JSON, never compacted.
		msg.Payload, msg.ContentType = raw, contentType
		validate = msg.ValidateFields
	}
	if err := validate(); err != nil {
		return 0, nil, err
	}
	retention := maxRetentionDays * 24 * time.Hour
	switch {
	case in.PayloadRetentionPeriod != nil && in.PayloadRetentionHours != nil:
		return 0, nil, hookline.Invalid([]string{"body", "payloadRetentionHours"}, "cannot be set with payloadRetentionPeriod")
	case in.PayloadRetentionPeriod != nil:
		if d := *in.PayloadRetentionPeriod; d < minRetentionDays || d > maxRetentionDays {
			return 0, nil, hookline.Invalid([]string{"body", "payloadRetentionPeriod"}, "must be between %d and %d days", minRetentionDays, maxRetentionDays)
		}
		retention = time.Duration(*in.PayloadRetentionPeriod) * 24 * time.Hour
	case in.PayloadRetentionHours != nil:
		if h := *in.PayloadRetentionHours; h < 1 || h > maxRetentionHours {
			return 0, nil, hookline.Invalid([]string{"body", "payloadRetentionHours"}, "must be between 1 and %d hours", maxRetentionHours)
		}
		retention = time.Duration(*in.PayloadRetentionHours) * time.Hour
	}
	msg.ExpiresAt = now.Add(retention)
	if in.DeliverAt != nil {
		t, err := parseTime([]string{"body", "deliverAt"}, *in.DeliverAt)
		if err != nil {
			return 0, nil, err
		}
		t = t.UTC()
		if t.After(msg.ExpiresAt) {
			// The payload would be expunged before its first attempt.
			return 0, nil, hookline.Invalid([]string{"body", "deliverAt"},
				"must be before the payload's retention ends (%s)", msg.ExpiresAt.Format(time.RFC3339))
		}
		msg.DeliverAt = &t
	}
	app, err := c.loadOrCreateApp(in.Application)
	if err != nil {
		return 0, nil, err
	}
	msg.AppID = app.ID
	if err := s.acceptMessage(c.ctx(), msg); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, messageOutOf(msg, withContent), nil
}

// messagePrecheckIn asks whether a message would go to any endpoint.
type messagePrecheckIn struct {
	EventType string   `json:"eventType" api:"required"`
	Channels  []string `json:"channels,omitempty"`
}

// messagePrecheckOut tells whether it would.
type messagePrecheckOut struct {
	Active bool `json:"active" doc:"Whether an enabled endpoint subscribes to the event type and channels."`
}

// precheckMessage tells whether a message of the event type and channels
// asked for would have a delivery: whether an enabled endpoint of the
// application matches them (hookline.Endpoint.Matches), as CreateMessage
// fans out.
func (s *Server) precheckMessage(c *call) (int, any, error) {
	var in messagePrecheckIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	probe := hookline.Message{EventType: in.EventType, Channels: in.Channels, Payload: emptyObject}
	if err := probe.ValidateFields(); err != nil {
		return 0, nil, err
	}
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	opts := hookline.ListOptions{Limit: hookline.MaxListLimit}
	for {
		page, err := s.store.ListEndpoints(c.ctx(), app.ID, opts)
		if err != nil {
			return 0, nil, err
		}
		for _, ep := range page.Items {
			if ep.Matches(in.EventType, in.Channels) {
				return http.StatusOK, messagePrecheckOut{Active: true}, nil
			}
		}
		if page.Done || len(page.Items) == 0 {
			return http.StatusOK, messagePrecheckOut{}, nil
		}
		opts.Iterator = page.Items[len(page.Items)-1].ID
	}
}

// acceptMessage stores msg and its deliveries: the transaction that
// accepts a message, counted and traced.
func (s *Server) acceptMessage(ctx context.Context, msg *hookline.Message) error {
	_, err := s.messages.Accept(ctx, msg, func(ctx context.Context) (int, error) {
		return s.store.CreateMessage(ctx, msg)
	})
	return err
}

// loadMessage returns the message the path names by id or eventId
// ({msg_id}) in the application of the path.
func (c *call) loadMessage() (*hookline.Application, *hookline.Message, error) {
	return loadInApp(c, (*call).loadApp, c.s.store.Message, "msg_id", "Message")
}

func (s *Server) listMessages(c *call) (int, any, error) {
	q := c.query()
	p, err := q.page(true, false, hookline.PrefixMessage)
	if err != nil {
		return 0, nil, err
	}
	f := hookline.MessageFilter{ListOptions: p.opts}
	var withContent bool
	if f.Channel, err = q.name("channel", hookline.MaxChannelLen); err != nil {
		return 0, nil, err
	}
	if f.Tag, err = q.name("tag", hookline.MaxChannelLen); err != nil {
		return 0, nil, err
	}
	if f.EventTypes, f.Before, f.After, withContent, err = q.messageFilters(); err != nil {
		return 0, nil, err
	}
	return s.messagePage(c, f, p, withContent)
}

// messagePage answers the page of the messages of the application of the
// path that f keeps.
func (s *Server) messagePage(c *call, f hookline.MessageFilter, p page, withContent bool) (int, any, error) {
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	got, err := s.store.ListMessages(c.ctx(), app.ID, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(m *hookline.Message) string { return m.ID },
		func(m *hookline.Message) messageOut { return messageOutOf(m, withContent) }), nil
}

func (s *Server) getMessage(c *call) (int, any, error) {
	withContent, err := c.query().withContent()
	if err != nil {
		return 0, nil, err
	}
	_, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, messageOutOf(msg, withContent), nil
}

// expungeMessageContent deletes a message's payload for good.
func (s *Server) expungeMessageContent(c *call) (int, any, error) {
	app, msg, err := c.loadMessage()
	if err != nil {
		return 0, nil, err
	}
	return noContent(s.store.ExpungeMessageContent(c.ctx(), app.ID, msg.ID))
}

// eventExampleIn asks for an example message of an event type.
type eventExampleIn struct {
	EventType    string `json:"eventType" api:"required"`
	ExampleIndex *int   `json:"exampleIndex,omitempty" doc:"Which of the schema's examples to send; 0 by default."`
}

// sendExample sends an example message of an event type to this endpoint
// only. The payload is an example from the event type's schema (its
// "examples" or "example"), or a small generic object when it has none.
// The example of the event type svix.ping, which needs no event type: its
// body, as svix-server sends it.
const pingEventType = "svix.ping"

var pingPayload = json.RawMessage(`{"success": true}`)

func (s *Server) sendExample(c *call) (int, any, error) {
	var in eventExampleIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	idx := 0
	if in.ExampleIndex != nil {
		if *in.ExampleIndex < 0 {
			return 0, nil, hookline.Invalid([]string{"body", "exampleIndex"}, "must not be negative")
		}
		idx = *in.ExampleIndex
	}
	if !hookline.ValidName(in.EventType, hookline.MaxEventTypeLen) {
		return 0, nil, hookline.Invalid([]string{"body", "eventType"}, "must be 1 to %d characters of a-z, A-Z, 0-9, '-', '_' and '.'", hookline.MaxEventTypeLen)
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	var payload json.RawMessage
	et, err := c.eventType(in.EventType)
	switch {
	case in.EventType == pingEventType:
		payload = pingPayload
	case err == nil:
		payload = schemaExample(et.Schemas, idx)
	case hookline.ErrorCode(err) != hookline.ENOTFOUND:
		return 0, nil, err
	}
	if payload == nil {
		payload = mustJSON(map[string]any{"type": in.EventType, "example": true})
	}
	now := time.Now().UTC()
	msg := &hookline.Message{
		ID: hookline.NewID(hookline.PrefixMessage), AppID: app.ID, EventType: in.EventType,
		Payload: payload, CreatedAt: now, ExpiresAt: now.Add(maxRetentionDays * 24 * time.Hour),
		OnlyEndpoint: ep.ID,
	}
	if err := msg.Validate(); err != nil {
		return 0, nil, err
	}
	if err := s.acceptMessage(c.ctx(), msg); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, messageOutOf(msg, true), nil
}

// schemaExample finds example number idx in event type schemas, which map a
// version to a JSON schema; the newest version's examples are tried first.
// It returns nil when there is no such example that is a JSON object.
func schemaExample(schemas json.RawMessage, idx int) json.RawMessage {
	var byVersion map[string]struct {
		Examples []json.RawMessage `json:"examples"`
		Example  json.RawMessage   `json:"example"`
	}
	if len(schemas) == 0 || json.Unmarshal(schemas, &byVersion) != nil {
		return nil
	}
	versions := make([]string, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	// Newest first: versions are numbers ("1", "2", "10"), so the longer one
	// is newer, and of two as long the greater.
	sort.Slice(versions, func(i, j int) bool {
		a, b := versions[i], versions[j]
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return a > b
	})
	for _, v := range versions {
		sch := byVersion[v]
		var ex json.RawMessage
		switch {
		case idx < len(sch.Examples):
			ex = sch.Examples[idx]
		case idx == 0 && len(sch.Example) > 0:
			ex = sch.Example
		}
		if hookline.IsJSONObject(ex) {
			var buf bytes.Buffer
			if json.Compact(&buf, ex) == nil {
				return buf.Bytes()
			}
		}
	}
	return nil
}
