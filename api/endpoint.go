package api

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"regexp"
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
	FilterTypes  []string          `json:"filterTypes,omitempty" doc:"The event types the endpoint receives; absent or null for all."`
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
	ID           string            `json:"id"`
	UID          *string           `json:"uid,omitempty"`
	URL          string            `json:"url" doc:"The URL, with any password (or user name given alone) replaced by xxxxx."`
	Description  string            `json:"description"`
	Disabled     bool              `json:"disabled"`
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
	md := e.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return endpointOut{
		ID: e.ID, UID: e.UID, URL: hookline.RedactURL(e.URL), Description: e.Description, Disabled: e.Disabled,
		FilterTypes: e.EventTypes, EventTypes: e.EventTypes, Channels: e.Channels,
		ThrottleRate: e.ThrottleRate, RateLimit: e.ThrottleRate, Metadata: md, Version: 1,
		CreatedAt: jsonTime(e.CreatedAt), UpdatedAt: jsonTime(e.UpdatedAt),
	}
}

// apply sets the fields of a replacement on e.
func (u *endpointUpdate) apply(e *hookline.Endpoint) {
	e.URL, e.Description, e.Disabled, e.UID, e.Metadata = u.URL, u.Description, u.Disabled, u.UID, u.Metadata
	e.EventTypes = u.FilterTypes
	if e.EventTypes == nil {
		e.EventTypes = u.EventTypes
	}
	e.Channels = u.Channels
	e.ThrottleRate = u.ThrottleRate
	if e.ThrottleRate == nil {
		e.ThrottleRate = u.RateLimit
	}
}

// Secret prefixes, as in Standard Webhooks.
const (
	prefixHMAC       = "whsec_"
	prefixPrivateKey = "whsk_"
	prefixPublicKey  = "whpk_"
)

var secretPattern = regexp.MustCompile(`^(whsec_|whsk_|whpk_)?[a-zA-Z0-9+/=]{32,100}$`)

// decodeSecret decodes a signing secret given at loc: whsec_ (or no prefix)
// and an HMAC key, or whsk_ and an ed25519 private key, 64 bytes or its
// 32-byte seed, returned as the 64-byte key.
func decodeSecret(loc []string, s string) (hookline.SecretKind, []byte, error) {
	if !secretPattern.MatchString(s) {
		return 0, nil, hookline.Invalid(loc, "must be whsec_ (HMAC) or whsk_ (ed25519 private key) followed by 32 to 100 base64 characters")
	}
	if strings.HasPrefix(s, prefixPublicKey) {
		return 0, nil, hookline.Invalid(loc, "is an ed25519 public key (whpk_), which cannot sign: give the private key (whsk_); receivers get the public key from GET .../secret")
	}
	kind, prefix := hookline.SecretHMAC, prefixHMAC
	if strings.HasPrefix(s, prefixPrivateKey) {
		kind, prefix = hookline.SecretEd25519, prefixPrivateKey
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, prefix))
	if err != nil {
		return 0, nil, hookline.Invalid(loc, "is not valid base64")
	}
	if kind == hookline.SecretHMAC {
		if len(b) < 24 || len(b) > 75 {
			return 0, nil, hookline.Invalid(loc, "an HMAC secret (whsec_) must decode to 24 to 75 bytes, not %d", len(b))
		}
		return kind, b, nil
	}
	switch len(b) {
	case ed25519.SeedSize:
		return kind, ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		if !bytes.Equal(ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])[ed25519.SeedSize:], b[ed25519.SeedSize:]) {
			return 0, nil, hookline.Invalid(loc, "the ed25519 private key (whsk_) is not a key pair: its public half does not match its seed")
		}
		return kind, b, nil
	}
	return 0, nil, hookline.Invalid(loc, "an ed25519 private key (whsk_) must decode to 64 bytes (seed and public key) or a 32-byte seed, not %d", len(b))
}

