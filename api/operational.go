package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
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

// notifyEndpoint tells the Notifier, when there is one, that typ happened
// to ep of app. Call it after the store write succeeded.
func (s *Server) notifyEndpoint(c *call, typ string, app *hookline.Application, ep *hookline.Endpoint) {
	if s.notifier == nil {
		return
	}
	e := hookline.EndpointEvent(typ, ep, "manual", nil)
	if d, ok := e.Data.(hookline.EndpointEventData); ok && app != nil {
		d.AppUID = app.UID
		e.Data = d
	}
	s.notifier.Notify(c.ctx(), e)
}

// notifyUpdated sends endpoint.updated for next, and endpoint.disabled
// when the update disabled the enabled endpoint prev.
func (s *Server) notifyUpdated(c *call, app *hookline.Application, prev, next *hookline.Endpoint) {
	s.notifyEndpoint(c, hookline.EventEndpointUpdated, app, next)
	if !prev.Disabled && next.Disabled {
		s.notifyEndpoint(c, hookline.EventEndpointDisabled, app, next)
	}
}

// checkReservedUID refuses, as the uid of an application, the uid of the
// internal application of the operational webhooks.
func checkReservedUID(uid *string) error {
	if uid != nil && *uid == operational.AppUID {
		return hookline.Invalid([]string{"body", "uid"}, "%q is reserved by Hookline", operational.AppUID)
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
	ID           string            `json:"id"`
	UID          *string           `json:"uid,omitempty"`
	URL          string            `json:"url" doc:"The URL, with any password replaced by xxxxx."`
	Description  string            `json:"description"`
	Disabled     bool              `json:"disabled"`
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
// them.
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
		ID: o.ID, UID: o.UID, URL: o.URL, Description: o.Description, Disabled: o.Disabled,
		FilterTypes: o.FilterTypes, EventTypes: o.EventTypes, ThrottleRate: o.ThrottleRate, RateLimit: o.RateLimit,
		Metadata: o.Metadata, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

// apply sets the fields of a replacement on e, and returns the name of the
// field the event types came from, for errors.
func (u *operationalWebhookEndpointUpdate) apply(e *hookline.Endpoint) string {
	e.URL, e.Description, e.Disabled, e.UID, e.Metadata = u.URL, u.Description, u.Disabled, u.UID, u.Metadata
	e.Channels = nil
	field := "filterTypes"
	e.EventTypes = u.FilterTypes
	if e.EventTypes == nil && u.EventTypes != nil {
		e.EventTypes, field = u.EventTypes, "eventTypes"
	}
	e.ThrottleRate = u.ThrottleRate
	if e.ThrottleRate == nil {
		e.ThrottleRate = u.RateLimit
	}
	return field
}

// validateOperational checks ep as an application endpoint, and that it
// subscribes only to operational event types.
func validateOperational(ep *hookline.Endpoint, typesField string) error {
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

// operationalApp returns the internal application.
func (c *call) operationalApp() (*hookline.Application, error) {
	if c.s.opApp == nil {
		return nil, hookline.Errorf(hookline.EUNAVAILABLE, "Operational webhooks are not configured.")
	}
	return c.s.opApp.Application(c.ctx())
}

// loadOperationalEndpoint returns the operational endpoint the path names
// by id or uid ({endpoint_id}).
func (c *call) loadOperationalEndpoint() (*hookline.Application, *hookline.Endpoint, error) {
	return c.pathEndpoint(c.operationalApp)
}

func (s *Server) listOperationalEndpoints(c *call) (int, any, error) {
	return listEndpointsOf(c, c.operationalApp, operationalEndpointOutOf)
}

func (s *Server) createOperationalEndpoint(c *call) (int, any, error) {
	var in operationalWebhookEndpointIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, err := c.operationalApp()
	if err != nil {
		return 0, nil, err
	}
	ep := &hookline.Endpoint{AppID: app.ID, Headers: in.Headers}
	field := in.apply(ep)
	if in.Secret != nil {
		if ep.SecretKind, ep.Secret, err = decodeSecret([]string{"body", "secret"}, *in.Secret); err != nil {
			return 0, nil, err
		}
	} else {
		ep.Secret = hookline.NewSecret()
	}
	return s.insertOperationalEndpoint(c, ep, field)
}

func (s *Server) insertOperationalEndpoint(c *call, ep *hookline.Endpoint, typesField string) (int, any, error) {
	var err error
	if ep.URL, err = hookline.KeepURLCredentials([]string{"body", "url"}, ep.URL, ""); err != nil {
		return 0, nil, err
	}
	if err := validateOperational(ep, typesField); err != nil {
		return 0, nil, err
	}
	now := time.Now().UTC()
	ep.ID, ep.CreatedAt, ep.UpdatedAt = hookline.NewID(hookline.PrefixEndpoint), now, now
	if err := s.store.CreateEndpoint(c.ctx(), ep); err != nil {
		return 0, nil, err
	}
	s.opApp.Invalidate()
	return http.StatusCreated, operationalEndpointOutOf(ep), nil
}

func (s *Server) getOperationalEndpoint(c *call) (int, any, error) {
	_, ep, err := c.loadOperationalEndpoint()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, operationalEndpointOutOf(ep), nil
}

// upsertOperationalEndpoint replaces an operational endpoint's settings,
// keeping its secrets, headers and the password of its URL when given back
// redacted (200), or creates it (201) when the path names it by a uid that
// does not exist yet.
func (s *Server) upsertOperationalEndpoint(c *call) (int, any, error) {
	var in operationalWebhookEndpointUpdate
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, err := c.operationalApp()
	if err != nil {
		return 0, nil, err
	}
	pathID := c.r.PathValue("endpoint_id")
	ep, err := s.store.Endpoint(c.ctx(), app.ID, pathID)
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		if in.UID == nil && !hasIDPrefix(pathID) {
			in.UID = &pathID
		}
		if in.UID == nil {
			return 0, nil, notFound("Endpoint")
		}
		ep = &hookline.Endpoint{AppID: app.ID, Secret: hookline.NewSecret()}
		field := in.apply(ep)
		return s.insertOperationalEndpoint(c, ep, field)
	}
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	field := in.apply(&next)
	if next.URL, err = hookline.KeepURLCredentials([]string{"body", "url"}, next.URL, ep.URL); err != nil {
		return 0, nil, err
	}
	if err := s.saveOperationalEndpoint(c, &next, field); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, operationalEndpointOutOf(&next), nil
}

func (s *Server) saveOperationalEndpoint(c *call, ep *hookline.Endpoint, typesField string) error {
	if err := validateOperational(ep, typesField); err != nil {
		return err
	}
	ep.UpdatedAt = time.Now().UTC()
	if err := s.store.UpdateEndpoint(c.ctx(), ep); err != nil {
		return err
	}
	s.opApp.Invalidate()
	return nil
}

func (s *Server) deleteOperationalEndpoint(c *call) (int, any, error) {
	app, ep, err := c.loadOperationalEndpoint()
	if err != nil {
		return 0, nil, err
	}
	if err := s.store.DeleteEndpoint(c.ctx(), app.ID, ep.ID); err != nil {
		return 0, nil, err
	}
	s.opApp.Invalidate()
	return http.StatusNoContent, nil, nil
}

func (s *Server) getOperationalEndpointSecret(c *call) (int, any, error) {
	_, ep, err := c.loadOperationalEndpoint()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, operationalWebhookEndpointSecretOut{Key: verifyingKey(ep)}, nil
}

// rotateOperationalEndpointSecret replaces the endpoint's secret; the
// previous one keeps signing for the grace period, as for application
// endpoints.
func (s *Server) rotateOperationalEndpointSecret(c *call) (int, any, error) {
	var in operationalWebhookEndpointSecretIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if g := in.GracePeriodSeconds; g != nil && (*g < 0 || *g > 7*24*3600) {
		return 0, nil, hookline.Invalid([]string{"body", "gracePeriodSeconds"}, "must be between 0 and 604800")
	}
	_, ep, err := c.loadOperationalEndpoint()
	if err != nil {
		return 0, nil, err
	}
	kind, key := hookline.SecretHMAC, hookline.NewSecret()
	if in.Key != nil {
		if kind, key, err = decodeSecret([]string{"body", "key"}, *in.Key); err != nil {
			return 0, nil, err
		}
	}
	grace := s.grace
	if g := in.GracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	next := *ep
	next.RotateSecret(kind, key, time.Now().UTC(), grace)
	if err := s.saveOperationalEndpoint(c, &next, "filterTypes"); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) getOperationalEndpointHeaders(c *call) (int, any, error) {
	_, ep, err := c.loadOperationalEndpoint()
	if err != nil {
		return 0, nil, err
	}
	out := operationalWebhookEndpointHeadersOut{Headers: map[string]string{}, Sensitive: []string{}}
	for k, v := range ep.Headers {
		if sensitiveHeader(k) {
			out.Sensitive = append(out.Sensitive, k)
		} else {
			out.Headers[k] = v
		}
	}
	slices.Sort(out.Sensitive)
	return http.StatusOK, out, nil
}

func (s *Server) updateOperationalEndpointHeaders(c *call) (int, any, error) {
	var in operationalWebhookEndpointHeadersIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	_, ep, err := c.loadOperationalEndpoint()
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	next.Headers = in.Headers
	if err := s.saveOperationalEndpoint(c, &next, "filterTypes"); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// egressIPsOut lists the addresses deliveries come from.
type egressIPsOut struct {
	Data []string `json:"data" doc:"The IPv4 and IPv6 addresses receivers see deliveries come from, as the operator declared them (--egress-ips); empty when none is declared."`
}

func (s *Server) listEgressIPs(*call) (int, any, error) {
	return http.StatusOK, egressIPsOut{Data: s.egressIPs}, nil
}
