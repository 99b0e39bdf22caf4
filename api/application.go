package api

import (
	"net/http"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
	"github.com/hookline/hookline/operational"
)

// applicationIn creates or replaces an application.
type applicationIn struct {
	Name         string            `json:"name" api:"required" doc:"A name for people to read."`
	UID          *string           `json:"uid,omitempty" doc:"A unique id of the caller's choice, usable in place of the id."`
	ThrottleRate *int              `json:"throttleRate,omitempty" doc:"The most messages per second delivered to the application's endpoints, all together; each endpoint's own throttleRate applies too."`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated name of throttleRate."`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

func (in *applicationIn) application() *hookline.Application {
	app := &hookline.Application{Name: in.Name, UID: in.UID, ThrottleRate: in.ThrottleRate, Metadata: in.Metadata}
	if app.ThrottleRate == nil {
		app.ThrottleRate = in.RateLimit
	}
	return app
}

// applicationPatch changes the fields it holds; null clears a nullable one.
type applicationPatch struct {
	Name         *string           `json:"name,omitempty"`
	UID          *string           `json:"uid,omitempty"`
	ThrottleRate *int              `json:"throttleRate,omitempty"`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated name of throttleRate."`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

// applicationOut is an application.
type applicationOut struct {
	ID           string            `json:"id"`
	UID          *string           `json:"uid,omitempty"`
	Name         string            `json:"name"`
	ThrottleRate *int              `json:"throttleRate,omitempty"`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated copy of throttleRate."`
	Metadata     map[string]string `json:"metadata"`
	CreatedAt    jsonTime          `json:"createdAt"`
	UpdatedAt    jsonTime          `json:"updatedAt"`
}

func applicationOutOf(a *hookline.Application) applicationOut {
	return applicationOut{
		ID: a.ID, UID: a.UID, Name: a.Name, ThrottleRate: a.ThrottleRate, RateLimit: a.ThrottleRate,
		Metadata: metadataOut(a.Metadata), CreatedAt: jsonTime(a.CreatedAt), UpdatedAt: jsonTime(a.UpdatedAt),
	}
}

func (s *Server) listApplications(c *call) (int, any, error) {
	q := c.query()
	p, err := q.page(false, true, hookline.PrefixApplication)
	if err != nil {
		return 0, nil, err
	}
	// Hookline has no Svix Play endpoints, so excluding the applications
	// that only have those excludes none. The other two filters are not
	// supported: they are refused rather than ignored.
	for _, name := range []string{"exclude_apps_with_no_endpoints", "exclude_apps_with_disabled_endpoints", "exclude_apps_with_svix_play_endpoints"} {
		on, err := q.boolean(name, false)
		if err != nil {
			return 0, nil, err
		}
		if on && name != "exclude_apps_with_svix_play_endpoints" {
			return 0, nil, badQuery(name, "this filter is not supported")
		}
	}
	got, err := s.listVisibleApplications(c, p.opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(a *hookline.Application) string { return a.ID }, applicationOutOf), nil
}

// internalApp reports whether app is one of Hookline's own applications:
// the operational webhooks' or a source's (see the ingest package), which
// the tenant API does not show.
func internalApp(app *hookline.Application) bool {
	return operational.IsInternal(app) || ingest.IsInternal(app)
}

// listVisibleApplications lists the applications without Hookline's own
// (internalApp). A page that held some is filled from the next ones, so
// that nothing shows they exist: not their ids in an iterator, nor a short
// or empty page with more after it.
func (s *Server) listVisibleApplications(c *call, opts hookline.ListOptions) (hookline.Page[*hookline.Application], error) {
	return listVisible(opts, func(o hookline.ListOptions) (hookline.Page[*hookline.Application], error) {
		return s.store.ListApplications(c.ctx(), o)
	}, func(a *hookline.Application) bool { return !internalApp(a) }, func(a *hookline.Application) string { return a.ID })
}

// createApplication creates an application (201). With get_if_exists=true
// and a uid that is taken, it returns that application instead (200).
func (s *Server) createApplication(c *call) (int, any, error) {
	var in applicationIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	getIfExists, err := c.query().boolean("get_if_exists", false)
	if err != nil {
		return 0, nil, err
	}
	app := in.application()
	if err := app.Validate(); err != nil {
		return 0, nil, err
	}
	if err := checkReservedUID(app.UID); err != nil {
		return 0, nil, err
	}
	if getIfExists && app.UID != nil {
		old, err := s.store.Application(c.ctx(), *app.UID)
		if err == nil {
			return http.StatusOK, applicationOutOf(old), nil
		}
		if hookline.ErrorCode(err) != hookline.ENOTFOUND {
			return 0, nil, err
		}
	}
	now := time.Now().UTC()
	app.ID, app.CreatedAt, app.UpdatedAt = hookline.NewID(hookline.PrefixApplication), now, now
	if err := s.store.CreateApplication(c.ctx(), app); err != nil {
		if getIfExists && app.UID != nil && hookline.ErrorCode(err) == hookline.ECONFLICT {
			if old, gerr := s.store.Application(c.ctx(), *app.UID); gerr == nil {
				return http.StatusOK, applicationOutOf(old), nil
			}
		}
		return 0, nil, err
	}
	return http.StatusCreated, applicationOutOf(app), nil
}

func (s *Server) getApplication(c *call) (int, any, error) {
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, applicationOutOf(app), nil
}

// updateApplication replaces an application (200), or creates it (201) when
// the path names it by a uid that does not exist yet.
func (s *Server) updateApplication(c *call) (int, any, error) {
	var in applicationIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, err := c.loadApp()
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		if in.UID = uidToCreate(in.UID, c.r.PathValue("app_id")); in.UID == nil {
			return 0, nil, err
		}
		app = in.application()
		if err := app.Validate(); err != nil {
			return 0, nil, err
		}
		if err := checkReservedUID(app.UID); err != nil {
			return 0, nil, err
		}
		now := time.Now().UTC()
		app.ID, app.CreatedAt, app.UpdatedAt = hookline.NewID(hookline.PrefixApplication), now, now
		if err := s.store.CreateApplication(c.ctx(), app); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, applicationOutOf(app), nil
	}
	if err != nil {
		return 0, nil, err
	}
	next := in.application()
	next.ID, next.CreatedAt, next.UpdatedAt = app.ID, app.CreatedAt, time.Now().UTC()
	if err := next.Validate(); err != nil {
		return 0, nil, err
	}
	if err := checkReservedUID(next.UID); err != nil {
		return 0, nil, err
	}
	if err := s.store.UpdateApplication(c.ctx(), next); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, applicationOutOf(next), nil
}

func (s *Server) patchApplication(c *call) (int, any, error) {
	var in applicationPatch
	f, err := c.decode(&in)
	if err != nil {
		return 0, nil, err
	}
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	next := *app
	if in.Name != nil {
		next.Name = *in.Name
	}
	if f.has("uid") {
		next.UID = in.UID
	}
	if v, ok := either(f, "throttleRate", in.ThrottleRate, "rateLimit", in.RateLimit); ok {
		next.ThrottleRate = v
	}
	if in.Metadata != nil {
		next.Metadata = in.Metadata
	}
	next.UpdatedAt = time.Now().UTC()
	if err := next.Validate(); err != nil {
		return 0, nil, err
	}
	if err := checkReservedUID(next.UID); err != nil {
		return 0, nil, err
	}
	if err := s.store.UpdateApplication(c.ctx(), &next); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, applicationOutOf(&next), nil
}

// deleteApplication deletes the application with its endpoints, and sends
// endpoint.deleted for each of them.
func (s *Server) deleteApplication(c *call) (int, any, error) {
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	var eps []*hookline.Endpoint
	if s.notifier != nil {
		if eps, err = s.endpointsOf(c, app.ID); err != nil {
			return 0, nil, err
		}
	}
	if err := s.store.DeleteApplication(c.ctx(), app.ID); err != nil {
		return 0, nil, err
	}
	for _, ep := range eps {
		s.notifyEndpoint(c, hookline.EventEndpointDeleted, app, ep)
	}
	return http.StatusNoContent, nil, nil
}

// endpointsOf returns every endpoint of the application appID.
func (s *Server) endpointsOf(c *call, appID string) ([]*hookline.Endpoint, error) {
	var all []*hookline.Endpoint
	opts := hookline.ListOptions{Limit: hookline.MaxListLimit}
	for {
		page, err := s.store.ListEndpoints(c.ctx(), appID, opts)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Done || len(page.Items) == 0 {
			return all, nil
		}
		opts.Iterator = page.Items[len(page.Items)-1].ID
	}
}

// uidToCreate returns the uid of the entity a PUT creates when the path
// names none that exists: the uid of the body, or else the name in the
// path; nil when neither is given, as the path holds an id Hookline makes
// (then the PUT answers 404).
func uidToCreate(body *string, pathID string) *string {
	if body == nil && !hasIDPrefix(pathID) {
		return &pathID
	}
	return body
}

// hasIDPrefix reports whether s looks like an id Hookline makes, which a uid
// may not.
func hasIDPrefix(s string) bool {
	for _, p := range []string{hookline.PrefixApplication, hookline.PrefixEndpoint, hookline.PrefixMessage} {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}
