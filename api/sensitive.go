package api

import (
	"slices"

	"github.com/hookline/hookline"
)

// What the API never returns of the headers and parameters it stores
// (custom headers, the extras of an OAuth client): the values of those
// whose names suggest a credential (hookline.SensitiveName). They are
// named, so that a caller knows they are set.

// redacted returns the entries of m whose names are not sensitive, and the
// names of the others, sorted, without their values. Both are empty, not
// nil, when m has none.
func redacted(m map[string]string) (shown map[string]string, sensitive []string) {
	shown, sensitive = map[string]string{}, []string{}
	for k, v := range m {
		if hookline.SensitiveName(k) {
			sensitive = append(sensitive, k)
		} else {
			shown[k] = v
		}
	}
	slices.Sort(sensitive)
	return shown, sensitive
}
