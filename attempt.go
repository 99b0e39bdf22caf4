package hookline

import (
	"time"
)

// ExpungedResponse is the response of an attempt whose content was
// expunged, as svix-server shows it.
const ExpungedResponse = "EXPUNGED"

// Attempt is the record of one HTTP request to an endpoint.
type Attempt struct {
	ID         string
	AppID      string
	MessageID  string
	EndpointID string
	DeliveryID string
	URL        string
	Status     Status // StatusSuccess or StatusFail
	StatusCode int    // 0 when no response arrived
	Response   string // the response body, capped; or the reason no response arrived
	DurationMS int64
	Trigger    Trigger
	CreatedAt  time.Time
	// Headers are the headers the request carried. Complete stores them;
	// of the reads, only Log.AttemptHeaders returns them.
	Headers SentHeaders
}
