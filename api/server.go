// Package api serves Hookline's /api/v1: the Svix API, so that the official
// Svix SDKs work against Hookline unchanged.
//
// Every request but the health checks carries an API token
// ("Authorization: Bearer ..."). An admin token may do everything; a token
// scoped to an application (app-portal access) sees only that application
// and the event types, and does there what its capabilities allow
// (access.go). POST requests may carry an idempotency-key header:
// the first response for a key is replayed for later requests with the same
// key, token, method and path.
package api

//go:generate go test -run TestOpenAPIDocument -update .

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
	"github.com/hookline/hookline/operational"
	"github.com/hookline/hookline/telemetry"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxEndpointsPerApp is the default of Config.MaxEndpointsPerApp:
// enough for any receiver, few enough that one application cannot make a
// message fan out into thousands of requests.
const DefaultMaxEndpointsPerApp = 50

// DefaultSecretGracePeriod is how long a rotated-out endpoint secret keeps
// signing when Config.SecretGracePeriod is 0 and the rotation does not say.
const DefaultSecretGracePeriod = 24 * time.Hour

// Config configures a Server.
type Config struct {
	// Store holds the state. Required to serve requests (Routes works
	// without one).
	Store hookline.Store
	// Logger receives one line per request and the details of internal
	// errors. It never receives tokens, secrets or payloads. nil discards.
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body; a larger one is answered with 413.
	// 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// PublicURL is the address users reach the server at, such as
	// "https://hooks.example.com"; it prefixes the app-portal URLs. When
	// empty, the scheme and Host of the request are used.
	PublicURL string
	// SecretGracePeriod is how long an endpoint's previous secret keeps
	// signing deliveries after POST .../secret/rotate, when the request does
	// not give gracePeriodSeconds. 0 means DefaultSecretGracePeriod; a
	// negative value ends the previous secret at once.
	SecretGracePeriod time.Duration
	// Notifier, when set, is told of the endpoint.* operational events:
	// endpoint.created, .updated and .deleted by the endpoint operations,
	// and endpoint.disabled (trigger "manual") by an update that disables an
	// enabled endpoint, each after its store write succeeded. nil sends no
	// events.
	Notifier hookline.Notifier
	// Operational holds the operator's operational webhook endpoints, which
	// /api/v1/operational-webhook/endpoint manages. nil means an
	// operational.Notifier on Store, used only for that (it sends nothing
	// unless it is the Notifier too).
	Operational OperationalApp
	// EgressIPs are the addresses deliveries come from (through the egress
	// proxy), which GET /api/v1/egress-ips lists so that receivers can allow
	// them. Empty lists none.
	EgressIPs []netip.Addr
	// TrustedProxies are the reverse proxies in front of the server whose
	// X-Forwarded-For names the client, for the throttle of failed
	// authentications (see auththrottle.go). Empty trusts none: the client
	// is the peer.
	TrustedProxies []netip.Prefix
	// MaxEndpointsPerApp bounds the endpoints of an application: a create
	// past it is refused (422). 0 means DefaultMaxEndpointsPerApp; a
	// negative value sets no bound.
	MaxEndpointsPerApp int
	// HTTPSOnly refuses endpoints whose URL is plain http when they are
	// created or changed (422): the server delivers only over https.
	HTTPSOnly bool

	// Metrics, when set, registers the API's metrics on it:
	// hookline_http_requests_total and hookline_http_request_duration_seconds
	// by route and status code, hookline_messages_accepted_total.
	Metrics prometheus.Registerer
	// Tracing, when set, traces each request (continuing the trace of its
	// traceparent header) and the store transaction that accepts each
	// message, whose context is stored with it (Message.TraceParent).
	Tracing trace.TracerProvider
	// Ingest, when set, receives the requests of the inbound gateway's
	// sources (POST /ingest/in/{token}); nil: an ingest.Gateway on Store
	// without metrics.
	Ingest *ingest.Gateway
	// Actions are the actions an ingest endpoint may name (action:NAME);
	// nil defines none.
	Actions Actions

	// TaskCreated, when set, is called after a request stored a
	// background task (recover, replay-missing, bulk-replay,
	// expunge-all-contents), so that the process's runner starts on it at
	// once (background.Runner.Wake). nil: runners find it when they next
	// look.
	TaskCreated func()

	// MetricsHandler, when set, is served at GET /metrics to admin tokens
	// (401 and 403 in the Svix error shape to others). It is not an
	// operation of /api/v1, nor in the OpenAPI document.
	MetricsHandler http.Handler
}

