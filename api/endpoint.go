package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// endpointUpdate replaces an endpoint's settings.
type endpointUpdate struct {
	URL          string            `json:"url" api:"required" doc:"Where messages are POSTed: an absolute http or https URL. Credentials in it (https://user:password@host/) are sent as Basic authentication, kept encrypted and shown redacted (https://user:xxxxx@host/); giving the redacted URL back keeps the stored password."`
	Description  string            `json:"description,omitempty"`
	Disabled     bool              `json:"disabled,omitempty"`
	FilterTypes  []string          `json:"filterTypes,omitempty" doc:"The event types the endpoint receives, each one that exists and is not archived (422 names those that do not); absent or null for all."`
	EventTypes   []string          `json:"eventTypes,omitempty" doc:"The name of filterTypes in Svix 1.1; used when filterTypes is absent."`
	Channels     []string          `json:"channels,omitempty" doc:"When set, the endpoint receives only messages on one of these channels."`
	ThrottleRate *int              `json:"throttleRate,omitempty" doc:"Messages per second at most."`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated name of throttleRate."`
	UID          *string           `json:"uid,omitempty" doc:"A unique id in the application of the caller's choice, usable in place of the id."`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Version      *int              `json:"version,omitempty" doc:"Accepted for compatibility; always 1."`
}

// endpointIn creates an endpoint.
type endpointIn struct {
	endpointUpdate
	Secret  *string           `json:"secret,omitempty" doc:"The signing secret: whsec_ and 24 to 75 bytes in base64 (HMAC, signatures v1), or whsk_ and an ed25519 private key of 64 bytes (or its 32-byte seed) in base64 (signatures v1a); an HMAC secret is generated when absent."`
	Headers map[string]string `json:"headers,omitempty" doc:"Custom headers sent with every delivery."`
}

// endpointPatch changes the fields it holds; null clears a nullable one.
type endpointPatch struct {
	URL          *string           `json:"url,omitempty" doc:"As in EndpointIn; the redacted URL given back keeps the stored password."`
	Description  *string           `json:"description,omitempty"`
	Disabled     *bool             `json:"disabled,omitempty"`
	FilterTypes  []string          `json:"filterTypes,omitempty"`
	EventTypes   []string          `json:"eventTypes,omitempty"`
	Channels     []string          `json:"channels,omitempty"`
	ThrottleRate *int              `json:"throttleRate,omitempty"`
	RateLimit    *int              `json:"rateLimit,omitempty"`
	UID          *string           `json:"uid,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Secret       *string           `json:"secret,omitempty" doc:"A new signing secret (whsec_ or whsk_, as in EndpointIn), in use at once; null keeps the current one."`
	Version      *int              `json:"version,omitempty"`
}

// endpointOut is an endpoint, without its secret and headers.
type endpointOut struct {
	ID          string  `json:"id"`
	UID         *string `json:"uid,omitempty"`
	URL         string  `json:"url" doc:"The URL, with any password (or user name given alone) replaced by xxxxx."`
	Description string  `json:"description"`
	Disabled    bool    `json:"disabled"`
	disabledOut
	FilterTypes  []string          `json:"filterTypes,omitempty"`
	EventTypes   []string          `json:"eventTypes,omitempty" doc:"The same as filterTypes, under its Svix 1.1 name."`
	Channels     []string          `json:"channels,omitempty"`
	ThrottleRate *int              `json:"throttleRate,omitempty"`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated copy of throttleRate."`
	Metadata     map[string]string `json:"metadata"`
	Version      int               `json:"version"`
	CreatedAt    jsonTime          `json:"createdAt"`
	UpdatedAt    jsonTime          `json:"updatedAt"`
}

