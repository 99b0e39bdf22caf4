package hookline

import (
	"net/url"
	"strings"
)

// RedactedPassword replaces the credentials of endpoint URLs wherever they
// are shown.
const RedactedPassword = "xxxxx"

// splitUserinfo cuts raw into what comes before its userinfo, the userinfo
// (still escaped) and what comes after the '@', the way url.Parse finds
// them. ok is false when raw has no userinfo.
func splitUserinfo(raw string) (before, userinfo, after string, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return "", "", "", false
	}
	start := i + 3
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return "", "", "", false
	}
	at += start
	return raw[:start], raw[start:at], raw[at+1:], true
}

// redactUserinfo hides the password of user:password, and the whole of a
// user name given alone, which is often an API key.
func redactUserinfo(ui string) string {
	if user, _, ok := strings.Cut(ui, ":"); ok {
		return user + ":" + RedactedPassword
	}
	return RedactedPassword
}

// unparsableURL is what RedactURL shows of a URL it cannot redact in place.
const unparsableURL = "(unparsable URL, redacted)"

// RedactURL returns raw with its credentials hidden, wherever a URL is shown
// (the API, attempt records, logs): a password becomes RedactedPassword
// (https://user:xxxxx@host/), and so does a user name without a password
// (https://xxxxx@host/). A URL without credentials is returned as it is.
// A string that url.Parse refuses, or one with credentials but no scheme
// (//user:password@host/), is not shown at all but as "(unparsable URL,
// redacted)": where its credentials stand is unknown.
func RedactURL(raw string) string {
	before, ui, after, ok := splitUserinfo(raw)
	if u, err := url.Parse(raw); err != nil || (u.User != nil && !ok) {
		return unparsableURL
	}
	if !ok {
		return raw
	}
	return before + redactUserinfo(ui) + "@" + after
}

// HasURLCredentials reports whether raw holds a user name or password.
func HasURLCredentials(raw string) bool {
	_, _, _, ok := splitUserinfo(raw)
	return ok
}

// KeepURLCredentials returns the URL to store when an endpoint whose URL is
// current is given next, which may be current as RedactURL showed it: when
// next holds the redacted form of current's credentials and names the same
// scheme and host, the result is next with current's credentials. A redacted
// password sent towards another scheme or host is refused (EINVALID at
// field) rather than stored, or sent there: the password must be given
// again. Otherwise the result is next.
func KeepURLCredentials(field []string, next, current string) (string, error) {
	nb, nui, na, ok := splitUserinfo(next)
	if !ok {
		return next, nil
	}
	cb, cui, ca, ok := splitUserinfo(current)
	masked := ok && nui == redactUserinfo(cui)
	if !masked {
		if nui == RedactedPassword || strings.HasSuffix(nui, ":"+RedactedPassword) {
			return "", Invalid(field, "holds the redacted password %s: give the credentials again", RedactedPassword)
		}
		return next, nil
	}
	if !strings.EqualFold(nb, cb) || !strings.EqualFold(hostOf(na), hostOf(ca)) {
		return "", Invalid(field, "holds the redacted password %s for another scheme or host: give the credentials again", RedactedPassword)
	}
	return nb + cui + "@" + na, nil
}

// hostOf returns the host[:port] at the start of the rest of a URL after
// its userinfo.
func hostOf(after string) string {
	if i := strings.IndexAny(after, "/?#"); i >= 0 {
		return after[:i]
	}
	return after
}

// BasicAuth returns the credentials in e's URL, which a delivery sends as
// "Authorization: Basic", and ok false when the URL holds none. The user
// name and password are unescaped.
func (e *Endpoint) BasicAuth() (user, password string, ok bool) {
	u, err := url.Parse(e.URL)
	if err != nil || u.User == nil {
		return "", "", false
	}
	password, _ = u.User.Password()
	return u.User.Username(), password, true
}

// URLHost returns the host of raw, with its port when it has one, and
// nothing else of it: never its credentials, path or query. It is "" when
// url.Parse refuses raw. Logs and traces name an endpoint's host with it.
func URLHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
