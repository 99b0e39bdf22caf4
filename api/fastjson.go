package api

import (
	"encoding/json"
	"slices"
	"time"
)

// jsonAppender is implemented by responses that encode themselves without
// encoding/json: a message's, on the ingest path, whose payload is already
// valid compact JSON that json.Marshal would scan and copy once more. The
// output must equal json.Marshal's (a test checks it).
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

func (m messageOut) appendJSON(b []byte) []byte {
	// One allocation: the payload is most of it, the rest its strings and
	// under 200 bytes of names, quotes and times.
	n := len(m.Payload) + len(m.ID) + len(m.EventType) + 200
	if m.EventID != nil {
		n += len(*m.EventID)
	}
	for _, s := range m.Channels {
		n += len(s) + 3
	}
	for _, s := range m.Tags {
		n += len(s) + 3
	}
	b = slices.Grow(b, n)
	b = append(b, `{"id":`...)
	b = appendJSONString(b, m.ID)
	b = append(b, `,"eventType":`...)
	b = appendJSONString(b, m.EventType)
	if m.EventID != nil {
		b = append(b, `,"eventId":`...)
		b = appendJSONString(b, *m.EventID)
	}
	if len(m.Channels) > 0 {
		b = append(b, `,"channels":`...)
		b = appendJSONStrings(b, m.Channels)
	}
	if len(m.Tags) > 0 {
		b = append(b, `,"tags":`...)
		b = appendJSONStrings(b, m.Tags)
	}
	b = append(b, `,"payload":`...)
	b = append(b, m.Payload...)
	b = append(b, `,"timestamp":`...)
	b = appendJSONTime(b, time.Time(m.Timestamp))
	if m.DeliverAt != nil {
		b = append(b, `,"deliverAt":`...)
		b = appendJSONTime(b, time.Time(*m.DeliverAt))
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Ids, event types, channels
// and tags are validated to characters that need no escaping; anything else
// goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timeLayout)
	return append(b, '"')
}