// Server is the /api/v1 HTTP handler.
type Server struct {
	store        hookline.Store
	log          *slog.Logger
	maxBody      int64
	publicURL    string
	grace        time.Duration // SecretGracePeriod, resolved
	notifier     hookline.Notifier
	opApp        OperationalApp
	egressIPs    []string
	authFailures *authThrottle[netip.Prefix]
	// ingestFailures counts the refusals of ingest requests apart, per
	// source and address: a sender refused on one source is not slowed on
	// another, nor on the API.
	ingestFailures *authThrottle[ingestClient]
	maxEndpoints   int // 0: no bound
	httpsOnly      bool
	taskCreated    func()     // Config.TaskCreated; nil calls nothing
	appEndpoints   *endpoints // serves the endpoints of applications
	opEndpoints    *endpoints // serves the operational webhook endpoints
	inEndpoints    *endpoints // serves the ingest endpoints of sources
	gateway        *ingest.Gateway
	actions        Actions
	mux            *http.ServeMux
	handler        http.Handler // mux, measured and traced
	messages       *telemetry.Messages
	routes         []*route
	keys           keyLocks
	uses           tokenUses // when to record the use of a token
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	s := &Server{
		store:       cfg.Store,
		log:         cfg.Logger,
		maxBody:     cfg.MaxBodyBytes,
		publicURL:   strings.TrimRight(cfg.PublicURL, "/"),
		grace:       max(cfg.SecretGracePeriod, 0),
		notifier:    cfg.Notifier,
		opApp:       cfg.Operational,
		gateway:     cfg.Ingest,
		actions:     cfg.Actions,
		httpsOnly:   cfg.HTTPSOnly,
		taskCreated: cfg.TaskCreated,
		egressIPs:   make([]string, 0, len(cfg.EgressIPs)),
		mux:         http.NewServeMux(),

		authFailures:   newAuthThrottle[netip.Prefix](cfg.TrustedProxies, time.Now),
		ingestFailures: newAuthThrottle[ingestClient](cfg.TrustedProxies, time.Now),
		messages:       telemetry.NewMessages(cfg.Metrics, cfg.Tracing),
	}
	for _, ip := range cfg.EgressIPs {
		s.egressIPs = append(s.egressIPs, ip.String())
	}
	if s.opApp == nil && cfg.Store != nil {
		s.opApp = operational.New(operational.Config{Store: cfg.Store, Logger: cfg.Logger})
	}
	if cfg.SecretGracePeriod == 0 {
		s.grace = DefaultSecretGracePeriod
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	switch {
	case cfg.MaxEndpointsPerApp == 0:
		s.maxEndpoints = DefaultMaxEndpointsPerApp
	case cfg.MaxEndpointsPerApp > 0:
		s.maxEndpoints = cfg.MaxEndpointsPerApp
	}
	if s.gateway == nil && cfg.Store != nil {
		s.gateway = ingest.New(ingest.Config{Store: cfg.Store, Logger: cfg.Logger, Tracing: cfg.Tracing})
	}
	s.appEndpoints, s.opEndpoints, s.inEndpoints = newAppEndpoints(s), newOperationalEndpoints(s), newIngestEndpoints(s)
	s.routes = s.table()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.handle(rt))
	}
	if cfg.MetricsHandler != nil {
		s.mux.Handle("GET /metrics", s.metrics(cfg.MetricsHandler))
	}
	s.handler = telemetry.NewHTTP(cfg.Metrics, cfg.Tracing).Handler(http.HandlerFunc(s.route))
	return s
}

// Routes returns the operations the server serves, each as "METHOD /path"
// with Go ServeMux wildcards ({app_id}), sorted.
func (s *Server) Routes() []string {
	out := make([]string, 0, len(s.routes))
	for _, rt := range s.routes {
		out = append(out, rt.Method+" "+rt.Path)
	}
	sort.Strings(out)
	return out
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// route hands r to its route, or answers 404 or 405 in the Svix error
// shape. Every path also answers with a trailing slash, as svix-server's
// do (/api/v1/app/ is /api/v1/app).
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	if p := r.URL.Path; pattern == "" && len(p) > 1 && strings.HasSuffix(p, "/") {
		r.URL.Path, r.URL.RawPath = strings.TrimSuffix(p, "/"), strings.TrimSuffix(r.URL.RawPath, "/")
		_, pattern = s.mux.Handler(r)
	}
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// No route: learn from the mux whether that is a 404 or a 405 (and the
	// Allow header), then answer in the Svix error shape.
	rec := &statusRecorder{header: http.Header{}}
	s.mux.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	status := rec.status
	var body []byte
	if status == http.StatusMethodNotAllowed {
		body = mustJSON(httpError{Code: "method_not_allowed", Detail: "Method not allowed."})
	} else {
		status = http.StatusNotFound
		body = mustJSON(httpError{Code: "not_found", Detail: "No such path."})
	}
	writeRaw(w, status, body)
	s.logRequest(r, status, time.Now(), nil)
}

