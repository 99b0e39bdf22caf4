package api

import (
	"net/http"
	"time"

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
		{Method: "GET", Path: app + "/stats/attempts", ID: "v1.application.stats.attempts", Tag: "Statistics",
			Summary: "Count an application's attempts by event type",
			Doc: "Counts the attempts made to the application's endpoints in [since, until), by the event type of their message and outcome. " +
				"Hookline has no canceled attempts: those counts are 0.",
			Access: appRead, Out: appAttemptStatsOut{}, Status: 200,
			Query: params(param{"since", "date-time", "Required: count attempts made at or after this time, at most 28 days before until (400 invalid_range)."},
				param{"until", "date-time", "Required: count attempts made before this time, not in the future (400 invalid_range)."}, pTypes),
			handle: s.appAttemptStats},
		{Method: "GET", Path: "/api/v1/stats/app/{app_id}/attempt", ID: "v1.stats.app-attempts", Tag: "Statistics",
			Summary: "Count an application's attempts by period",
			Doc: "Counts the attempts made to the application's endpoints by outcome, in periods of a day, an hour or five minutes " +
				"from startDate (rounded down to its period, in UTC) to endDate. Hookline has no canceled attempts: those counts are 0.",
			Access: appRead, Out: attemptStatisticsResponse{}, Status: 200,
			Query: params(param{"startDate", "date-time", "Count attempts made at or after this time: 28 days before endDate by default, and at most (400 invalid_range)."},
				param{"endDate", "date-time", "Count attempts made before this time: now by default, and at most (400 invalid_range)."},
				param{"period", "string", "OneDay (the default), OneHour or FiveMinutes."}, pTypes),
			handle: s.appAttemptsByPeriod},
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

// statsRange reads the range of a statistics request from the query
// parameters sinceName and untilName, as svix-server checks it: until is
// now by default and cannot be later; since is hookline.MaxStatsRange
// before until by default and cannot be earlier (with rangeSlack to spare
// a client whose clock is ahead). Either breach is a 400 invalid_range.
func statsRange(q query, sinceName, untilName string) (since, until time.Time, err error) {
	s, err := q.time(sinceName)
	if err != nil {
		return since, until, err
	}
	u, err := q.time(untilName)
	if err != nil {
		return since, until, err
	}
	now := time.Now()
	switch {
	case u == nil:
		until = now
	case u.After(now):
		return since, until, hookline.Errorf(hookline.ERANGE, "'%s' cannot be in the future", untilName)
	default:
		until = *u
	}
	switch {
	case s == nil:
		since = until.Add(-hookline.MaxStatsRange)
	case until.Sub(*s) > hookline.MaxStatsRange+rangeSlack:
		return since, until, hookline.Errorf(hookline.ERANGE, "'%s' cannot be more than 28 days prior to %s", sinceName, until.UTC().Format(time.RFC3339))
	default:
		since = *s
	}
	return since, until, nil
}

// appAttemptStatsOut counts an application's attempts by event type, in
// the hosted Svix API's shape (AppAttemptStatsOut).
type appAttemptStatsOut struct {
	ByEventType   map[string]eventTypeAttemptStats `json:"by_event_type"`
	TotalSuccess  int64                            `json:"total_success"`
	TotalFailure  int64                            `json:"total_failure"`
	TotalCanceled int64                            `json:"total_canceled" doc:"Always 0: Hookline cancels no attempt."`
	Since         jsonTime                         `json:"since"`
	Until         jsonTime                         `json:"until"`
}

// eventTypeAttemptStats counts the attempts of one event type by outcome.
type eventTypeAttemptStats struct {
	Success  int64 `json:"success"`
	Failure  int64 `json:"failure"`
	Canceled int64 `json:"canceled" doc:"Always 0: Hookline cancels no attempt."`
}

// appAttemptStats counts the application's attempts of [since, until),
// both required, by event type.
func (s *Server) appAttemptStats(c *call) (int, any, error) {
	q := c.query()
	for _, name := range []string{"since", "until"} {
		if q.str(name) == "" {
			return 0, nil, badInput([]string{"query", name}, "value_error.missing", "field required")
		}
	}
	since, until, err := statsRange(q, "since", "until")
	if err != nil {
		return 0, nil, err
	}
	types, err := q.eventTypes()
	if err != nil {
		return 0, nil, err
	}
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	tallies, err := s.store.AppAttemptStats(c.ctx(), app.ID, since, until, until.Sub(since), types)
	if err != nil {
		return 0, nil, err
	}
	out := appAttemptStatsOut{ByEventType: map[string]eventTypeAttemptStats{}, Since: jsonTime(since), Until: jsonTime(until)}
	for _, t := range tallies {
		et := out.ByEventType[t.EventType]
		if t.Status == hookline.StatusSuccess {
			et.Success += t.Count
			out.TotalSuccess += t.Count
		} else {
			et.Failure += t.Count
			out.TotalFailure += t.Count
		}
		out.ByEventType[t.EventType] = et
	}
	return http.StatusOK, out, nil
}

// attemptStatisticsResponse counts an application's attempts by period, in
// the hosted Svix API's shape (AttemptStatisticsResponse).
type attemptStatisticsResponse struct {
	StartDate jsonTime              `json:"startDate"`
	EndDate   jsonTime              `json:"endDate"`
	Period    string                `json:"period" enum:"OneDay,OneHour,FiveMinutes"`
	Data      attemptStatisticsData `json:"data"`
}

// attemptStatisticsData holds one count per period, from startDate on.
type attemptStatisticsData struct {
	SuccessCount  []int64 `json:"successCount"`
	FailureCount  []int64 `json:"failureCount"`
	CanceledCount []int64 `json:"canceledCount" doc:"Always 0: Hookline cancels no attempt."`
}

// statsPeriods are the lengths of the periods of attemptStatisticsResponse.
var statsPeriods = map[string]time.Duration{"OneDay": 24 * time.Hour, "OneHour": time.Hour, "FiveMinutes": 5 * time.Minute}

// appAttemptsByPeriod counts the application's attempts by period and
// outcome.
func (s *Server) appAttemptsByPeriod(c *call) (int, any, error) {
	q := c.query()
	since, until, err := statsRange(q, "startDate", "endDate")
	if err != nil {
		return 0, nil, err
	}
	name := q.str("period")
	if name == "" {
		name = "OneDay"
	}
	period, ok := statsPeriods[name]
	if !ok {
		return 0, nil, badQuery("period", "must be OneDay, OneHour or FiveMinutes")
	}
	types, err := q.eventTypes()
	if err != nil {
		return 0, nil, err
	}
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	since = since.UTC().Truncate(period)
	n := 0
	if until.After(since) {
		n = int((until.Sub(since) + period - 1) / period)
	}
	out := attemptStatisticsResponse{StartDate: jsonTime(since), EndDate: jsonTime(until), Period: name, Data: attemptStatisticsData{
		SuccessCount: make([]int64, n), FailureCount: make([]int64, n), CanceledCount: make([]int64, n),
	}}
	tallies, err := s.store.AppAttemptStats(c.ctx(), app.ID, since, until, period, types)
	if err != nil {
		return 0, nil, err
	}
	for _, t := range tallies {
		if t.Step < 0 || t.Step >= int64(n) {
			continue
		}
		if t.Status == hookline.StatusSuccess {
			out.Data.SuccessCount[t.Step] += t.Count
		} else {
			out.Data.FailureCount[t.Step] += t.Count
		}
	}
	return http.StatusOK, out, nil
}
