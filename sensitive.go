package hookline

import (
	"strings"
	"unicode/utf8"
)

// SensitiveName reports whether a header or a parameter likely carries a
// credential, by its name: Authorization, Cookie and the like, or a name
// that speaks of a token, a key, a secret, auth, a password or a session,
// in any case. Hookline never returns the value of one it stores (an
// endpoint's custom headers, the extras of an OAuth client), nor keeps the
// value of one an attempt sent (SentHeaders).
//
// It runs for every header of every attempt, so it does not allocate for
// an ASCII name.
func SensitiveName(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			name = strings.ToLower(name) // case folding beyond ASCII
			break
		}
	}
	if strings.EqualFold(name, "cookie") || strings.EqualFold(name, "set-cookie") {
		return true
	}
	// "auth" covers Authorization and Proxy-Authorization.
	for _, w := range []string{"token", "key", "secret", "auth", "password", "session"} {
		if containsFold(name, w) {
			return true
		}
	}
	return false
}

// containsFold reports whether s holds word (lower-case ASCII) in any
// ASCII case.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for ; j < len(word); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != word[j] {
				break
			}
		}
		if j == len(word) {
			return true
		}
	}
	return false
}
