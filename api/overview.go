package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// The operator's view across applications, which the dashboard shows: a
// Hookline extension, for admin tokens only.

// overviewWindow and overviewStep are the range and the step of the
// attempts an overview counts: the last hour, a minute a step.
const (
	overviewWindow = time.Hour
	overviewStep   = time.Minute
	overviewLimit  = 50
)

// overviewOut is the state of the server.
type overviewOut struct {
	Since            jsonTime             `json:"since" doc:"The start of the hour the attempts are counted in."`
	StepSeconds      int                  `json:"stepSeconds" doc:"The length of each step of attempts, in seconds: 60."`
	Attempts         []attemptCountOut    `json:"attempts" doc:"The attempts of each minute of the last hour, oldest first."`
	Success          int64                `json:"success" doc:"The attempts of the last hour that succeeded."`
	Fail             int64                `json:"fail" doc:"The attempts of the last hour that failed."`
	Queue            queueOut             `json:"queue"`
	FailingEndpoints []failingEndpointOut `json:"failingEndpoints" doc:"Up to 50 endpoints failing now, of every application but Hookline's own (the operational webhooks', the sources'), longest failing first."`
	Exhausted        []exhaustedOut       `json:"exhausted" doc:"Up to 50 deliveries that failed for good and were not resent since, the last to fail first."`
}

// attemptCountOut counts the attempts of one step.
type attemptCountOut struct {
	Start   jsonTime `json:"start"`
	Success int64    `json:"success"`
	Fail    int64    `json:"fail"`
}

// queueOut counts the deliveries that are not done, as the
// hookline_deliveries metric does.
type queueOut struct {
	Pending int64 `json:"pending" doc:"Waiting for their first attempt or a retry."`
	Sending int64 `json:"sending" doc:"Claimed by a dispatcher: their attempt is in flight or about to be."`
	Held    int64 `json:"held" doc:"Deferred without an attempt by an open circuit breaker, a rate limit or a concurrency cap."`
	Failed  int64 `json:"failed" doc:"Failed for good, waiting for a resend or a recover."`
}

// failingEndpointOut is an endpoint failing now.
type failingEndpointOut struct {
	AppID string `json:"appId"`
	endpointOut
	FailingSince jsonTime `json:"failingSince" doc:"When its attempts started failing without a success since. A disabled endpoint that is failing was most likely disabled for it (--disable-after, or a 410 Gone)."`
	Held         int64    `json:"held" doc:"Its deliveries held back without an attempt, due again later: its circuit breaker is open on a node (it opens after 5 failed attempts in a row), or a rate or concurrency limit deferred them."`
}

// exhaustedOut is a delivery that failed for good.
type exhaustedOut struct {
	AppID       string   `json:"appId"`
	MsgID       string   `json:"msgId"`
	EndpointID  string   `json:"endpointId"`
	EndpointURL string   `json:"endpointUrl" doc:"Redacted, as endpoints show it."`
	Attempts    int      `json:"attempts" doc:"The attempts of its last schedule."`
	FailedAt    jsonTime `json:"failedAt"`
	CreatedAt   jsonTime `json:"createdAt" doc:"When the delivery was made, with its message: recover from then to send it again."`
}

// overviewApplicationsOut lists the applications a search found.
type overviewApplicationsOut struct {
	Data []applicationOut `json:"data"`
}

// failingEndpointsOut lists endpoints failing now.
type failingEndpointsOut struct {
	Data []failingEndpointOut `json:"data"`
}

