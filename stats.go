package hookline

import (
	"context"
	"time"
)

// MaxAttemptCount is the ceiling of the count of an endpoint's attempts the
// API gives (GET .../attempt/endpoint/{id}/count): past it the count is
// approximated, as the hosted Svix API does, so that one request never
// reads more than this many index entries.
const MaxAttemptCount = 10000

// Statistics counts what the API's statistics routes show. Each count reads
// through an index, bounded by a ceiling or a time range its caller
// checks, never the whole log.
type Statistics interface {
	// CountAttemptsByEndpoint counts the attempts ListAttemptsByEndpoint
	// lists with f (its ListOptions aside), up to max: when there are more,
	// it returns max and true. It is ENOTFOUND when the application has no
	// such endpoint.
	CountAttemptsByEndpoint(ctx context.Context, appID, endpointID string, f AttemptFilter, max int) (int, bool, error)
	// AppAttemptStats counts the application's attempts made in
	// [since, until) by step (see AttemptTally), event type of their
	// message and outcome; only those of eventTypes when it is not
	// empty. It reads the attempts of the range through an index of
	// the application's attempts by time: its cost grows with them, and
	// callers bound the range (MaxStatsRange).
	AppAttemptStats(ctx context.Context, appID string, since, until time.Time, step time.Duration, eventTypes []string) ([]AttemptTally, error)
}

// MaxStatsRange is the longest range of time a statistics request covers,
// as svix-server bounds its endpoint statistics.
const MaxStatsRange = 28 * 24 * time.Hour

// AttemptTally is a count of the attempts of one event type with one
// outcome made in one step of a range: Step is the step's number, the
// step starting at since + Step*step.
type AttemptTally struct {
	Step      int64
	EventType string
	Status    Status // StatusSuccess or StatusFail
	Count     int64
}

// StatsStep is step as a driver counts in it: at least a second.
func StatsStep(step time.Duration) time.Duration { return max(step, time.Second) }
