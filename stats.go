package hookline

import (
	"context"
	"slices"
	"time"
)

// MaxAttemptCount is the ceiling of the count of an endpoint's attempts the
// API gives (GET .../attempt/endpoint/{id}/count): past it the count is
// approximated, as the hosted Svix API does, so that a request stops
// reading once it has counted this many.
const MaxAttemptCount = 10000

// Statistics counts what the API's statistics routes show. What a request
// asks for reads through an index, bounded by a ceiling or by a time range
// its caller checks; the usage aggregates, which background tasks
// compute, read every row they count.
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

	// AppUsage counts, for each application of appIDs (ids, each once, at
	// most MaxUsageApps), the messages created in [since, until) and their
	// deliveries (those to endpoints deleted since too), one AppUsage per
	// id in the order of appIDs; an id of no application counts nothing.
	// It reads each application's messages and its endpoints'
	// deliveries: the work of a background task, not of a request.
	AppUsage(ctx context.Context, appIDs []string, since, until time.Time) ([]AppUsage, error)
	// AppEventTypes tells, for each application of appIDs (ids, each once,
	// at most MaxUsageApps), what its endpoints subscribe to (see
	// AppEventTypes.Subscribe), one per id in the order of appIDs.
	AppEventTypes(ctx context.Context, appIDs []string) ([]AppEventTypes, error)
}

// MaxUsageApps bounds the applications of one call of AppUsage or
// AppEventTypes.
const MaxUsageApps = 100

// AppUsage counts what an application sent in a range of time.
type AppUsage struct {
	AppID    string
	Messages int64 // the messages created in the range
	// Destinations counts the deliveries of those messages: one per
	// message and endpoint it went to, however many attempts it took
	// (Svix's "message destinations").
	Destinations int64
}

// AppEventTypes is what the endpoints of an application subscribe to.
type AppEventTypes struct {
	AppID string
	// EventTypes are the event types some endpoint names in its filter,
	// each once, sorted.
	EventTypes []string
	// CatchAll says an endpoint has no filter: it takes every event type.
	CatchAll bool
}

// Subscribe adds what an endpoint with the filter eventTypes (an
// Endpoint's EventTypes) subscribes to: those event types, or every one
// when the filter is empty.
func (u *AppEventTypes) Subscribe(eventTypes []string) {
	if len(eventTypes) == 0 {
		u.CatchAll = true
		return
	}
	for _, et := range eventTypes {
		if i, found := slices.BinarySearch(u.EventTypes, et); !found {
			u.EventTypes = slices.Insert(u.EventTypes, i, et)
		}
	}
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

// PerApp returns one T per id of appIDs, in their order, made by mk, and a
// function that finds the one of an id (nil for another id): what a
// driver of AppUsage or AppEventTypes fills in from rows grouped by
// application.
func PerApp[T any](appIDs []string, mk func(appID string) T) ([]T, func(appID string) *T) {
	out := make([]T, len(appIDs))
	at := make(map[string]int, len(appIDs))
	for i, id := range appIDs {
		out[i] = mk(id)
		at[id] = i
	}
	return out, func(id string) *T {
		if i, ok := at[id]; ok {
			return &out[i]
		}
		return nil
	}
}
