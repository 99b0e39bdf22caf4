package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// fields records which top-level keys a JSON object had, so that a PATCH can
// tell an absent field (keep) from a null one (clear it).
type fields map[string]present

func (f fields) has(name string) bool { _, ok := f[name]; return ok }

// either returns the value of a field that a PATCH body may give under two
// names: v when the body has the key name, or else av when it has alias;
// ok is false when it has neither.
func either[T any](f fields, name string, v T, alias string, av T) (T, bool) {
	switch {
	case f.has(name):
		return v, true
	case f.has(alias):
		return av, true
	}
	var zero T
	return zero, false
}

// present is a JSON value that was there; decoding it keeps nothing.
type present struct{}

func (*present) UnmarshalJSON([]byte) error { return nil }

// readBody reads the request body within the size limit.
func (c *call) readBody() ([]byte, error) {
	b, err := readAll(c.r.Body, c.r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, hookline.Errorf(hookline.ETOOLARGE, "The request body is larger than %d bytes.", mbe.Limit)
		}
		return nil, hookline.Errorf(hookline.EINVALID, "cannot read the request body")
	}
	return b, nil
}

// decode reads a JSON object from the body into v. An empty body counts as
// {} when the route says so. Unknown fields are ignored, as Svix does.
// Errors are 413 or 422 with the location of the offending field.
func (c *call) decode(v any) (fields, error) {
	b, err := c.readBody()
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 && c.rt.BodyOptional {
		b = []byte("{}")
	}
	return decodeJSON(b, v)
}

func decodeJSON(b []byte, v any) (fields, error) {
	var keys fields
	if err := json.Unmarshal(b, &keys); err != nil || keys == nil {
		if err != nil && !isTypeError(err) {
			return nil, badInput([]string{"body"}, "value_error.jsondecode", "the body is not valid JSON: "+err.Error())
		}
		return nil, badInput([]string{"body"}, "type_error.dict", "the body must be a JSON object")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			loc := []string{"body"}
			if te.Field != "" {
				loc = append(loc, jsonPath(reflect.TypeOf(v), strings.Split(te.Field, "."))...)
			}
			return nil, badInput(loc, "type_error", fmt.Sprintf("expected %s, got %s", jsonKind(te.Type.String()), te.Value))
		}
		return nil, badInput([]string{"body"}, "value_error", err.Error())
	}
	return keys, nil
}

func isTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// jsonPath drops from the path of a decoding error the names of embedded
// structs, which encoding/json puts in it but which are no JSON keys.
func jsonPath(t reflect.Type, path []string) []string {
	out := make([]string, 0, len(path))
	for _, seg := range path {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			out = append(out, seg)
			t = nil
			continue
		}
		if f, ok := t.FieldByName(seg); ok && f.Anonymous {
			t = f.Type
			continue
		}
		out = append(out, seg)
		var next reflect.Type
		for i := range t.NumField() {
			if f := t.Field(i); strings.Split(f.Tag.Get("json"), ",")[0] == seg {
				next = f.Type
			}
		}
		t = next
	}
	return out
}

// jsonKind names a Go type the way a JSON user thinks of it.
func jsonKind(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "api."), t == "json.RawMessage":
		return "an object"
	}
	return "another type"
}

// parseTime parses an RFC 3339 date-time from the input at loc.
func parseTime(loc []string, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badInput(loc, "value_error.datetime", "must be an RFC 3339 date-time")
	}
	return t, nil
}

// query reads the query parameters of a call.
type query struct{ c *call }

func (c *call) query() query { return query{c} }

func (q query) str(name string) string { return q.c.r.URL.Query().Get(name) }

func (q query) boolean(name string, def bool) (bool, error) {
	v := q.str(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badQuery(name, "must be true or false")
	}
	return b, nil
}

// withContent reads with_content, whether to include payloads or response
// bodies; true by default.
func (q query) withContent() (bool, error) { return q.boolean("with_content", true) }