func endpointOutOf(e *hookline.Endpoint) endpointOut {
	return endpointOut{
		ID: e.ID, UID: e.UID, URL: hookline.RedactURL(e.URL), Description: e.Description, Disabled: e.Disabled,
		disabledOut: disabledOutOf(e), FilterTypes: e.EventTypes, EventTypes: e.EventTypes, Channels: e.Channels,
		ThrottleRate: e.ThrottleRate, RateLimit: e.ThrottleRate, Metadata: metadataOut(e.Metadata), Version: 1,
		CreatedAt: jsonTime(e.CreatedAt), UpdatedAt: jsonTime(e.UpdatedAt),
	}
}

// disabledOut says why and since when an endpoint is disabled: a Hookline
// extension of the endpoints' outputs, which the Svix SDKs ignore.
type disabledOut struct {
	DisabledReason hookline.DisabledReason `json:"disabledReason,omitempty" enum:"manual,gone,failing" doc:"A Hookline extension: why the endpoint is disabled: manual (a create, replace or patch set disabled), gone (it answered an attempt with 410 Gone) or failing (its attempts had all failed for longer than the server allows, --disable-after). Absent while it is enabled, and for an endpoint disabled before Hookline recorded why."`
	DisabledAt     *jsonTime               `json:"disabledAt,omitempty" doc:"A Hookline extension: since when the endpoint is disabled; absent when disabledReason is."`
}

func disabledOutOf(e *hookline.Endpoint) disabledOut {
	if !e.Disabled {
		return disabledOut{}
	}
	return disabledOut{DisabledReason: e.DisabledReason, DisabledAt: optTime(e.DisabledAt)}
}

// endpointBody is the body of a request that creates an endpoint (POST:
// endpointIn, operationalWebhookEndpointIn) or replaces its settings (PUT:
// endpointUpdate, operationalWebhookEndpointUpdate).
type endpointBody interface {
	// settings returns what the body sets, in the shape of the body that
	// creates an application's endpoint. A replace sets no secret and no
	// headers.
	settings() *endpointIn
}

func (in *endpointIn) settings() *endpointIn    { return in }
func (u *endpointUpdate) settings() *endpointIn { return &endpointIn{endpointUpdate: *u} }

// apply sets the settings of a create or a replace on e, and returns the
// name of the field the event types came from, for errors.
func (u *endpointUpdate) apply(e *hookline.Endpoint) (typesField string) {
	e.URL, e.Description, e.Disabled, e.UID, e.Metadata = u.URL, u.Description, u.Disabled, u.UID, u.Metadata
	e.EventTypes, typesField = u.FilterTypes, "filterTypes"
	if u.FilterTypes == nil && u.EventTypes != nil {
		e.EventTypes, typesField = u.EventTypes, "eventTypes"
	}
	e.Channels = u.Channels
	e.ThrottleRate = u.ThrottleRate
	if e.ThrottleRate == nil {
		e.ThrottleRate = u.RateLimit
	}
	return typesField
}

// endpoints serves the operations on a set of endpoints. The same handlers
// serve both sets: the endpoints of the application of the path
// (/api/v1/app/{app_id}/endpoint, Server.appEndpoints) and the operator's
// operational webhook endpoints, the endpoints of an internal application
// (/api/v1/operational-webhook/endpoint, Server.opEndpoints). The fields
// hold what differs between the two.
type endpoints struct {
	s *Server
	// app returns the application the endpoints belong to.
	app func(c *call) (*hookline.Application, error)
	// newIn and newUpdate return an empty body of a create (POST) and of a
	// replace (PUT), to decode into.
	newIn, newUpdate func() endpointBody
	// out returns an endpoint as a response body.
	out func(ep *hookline.Endpoint) any
	// validate checks ep, the new state of prev (nil for a new endpoint),
	// before it is stored. typesField is the
	// field of the request its event types came from, for errors.
	validate func(c *call, prev, ep *hookline.Endpoint, typesField string) error
	// changed is called once the store created, updated or deleted ep of
	// app: typ is hookline.EventEndpointCreated, EventEndpointUpdated or
	// EventEndpointDeleted, and prev the endpoint before an update (nil
	// otherwise).
	changed func(c *call, typ string, app *hookline.Application, prev, ep *hookline.Endpoint)
}

