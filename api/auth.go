package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
	"github.com/hookline/hookline/operational"
)

// TokenPrefix starts every token NewToken makes.
const TokenPrefix = "hk_"

// NewToken returns a new random API token: TokenPrefix and 256 random bits
// in URL-safe base64. Store only HashToken of it.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("api: crypto/rand failed: " + err.Error())
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the SHA-256 of a token, the form in which tokens are
// stored and looked up (hookline.Token.Hash).
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// authenticate finds the token of "Authorization: Bearer <token>". The token
// is never compared: its hash is looked up.
func (s *Server) authenticate(r *http.Request) (*hookline.Token, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, hookline.Errorf(hookline.EUNAUTHORIZED, "Missing the Authorization header.")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, hookline.Errorf(hookline.EUNAUTHORIZED, "The Authorization header must be 'Bearer <token>'.")
	}
	t, err := s.store.TokenByHash(r.Context(), HashToken(tok))
	now := time.Now()
	if hookline.ErrorCode(err) == hookline.ENOTFOUND || err == nil && t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return nil, hookline.Errorf(hookline.EUNAUTHORIZED, "Invalid token.")
	}
	if err != nil {
		return nil, err
	}
	if s.uses.due(t, now) {
		// One request a minute per token pays for the write; a failure
		// costs a late last-used time, not the request.
		if err := s.store.TokenUsed(r.Context(), t.ID, now); err != nil {
			s.log.Warn("api: cannot record the use of a token", "token", t.ID, "error", err.Error())
		}
	}
	return t, nil
}

// loadApp returns the application the path names by id or uid ({app_id}),
// when it is in the caller's scope. Another application's id is not found,
// as if it did not exist.
func (c *call) loadApp() (*hookline.Application, error) {
	if c.app != nil {
		return c.app, nil
	}
	app, err := c.s.store.Application(c.ctx(), c.r.PathValue("app_id"))
	if err != nil {
		return nil, orNotFound(err, "Application")
	}
	if c.tok != nil && c.tok.AppID != "" && app.ID != c.tok.AppID || internalApp(app) {
		// Another tenant's application, or an internal application (the
		// operational webhooks', a source's), which only their own
		// routes reach.
		return nil, notFound("Application")
	}
	c.app = app
	return app, nil
}

// loadInApp returns the application loadApp returns and, in it, what get
// finds by the path's wildcard name (an id, or a uid or eventId): an
// endpoint or a message. what names it in the not-found error.
func loadInApp[T any](c *call, loadApp func(*call) (*hookline.Application, error),
	get func(ctx context.Context, appID, idOrUID string) (T, error), name, what string) (*hookline.Application, T, error) {
	var zero T
	app, err := loadApp(c)
	if err != nil {
		return nil, zero, err
	}
	v, err := get(c.ctx(), app.ID, c.r.PathValue(name))
	if err != nil {
		return nil, zero, orNotFound(err, what)
	}
	return app, v, nil
}

// loadOrCreateApp is loadApp, but creates the application from in when the
// path names it by a uid that is free (as Svix does for messages and
// app-portal access). Only admin tokens create applications.
func (c *call) loadOrCreateApp(in *applicationIn) (*hookline.Application, error) {
	app, err := c.loadApp()
	if err == nil || in == nil || hookline.ErrorCode(err) != hookline.ENOTFOUND || !c.admin() {
		return app, err
	}
	pathID := c.r.PathValue("app_id")
	if pathID == operational.AppUID || strings.HasPrefix(pathID, ingest.AppUIDPrefix) {
		return nil, notFound("Application")
	}
	// As svix-server: the application to create says its uid, the one of
	// the path, whatever the path looks like.
	switch {
	case in.UID == nil:
		return nil, badInput([]string{"body", "application", "uid"}, "application_uid_missing", "Application UID not set in body")
	case *in.UID != pathID:
		return nil, badInput([]string{"body", "application", "uid"}, "application_uid_mismatch", "Application UID in the path and body must match")
	}
	if strings.HasPrefix(pathID, hookline.PrefixApplication) {
		// An id Hookline did not make: an application cannot be created with it.
		return nil, err
	}
	app = in.application()
	if err := prefix(app.Validate(), "application"); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	app.ID, app.CreatedAt, app.UpdatedAt = hookline.NewID(hookline.PrefixApplication), now, now
	if err := c.s.store.CreateApplication(c.ctx(), app); err != nil {
		if hookline.ErrorCode(err) != hookline.ECONFLICT {
			return nil, err
		}
		// Created by a concurrent request meanwhile.
		return c.loadApp()
	}
	c.app = app
	return app, nil
}