// route is one operation: its handler and what the OpenAPI document says of it.
type route struct {
	Method  string
	Path    string
	ID      string // operationId, as the Svix API names it
	Tag     string
	Summary string
	Doc     string
	Access  access
	In      any // a value of the request body type; nil when there is none
	// BodyOptional says an empty body counts as {}.
	BodyOptional bool
	Out          any   // a value of the response body type; nil when there is none
	Status       int   // the success status
	Also         []int // other success statuses (201 when PUT creates)
	Query        []param
	// NoReplay turns idempotency-key replay off, for responses that must
	// not rest in the store (a new token).
	NoReplay bool
	handle   func(c *call) (int, any, error)
}

// call is one request being served.
type call struct {
	s   *Server
	rt  *route
	r   *http.Request
	tok *hookline.Token // nil on public routes
	app *hookline.Application
	// retryAfter, when set, is sent as Retry-After with the answer.
	retryAfter time.Duration
}

func (c *call) ctx() context.Context { return c.r.Context() }

// admin reports whether the caller's token is not scoped to an application.
func (c *call) admin() bool { return c.tok != nil && c.tok.AppID == "" }

// handle wraps a route: body limit, authentication, access, idempotency,
// the Svix error shape, panics and the request log.
func (s *Server) handle(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		c := &call{s: s, rt: rt, r: r}
		status, body, err := s.serve(c, rt)
		if c.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((c.retryAfter+time.Second-1)/time.Second)))
		}
		writeRaw(w, status, body)
		s.logRequest(r, status, start, err)
	})
}

// metrics serves h, the metrics, to admin tokens only.
func (s *Server) metrics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		tok, err := s.authenticate(r)
		if err == nil && tok.AppID != "" {
			err = errAdminOnly
		}
		if err != nil {
			status, body, err := render(0, nil, err)
			writeRaw(w, status, body)
			s.logRequest(r, status, start, err)
			return
		}
		h.ServeHTTP(w, r)
		s.logRequest(r, http.StatusOK, start, nil)
	})
}

// serve runs the route and returns the response to write. err is the error
// behind a 5xx status, for the log.
func (s *Server) serve(c *call, rt *route) (int, []byte, error) {
	if rt.Access != public {
		client := s.authFailures.client(c.r)
		if c.retryAfter = s.authFailures.wait(client); c.retryAfter > 0 {
			return render(0, nil, hookline.Errorf(hookline.ETOOMANY,
				"Too many failed authentications from this address; try again later."))
		}
		tok, err := s.authenticate(c.r)
		if hookline.ErrorCode(err) == hookline.EUNAUTHORIZED {
			s.authFailures.failed(client)
		}
		if err != nil {
			return render(0, nil, err)
		}
		c.tok = tok
		if err := rt.Access.permit(tok); err != nil {
			return render(0, nil, err)
		}
	}
	// No store keeps an id that is not storable text, so none is found,
	// alike on every store (PostgreSQL would refuse to compare it).
	if !hookline.StorableText(c.r.URL.Path) {
		return render(0, nil, notFound("Entity"))
	}
	if key := c.r.Header.Get("Idempotency-Key"); key != "" && c.r.Method == http.MethodPost && c.tok != nil && !rt.NoReplay {
		return s.idempotent(c, rt, key)
	}
	return s.run(c, rt)
}

// run calls the route's handler, turning a panic into a 500.
func (s *Server) run(c *call, rt *route) (status int, body []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("api: panic", "method", c.r.Method, "path", hookline.RedactedPath(c.r.URL.Path), "panic", p)
			status, body, err = render(0, nil, hookline.Errorf(hookline.EINTERNAL, "panic"))
		}
	}()
	st, v, herr := rt.handle(c)
	return render(st, v, herr)
}

// noContent is the result of a handler that answers 204 unless err is not
// nil.
func noContent(err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// logRequest logs a request that succeeded at the debug level, one the
// client got wrong (4xx) at info, and one the server failed (5xx) at error,
// with the reason. At info, every request would cost a log line: a write to
// standard error, about 5 µs of CPU, a tenth of an ingest request's handling.
func (s *Server) logRequest(r *http.Request, status int, start time.Time, err error) {
	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelInfo
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", hookline.RedactedPath(r.URL.Path)),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
	}
	if status >= 500 && err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	s.log.LogAttrs(ctx, level, "api request", attrs...)
}

// baseURL returns PublicURL, or the address the request was sent to.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// statusRecorder keeps the status and headers a handler writes and drops
// its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}
