package api

import (
	"context"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
	"github.com/hookline/hookline/operational"
)

// OperationalApp holds the operator's operational webhook endpoints: the
// endpoints of one internal application, which the tenant API does not
// show (see operational.IsInternal). *operational.Notifier implements it.
type OperationalApp interface {
	// Application returns the internal application, creating it when it
	// does not exist yet.
	Application(ctx context.Context) (*hookline.Application, error)
	// Invalidate says that its endpoints were created, changed or deleted.
	Invalidate()
}

// checkReservedUID refuses, as the uid of an application, the uids of the
// internal applications: the operational webhooks', and the sources'.
func checkReservedUID(uid *string) error {
	if uid != nil && *uid == operational.AppUID {
		return hookline.Invalid([]string{"body", "uid"}, "%q is reserved by Hookline", operational.AppUID)
	}
	if uid != nil && strings.HasPrefix(*uid, ingest.AppUIDPrefix) {
		return hookline.Invalid([]string{"body", "uid"}, "uids starting with %q are reserved by Hookline", ingest.AppUIDPrefix)
	}
	return nil
}

// operationalWebhookEndpointUpdate replaces an operational webhook
// endpoint's settings.
type operationalWebhookEndpointUpdate struct {
	URL          string            `json:"url" api:"required" doc:"Where the operational webhooks are POSTed: an absolute http or https URL, as for an application's endpoint."`
	Description  string            `json:"description,omitempty"`
	Disabled     bool              `json:"disabled,omitempty"`
	FilterTypes  []string          `json:"filterTypes,omitempty" doc:"The operational event types the endpoint receives: endpoint.created, endpoint.updated, endpoint.deleted, endpoint.disabled, message.attempt.exhausted, message.attempt.failing, message.attempt.recovered; absent or null for all."`
	EventTypes   []string          `json:"eventTypes,omitempty" doc:"The name of filterTypes in the hosted Svix API; used when filterTypes is absent."`
	ThrottleRate *int              `json:"throttleRate,omitempty" doc:"Messages per second at most."`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated name of throttleRate."`
	UID          *string           `json:"uid,omitempty" doc:"A unique id of the caller's choice, usable in place of the id."`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

// operationalWebhookEndpointIn creates an operational webhook endpoint.
type operationalWebhookEndpointIn struct {
	operationalWebhookEndpointUpdate
	Secret  *string           `json:"secret,omitempty" doc:"The signing secret, whsec_ (HMAC) or whsk_ (ed25519) as for an application's endpoint; an HMAC secret is generated when absent."`
	Headers map[string]string `json:"headers,omitempty" doc:"Custom headers sent with every operational webhook."`
}

// operationalWebhookEndpointOut is an operational webhook endpoint, without
// its secret and headers.
type operationalWebhookEndpointOut struct {
	ID          string  `json:"id"`
	UID         *string `json:"uid,omitempty"`
	URL         string  `json:"url" doc:"The URL, with any password replaced by xxxxx."`
	Description string  `json:"description"`
	Disabled    bool    `json:"disabled"`
	disabledOut
	FilterTypes  []string          `json:"filterTypes,omitempty"`
	EventTypes   []string          `json:"eventTypes,omitempty" doc:"The same as filterTypes, under the hosted Svix API's name."`
	ThrottleRate *int              `json:"throttleRate,omitempty"`
	RateLimit    *int              `json:"rateLimit,omitempty" doc:"Deprecated copy of throttleRate."`
	Metadata     map[string]string `json:"metadata"`
	CreatedAt    jsonTime          `json:"createdAt"`
	UpdatedAt    jsonTime          `json:"updatedAt"`
}

// The secret and headers of operational webhook endpoints have the shapes
// of those of application endpoints, under the names the Svix API gives
// them (these types name them in the OpenAPI document; the handlers use
// the types of application endpoints).
type (
	operationalWebhookEndpointSecretIn  endpointSecretRotateIn
	operationalWebhookEndpointSecretOut endpointSecretOut
	operationalWebhookEndpointHeadersIn endpointHeadersIn
	// operationalWebhookEndpointHeadersOut lists the custom headers; those
	// that look like credentials are named in sensitive, without values.
	operationalWebhookEndpointHeadersOut endpointHeadersOut
)

func operationalEndpointOutOf(e *hookline.Endpoint) operationalWebhookEndpointOut {
	o := endpointOutOf(e)
	return operationalWebhookEndpointOut{
		ID: o.ID, UID: o.UID, URL: o.URL, Description: o.Description, Disabled: o.Disabled, disabledOut: o.disabledOut,
		FilterTypes: o.FilterTypes, EventTypes: o.EventTypes, ThrottleRate: o.ThrottleRate, RateLimit: o.RateLimit,
		Metadata: o.Metadata, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

// settings returns the settings of an operational webhook endpoint: those
// of an application's endpoint, without channels.
func (u *operationalWebhookEndpointUpdate) settings() *endpointIn {
	return &endpointIn{endpointUpdate: endpointUpdate{
		URL: u.URL, Description: u.Description, Disabled: u.Disabled, FilterTypes: u.FilterTypes, EventTypes: u.EventTypes,
		ThrottleRate: u.ThrottleRate, RateLimit: u.RateLimit, UID: u.UID, Metadata: u.Metadata,
	}}
}

func (in *operationalWebhookEndpointIn) settings() *endpointIn {
	s := in.operationalWebhookEndpointUpdate.settings()
	s.Secret, s.Headers = in.Secret, in.Headers
	return s
}

// newOperationalEndpoints returns the handlers of the operational webhook
// endpoints, the endpoints of the internal application, which subscribe
// only to operational event types; a change tells the OperationalApp.
func newOperationalEndpoints(s *Server) *endpoints {
	return &endpoints{
		s:         s,
		app:       (*call).operationalApp,
		newIn:     func() endpointBody { return &operationalWebhookEndpointIn{} },
		newUpdate: func() endpointBody { return &operationalWebhookEndpointUpdate{} },
		out:       func(ep *hookline.Endpoint) any { return operationalEndpointOutOf(ep) },
		validate:  validateOperational,
		changed: func(*call, string, *hookline.Application, *hookline.Endpoint, *hookline.Endpoint) {
			s.opApp.Invalidate()
		},
	}
}

// operationalApp returns the internal application.
func (c *call) operationalApp() (*hookline.Application, error) {
	if c.s.opApp == nil {
		return nil, hookline.Errorf(hookline.EUNAVAILABLE, "Operational webhooks are not configured.")
	}
	return c.s.opApp.Application(c.ctx())
}

// validateOperational checks ep as an application endpoint, and that it
// subscribes only to operational event types.
func validateOperational(_ *call, _, ep *hookline.Endpoint, typesField string) error {
	if err := ep.Validate(); err != nil {
		return err
	}
	for i, t := range ep.EventTypes {
		if !operational.IsEventType(t) {
			return hookline.Invalid([]string{"body", typesField, strconv.Itoa(i)},
				"%q is not an operational event type; those are %s", t, strings.Join(operational.EventTypes, ", "))
		}
	}
	return nil
}
