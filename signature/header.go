package signature

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// maxHeaderLen bounds every signature header this package parses. Real
// headers are well under 1 KiB; the bound keeps the work done for a hostile
// request small.
const maxHeaderLen = 8 << 10

// headerValues returns the values of the header named by canonical (which
// must already be in canonical form, e.g. "Webhook-Id"). When the map holds
// no such key, as happens with maps built by hand with lower-case keys, it
// falls back to a search that ignores ASCII case (HTTP header names are
// ASCII; Unicode folding would let "\u017fvix-id" stand for "svix-id"). If
// several keys match, their values are returned together, in the order of
// the sorted keys, so that the result does not depend on map order and a
// header given twice with different values is seen as such.
func headerValues(h http.Header, canonical string) []string {
	if v, ok := h[canonical]; ok {
		return v
	}
	var buf [2]string
	keys := buf[:0]
	for k := range h {
		if asciiEqualFold(k, canonical) {
			keys = append(keys, k)
		}
	}
	switch len(keys) {
	case 0:
		return nil
	case 1:
		return h[keys[0]]
	}
	slices.Sort(keys)
	var vs []string
	for _, k := range keys {
		vs = append(vs, h[k]...)
	}
	return vs
}

// asciiEqualFold reports whether a and b are equal when ASCII letters are
// compared without regard to case. Other bytes must be equal.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// singleHeader returns the value of a header that must appear once. Absent
// or empty gives ErrMissingHeader; several different values give
// ErrBadFormat, because a signed field must have one meaning.
func singleHeader(h http.Header, canonical string) (string, error) {
	vs := headerValues(h, canonical)
	if len(vs) == 0 || vs[0] == "" {
		return "", fmt.Errorf("%w: %s", ErrMissingHeader, canonical)
	}
	for _, v := range vs[1:] {
		if v != vs[0] {
			return "", fmt.Errorf("%w: %s appears %d times with different values", ErrBadFormat, canonical, len(vs))
		}
	}
	if len(vs[0]) > maxHeaderLen {
		return "", fmt.Errorf("%w: %s longer than %d bytes", ErrBadFormat, canonical, maxHeaderLen)
	}
	return vs[0], nil
}

// listHeader returns the values of a header that may carry a list, joined
// by sep. One value is returned as is, without allocating.
func listHeader(h http.Header, canonical string, sep string) (string, error) {
	vs := headerValues(h, canonical)
	var s string
	switch len(vs) {
	case 0:
	case 1:
		s = vs[0]
	default:
		s = strings.Join(vs, sep)
	}
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%w: %s", ErrMissingHeader, canonical)
	}
	if len(s) > maxHeaderLen {
		return "", fmt.Errorf("%w: %s longer than %d bytes", ErrBadFormat, canonical, maxHeaderLen)
	}
	return s, nil
}
