package api

import (
	"strings"
	"unicode/utf8"
)

// decodeFast is the ingest path's decoder of a messageIn: one pass over the
// body that also validates and compacts the payload, where encoding/json
// would scan the payload four times (validate, decode, validate again,
// compact) and reflect over every field.
//
// It takes only the common shape: a JSON object whose keys are the exact
// names of messageIn's fields, each at most once; strings without escapes;
// integers for the retention periods; an object for the payload; both
// eventType and payload present. Keys it does not know are validated and
// skipped, as encoding/json ignores them. For anything else (an escape in a
// string, a null, an application to create, a key that differs from a
// field's name only in case, invalid JSON...) it returns false and leaves in
// partly filled: the caller then decodes the body with encoding/json, whose
// errors it reports. When it returns true, in is what encoding/json would
// have decoded, with Payload compacted as json.Compact would (a differential
// fuzz test checks both).
func (in *messageIn) decodeFast(b []byte) bool {
	d := fastDecoder{b: b}
	d.space()
	if !d.byte('{') {
		return false
	}
	var seen uint16
	d.space()
	if d.peek() == '}' {
		return false // no eventType, no payload
	}
	for {
		d.space()
		key, ok := d.plainString()
		if !ok {
			return false
		}
		d.space()
		if !d.byte(':') {
			return false
		}
		d.space()
		field := messageInField(key)
		if field >= 0 {
			if seen&(1<<field) != 0 {
				return false // a repeated key: encoding/json keeps the last
			}
			seen |= 1 << field
		}
		switch field {
		case fieldEventType:
			in.EventType, ok = d.plainString()
		case fieldEventID:
			in.EventID, ok = pointer(d.plainString())
		case fieldDeliverAt:
			in.DeliverAt, ok = pointer(d.plainString())
		case fieldChannels:
			in.Channels, ok = d.plainStrings()
		case fieldTags:
			in.Tags, ok = d.plainStrings()
		case fieldRetentionPeriod:
			in.PayloadRetentionPeriod, ok = pointer(d.integer())
		case fieldRetentionHours:
			in.PayloadRetentionHours, ok = pointer(d.integer())
		case fieldPayload:
			if d.peek() != '{' {
				return false
			}
			// Compact JSON is never longer than its source: one allocation.
			in.Payload, ok = d.value(make([]byte, 0, len(b)-d.i), 0)
		case fieldUnknown:
			_, ok = d.value(nil, 0)
		default: // application, transformationsParams, a key that folds onto a field
			return false
		}
		if !ok {
			return false
		}
		d.space()
		switch d.next() {
		case ',':
			continue
		case '}':
		default:
			return false
		}
		break
	}
	d.space()
	return d.i == len(b) && seen&(1<<fieldEventType) != 0 && seen&(1<<fieldPayload) != 0
}

const (
	fieldUnknown = -1
	fieldOther   = -2 // a field decodeFast leaves to encoding/json
)

const (
	fieldEventType = iota
	fieldEventID
	fieldPayload
	fieldChannels
	fieldTags
	fieldDeliverAt
	fieldRetentionPeriod
	fieldRetentionHours
)

// messageInFields are messageIn's JSON names, each at its field number, and
// then those decodeFast leaves to encoding/json.
var messageInFields = [...]string{
	fieldEventType: "eventType", fieldEventID: "eventId", fieldPayload: "payload",
	fieldChannels: "channels", fieldTags: "tags", fieldDeliverAt: "deliverAt",
	fieldRetentionPeriod: "payloadRetentionPeriod", fieldRetentionHours: "payloadRetentionHours",
	8: "application", 9: "transformationsParams",
}

// messageInField returns the field number of key, fieldUnknown when
// encoding/json would ignore the key, or fieldOther.
func messageInField(key string) int {
	for i, name := range messageInFields {
		if key == name {
			if i >= 8 {
				return fieldOther
			}
			return i
		}
	}
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			// encoding/json folds some non-ASCII letters onto ASCII ones
			// (the Kelvin sign onto k, the long s onto s).
			return fieldOther
		}
	}
	for _, name := range messageInFields {
		if strings.EqualFold(key, name) {
			return fieldOther // encoding/json matches keys case-insensitively
		}
	}
	return fieldUnknown
}

// pointer returns a pointer to v, for the optional fields of a messageIn,
// and ok.
func pointer[T any](v T, ok bool) (*T, bool) { return &v, ok }