func (s *Server) getOverview(c *call) (int, any, error) {
	until := time.Now().UTC().Truncate(overviewStep).Add(overviewStep)
	since := until.Add(-overviewWindow)
	counts, err := s.store.CountAttempts(c.ctx(), since, until, overviewStep)
	if err != nil {
		return 0, nil, err
	}
	queue, err := s.store.CountDeliveries(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	failing, err := s.failingEndpoints(c, "", overviewLimit)
	if err != nil {
		return 0, nil, err
	}
	exhausted, err := s.store.ExhaustedDeliveries(c.ctx(), overviewLimit)
	if err != nil {
		return 0, nil, err
	}
	out := overviewOut{
		Since: jsonTime(since), StepSeconds: int(overviewStep / time.Second),
		Attempts: make([]attemptCountOut, 0, len(counts)), FailingEndpoints: failing, Exhausted: []exhaustedOut{},
		Queue: queueOut{Pending: queue.Pending, Sending: queue.Sending, Held: queue.Held, Failed: queue.Failed},
	}
	for _, n := range counts {
		out.Attempts = append(out.Attempts, attemptCountOut{Start: jsonTime(n.Start), Success: n.Success, Fail: n.Fail})
		out.Success += n.Success
		out.Fail += n.Fail
	}
	internal := s.internalApps(c)
	for _, d := range exhausted {
		hide, err := internal(d.Delivery.AppID)
		if err != nil {
			return 0, nil, err
		}
		if hide {
			continue
		}
		out.Exhausted = append(out.Exhausted, exhaustedOut{
			AppID: d.Delivery.AppID, MsgID: d.Delivery.MessageID, EndpointID: d.Delivery.EndpointID,
			EndpointURL: hookline.RedactURL(d.Endpoint.URL), Attempts: d.Delivery.Attempts,
			FailedAt: jsonTime(d.Delivery.UpdatedAt), CreatedAt: jsonTime(d.Delivery.CreatedAt),
		})
	}
	return http.StatusOK, out, nil
}

// internalApps returns a function that reports whether the application
// appID is one of Hookline's own (internalApp: the operational webhooks',
// a source's), which the overview leaves to their own routes. It reads
// each application once.
func (s *Server) internalApps(c *call) func(appID string) (bool, error) {
	seen := map[string]bool{}
	return func(appID string) (bool, error) {
		internal, ok := seen[appID]
		if ok {
			return internal, nil
		}
		app, err := s.store.Application(c.ctx(), appID)
		if err != nil && hookline.ErrorCode(err) != hookline.ENOTFOUND {
			return false, err
		}
		internal = err == nil && internalApp(app)
		seen[appID] = internal
		return internal, nil
	}
}

// failingEndpoints lists up to limit endpoints failing now, of appID or of
// every application but Hookline's own, with their held deliveries.
func (s *Server) failingEndpoints(c *call, appID string, limit int) ([]failingEndpointOut, error) {
	got, err := s.store.FailingEndpoints(c.ctx(), appID, limit)
	if err != nil {
		return nil, err
	}
	internal := s.internalApps(c)
	out := []failingEndpointOut{}
	var ids []string
	for _, f := range got {
		hide, err := internal(f.Endpoint.AppID)
		if err != nil {
			return nil, err
		}
		if hide {
			continue
		}
		out = append(out, failingEndpointOut{AppID: f.Endpoint.AppID, endpointOut: endpointOutOf(&f.Endpoint), FailingSince: jsonTime(f.FailingSince)})
		ids = append(ids, f.Endpoint.ID)
	}
	held, err := s.store.HeldDeliveries(c.ctx(), ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Held = held[out[i].ID]
	}
	return out, nil
}

// limitParam reads the query's limit, 1 to hookline.MaxOverviewLimit, def
// when absent.
func limitParam(q query, def int) (int, error) {
	v := q.str("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > hookline.MaxOverviewLimit {
		return 0, badQuery("limit", "must be a number from 1 to "+strconv.Itoa(hookline.MaxOverviewLimit))
	}
	return n, nil
}

func (s *Server) findApplications(c *call) (int, any, error) {
	q := c.query()
	limit, err := limitParam(q, overviewLimit)
	if err != nil {
		return 0, nil, err
	}
	search := strings.TrimSpace(q.str("search"))
	if search == "" || len(search) > 256 {
		return 0, nil, badQuery("search", "must be 1 to 256 characters")
	}
	got, err := s.store.FindApplications(c.ctx(), search, limit)
	if err != nil {
		return 0, nil, err
	}
	out := overviewApplicationsOut{Data: []applicationOut{}}
	for _, a := range got {
		if !internalApp(a) {
			out.Data = append(out.Data, applicationOutOf(a))
		}
	}
	return http.StatusOK, out, nil
}

func (s *Server) listFailingEndpoints(c *call) (int, any, error) {
	q := c.query()
	limit, err := limitParam(q, overviewLimit)
	if err != nil {
		return 0, nil, err
	}
	appID := ""
	if v := q.str("app_id"); v != "" {
		app, err := s.store.Application(c.ctx(), v)
		if err != nil {
			return 0, nil, orNotFound(err, "Application")
		}
		if internalApp(app) {
			return 0, nil, notFound("Application")
		}
		appID = app.ID
	}
	out, err := s.failingEndpoints(c, appID, limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, failingEndpointsOut{Data: out}, nil
}
