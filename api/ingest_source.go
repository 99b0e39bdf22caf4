package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
)

// The sources of the inbound gateway, under /ingest/api/v1/source, in the
// shapes of Svix's Ingest API (see the ingest package).

// ingestSourceIn creates or replaces a source.
type ingestSourceIn struct {
	Name string  `json:"name" api:"required" doc:"2 to 256 characters."`
	UID  *string `json:"uid,omitempty" doc:"A unique id of the caller's choice, usable in place of the id; it may not start with src_."`
	Type string  `json:"type" api:"required" enum:"generic-webhook,github,stripe,shopify,slack,svix,cron" doc:"The provider: its signature is verified, its delivery id de-duplicated on. svix covers Svix and Standard Webhooks senders (svix-* or webhook-* headers, v1 and v1a). cron fires config.payload on config.schedule."`
	// Config is SourceConfig: what the type needs and Hookline's
	// extensions.
	Config   *hookline.SourceConfig `json:"config,omitempty" doc:"secret for github (optional), stripe, shopify, slack and svix; schedule, payload and contentType for cron. Hookline's extensions, for any type but cron: allowedNetworks, replayWindowSeconds, dedupHeader, dedupPointer, dedupWindowSeconds, basicAuth, headerAuth, hmac, clientCa."`
	Metadata map[string]string      `json:"metadata,omitempty"`
}

// ingestSourcePatch changes the fields it holds.
type ingestSourcePatch struct {
	Name     *string                `json:"name,omitempty"`
	UID      *string                `json:"uid,omitempty" doc:"null removes the uid."`
	Metadata map[string]string      `json:"metadata,omitempty"`
	Config   *hookline.SourceConfig `json:"config,omitempty" doc:"A Hookline extension: replaces the config's settings, but a secret it leaves out (secret, basicAuth.password, headerAuth.value, hmac.secret) is kept, as GET shows the config without them. PUT replaces the whole config."`
}

// ingestSourceOut is a source, without its secrets.
type ingestSourceOut struct {
	ID        string                `json:"id"`
	UID       *string               `json:"uid,omitempty"`
	Name      string                `json:"name"`
	Type      string                `json:"type"`
	Config    ingestSourceConfigOut `json:"config" doc:"The config without its secrets."`
	IngestURL *string               `json:"ingestUrl,omitempty" doc:"Where the provider POSTs; none for a cron source. The token in it is not the authentication: verification is."`
	Metadata  map[string]string     `json:"metadata"`
	CreatedAt jsonTime              `json:"createdAt"`
	UpdatedAt jsonTime              `json:"updatedAt"`
}

// ingestSourceConfigOut is a source's config as the API shows it: every
// setting but the secrets.
type ingestSourceConfigOut struct {
	Schedule            string                     `json:"schedule,omitempty"`
	Payload             string                     `json:"payload,omitempty"`
	ContentType         *string                    `json:"contentType,omitempty"`
	AllowedNetworks     []string                   `json:"allowedNetworks,omitempty"`
	ReplayWindowSeconds *int                       `json:"replayWindowSeconds,omitempty"`
	DedupHeader         string                     `json:"dedupHeader,omitempty"`
	DedupPointer        string                     `json:"dedupPointer,omitempty"`
	DedupWindowSeconds  *int                       `json:"dedupWindowSeconds,omitempty"`
	BasicAuth           *ingestSourceBasicAuthOut  `json:"basicAuth,omitempty"`
	HeaderAuth          *ingestSourceHeaderAuthOut `json:"headerAuth,omitempty"`
	HMAC                *ingestSourceHMACOut       `json:"hmac,omitempty"`
	ClientCA            string                     `json:"clientCa,omitempty"`
}

type ingestSourceBasicAuthOut struct {
	Username string `json:"username"`
}

type ingestSourceHeaderAuthOut struct {
	Header string `json:"header"`
}

type ingestSourceHMACOut struct {
	Header          string `json:"header"`
	Algorithm       string `json:"algorithm,omitempty"`
	Encoding        string `json:"encoding,omitempty"`
	Prefix          string `json:"prefix,omitempty"`
	SignedContent   string `json:"signedContent,omitempty"`
	TimestampHeader string `json:"timestampHeader,omitempty"`
}

// rotateTokenOut is the new ingest URL.
type rotateTokenOut struct {
	IngestURL string `json:"ingestUrl"`
}

