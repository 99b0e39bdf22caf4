package hookline

import (
	"bytes"
	"strings"
	"unicode/utf16"
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
// included, holds a NUL or is not valid UTF-8, or when its schemas escape a
// NUL or a lone surrogate (jsonEscapeProblem).
func (e *EventType) CheckStorable() error {
	if err := checkText([]string{"body", "description"}, e.Description); err != nil {
		return err
	}
	if !utf8.Valid(e.Schemas) || bytes.IndexByte(e.Schemas, 0) >= 0 {
		return Invalid([]string{"body", "schemas"}, "must be valid UTF-8 without a NUL character")
	}
	if problem := jsonEscapeProblem(e.Schemas, true); problem != "" {
		return Invalid([]string{"body", "schemas"}, "%s", problem)
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

// jsonEscapeProblem returns what is wrong with an escape of the JSON text b,
// or "" when nothing is: an escaped lone surrogate (\ud800 to \udfff
// outside a high-low pair) encodes no Unicode text, and strict parsers
// (RFC 7493) refuse the whole document; with nul, an escaped NUL (\u0000)
// too. Outside strings valid JSON has no backslash, so b is not parsed.
func jsonEscapeProblem(b []byte, nul bool) string {
	const lone = "must not escape a lone surrogate (\\ud800 to \\udfff outside a pair)"
	for i := bytes.IndexByte(b, '\\'); i >= 0 && i+1 < len(b); {
		next := i + 2 // past \x
		if b[i+1] == 'u' {
			r, ok := hex4(b[i+2:])
			next = i + 6
			switch {
			case !ok:
			case r == 0 && nul:
				return "must not escape a NUL character (\\u0000)"
			case utf16.IsSurrogate(r) && r >= 0xdc00:
				return lone // a low surrogate first
			case utf16.IsSurrogate(r):
				low, ok := rune(0), len(b) >= i+12 && b[i+6] == '\\' && b[i+7] == 'u'
				if ok {
					low, ok = hex4(b[i+8:])
				}
				if !ok || utf16.DecodeRune(r, low) == utf8.RuneError {
					return lone
				}
				next = i + 12
			}
		}
		j := bytes.IndexByte(b[min(next, len(b)):], '\\')
		if j < 0 {
			break
		}
		i = next + j
	}
	return ""
}

// hex4 reads the four hexadecimal digits b starts with.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
