package hookline

import (
	"strings"
	"time"
)

// AttemptCount counts the attempts made in the step that starts at Start,
// by outcome: what Overview.CountAttempts returns.
type AttemptCount struct {
	Start   time.Time
	Success int64
	Fail    int64
}

// AttemptCounts returns the empty counts of the steps of [since, until),
// step long each (the last one may be shorter), for a driver to fill in
// with Add. A step below a second is a second.
func AttemptCounts(since, until time.Time, step time.Duration) []AttemptCount {
	step = max(step, time.Second)
	var out []AttemptCount
	for t := since; t.Before(until); t = t.Add(step) {
		out = append(out, AttemptCount{Start: t})
	}
	return out
}

// AddAttempts counts n attempts of status in the step numbered i of counts
// (as AttemptCounts made them); an i out of range is ignored.
func AddAttempts(counts []AttemptCount, i int64, status Status, n int64) {
	if i < 0 || i >= int64(len(counts)) {
		return
	}
	if status == StatusSuccess {
		counts[i].Success += n
	} else {
		counts[i].Fail += n
	}
}

// FailingEndpoint is an endpoint whose attempts have all failed since
// FailingSince (Queue.MarkFailing): failing now.
type FailingEndpoint struct {
	Endpoint     Endpoint
	FailingSince time.Time
}

// MaxOverviewLimit bounds the items of an Overview list.
const MaxOverviewLimit = 250

// SearchPattern returns the LIKE pattern that finds s anywhere in a
// lower-cased column, its own wildcards escaped with a backslash.
func SearchPattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}
