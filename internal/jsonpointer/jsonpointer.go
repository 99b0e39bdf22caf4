// Package jsonpointer reads one value out of a JSON document by a JSON
// pointer (RFC 6901): the delivery id of a received webhook, or a value an
// action passes to its command.
package jsonpointer

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Valid reports whether p is a JSON pointer: empty (the whole document) or
// "/"-separated tokens.
func Valid(p string) bool { return p == "" || strings.HasPrefix(p, "/") }

// Get returns the value at p in doc as text: a string as it is, a number,
// a boolean or null as JSON writes it, an object or an array as its JSON.
// ok is false when doc is not JSON or holds nothing at p.
func Get(doc []byte, p string) (string, bool) {
	if !Valid(p) {
		return "", false
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", false
	}
	if p != "" {
		for _, tok := range strings.Split(p[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch c := v.(type) {
			case map[string]any:
				var found bool
				if v, found = c[tok]; !found {
					return "", false
				}
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(c) || tok != strconv.Itoa(i) {
					return "", false
				}
				v = c[i]
			default:
				return "", false
			}
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case nil:
		return "null", true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}
