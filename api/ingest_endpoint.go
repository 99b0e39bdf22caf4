package api

import (
	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
)

// The ingest endpoints of a source, under
// /ingest/api/v1/source/{source_id}/endpoint: the endpoints of the source's
// internal application, served by the handlers of every endpoint
// (endpoints), in the shapes of Svix's Ingest API. An ingest endpoint's url
// may name an operator's action ("action:NAME") instead of an HTTP URL.

// Actions are the names of the actions the operator defined (--actions),
// which an ingest endpoint's url may name.
type Actions interface {
	// Has reports whether an action of this name is defined.
	Has(name string) bool
}

// ingestEndpointUpdate replaces an ingest endpoint's settings.
type ingestEndpointUpdate struct {
	URL          string            `json:"url" api:"required" doc:"Where each request the source receives is POSTed: an absolute http or https URL, as for an application's endpoint; or action:NAME, which runs the operator's action NAME (defined in the server's --actions file) instead; only for a source that verifies its requests (a secret, or a check of Hookline's extensions)."`
	Description  string            `json:"description,omitempty"`
	Disabled     bool              `json:"disabled,omitempty"`
	ThrottleRate *int              `json:"throttleRate,omitempty" doc:"Deliveries per second at most."`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated name of throttleRate."`
	UID          *string           `json:"uid,omitempty" doc:"A unique id in the source of the caller's choice, usable in place of the id."`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

// ingestEndpointIn creates an ingest endpoint.
type ingestEndpointIn struct {
	ingestEndpointUpdate
	Secret  *string           `json:"secret,omitempty" doc:"The signing secret of the deliveries, whsec_ or whsk_ as for an application's endpoint; an HMAC secret is generated when absent."`
	Headers map[string]string `json:"headers,omitempty" doc:"Custom headers sent with every delivery, after the received request's own."`
}

// ingestEndpointOut is an ingest endpoint, without its secret and headers.
type ingestEndpointOut struct {
	ID          string  `json:"id"`
	UID         *string `json:"uid,omitempty"`
	URL         string  `json:"url" doc:"The URL, with any password replaced by xxxxx; or action:NAME."`
	Description string  `json:"description"`
	Disabled    bool    `json:"disabled"`
	disabledOut
	ThrottleRate *int              `json:"throttleRate,omitempty"`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated copy of throttleRate."`
	Metadata     map[string]string `json:"metadata"`
	CreatedAt    jsonTime          `json:"createdAt"`
	UpdatedAt    jsonTime          `json:"updatedAt"`
}

// The secret and headers of ingest endpoints have the shapes of those of
// application endpoints, under the names of Svix's Ingest API.
type (
	ingestEndpointSecretIn  endpointSecretRotateIn
	ingestEndpointSecretOut endpointSecretOut
	ingestEndpointHeadersIn endpointHeadersIn
	// ingestEndpointHeadersOut lists the custom headers; those that look
	// like credentials are named in sensitive, without values.
	ingestEndpointHeadersOut endpointHeadersOut
)

func ingestEndpointOutOf(e *hookline.Endpoint) ingestEndpointOut {
	o := endpointOutOf(e)
	return ingestEndpointOut{
		ID: o.ID, UID: o.UID, URL: o.URL, Description: o.Description, Disabled: o.Disabled, disabledOut: o.disabledOut,
		ThrottleRate: o.ThrottleRate, RateLimit: o.RateLimit, Metadata: o.Metadata, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

// settings returns the settings of an ingest endpoint: those of an
// application's endpoint, without event types or channels.
func (u *ingestEndpointUpdate) settings() *endpointIn {
	return &endpointIn{endpointUpdate: endpointUpdate{
		URL: u.URL, Description: u.Description, Disabled: u.Disabled, ThrottleRate: u.ThrottleRate, RateLimit: u.RateLimit,
		UID: u.UID, Metadata: u.Metadata,
	}}
}

func (in *ingestEndpointIn) settings() *endpointIn {
	s := in.ingestEndpointUpdate.settings()
	s.Secret, s.Headers = in.Secret, in.Headers
	return s
}

// newIngestEndpoints returns the handlers of the ingest endpoints of the
// source of the path.
func newIngestEndpoints(s *Server) *endpoints {
	return &endpoints{
		s:         s,
		app:       (*call).sourceApp,
		newIn:     func() endpointBody { return &ingestEndpointIn{} },
		newUpdate: func() endpointBody { return &ingestEndpointUpdate{} },
		out:       func(ep *hookline.Endpoint) any { return ingestEndpointOutOf(ep) },
		validate:  s.validateIngestEndpoint,
		changed:   func(*call, string, *hookline.Application, *hookline.Endpoint, *hookline.Endpoint) {},
	}
}

// validateIngestEndpoint checks ep as an application's endpoint, but lets
// its url name an action the operator defined, of a source that verifies
// its requests.
func (s *Server) validateIngestEndpoint(c *call, _, ep *hookline.Endpoint, _ string) error {
	name, isAction := hookline.ActionName(ep.URL)
	if !isAction {
		return ep.Validate()
	}
	if s.actions == nil || !s.actions.Has(name) {
		return hookline.Invalid([]string{"body", "url"}, "names no action this server defines (--actions)")
	}
	src, err := c.loadSource()
	if err != nil {
		return err
	}
	if err := ingest.CheckAction(src, "body", "url"); err != nil {
		return err
	}
	return ep.ValidateSettings()
}
