package hookline

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// PostgreSQL's text and jsonb cannot hold a NUL, nor text that is not
// UTF-8, where SQLite keeps any bytes. So that the same input gets the same
// answer from every store, the free-text fields of what a store keeps refuse
// both, and every Store runs these checks before it writes (EINVALID). The
// API runs them first, through Validate, to name the field.

// StorableText reports whether every store can keep s: it is valid UTF-8
// and holds no NUL.
func StorableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkText returns EINVALID about field when s holds a NUL or is not valid
// UTF-8.
func checkText(field []string, s string) error {
	switch {
	case StorableText(s):
		return nil
	case !utf8.ValidString(s):
		return Invalid(field, "must be valid UTF-8")
	}
	return Invalid(field, "must not hold a NUL character")
}

// checkTextMap is checkText for every key and value of m, which is named
// by name in the body.
func checkTextMap(name string, m map[string]string) error {
	for k, v := range m {
		field := []string{"body", name, k}
		if err := checkText(field, k); err != nil {
			return err
		}
		if err := checkText(field, v); err != nil {
			return err
		}
	}
	return nil
}

// CheckStorable returns EINVALID when a text field of a holds a NUL or is
// not valid UTF-8.
func (a *Application) CheckStorable() error {
	if err := checkText([]string{"body", "name"}, a.Name); err != nil {
		return err
	}
	return checkTextMap("metadata", a.Metadata)
}

// CheckStorable returns EINVALID when a text field of e holds a NUL or is
// not valid UTF-8.
func (e *Endpoint) CheckStorable() error {
	if err := checkText([]string{"body", "url"}, e.URL); err != nil {
		return err
	}
	if err := checkText([]string{"body", "description"}, e.Description); err != nil {
		return err
	}
	if err := checkTextMap("metadata", e.Metadata); err != nil {
		return err
	}
	return checkTextMap("headers", e.Headers)
}

// CheckStorable returns EINVALID when a text field of e, its schemas
// included, holds a NUL or is not valid UTF-8.
func (e *EventType) CheckStorable() error {
	if err := checkText([]string{"body", "description"}, e.Description); err != nil {
		return err
	}
	if !utf8.Valid(e.Schemas) || bytes.IndexByte(e.Schemas, 0) >= 0 {
		return Invalid([]string{"body", "schemas"}, "must be valid UTF-8 without a NUL character")
	}
	return nil
}

// CheckStorable returns EINVALID when a text field of s holds a NUL or is
// not valid UTF-8. Its config is sealed as bytes, so it holds any text.
func (s *Source) CheckStorable() error {
	if err := checkText([]string{"body", "name"}, s.Name); err != nil {
		return err
	}
	return checkTextMap("metadata", s.Metadata)
}
