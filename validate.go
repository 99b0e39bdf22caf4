package hookline

import (
	"fmt"
	"net/url"
	"strings"
)

// Limits on user input, as the Svix API defines them.
const (
	MaxUIDLen       = 256
	MaxEventTypeLen = 256
	MaxChannelLen   = 128
	MaxURLLen       = 65536
	MaxChannels     = 10 // on an endpoint
	MaxMsgChannels  = 5  // on a message
)

// ValidName reports whether s is non-empty, at most max bytes, and made only of
// the characters the Svix API allows in uids, event types and channels:
// ASCII letters, digits, '-', '_' and '.'.
func ValidName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

func checkName(field []string, s string, max int) error {
	if !ValidName(s, max) {
		return Invalid(field, "must be 1 to %d characters of a-z, A-Z, 0-9, '-', '_' and '.'", max)
	}
	return nil
}

// checkOptionalName is checkName for a name that may be unset (nil).
func checkOptionalName(field []string, s *string, max int) error {
	if s == nil {
		return nil
	}
	return checkName(field, *s, max)
}

func checkNames(field string, names []string, max, maxItems int) error {
	if names == nil {
		return nil
	}
	if len(names) == 0 {
		return Invalid([]string{"body", field}, "must hold at least one item when set")
	}
	if maxItems > 0 && len(names) > maxItems {
		return Invalid([]string{"body", field}, "must hold at most %d items", maxItems)
	}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if err := checkName([]string{"body", field, fmt.Sprint(i)}, n, max); err != nil {
			return err
		}
		if seen[n] {
			return Invalid([]string{"body", field}, "items must be unique; %q repeats", n)
		}
		seen[n] = true
	}
	return nil
}

func checkUID(uid *string) error {
	if uid == nil {
		return nil
	}
	if err := checkName([]string{"body", "uid"}, *uid, MaxUIDLen); err != nil {
		return err
	}
	if strings.HasPrefix(*uid, PrefixApplication) || strings.HasPrefix(*uid, PrefixEndpoint) ||
		strings.HasPrefix(*uid, PrefixMessage) {
		return Invalid([]string{"body", "uid"}, "must not start with an id prefix (app_, ep_, msg_)")
	}
	return nil
}

// ValidateURL checks that raw is an absolute http or https URL with a host.
func ValidateURL(raw string) error {
	field := []string{"body", "url"}
	if raw == "" || len(raw) > MaxURLLen {
		return Invalid(field, "must be 1 to %d characters", MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Invalid(field, "is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Invalid(field, "scheme must be http or https")
	}
	if u.Hostname() == "" {
		return Invalid(field, "must have a host")
	}
	return nil
}

// NormalizeURL returns an endpoint URL as svix-server keeps it: its scheme
// and host in lower case, and "/" for an empty path. The rest (credentials,
// path, query) is kept as given. A URL without "scheme://" is returned as
// it is (ValidateURL refuses it).
func NormalizeURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, host := "", authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo, host = authority[:i+1], authority[i+1:]
	}
	if !strings.HasPrefix(tail, "/") {
		tail = "/" + tail
	}
	return strings.ToLower(scheme) + "://" + userinfo + strings.ToLower(host) + tail
}