// newAppEndpoints returns the handlers of the endpoints of the application
// of the path, which tell the Notifier what changed.
func newAppEndpoints(s *Server) *endpoints {
	return &endpoints{
		s:         s,
		app:       (*call).loadApp,
		newIn:     func() endpointBody { return &endpointIn{} },
		newUpdate: func() endpointBody { return &endpointUpdate{} },
		out:       func(ep *hookline.Endpoint) any { return endpointOutOf(ep) },
		validate:  validateEndpoint,
		changed:   s.notifyChanged,
	}
}

// validateEndpoint checks ep, the new state of prev (nil for a new one), an
// endpoint of an application: its fields, and, when they are set anew, that
// its event types exist and are not archived, as svix-server checks them.
func validateEndpoint(c *call, prev, ep *hookline.Endpoint, typesField string) error {
	if err := ep.Validate(); err != nil {
		return err
	}
	if prev != nil && slices.Equal(prev.EventTypes, ep.EventTypes) {
		return nil
	}
	var missing []string
	for _, name := range ep.EventTypes {
		et, err := c.eventType(name)
		switch {
		case hookline.ErrorCode(err) == hookline.ENOTFOUND || err == nil && et.Archived:
			missing = append(missing, name)
		case err != nil:
			return err
		}
	}
	if len(missing) > 0 {
		return hookline.Invalid([]string{"body", typesField}, "The following event types don't exist: %s", strings.Join(missing, ", "))
	}
	return nil
}

// check checks ep, the new state of prev (nil for a new one), with
// h.validate, and refuses a plain-http URL when the server delivers only
// over https (Config.HTTPSOnly), as svix-server does at once rather than
// at the first delivery.
func (h *endpoints) check(c *call, prev, ep *hookline.Endpoint, typesField string) error {
	if err := h.validate(c, prev, ep, typesField); err != nil {
		return err
	}
	if h.s.httpsOnly && strings.HasPrefix(ep.URL, "http://") {
		return hookline.Invalid([]string{"body", "url"}, "must be an https URL: this server delivers only over https (--https-only)")
	}
	return nil
}

// loadEndpoint returns the endpoint the path names by id or uid
// ({endpoint_id}) in the application of the path.
func (c *call) loadEndpoint() (*hookline.Application, *hookline.Endpoint, error) {
	return c.s.appEndpoints.load(c)
}

// load returns the endpoint the path names by id or uid ({endpoint_id}),
// and its application.
func (h *endpoints) load(c *call) (*hookline.Application, *hookline.Endpoint, error) {
	return loadInApp(c, h.app, h.s.store.Endpoint, "endpoint_id", "Endpoint")
}

// read decodes the body of a create or a replace into in, then loads the
// application; it returns the application and what the body sets.
func (h *endpoints) read(c *call, in endpointBody) (*hookline.Application, *endpointIn, error) {
	if _, err := c.decode(in); err != nil {
		return nil, nil, err
	}
	app, err := h.app(c)
	if err != nil {
		return nil, nil, err
	}
	return app, in.settings(), nil
}

// list lists the endpoints, newest first unless order=ascending, as
// svix-server does.
func (h *endpoints) list(c *call) (int, any, error) {
	p, err := c.query().page(true, true, hookline.PrefixEndpoint)
	if err != nil {
		return 0, nil, err
	}
	app, err := h.app(c)
	if err != nil {
		return 0, nil, err
	}
	got, err := h.s.store.ListEndpoints(c.ctx(), app.ID, p.opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(e *hookline.Endpoint) string { return e.ID }, h.out), nil
}

// create creates an endpoint, with a new secret unless one is given.
func (h *endpoints) create(c *call) (int, any, error) {
	app, in, err := h.read(c, h.newIn())
	if err != nil {
		return 0, nil, err
	}
	return h.insert(c, app, in)
}