// verifyingKey returns what receivers verify an endpoint's signatures with:
// its HMAC secret (whsec_), or the public key of its ed25519 key (whpk_).
func verifyingKey(e *hookline.Endpoint) string {
	if e.SecretKind == hookline.SecretEd25519 && len(e.Secret) == ed25519.PrivateKeySize {
		return prefixPublicKey + base64.StdEncoding.EncodeToString(e.Secret[ed25519.SeedSize:])
	}
	return prefixHMAC + base64.StdEncoding.EncodeToString(e.Secret)
}

// loadEndpoint returns the endpoint the path names by id or uid
// ({endpoint_id}) in the application of the path.
func (c *call) loadEndpoint() (*hookline.Application, *hookline.Endpoint, error) {
	return c.pathEndpoint(c.loadApp)
}

// pathEndpoint returns the endpoint the path names by id or uid
// ({endpoint_id}) in the application loadApp returns.
func (c *call) pathEndpoint(loadApp func() (*hookline.Application, error)) (*hookline.Application, *hookline.Endpoint, error) {
	app, err := loadApp()
	if err != nil {
		return nil, nil, err
	}
	ep, err := c.s.store.Endpoint(c.ctx(), app.ID, c.r.PathValue("endpoint_id"))
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return nil, nil, notFound("Endpoint")
	}
	if err != nil {
		return nil, nil, err
	}
	return app, ep, nil
}

func (s *Server) listEndpoints(c *call) (int, any, error) {
	return listEndpointsOf(c, c.loadApp, endpointOutOf)
}

// listEndpointsOf lists the endpoints of the application loadApp returns,
// each shown by out.
func listEndpointsOf[T any](c *call, loadApp func() (*hookline.Application, error), out func(*hookline.Endpoint) T) (int, any, error) {
	p, err := c.query().page(false, true)
	if err != nil {
		return 0, nil, err
	}
	app, err := loadApp()
	if err != nil {
		return 0, nil, err
	}
	got, err := c.s.store.ListEndpoints(c.ctx(), app.ID, p.opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(e *hookline.Endpoint) string { return e.ID }, out), nil
}

// createEndpoint creates an endpoint, with a new secret unless one is given.
func (s *Server) createEndpoint(c *call) (int, any, error) {
	var in endpointIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	ep := &hookline.Endpoint{AppID: app.ID, Headers: in.Headers}
	in.apply(ep)
	if in.Secret != nil {
		if ep.SecretKind, ep.Secret, err = decodeSecret([]string{"body", "secret"}, *in.Secret); err != nil {
			return 0, nil, err
		}
	} else {
		ep.Secret = hookline.NewSecret()
	}
	return s.insertEndpoint(c, ep)
}

func (s *Server) insertEndpoint(c *call, ep *hookline.Endpoint) (int, any, error) {
	var err error
	if ep.URL, err = hookline.KeepURLCredentials([]string{"body", "url"}, ep.URL, ""); err != nil {
		return 0, nil, err
	}
	if err := ep.Validate(); err != nil {
		return 0, nil, err
	}
	now := time.Now().UTC()
	ep.ID, ep.CreatedAt, ep.UpdatedAt = hookline.NewID(hookline.PrefixEndpoint), now, now
	if err := s.store.CreateEndpoint(c.ctx(), ep); err != nil {
		return 0, nil, err
	}
	s.notifyEndpoint(c, hookline.EventEndpointCreated, c.app, ep)
	return http.StatusCreated, endpointOutOf(ep), nil
}

func (s *Server) getEndpoint(c *call) (int, any, error) {
	_, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, endpointOutOf(ep), nil
}

// updateEndpoint replaces an endpoint's settings, keeping its secrets,
// headers, mTLS and OAuth settings, and the password of its URL when given
// back redacted (200), or creates it (201) when the path names it by a uid
// that does not exist yet.
func (s *Server) updateEndpoint(c *call) (int, any, error) {
	var in endpointUpdate
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, err := c.loadApp()
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
		in.apply(ep)
		return s.insertEndpoint(c, ep)
	}
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	in.apply(&next)
	if next.URL, err = hookline.KeepURLCredentials([]string{"body", "url"}, next.URL, ep.URL); err != nil {
		return 0, nil, err
	}
	return s.saveEndpoint(c, app, ep, &next)
}

