package api

import (
	"fmt"
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
			Query: params(pStatus, pCodeClass, pChannel, pTag, pBefore, pAfter, pTypes), handle: s.countAttemptsByEndpoint},
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
		{Method: "POST", Path: app + "/msg/search", ID: "v1.message.search", Tag: "Message", Summary: "Search messages",
			Doc: "Lists the application's messages, newest first, with the filters of the list of messages given in the body. " +
				"Without before or after, it covers the 90 days before now (or before the iterator's message), as the hosted Svix API does. " +
				"It reads the application's messages newest first through an index, the filters applied to each: " +
				"a filter that few messages match reads far to fill a page.",
			Access: appRead, In: messageSearchIn{}, Out: listResponse[messageOut]{}, Status: 200, handle: s.searchMessages},
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
	aq, app, ep, err := c.endpointAttempts()
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

// messageSearchIn is the body of a message search: the filters of the list
// of messages, in the hosted Svix API's shape (MessageSearchIn).
type messageSearchIn struct {
	Limit       *int     `json:"limit,omitempty" doc:"Items per page, 1 to 250; 50 by default."`
	Iterator    *string  `json:"iterator,omitempty" doc:"The iterator (or prevIterator) of the previous page; anything else is a 422."`
	Channel     *string  `json:"channel,omitempty" doc:"Only messages on this channel."`
	Tag         *string  `json:"tag,omitempty" doc:"Only messages with this tag."`
	EventTypes  []string `json:"event_types,omitempty" doc:"Only messages of these event types."`
	Before      *string  `json:"before,omitempty" format:"date-time" doc:"Only messages created before this time."`
	After       *string  `json:"after,omitempty" format:"date-time" doc:"Only messages created at or after this time."`
	WithContent *bool    `json:"with_content,omitempty" doc:"Include payloads; false by default."`
}

// searchWindow is how far back a search without before or after reaches,
// as the hosted Svix API has it.
const searchWindow = 90 * 24 * time.Hour

// filter returns the filter and the page in reads.
func (in *messageSearchIn) filter(now time.Time) (hookline.MessageFilter, page, error) {
	p := page{opts: hookline.ListOptions{Limit: 50, Descending: true}}
	var f hookline.MessageFilter
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > hookline.MaxListLimit {
			return f, p, badInput([]string{"body", "limit"}, "value_error", fmt.Sprintf("must be 1 to %d", hookline.MaxListLimit))
		}
		p.opts.Limit = *in.Limit
	}
	if in.Iterator != nil && !p.setIterator(*in.Iterator, hookline.PrefixMessage) {
		return f, p, badInput([]string{"body", "iterator"}, "value_error", "is not an iterator of this list")
	}
	for _, v := range []struct {
		name string
		val  *string
		to   *string
	}{{"channel", in.Channel, &f.Channel}, {"tag", in.Tag, &f.Tag}} {
		if v.val == nil {
			continue
		}
		if !hookline.ValidName(*v.val, hookline.MaxChannelLen) {
			return f, p, badInput([]string{"body", v.name}, "value_error",
				fmt.Sprintf("must be 1 to %d characters of a-z, A-Z, 0-9, '-', '_' and '.'", hookline.MaxChannelLen))
		}
		*v.to = *v.val
	}
	for _, n := range in.EventTypes {
		if !hookline.ValidName(n, hookline.MaxEventTypeLen) {
			return f, p, badInput([]string{"body", "event_types"}, "value_error", fmt.Sprintf("%q is not a valid event type name", n))
		}
	}
	f.EventTypes = in.EventTypes
	for _, v := range []struct {
		name string
		val  *string
		to   **time.Time
	}{{"before", in.Before, &f.Before}, {"after", in.After, &f.After}} {
		if v.val == nil {
			continue
		}
		t, err := parseTime([]string{"body", v.name}, *v.val)
		if err != nil {
			return f, p, err
		}
		*v.to = &t
	}
	if f.Before == nil && f.After == nil {
		from := now
		if t, ok := hookline.IDTime(p.opts.Iterator, hookline.PrefixMessage); ok {
			from = t
		}
		if p.opts.Descending {
			after := from.Add(-searchWindow)
			f.After = &after
		} else {
			before := from.Add(searchWindow)
			f.Before = &before
		}
	}
	f.ListOptions = p.opts
	return f, p, nil
}

// searchMessages lists the application's messages that the body's filters
// keep, newest first.
func (s *Server) searchMessages(c *call) (int, any, error) {
	var in messageSearchIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	f, p, err := in.filter(time.Now())
	if err != nil {
		return 0, nil, err
	}
	return s.messagePage(c, f, p, in.WithContent != nil && *in.WithContent)
}