// insert creates the endpoint of app that in describes (201), with the
// secret of in or a new one.
func (h *endpoints) insert(c *call, app *hookline.Application, in *endpointIn) (int, any, error) {
	ep := &hookline.Endpoint{AppID: app.ID, Headers: in.Headers}
	typesField := in.apply(ep)
	var err error
	if in.Secret != nil {
		if ep.SecretKind, ep.Secret, err = decodeSecret([]string{"body", "secret"}, *in.Secret); err != nil {
			return 0, nil, err
		}
	} else {
		ep.Secret = hookline.NewSecret()
	}
	if ep.URL, err = hookline.KeepURLCredentials([]string{"body", "url"}, ep.URL, ""); err != nil {
		return 0, nil, err
	}
	ep.URL = hookline.NormalizeURL(ep.URL)
	if err := h.check(c, nil, ep, typesField); err != nil {
		return 0, nil, err
	}
	now := time.Now().UTC()
	ep.ID, ep.CreatedAt, ep.UpdatedAt = hookline.NewID(hookline.PrefixEndpoint), now, now
	if err := h.s.store.CreateEndpoint(c.ctx(), ep, h.s.maxEndpoints); err != nil {
		return 0, nil, err
	}
	h.changed(c, hookline.EventEndpointCreated, app, nil, ep)
	return http.StatusCreated, h.out(ep), nil
}

func (h *endpoints) get(c *call) (int, any, error) {
	_, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.out(ep), nil
}

// replace replaces an endpoint's settings, keeping its secrets, headers,
// mTLS and OAuth settings, and the password of its URL when given back
// redacted (200), or creates an endpoint (201) when the path names none:
// with a new id, and the path's uid when it names one by a uid that is free
// and the body has none.
func (h *endpoints) replace(c *call) (int, any, error) {
	app, in, err := h.read(c, h.newUpdate())
	if err != nil {
		return 0, nil, err
	}
	pathID := c.r.PathValue("endpoint_id")
	ep, err := h.s.store.Endpoint(c.ctx(), app.ID, pathID)
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		// As svix-server, a replace of an endpoint that does not exist
		// creates one, with a new id: the path's names none yet.
		in.UID = uidToCreate(in.UID, pathID)
		return h.insert(c, app, in)
	}
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	typesField := in.apply(&next)
	if next.URL, err = hookline.KeepURLCredentials([]string{"body", "url"}, next.URL, ep.URL); err != nil {
		return 0, nil, err
	}
	next.URL = hookline.NormalizeURL(next.URL)
	if err := h.check(c, ep, &next, typesField); err != nil {
		return 0, nil, err
	}
	if err := h.write(c, app, ep, &next); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.out(&next), nil
}

// errNoChange is returned by the change of an edit that finds nothing to
// change.
var errNoChange = errors.New("api: nothing to change")

// edit changes the endpoint the path names and answers 204. change sets the
// new state on next, a copy of the endpoint; it returns errNoChange when
// there is nothing to store, or an error to answer with.
func (h *endpoints) edit(c *call, change func(next *hookline.Endpoint) error) (int, any, error) {
	app, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	switch err := change(&next); {
	case err == errNoChange:
		return http.StatusNoContent, nil, nil
	case err != nil:
		return 0, nil, err
	}
	return noContent(h.save(c, app, ep, &next))
}

// unset sets the setting *p to nil, or returns errNoChange when it is nil.
func unset[T any](p **T) error {
	if *p == nil {
		return errNoChange
	}
	*p = nil
	return nil
}

// save validates and stores next, the changed copy of prev, an endpoint of
// app. Every change of an endpoint but a replace goes through here; as
// none of them gives event types under another name, errors name them
// filterTypes.
func (h *endpoints) save(c *call, app *hookline.Application, prev, next *hookline.Endpoint) error {
	if err := h.check(c, prev, next, "filterTypes"); err != nil {
		return err
	}
	return h.write(c, app, prev, next)
}