func (s *Server) ingestSourceOutOf(c *call, src *hookline.Source) ingestSourceOut {
	cfg := src.Config
	out := ingestSourceOut{
		ID: src.ID, UID: src.UID, Name: src.Name, Type: src.Type, Metadata: metadataOut(src.Metadata),
		CreatedAt: jsonTime(src.CreatedAt), UpdatedAt: jsonTime(src.UpdatedAt),
		Config: ingestSourceConfigOut{
			Schedule: cfg.Schedule, Payload: cfg.Payload, ContentType: cfg.ContentType, AllowedNetworks: cfg.AllowedNetworks,
			ReplayWindowSeconds: cfg.ReplayWindowSeconds, DedupHeader: cfg.DedupHeader, DedupPointer: cfg.DedupPointer,
			DedupWindowSeconds: cfg.DedupWindowSeconds, ClientCA: cfg.ClientCA,
		},
	}
	if b := cfg.BasicAuth; b != nil {
		out.Config.BasicAuth = &ingestSourceBasicAuthOut{Username: b.Username}
	}
	if h := cfg.HeaderAuth; h != nil {
		out.Config.HeaderAuth = &ingestSourceHeaderAuthOut{Header: h.Header}
	}
	if h := cfg.HMAC; h != nil {
		out.Config.HMAC = &ingestSourceHMACOut{Header: h.Header, Algorithm: h.Algorithm, Encoding: h.Encoding, Prefix: h.Prefix,
			SignedContent: h.SignedContent, TimestampHeader: h.TimestampHeader}
	}
	if src.Type != hookline.SourceCron {
		u := s.ingestURL(c, src.Token)
		out.IngestURL = &u
	}
	return out
}

// ingestURL is the URL a source with token receives at.
func (s *Server) ingestURL(c *call, token string) string {
	return s.baseURL(c.r) + ingest.URLPath(token)
}

// loadSource returns the source the path names by id or uid ({source_id}).
func (c *call) loadSource() (*hookline.Source, error) {
	src, err := c.s.store.Source(c.ctx(), c.r.PathValue("source_id"))
	if err != nil {
		return nil, orNotFound(err, "Source")
	}
	return src, nil
}

// sourceApp returns the internal application of the source of the path,
// whose endpoints are the source's ingest endpoints.
func (c *call) sourceApp() (*hookline.Application, error) {
	if c.app != nil {
		return c.app, nil
	}
	src, err := c.loadSource()
	if err != nil {
		return nil, err
	}
	if c.app, err = c.s.store.Application(c.ctx(), src.AppID); err != nil {
		return nil, err
	}
	return c.app, nil
}

// inSource serves h, a handler of the messages, attempts and endpoints of
// an application, for the internal application of the source of the path.
func inSource(h func(c *call) (int, any, error)) func(c *call) (int, any, error) {
	return func(c *call) (int, any, error) {
		if _, err := c.sourceApp(); err != nil {
			return 0, nil, err
		}
		return h(c)
	}
}

// sourceOf returns the source that in describes, checked.
func (s *Server) sourceOf(in *ingestSourceIn) (*hookline.Source, error) {
	src := &hookline.Source{Name: in.Name, UID: in.UID, Type: in.Type, Metadata: in.Metadata}
	if in.Config != nil {
		src.Config = *in.Config
	}
	return src, s.checkSource(src)
}

// checkSource validates src and its config.
func (s *Server) checkSource(src *hookline.Source) error {
	if err := src.Validate(); err != nil {
		return err
	}
	return s.gateway.Check(src)
}

func (s *Server) listSources(c *call) (int, any, error) {
	p, err := c.query().page(false, true, hookline.PrefixSource)
	if err != nil {
		return 0, nil, err
	}
	got, err := s.store.ListSources(c.ctx(), p.opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(src *hookline.Source) string { return src.ID },
		func(src *hookline.Source) ingestSourceOut { return s.ingestSourceOutOf(c, src) }), nil
}

func (s *Server) createSource(c *call) (int, any, error) {
	var in ingestSourceIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	return s.createSourceFrom(c, &in)
}

func (s *Server) getSource(c *call) (int, any, error) {
	src, err := c.loadSource()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.ingestSourceOutOf(c, src), nil
}

// upsertSource replaces a source's settings, keeping its token (200), or
// creates it (201) when the path names it by a uid that is free.
func (s *Server) upsertSource(c *call) (int, any, error) {
	var in ingestSourceIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	pathID := c.r.PathValue("source_id")
	old, err := s.store.Source(c.ctx(), pathID)
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		if strings.HasPrefix(pathID, hookline.PrefixSource) {
			return 0, nil, notFound("Source")
		}
		if in.UID = uidToCreate(in.UID, pathID); in.UID == nil {
			return 0, nil, notFound("Source")
		}
		return s.createSourceFrom(c, &in)
	}
	if err != nil {
		return 0, nil, err
	}
	next, err := s.sourceOf(&in)
	if err != nil {
		return 0, nil, err
	}
	return s.saveSource(c, old, next)
}

