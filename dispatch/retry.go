package dispatch

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// DefaultSchedule is the delay before each retry after a failed first
// attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts in all,
// over about 28 hours).
var DefaultSchedule = []time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	10 * time.Hour,
}

// Bounds within which a receiver's Retry-After is honoured.
const (
	minRetryAfter = time.Second
	maxRetryAfter = 24 * time.Hour
)

// jitter returns d moved randomly by up to ±fraction of itself.
func jitter(d time.Duration, fraction float64) time.Duration {
	if fraction <= 0 || d <= 0 {
		return d
	}
	f := 1 + fraction*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// retryAfter parses a Retry-After header (delay-seconds or an HTTP date)
// relative to now, and clamps it into [minRetryAfter, maxRetryAfter]. It
// returns false when the header is absent or unparsable.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	if h == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			secs = int64(maxRetryAfter / time.Second)
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, minRetryAfter), maxRetryAfter), true
}