// prefix moves the field of a validation error under a nested object:
// ["body", "name"] becomes ["body", "application", "name"].
func prefix(err error, field string) error {
	he, ok := err.(*hookline.Error)
	if !ok || len(he.Field) == 0 || he.Field[0] != "body" {
		return err
	}
	f := append([]string{"body", field}, he.Field[1:]...)
	return &hookline.Error{Code: he.Code, Message: he.Message, Field: f}
}

// appPortalAccessIn asks for a token to an application's portal.
type appPortalAccessIn struct {
	Application  *applicationIn        `json:"application,omitempty" doc:"Creates the application when the path names it by a uid that does not exist yet; its uid must be the path's (422 otherwise)."`
	Expiry       *int64                `json:"expiry,omitempty" doc:"Seconds the token is valid for, 3600 to 604800; 604800 (7 days) by default."`
	FeatureFlags []string              `json:"featureFlags,omitempty" doc:"The feature flags the token is given: it sees an event type that has feature flags (in lists, by name, in an endpoint's filterTypes) only when one of them is among these. At most 100."`
	ReadOnly     *bool                 `json:"readOnly,omitempty" deprecated:"true" doc:"Deprecated, as in the Svix API: true is capabilities [\"ViewBase\"], a token that only reads, and never an endpoint's signing secret."`
	Capabilities []hookline.Capability `json:"capabilities,omitempty" doc:"What the token may do in the application. ViewBase reads it, never a signing secret; ViewEndpointSecret reads signing secrets; ManageEndpointSecret rotates and reads them; CreateAttempts sends messages, resends, recovers and sends examples; ManageEndpoint creates, changes and deletes endpoints and their settings, and reads and rotates their secrets; ManageTransformations is accepted and grants nothing (Hookline has no transformations). ViewBase is always granted: an empty list makes a read-only token. Without capabilities (and without readOnly: true) the token may do everything in the application, as with every capability."`
	SessionID    *string               `json:"sessionId,omitempty" doc:"The session the token is for, 1 to 64 characters of a-z, A-Z, 0-9, '@', '_' and '-': POST /api/v1/auth/app/{app_id}/expire-all with its sessionIds expires the tokens of those sessions only."`
}

// appPortalAccessOut is a token scoped to one application, and the portal URL.
type appPortalAccessOut struct {
	Token string `json:"token" doc:"A bearer token that reaches only this application's resources (and reads event types), as its capabilities allow; GET /api/v1/auth/whoami with it tells what it may do."`
	URL   string `json:"url" doc:"The app portal address, with the token in its fragment."`
}

const (
	minPortalExpiry     = int64(3600)
	maxPortalExpiry     = int64(7 * 24 * 3600)
	defaultPortalExpiry = maxPortalExpiry
)

// appPortalAccess creates a token scoped to the application, valid for
// expiry seconds, with the capabilities readOnly and capabilities grant
// (hookline.GrantCapabilities), and returns it with the portal URL
// PublicURL + "/app-portal#token=<token>", the App Portal (package
// portal), which keeps the token of the fragment and calls the API with
// it: what its capabilities allow under /api/v1/app/{app_id}, reading
// event types, and whoami, which tells the page what the token may do.
//
// Its response is never saved for idempotency-key replay: saved responses
// rest in the store in clear, and a bearer token must rest only as a hash.
func (s *Server) appPortalAccess(c *call) (int, any, error) {
	var in appPortalAccessIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	return s.portalAccess(c, in)
}