// createSourceFrom creates the source in describes (201).
func (s *Server) createSourceFrom(c *call, in *ingestSourceIn) (int, any, error) {
	src, err := s.sourceOf(in)
	if err != nil {
		return 0, nil, err
	}
	if err := ingest.Create(c.ctx(), s.store, src); err != nil {
		return 0, nil, err
	}
	s.warnUnverified(src)
	s.gateway.SourcesChanged()
	return http.StatusCreated, s.ingestSourceOutOf(c, src), nil
}

// warnUnverified logs, for the operator, a source that verifies nothing:
// its URL alone lets anyone in.
func (s *Server) warnUnverified(src *hookline.Source) {
	if !ingest.Verifies(src) {
		s.log.Warn("ingest: the source verifies nothing: anyone who has its URL is accepted", "source_id", src.ID, "source_type", src.Type)
	}
}

// warnRemovedChecks logs, for the operator, the checks old had that next,
// its new settings, has not: a full replace (PUT, which the SDKs' upsert
// and update send with only the config their types know) drops Hookline's
// extensions silently otherwise.
func (s *Server) warnRemovedChecks(old, next *hookline.Source) {
	kept := ingest.Checks(next)
	var removed []string
	for _, name := range ingest.Checks(old) {
		if !slices.Contains(kept, name) {
			removed = append(removed, name)
		}
	}
	if len(removed) > 0 {
		s.log.Warn("ingest: a change removed checks of the source", "source_id", next.ID, "source_type", next.Type,
			"removed", strings.Join(removed, ","))
	}
}

// checkActions refuses next, the new settings of a source, when they
// verify nothing while one of the source's endpoints runs an action.
func (s *Server) checkActions(c *call, next *hookline.Source) error {
	if ingest.Verifies(next) {
		return nil
	}
	eps, err := s.endpointsOf(c, next.AppID)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if _, isAction := hookline.ActionName(ep.URL); isAction {
			return ingest.CheckAction(next, "body", "config")
		}
	}
	return nil
}

// saveSource stores next, the new settings of old, with old's identity
// and tokens.
func (s *Server) saveSource(c *call, old, next *hookline.Source) (int, any, error) {
	next.ID, next.AppID, next.CreatedAt = old.ID, old.AppID, old.CreatedAt
	next.Token, next.PreviousTokenHash, next.PreviousTokenExpires = old.Token, old.PreviousTokenHash, old.PreviousTokenExpires
	next.UpdatedAt = time.Now().UTC()
	if err := s.checkActions(c, next); err != nil {
		return 0, nil, err
	}
	if err := s.store.UpdateSource(c.ctx(), next); err != nil {
		return 0, nil, err
	}
	s.warnUnverified(next)
	s.warnRemovedChecks(old, next)
	s.gateway.SourcesChanged()
	return http.StatusOK, s.ingestSourceOutOf(c, next), nil
}

func (s *Server) patchSource(c *call) (int, any, error) {
	var in ingestSourcePatch
	f, err := c.decode(&in)
	if err != nil {
		return 0, nil, err
	}
	old, err := c.loadSource()
	if err != nil {
		return 0, nil, err
	}
	next := *old
	if in.Name != nil {
		next.Name = *in.Name
	}
	if f.has("uid") {
		next.UID = in.UID
	}
	if in.Metadata != nil {
		next.Metadata = in.Metadata
	}
	if in.Config != nil {
		next.Config = *in.Config
		next.Config.KeepSecrets(&old.Config)
	}
	if err := s.checkSource(&next); err != nil {
		return 0, nil, err
	}
	return s.saveSource(c, old, &next)
}

func (s *Server) deleteSource(c *call) (int, any, error) {
	src, err := c.loadSource()
	if err != nil {
		return 0, nil, err
	}
	return noContent(ingest.Delete(c.ctx(), s.store, src))
}

// TokenGracePeriod is how long a source's previous token still works
// after a rotation.
const TokenGracePeriod = 48 * time.Hour

// rotateToken gives the source a new token; the previous one still works
// for TokenGracePeriod (only the latest previous one: a second rotation
// within the period ends the first token at once).
func (s *Server) rotateToken(c *call) (int, any, error) {
	src, err := c.loadSource()
	if err != nil {
		return 0, nil, err
	}
	exp := time.Now().UTC().Add(TokenGracePeriod)
	next := *src
	next.PreviousTokenHash, next.PreviousTokenExpires = hookline.TokenHash(src.Token), &exp
	next.Token = ingest.NewToken()
	next.UpdatedAt = time.Now().UTC()
	if err := s.store.UpdateSource(c.ctx(), &next); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rotateTokenOut{IngestURL: s.ingestURL(c, next.Token)}, nil
}