// fastDecoder reads JSON from b at i. Its methods return false on anything
// they do not take, without saying why.
type fastDecoder struct {
	b []byte
	i int
}

// maxFastDepth bounds the nesting decodeFast follows; deeper documents go to
// encoding/json, which has its own limit.
const maxFastDepth = 256

func (d *fastDecoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *fastDecoder) next() byte {
	if d.i < len(d.b) {
		d.i++
		return d.b[d.i-1]
	}
	return 0
}

func (d *fastDecoder) byte(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// plainString reads a string without escapes, of valid UTF-8 (encoding/json
// would replace invalid bytes).
func (d *fastDecoder) plainString() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start, ascii := d.i, true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return "", false
}

// plainStrings reads an array of plain strings.
func (d *fastDecoder) plainStrings() ([]string, bool) {
	if !d.byte('[') {
		return nil, false
	}
	out := []string{}
	d.space()
	if d.byte(']') {
		return out, true
	}
	for {
		d.space()
		s, ok := d.plainString()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		d.space()
		switch d.next() {
		case ',':
		case ']':
			return out, true
		default:
			return nil, false
		}
	}
}

// integer reads an integer without fraction or exponent that fits in an
// int64.
func (d *fastDecoder) integer() (int64, bool) {
	neg := d.byte('-')
	start := d.i
	var n int64
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		if d.i-start >= 18 {
			return 0, false // may not fit
		}
		n = n*10 + int64(d.b[d.i]-'0')
		d.i++
	}
	digits := d.i - start
	if digits == 0 || (digits > 1 && d.b[start] == '0') {
		return 0, false
	}
	switch d.peek() {
	case '.', 'e', 'E':
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// value validates the JSON value at i and appends it to dst without
// insignificant whitespace.
func (d *fastDecoder) value(dst []byte, depth int) ([]byte, bool) {
	if depth > maxFastDepth {
		return dst, false
	}
	switch c := d.peek(); {
	case c == '{' || c == '[':
		return d.container(dst, depth)
	case c == '"':
		return d.str(dst)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(dst)
	case c == 't':
		return d.literal(dst, "true")
	case c == 'f':
		return d.literal(dst, "false")
	case c == 'n':
		return d.literal(dst, "null")
	}
	return dst, false
}

// container validates an object or an array and appends it to dst without
// insignificant whitespace. An object's members are a key, a colon and a
// value; an array's elements are a value.
func (d *fastDecoder) container(dst []byte, depth int) ([]byte, bool) {
	open := d.next()
	end := byte(']')
	if open == '{' {
		end = '}'
	}
	dst = append(dst, open)
	d.space()
	if d.byte(end) {
		return append(dst, end), true
	}
	for {
		d.space()
		var ok bool
		if open == '{' {
			if d.peek() != '"' {
				return dst, false
			}
			if dst, ok = d.str(dst); !ok {
				return dst, false
			}
			d.space()
			if !d.byte(':') {
				return dst, false
			}
			dst = append(dst, ':')
			d.space()
		}
		if dst, ok = d.value(dst, depth+1); !ok {
			return dst, false
		}
		d.space()
		switch d.next() {
		case ',':
			dst = append(dst, ',')
		case end:
			return append(dst, end), true
		default:
			return dst, false
		}
	}
}

// str validates a string, escapes included, and appends it as it is.
func (d *fastDecoder) str(dst []byte) ([]byte, bool) {
	start := d.i
	d.i++ // the opening quote
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return append(dst, d.b[start:d.i]...), true
		case c < 0x20:
			return dst, false
		case c == '\\':
			d.i++
			switch d.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				d.i++
				for range 4 {
					if !isHex(d.peek()) {
						return dst, false
					}
					d.i++
				}
			default:
				return dst, false
			}
		default:
			d.i++
		}
	}
	return dst, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number validates a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *fastDecoder) number(dst []byte) ([]byte, bool) {
	start := d.i
	d.byte('-')
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case c >= '1' && c <= '9':
		d.digits()
	default:
		return dst, false
	}
	if d.byte('.') {
		if d.digits() == 0 {
			return dst, false
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if d.digits() == 0 {
			return dst, false
		}
	}
	return append(dst, d.b[start:d.i]...), true
}

func (d *fastDecoder) digits() int {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

func (d *fastDecoder) literal(dst []byte, lit string) ([]byte, bool) {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return dst, false
	}
	d.i += len(lit)
	return append(dst, lit...), true
}
