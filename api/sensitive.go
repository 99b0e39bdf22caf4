package api

import (
	"slices"
	"strings"
)

// What the API never returns of the headers and parameters it stores
// (custom headers, the extras of an OAuth client): the values of those
// whose names suggest a credential. They are named, so that a caller knows
// they are set.

// sensitiveName reports whether a header or a parameter likely carries a
// credential, by its name.
func sensitiveName(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "cookie", "set-cookie", "proxy-authorization":
		return true
	}
	for _, w := range []string{"token", "key", "secret", "auth", "password", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// redacted returns the entries of m whose names are not sensitive, and the
// names of the others, sorted, without their values. Both are empty, not
// nil, when m has none.
func redacted(m map[string]string) (shown map[string]string, sensitive []string) {
	shown, sensitive = map[string]string{}, []string{}
	for k, v := range m {
		if sensitiveName(k) {
			sensitive = append(sensitive, k)
		} else {
			shown[k] = v
		}
	}
	slices.Sort(sensitive)
	return shown, sensitive
}
