package api

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hookline/hookline"
)

// The usage aggregates of the hosted Svix API: POST /api/v1/stats/usage/app
// (v1.statistics.aggregate-app-stats) and PUT /api/v1/stats/usage/event-types
// (v1.statistics.aggregate-event-types) answer with a background task whose
// data is what appUsage and eventTypeUsage compute. The routes and the task
// are wired where the background tasks are run.

// appUsageStatsIn is the body of POST /api/v1/stats/usage/app, the hosted
// API's AppUsageStatsIn.
type appUsageStatsIn struct {
	Since  *string  `json:"since" api:"required" format:"date-time" doc:"Count the messages created at or after this time."`
	Until  *string  `json:"until" api:"required" format:"date-time" doc:"Count the messages created before this time."`
	AppIDs []string `json:"appIds,omitempty" doc:"The applications (ids or uids) to count; every application when absent. Those not found are named in unresolvedAppIds; when none is found, a 422."`
}

// maxUsageAppIDs bounds the appIds of one request.
const maxUsageAppIDs = 1000

// appUsageRequest is an appUsageStatsIn checked, with its applications
// found.
type appUsageRequest struct {
	Since, Until time.Time
	// Apps are the applications appIds named, each once, in their order;
	// nil for every application.
	Apps []*hookline.Application
	// Unresolved are the appIds that name no application, for the task's
	// unresolvedAppIds.
	Unresolved []string
}

// checkAppUsage checks in, as the route does before it starts the task:
// since and until are required date-times, since not after until; appIds
// are ids or uids, at most maxUsageAppIDs, and at least one of them names
// an application the caller sees (422 otherwise, as the hosted API
// answers).
func (s *Server) checkAppUsage(ctx context.Context, in appUsageStatsIn) (appUsageRequest, error) {
	var req appUsageRequest
	for _, f := range []struct {
		name string
		val  *string
		to   *time.Time
	}{{"since", in.Since, &req.Since}, {"until", in.Until, &req.Until}} {
		if f.val == nil {
			return req, badInput([]string{"body", f.name}, "value_error.missing", "field required")
		}
		t, err := parseTime([]string{"body", f.name}, *f.val)
		if err != nil {
			return req, err
		}
		*f.to = t
	}
	if req.Since.After(req.Until) {
		return req, badInput([]string{"body", "since"}, "value_error", "must not be after until")
	}
	if in.AppIDs == nil {
		return req, nil
	}
	if len(in.AppIDs) > maxUsageAppIDs {
		return req, badInput([]string{"body", "appIds"}, "value_error", fmt.Sprintf("at most %d applications", maxUsageAppIDs))
	}
	req.Apps = []*hookline.Application{}
	for _, id := range in.AppIDs {
		if !hookline.ValidName(id, hookline.MaxUIDLen) {
			return req, badInput([]string{"body", "appIds"}, "value_error", fmt.Sprintf("%q is not an application id or uid", id))
		}
		app, err := s.store.Application(ctx, id)
		switch {
		case hookline.ErrorCode(err) == hookline.ENOTFOUND || err == nil && internalApp(app):
			req.Unresolved = append(req.Unresolved, id)
		case err != nil:
			return req, err
		case !slices.ContainsFunc(req.Apps, func(a *hookline.Application) bool { return a.ID == app.ID }):
			req.Apps = append(req.Apps, app)
		}
	}
	if len(req.Apps) == 0 {
		return req, badInput([]string{"body", "appIds"}, "value_error", "no application found")
	}
	return req, nil
}

// appUsageStatsData is the data of a finished application.stats task.
type appUsageStatsData struct {
	AppStats []applicationStatsOut `json:"appStats"`
}

// applicationStatsOut counts the message destinations of an application,
// the hosted API's ApplicationStatsOut.
type applicationStatsOut struct {
	MessageDestinations int64   `json:"messageDestinations" doc:"Deliveries of the messages created in the range: one per message and endpoint, however many attempts it took."`
	AppID               string  `json:"appId"`
	AppUID              *string `json:"appUid"`
}

// appUsage counts, for each application of req, the deliveries of its
// messages created in [since, until). Without appIds it goes through
// every application (but Hookline's own, see internalApp) and lists
// those that have some.
func (s *Server) appUsage(ctx context.Context, req appUsageRequest) (appUsageStatsData, error) {
	out := appUsageStatsData{AppStats: []applicationStatsOut{}}
	err := s.eachApps(ctx, req.Apps, func(apps []*hookline.Application) error {
		ids := make([]string, len(apps))
		for i, a := range apps {
			ids[i] = a.ID
		}
		usage, err := s.store.AppUsage(ctx, ids, req.Since, req.Until)
		if err != nil {
			return err
		}
		for i, u := range usage {
			if req.Apps == nil && u.Destinations == 0 {
				continue
			}
			out.AppStats = append(out.AppStats, applicationStatsOut{MessageDestinations: u.Destinations, AppID: u.AppID, AppUID: apps[i].UID})
		}
		return nil
	})
	return out, err
}

// aggregateEventTypesData is the data of a finished event-type.aggregate
// task.
type aggregateEventTypesData struct {
	EventTypes []appEventTypesOut `json:"event_types"`
}

// appEventTypesOut is what an application's endpoints subscribe to.
type appEventTypesOut struct {
	AppID                          string   `json:"appId"`
	ExplicitlySubscribedEventTypes []string `json:"explicitlySubscribedEventTypes" doc:"The event types an endpoint's filter names, sorted."`
	HasCatchAllEndpoint            bool     `json:"hasCatchAllEndpoint" doc:"An endpoint has no filter: it takes every event type."`
}

// eventTypeUsage tells, for every application (but Hookline's own) that
// has endpoints, the event types they subscribe to.
func (s *Server) eventTypeUsage(ctx context.Context) (aggregateEventTypesData, error) {
	out := aggregateEventTypesData{EventTypes: []appEventTypesOut{}}
	err := s.eachApps(ctx, nil, func(apps []*hookline.Application) error {
		ids := make([]string, len(apps))
		for i, a := range apps {
			ids[i] = a.ID
		}
		got, err := s.store.AppEventTypes(ctx, ids)
		if err != nil {
			return err
		}
		for _, u := range got {
			if len(u.EventTypes) == 0 && !u.CatchAll {
				continue
			}
			types := u.EventTypes
			if types == nil {
				types = []string{}
			}
			out.EventTypes = append(out.EventTypes, appEventTypesOut{AppID: u.AppID, ExplicitlySubscribedEventTypes: types, HasCatchAllEndpoint: u.CatchAll})
		}
		return nil
	})
	return out, err
}

// eachApps calls fn with apps in batches of at most hookline.MaxUsageApps,
// or, when apps is nil, with every application but Hookline's own, by id.
func (s *Server) eachApps(ctx context.Context, apps []*hookline.Application, fn func([]*hookline.Application) error) error {
	if apps != nil {
		for batch := range slices.Chunk(apps, hookline.MaxUsageApps) {
			if err := fn(batch); err != nil {
				return err
			}
		}
		return nil
	}
	opts := hookline.ListOptions{Limit: hookline.MaxUsageApps}
	for {
		page, err := s.store.ListApplications(ctx, opts)
		if err != nil {
			return err
		}
		var batch []*hookline.Application
		for _, a := range page.Items {
			if !internalApp(a) {
				batch = append(batch, a)
			}
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return err
			}
		}
		if page.Done || len(page.Items) == 0 {
			return nil
		}
		opts.Iterator = page.Items[len(page.Items)-1].ID
	}
}