// write stores next, the validated new state of prev, an endpoint of app,
// and then says it changed.
func (h *endpoints) write(c *call, app *hookline.Application, prev, next *hookline.Endpoint) error {
	next.UpdatedAt = time.Now().UTC()
	if err := h.s.store.UpdateEndpoint(c.ctx(), next); err != nil {
		return err
	}
	h.changed(c, hookline.EventEndpointUpdated, app, prev, next)
	return nil
}

func (h *endpoints) patch(c *call) (int, any, error) {
	var in endpointPatch
	f, err := c.decode(&in)
	if err != nil {
		return 0, nil, err
	}
	app, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	if in.URL != nil {
		if next.URL, err = hookline.KeepURLCredentials([]string{"body", "url"}, *in.URL, ep.URL); err != nil {
			return 0, nil, err
		}
		next.URL = hookline.NormalizeURL(next.URL)
	}
	if in.Description != nil {
		next.Description = *in.Description
	}
	if in.Disabled != nil {
		next.Disabled = *in.Disabled
	}
	if v, ok := either(f, "filterTypes", in.FilterTypes, "eventTypes", in.EventTypes); ok {
		next.EventTypes = v
	}
	if f.has("channels") {
		next.Channels = in.Channels
	}
	if v, ok := either(f, "throttleRate", in.ThrottleRate, "rateLimit", in.RateLimit); ok {
		next.ThrottleRate = v
	}
	if f.has("uid") {
		next.UID = in.UID
	}
	if in.Metadata != nil {
		next.Metadata = in.Metadata
	}
	if in.Secret != nil {
		if next.SecretKind, next.Secret, err = decodeSecret([]string{"body", "secret"}, *in.Secret); err != nil {
			return 0, nil, err
		}
	}
	if err := h.save(c, app, ep, &next); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.out(&next), nil
}

func (h *endpoints) delete(c *call) (int, any, error) {
	app, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	if err := h.s.store.DeleteEndpoint(c.ctx(), app.ID, ep.ID); err != nil {
		return 0, nil, err
	}
	h.changed(c, hookline.EventEndpointDeleted, app, nil, ep)
	return http.StatusNoContent, nil, nil
}

// endpointStats counts an endpoint's deliveries by status.
type endpointStats struct {
	Success  int64 `json:"success"`
	Pending  int64 `json:"pending"`
	Sending  int64 `json:"sending"`
	Fail     int64 `json:"fail"`
	Canceled int64 `json:"canceled"`
}

// Bounds of the time ranges of recover (and of stats: hookline.MaxStatsRange),
// as svix-server sets them, with five minutes more so that "now minus 28
// days" computed by a client whose clock is a little ahead still passes.
const (
	maxRecoverRange = 14 * 24 * time.Hour
	rangeSlack      = 5 * time.Minute
)

// getEndpointStats counts the endpoint's deliveries of messages created in
// [since, until): until is now by default and cannot be later; since is 28
// days before until by default and cannot be earlier (400, as
// svix-server).
func (s *Server) getEndpointStats(c *call) (int, any, error) {
	since, until, err := statsRange(c.query(), "since", "until")
	if err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	st, err := s.store.EndpointStats(c.ctx(), app.ID, ep.ID, &since, &until)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, endpointStats{Success: st.Success, Pending: st.Pending, Sending: st.Sending, Fail: st.Fail, Canceled: st.Canceled}, nil
}

// recoverIn selects the failed messages to send again.
type recoverIn struct {
	Since *string `json:"since" api:"required" format:"date-time" doc:"Messages with a failed attempt at or after this time (and no successful one in the window)."`
	Until *string `json:"until,omitempty" format:"date-time" doc:"Attempts before this time; now when absent."`
}
