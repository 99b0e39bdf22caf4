package hookline

import "context"

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
}
