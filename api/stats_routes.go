package api

import (
	"net/http"

	"github.com/hookline/hookline"
)

// statsTable lists the operations that count and search what an
// application sent: the hosted Svix API's statistics and search routes.
func (s *Server) statsTable() []*route {
	const app = "/api/v1/app/{app_id}"
	return []*route{
		{Method: "GET", Path: app + "/attempt/endpoint/{endpoint_id}/count", ID: "v1.message-attempt.count-by-endpoint", Tag: "Message Attempt",
			Summary: "Count an endpoint's attempts",
			Doc: "Counts the attempts the list of the endpoint's attempts gives with the same filters. " +
				"The count stops at 10000: past it, count is 10000 and approximated is true, as the hosted Svix API caps it.",
			Access: appRead, Out: countOut{}, Status: 200,
			Query: params(pStatus, pCodeClass, pChannel, pBefore, pAfter, pTypes), handle: s.countAttemptsByEndpoint},
	}
}

// countOut is a count that stops at a ceiling.
type countOut struct {
	Count        int  `json:"count" doc:"The number of attempts the filters keep, at most 10000."`
	Approximated bool `json:"approximated" doc:"True when the count stopped at its ceiling: there are more."`
}

// countAttemptsByEndpoint counts the attempts listAttemptsByEndpoint would
// list with the same query, up to hookline.MaxAttemptCount.
func (s *Server) countAttemptsByEndpoint(c *call) (int, any, error) {
	aq, err := c.query().attempts()
	if err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	aq.filter.ListOptions = hookline.ListOptions{}
	n, capped, err := s.store.CountAttemptsByEndpoint(c.ctx(), app.ID, ep.ID, aq.filter, hookline.MaxAttemptCount)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, countOut{Count: n, Approximated: capped}, nil
}