func (q query) time(name string) (*time.Time, error) {
	v := q.str(name)
	if v == "" {
		return nil, nil
	}
	t, err := parseTime([]string{"query", name}, v)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// name reads a filter such as a channel: empty, or a valid name.
func (q query) name(name string, max int) (string, error) {
	v := q.str(name)
	if v != "" && !hookline.ValidName(v, max) {
		return "", badQuery(name, fmt.Sprintf("must be 1 to %d characters of a-z, A-Z, 0-9, '-', '_' and '.'", max))
	}
	return v, nil
}

// eventTypes reads event_types, given either repeated (event_types=a&event_types=b)
// or comma-separated (event_types=a,b, as the Svix SDKs send it).
func (q query) eventTypes() ([]string, error) {
	var out []string
	for _, v := range q.c.r.URL.Query()["event_types"] {
		for _, n := range strings.Split(v, ",") {
			if n == "" {
				continue
			}
			if !hookline.ValidName(n, hookline.MaxEventTypeLen) {
				return nil, badQuery("event_types", fmt.Sprintf("%q is not a valid event type name", n))
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// messageFilters reads what every list of messages or attempts takes: the
// filters event_types, before and after, and with_content, whether to
// include payloads or response bodies (true by default).
func (q query) messageFilters() (types []string, before, after *time.Time, withContent bool, err error) {
	if types, err = q.eventTypes(); err != nil {
		return nil, nil, nil, false, err
	}
	if before, err = q.time("before"); err != nil {
		return nil, nil, nil, false, err
	}
	if after, err = q.time("after"); err != nil {
		return nil, nil, nil, false, err
	}
	if withContent, err = q.withContent(); err != nil {
		return nil, nil, nil, false, err
	}
	return types, before, after, withContent, nil
}

// status reads a MessageStatus filter (0 success, 1 pending, 2 fail,
// 3 sending, 4 canceled).
func (q query) status() (*hookline.Status, error) {
	v := q.str("status")
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 4 {
		return nil, badQuery("status", "must be one of 0, 1, 2, 3, 4")
	}
	st := hookline.Status(n)
	return &st, nil
}

func (q query) statusCodeClass() (*int, error) {
	v := q.str("status_code_class")
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 500 || n%100 != 0 {
		return nil, badQuery("status_code_class", "must be one of 0, 100, 200, 300, 400, 500")
	}
	return &n, nil
}

// page is the pagination of a list request.
type page struct {
	opts    hookline.ListOptions
	reverse bool   // the iterator was a prevIterator: walk the other way
	iter    string // the iterator as given
}

// prevMark starts a prevIterator. It is in no id and no name, so that an
// iterator cannot be mistaken for the other kind.
const prevMark = "~"

// page reads limit, iterator and, when ordered, order. desc is the default
// order. An iterator that starts with prevMark is a prevIterator: the page
// then holds the items before it.
//
// The iterator must be one the list gave: an id with the prefix of the
// list's items (the name of an item when prefix is ""); anything else is a
// 422, as svix-server answers.
func (q query) page(desc, ordered bool, prefix string) (page, error) {
	p := page{opts: hookline.ListOptions{Limit: 50, Descending: desc}}
	if v := q.str("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, badQuery("limit", "must be a non-negative integer")
		}
		p.opts.Limit = min(max(n, 1), hookline.MaxListLimit)
	}
	if ordered {
		switch q.str("order") {
		case "":
		case "ascending":
			p.opts.Descending = false
		case "descending":
			p.opts.Descending = true
		default:
			return p, badQuery("order", "must be ascending or descending")
		}
	}
	if !p.setIterator(q.str("iterator"), prefix) {
		return p, badQuery("iterator", "is not an iterator of this list")
	}
	return p, nil
}

// setIterator makes the page start at it, an iterator or a prevIterator
// the list gave, and reports whether it is one: an id with the prefix of
// the list's items (a name when prefix is "") or "". Call it once the
// page's default order is set: a prevIterator reverses it.
func (p *page) setIterator(it, prefix string) bool {
	p.iter = it
	p.opts.Iterator = it
	if rest, ok := strings.CutPrefix(it, prevMark); ok {
		p.reverse = true
		p.opts.Iterator = rest
		p.opts.Descending = !p.opts.Descending
	}
	return p.opts.Iterator == "" || validIterator(p.opts.Iterator, prefix)
}

// validIterator reports whether it is an id with prefix, or a name when
// prefix is "".
func validIterator(it, prefix string) bool {
	if prefix == "" {
		return hookline.ValidName(it, hookline.MaxEventTypeLen)
	}
	return hookline.ValidID(it, prefix)
}

// maxBodyHint bounds the buffer readAll sizes from a declared length before
// any of the body has arrived, so that a client announcing a large body and
// sending none costs little.
const maxBodyHint = 64 << 10

// readAll is io.ReadAll with the first buffer sized for n bytes, the
// request's declared length (-1 when unknown): one allocation for a body of
// that length instead of the several io.ReadAll makes as it grows.
func readAll(r io.Reader, n int64) ([]byte, error) {
	if n <= 0 || n > maxBodyHint {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, n+1) // +1: the read that finds the end needs room
	for {
		k, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than declared: grow
		}
	}
}
