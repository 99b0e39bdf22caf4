package signature

import (
	"fmt"
	"strconv"
	"time"
)

// DefaultTolerance is how far a signed timestamp may lie from the
// receiver's clock, in either direction, when a scheme's Tolerance field is
// zero. It bounds how long a captured request can be replayed, while
// leaving room for clock skew and transit time.
const DefaultTolerance = 5 * time.Minute

// maxTimestampDigits bounds a Unix-seconds timestamp so that it fits in an
// int64 (19 digits would allow values above math.MaxInt64).
const maxTimestampDigits = 18

// parseUnix parses a Unix timestamp in seconds written as plain ASCII
// digits: no sign, no fraction, no white space, and no leading zero unless
// the number is 0 itself. What it accepts is the one spelling that
// strconv.FormatInt gives, so there is no second spelling of the same
// instant: a replay key or a signed content built from the number cannot
// be varied by rewriting the text.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > maxTimestampDigits || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// checkTimestamp parses text, the signed time in Unix seconds found in
// name (which errors name), and compares it with now. tolerance 0 means
// DefaultTolerance; a negative tolerance disables the comparison, not the
// parsing. It returns the time in Unix seconds.
func checkTimestamp(text, name string, now func() time.Time, tolerance time.Duration) (int64, error) {
	ts, ok := parseUnix(text)
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a Unix time in seconds", ErrBadFormat, name)
	}
	if tolerance < 0 {
		return ts, nil
	}
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	t := time.Unix(ts, 0)
	n := clock(now)
	switch {
	case n.Sub(t) > tolerance:
		return ts, fmt.Errorf("%w: signed at %s, %s before now (tolerance %s)",
			ErrTooOld, t.UTC().Format(time.RFC3339), n.Sub(t).Truncate(time.Second), tolerance)
	case t.Sub(n) > tolerance:
		return ts, fmt.Errorf("%w: signed at %s, %s after now (tolerance %s)",
			ErrTooNew, t.UTC().Format(time.RFC3339), t.Sub(n).Truncate(time.Second), tolerance)
	}
	return ts, nil
}

// expiry is the last instant at which a request signed at ts still passes
// checkTimestamp, or the zero Time when the check is disabled.
func expiry(ts int64, tolerance time.Duration) time.Time {
	if tolerance < 0 {
		return time.Time{}
	}
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	return time.Unix(ts, 0).Add(tolerance)
}

// clock returns now() or, when now is nil, time.Now().
func clock(now func() time.Time) time.Time {
	if now == nil {
		return time.Now()
	}
	return now()
}
