package api

import (
	"encoding/json"
	"net/http"

	"github.com/hookline/hookline"
)

// The hosted API's usage statistics answer with a background task, whose
// data holds the result. Hookline computes them when asked, from the
// store's indexes (Store.AppUsage, Store.AppEventTypes), and stores the
// task already finished: a client that polls the task, as the SDKs' users
// do, reads the result at its first GET.

// usageTable lists the two routes of the usage statistics.
func (s *Server) usageTable() []*route {
	return []*route{
		{Method: "POST", Path: "/api/v1/stats/usage/app", ID: "v1.statistics.aggregate-app-stats", Tag: "Statistics",
			Summary: "Count the deliveries of applications",
			Doc: "Counts, for each application of appIds (every application with some, when absent), the deliveries of its messages created in [since, until): " +
				"one per message and endpoint. Answers a background task (application.stats), finished at once, whose data is {\"appStats\": [...]}.",
			Access: adminOnly, In: appUsageStatsIn{}, Out: appUsageStatsOut{}, Status: 202, handle: s.aggregateAppStats},
		{Method: "PUT", Path: "/api/v1/stats/usage/event-types", ID: "v1.statistics.aggregate-event-types", Tag: "Statistics",
			Summary: "Tell the event types applications subscribe to",
			Doc: "Tells, for each application with endpoints, the event types their filters name and whether one takes every event type. " +
				"Answers a background task (event-type.aggregate), finished at once, whose data is {\"event_types\": [...]}.",
			Access: adminOnly, BodyOptional: true, Out: aggregateEventTypesOut{}, Status: 202, handle: s.aggregateEventTypes},
	}
}

// appUsageStatsOut is the answer of POST /api/v1/stats/usage/app: the task,
// and the appIds that name no application.
type appUsageStatsOut struct {
	ID               string   `json:"id"`
	Status           string   `json:"status" enum:"running,finished,failed"`
	Task             string   `json:"task" enum:"application.stats"`
	UnresolvedAppIDs []string `json:"unresolvedAppIds" doc:"The appIds of the request that name no application."`
	UpdatedAt        jsonTime `json:"updatedAt"`
}

// aggregateEventTypesOut is the answer of PUT /api/v1/stats/usage/event-types.
type aggregateEventTypesOut taskStarted

func (s *Server) aggregateAppStats(c *call) (int, any, error) {
	var in appUsageStatsIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	req, err := s.checkAppUsage(c.ctx(), in)
	if err != nil {
		return 0, nil, err
	}
	data, err := s.appUsage(c.ctx(), req)
	if err != nil {
		return 0, nil, err
	}
	t, err := s.finishedTask(c, hookline.TaskAppStats, data)
	if err != nil {
		return 0, nil, err
	}
	unresolved := req.Unresolved
	if unresolved == nil {
		unresolved = []string{}
	}
	return http.StatusAccepted, appUsageStatsOut{ID: t.ID, Status: string(t.Status), Task: string(t.Type),
		UnresolvedAppIDs: unresolved, UpdatedAt: jsonTime(t.UpdatedAt)}, nil
}

func (s *Server) aggregateEventTypes(c *call) (int, any, error) {
	if _, err := c.decode(&struct{}{}); err != nil {
		return 0, nil, err
	}
	data, err := s.eventTypeUsage(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	t, err := s.finishedTask(c, hookline.TaskEventTypeAggregate, data)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, aggregateEventTypesOut(taskStartedOf(t)), nil
}

// finishedTask stores a task of typ on the whole server, finished, with
// data as its result.
func (s *Server) finishedTask(c *call, typ hookline.TaskType, data any) (*hookline.BackgroundTask, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	t := &hookline.BackgroundTask{Type: typ, Data: b}
	t.End(hookline.TaskFinished, hookline.Now())
	if err := s.store.CreateBackgroundTask(c.ctx(), t); err != nil {
		return nil, err
	}
	return t, nil
}