// saveEndpoint validates and stores next, the new state of the application's
// endpoint prev, and sends endpoint.updated (and endpoint.disabled when it
// disables it) once it is stored: every change of an endpoint goes through
// here.
func (s *Server) saveEndpoint(c *call, app *hookline.Application, prev, next *hookline.Endpoint) (int, any, error) {
	if err := next.Validate(); err != nil {
		return 0, nil, err
	}
	next.UpdatedAt = time.Now().UTC()
	if err := s.store.UpdateEndpoint(c.ctx(), next); err != nil {
		return 0, nil, err
	}
	s.notifyUpdated(c, app, prev, next)
	return http.StatusOK, endpointOutOf(next), nil
}

func (s *Server) patchEndpoint(c *call) (int, any, error) {
	var in endpointPatch
	f, err := c.decode(&in)
	if err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	if in.URL != nil {
		if next.URL, err = hookline.KeepURLCredentials([]string{"body", "url"}, *in.URL, ep.URL); err != nil {
			return 0, nil, err
		}
	}
	if in.Description != nil {
		next.Description = *in.Description
	}
	if in.Disabled != nil {
		next.Disabled = *in.Disabled
	}
	switch {
	case f.has("filterTypes"):
		next.EventTypes = in.FilterTypes
	case f.has("eventTypes"):
		next.EventTypes = in.EventTypes
	}
	if f.has("channels") {
		next.Channels = in.Channels
	}
	switch {
	case f.has("throttleRate"):
		next.ThrottleRate = in.ThrottleRate
	case f.has("rateLimit"):
		next.ThrottleRate = in.RateLimit
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
	return s.saveEndpoint(c, app, ep, &next)
}

func (s *Server) deleteEndpoint(c *call) (int, any, error) {
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	if err := s.store.DeleteEndpoint(c.ctx(), app.ID, ep.ID); err != nil {
		return 0, nil, err
	}
	s.notifyEndpoint(c, hookline.EventEndpointDeleted, app, ep)
	return http.StatusNoContent, nil, nil
}

// endpointSecretOut is what receivers verify an endpoint's signatures with.
type endpointSecretOut struct {
	Key string `json:"key" doc:"For an HMAC secret, whsec_ and the secret in base64 (signatures v1); for an ed25519 key, whpk_ and its public key in base64 (signatures v1a). The private key (whsk_) is never returned."`
}

func (s *Server) getEndpointSecret(c *call) (int, any, error) {
	_, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, endpointSecretOut{Key: verifyingKey(ep)}, nil
}

// endpointSecretRotateIn gives the new secret, or asks for a generated one.
type endpointSecretRotateIn struct {
	Key                *string `json:"key,omitempty" doc:"The new secret, whsec_ or whsk_ as in EndpointIn; a new HMAC secret is generated when absent."`
	GracePeriodSeconds *int    `json:"gracePeriodSeconds,omitempty" doc:"How long the previous secret keeps signing, 0 (not at all) to 604800 seconds; the server's default (24 hours unless configured) when absent."`
}

// rotateEndpointSecret replaces the endpoint's secret. The previous one
// keeps signing for the grace period, so that every delivery meanwhile
// carries a signature with each and receivers can switch at their pace.
func (s *Server) rotateEndpointSecret(c *call) (int, any, error) {
	var in endpointSecretRotateIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if g := in.GracePeriodSeconds; g != nil && (*g < 0 || *g > 7*24*3600) {
		return 0, nil, hookline.Invalid([]string{"body", "gracePeriodSeconds"}, "must be between 0 and 604800")
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	var kind hookline.SecretKind
	var key []byte
	if in.Key != nil {
		if kind, key, err = decodeSecret([]string{"body", "key"}, *in.Key); err != nil {
			return 0, nil, err
		}
	} else {
		kind, key = hookline.SecretHMAC, hookline.NewSecret()
	}
	grace := s.grace
	if g := in.GracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	next := *ep
	next.RotateSecret(kind, key, time.Now().UTC(), grace)
	if _, _, err := s.saveEndpoint(c, app, ep, &next); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// endpointHeadersIn replaces an endpoint's custom headers.
type endpointHeadersIn struct {
	Headers map[string]string `json:"headers" api:"required"`
}

// endpointHeadersPatchIn sets headers (null removes one) and removes the
// headers of deleteHeaders.
type endpointHeadersPatchIn struct {
	Headers       map[string]*string `json:"headers" api:"required"`
	DeleteHeaders []string           `json:"deleteHeaders,omitempty"`
}

// endpointHeadersOut lists an endpoint's custom headers. Sensitive headers
// (credentials) are listed by name in sensitive, and their values are not
// returned.
type endpointHeadersOut struct {
	Headers   map[string]string `json:"headers"`
	Sensitive []string          `json:"sensitive"`
}

// sensitiveHeader reports whether a header likely carries a credential.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "cookie", "set-cookie", "proxy-authorization":
		return true
	}
	for _, w := range []string{"token", "key", "secret", "auth", "password", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func (s *Server) getEndpointHeaders(c *call) (int, any, error) {
	_, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	out := endpointHeadersOut{Headers: map[string]string{}, Sensitive: []string{}}
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

func (s *Server) updateEndpointHeaders(c *call) (int, any, error) {
	var in endpointHeadersIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	next.Headers = in.Headers
	if _, _, err := s.saveEndpoint(c, app, ep, &next); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) patchEndpointHeaders(c *call) (int, any, error) {
	var in endpointHeadersPatchIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	next.Headers = make(map[string]string, len(ep.Headers)+len(in.Headers))
	for k, v := range ep.Headers {
		next.Headers[k] = v
	}
	remove := func(name string) {
		for k := range next.Headers {
			if strings.EqualFold(k, name) {
				delete(next.Headers, k)
			}
		}
	}
	for k, v := range in.Headers {
		remove(k)
		if v != nil {
			next.Headers[k] = *v
		}
	}
	for _, k := range in.DeleteHeaders {
		remove(k)
	}
	if _, _, err := s.saveEndpoint(c, app, ep, &next); err != nil {
		return 0, nil, err
	}
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

func (s *Server) getEndpointStats(c *call) (int, any, error) {
	q := c.query()
	since, err := q.time("since")
	if err != nil {
		return 0, nil, err
	}
	until, err := q.time("until")
	if err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	st, err := s.store.EndpointStats(c.ctx(), app.ID, ep.ID, since, until)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, endpointStats{Success: st.Success, Pending: st.Pending, Sending: st.Sending, Fail: st.Fail, Canceled: st.Canceled}, nil
}

// recoverIn selects the failed messages to send again.
type recoverIn struct {
	Since *string `json:"since" api:"required" format:"date-time" doc:"Messages created at or after this time."`
	Until *string `json:"until,omitempty" format:"date-time" doc:"Messages created before this time; now when absent."`
}

// recoverOut describes the recovery task.
type recoverOut struct {
	ID        string   `json:"id"`
	Status    string   `json:"status" enum:"running,finished,failed"`
	Task      string   `json:"task" enum:"endpoint.recover"`
	UpdatedAt jsonTime `json:"updatedAt"`
}

// recoverEndpoint makes every failed delivery to the endpoint of a message
// created in [since, until) pending again. The work is done before the
// answer, but the answer has the shape of Svix's background task.
func (s *Server) recoverEndpoint(c *call) (int, any, error) {
	var in recoverIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Since == nil {
		return 0, nil, badInput([]string{"body", "since"}, "value_error.missing", "field required")
	}
	since, err := parseTime([]string{"body", "since"}, *in.Since)
	if err != nil {
		return 0, nil, err
	}
	now := time.Now().UTC()
	until := now
	if in.Until != nil {
		if until, err = parseTime([]string{"body", "until"}, *in.Until); err != nil {
			return 0, nil, err
		}
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.store.Recover(c.ctx(), app.ID, ep.ID, since, until); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, recoverOut{ID: hookline.NewID(hookline.PrefixTask), Status: "running", Task: "endpoint.recover", UpdatedAt: jsonTime(now)}, nil
}