// portalAccess makes the token in asks for.
func (s *Server) portalAccess(c *call, in appPortalAccessIn) (int, any, error) {
	expiry := defaultPortalExpiry
	if in.Expiry != nil {
		if *in.Expiry < minPortalExpiry || *in.Expiry > maxPortalExpiry {
			return 0, nil, hookline.Invalid([]string{"body", "expiry"}, "must be between %d and %d seconds", minPortalExpiry, maxPortalExpiry)
		}
		expiry = *in.Expiry
	}
	caps, err := hookline.GrantCapabilities(in.ReadOnly != nil && *in.ReadOnly, in.Capabilities)
	if err != nil {
		return 0, nil, err
	}
	if err := hookline.CheckFeatureFlags(in.FeatureFlags); err != nil {
		return 0, nil, err
	}
	if len(in.FeatureFlags) == 0 {
		in.FeatureFlags = nil // none, stored as NULL
	}
	var session string
	if in.SessionID != nil {
		if err := hookline.CheckSessionID([]string{"body", "sessionId"}, *in.SessionID); err != nil {
			return 0, nil, err
		}
		session = *in.SessionID
	}
	app, err := c.loadOrCreateApp(in.Application)
	if err != nil {
		return 0, nil, err
	}
	secret := NewToken()
	now := time.Now().UTC()
	exp := now.Add(time.Duration(expiry) * time.Second)
	tok := &hookline.Token{
		ID:           hookline.NewID(hookline.PrefixToken),
		Hash:         HashToken(secret),
		AppID:        app.ID,
		Capabilities: caps,
		FeatureFlags: in.FeatureFlags,
		SessionID:    session,
		ExpiresAt:    &exp,
		CreatedAt:    now,
	}
	if err := s.store.CreateToken(c.ctx(), tok); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, appPortalAccessOut{Token: secret, URL: s.baseURL(c.r) + "/app-portal#token=" + secret}, nil
}

// dashboardAccess is the Svix API's deprecated form of appPortalAccess:
// no body, a token of the whole application for the longest expiry.
func (s *Server) dashboardAccess(c *call) (int, any, error) {
	return s.portalAccess(c, appPortalAccessIn{})
}

// logout deletes the token the request was made with.
func (s *Server) logout(c *call) (int, any, error) {
	return noContent(s.store.DeleteToken(c.ctx(), c.tok.ID))
}

// whoamiOut says what a token is, in the shape of the Svix API's WhoamiOut,
// with what the token may do.
type whoamiOut struct {
	AppID            *string                `json:"appId,omitempty" doc:"The application the token is scoped to; absent for an admin token."`
	PermissionSource string                 `json:"permissionSource" enum:"OidcJwt,SvixJwt,RegionalAuthToken,GlobalAuthToken,Unknown" doc:"The Svix API's kind of authentication; Hookline's tokens are none of its kinds: always Unknown."`
	SessionID        *string                `json:"sessionId,omitempty" doc:"The session the token was created for (app-portal-access's sessionId); absent when it has none."`
	Capabilities     *[]hookline.Capability `json:"capabilities,omitempty" doc:"A Hookline extension: what a token scoped to an application may do in it, every capability for a token of the whole application; absent for an admin token, which may do everything. A page can hide what the token cannot do."`
}

// whoami answers what the token of the request is: the application it is
// scoped to and what it may do there.
func (s *Server) whoami(c *call) (int, any, error) {
	out := whoamiOut{PermissionSource: "Unknown"}
	if c.tok.AppID != "" {
		caps := c.tok.Capabilities
		if c.tok.WholeApp() {
			caps = hookline.AllCapabilities()
		}
		out.AppID, out.Capabilities = &c.tok.AppID, &caps
	}
	if c.tok.SessionID != "" {
		out.SessionID = &c.tok.SessionID
	}
	return http.StatusOK, out, nil
}
