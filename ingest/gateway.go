// Package ingest is Hookline's inbound gateway: sources (hookline.Source)
// that receive webhooks from providers (GitHub, Stripe, Shopify, Slack, Svix
// and Standard Webhooks senders, anyone with an HMAC), verify them,
// de-duplicate them on the provider's delivery id (and, when their signature
// covers no timestamp, on their body), store them, and have
// them delivered to the source's ingest endpoints; and cron sources, which
// fire a stored request on a schedule.
//
// A source is delivered through Hookline itself. Its ingest endpoints are
// the endpoints of an internal application of its own (see IsInternal), and
// each request it accepts is a message of that application, stored in the
// transaction that records it (Store.Receive), with its body byte for byte,
// its content type and its headers (less its signature, its credentials and
// those of the connection). The dispatcher delivers it like any message:
// retries, the attempt log, resend, recover, limits, the circuit breaker,
// the network policy, and a Standard Webhooks signature under each ingest
// endpoint's secret; an endpoint whose URL is "action:NAME" runs the
// operator's action NAME instead (see the action package).
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/telemetry"
)

// The internal application of a source is marked as Hookline's, as the
// operational webhooks' is: its uid is AppUIDPrefix and the source's id,
// and its metadata holds the marker.
const (
	AppUIDPrefix = "hookline-ingest-"
	markerKey    = "hookline.internal"
	markerValue  = "ingest-source"
)

// Retention is how long the body of a received request is kept.
const Retention = 90 * 24 * time.Hour

// IsInternal reports whether app is the internal application of a source,
// which the tenant API does not show.
func IsInternal(app *hookline.Application) bool {
	return app != nil && app.UID != nil && strings.HasPrefix(*app.UID, AppUIDPrefix) && app.Metadata[markerKey] == markerValue
}

// NewApplication returns the internal application of the source srcID.
func NewApplication(srcID string) *hookline.Application {
	uid := AppUIDPrefix + srcID
	return &hookline.Application{UID: &uid, Name: "Hookline ingest source " + srcID, Metadata: map[string]string{markerKey: markerValue}}
}

// Config configures a Gateway.
type Config struct {
	// Store holds the sources, their applications and their logs. Required.
	Store hookline.Store
	// Logger receives a line for every refused request (the source, the
	// sender's address and the reason; never a secret). nil discards.
	Logger *slog.Logger
	// Metrics, when set, registers hookline_ingest_requests_total on it.
	Metrics prometheus.Registerer
	// Tracing, when set, traces the transaction that stores a request's
	// message (an "accept message" span, a child of the request's), and
	// stores its context with the message, as the API does for its own:
	// the message's delivery attempts continue the request's trace.
	Tracing trace.TracerProvider
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Retention is how long the store keeps what a source received
	// (serve's --retention); 0 keeps it forever. A delivery id is
	// remembered no longer: it caps every de-duplication window (see
	// Check and DedupWindow).
	Retention time.Duration
}

// Gateway receives the requests of sources.
type Gateway struct {
	store     hookline.Store
	log       *slog.Logger
	now       func() time.Time
	retention time.Duration
	requests  *prometheus.CounterVec
	messages  *telemetry.Messages
	changed   chan struct{} // see SourcesChanged
}

// New returns a Gateway for cfg.
func New(cfg Config) *Gateway {
	g := &Gateway{store: cfg.Store, log: cfg.Logger, now: cfg.Now, retention: cfg.Retention, changed: make(chan struct{}, 1),
		// Traced, not counted in hookline_messages_accepted_total:
		// hookline_ingest_requests_total counts what sources accept.
		messages: telemetry.NewMessages(nil, cfg.Tracing)}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookline_ingest_requests_total",
		Help: "Requests received by sources, by source type and outcome (accepted, duplicate, refused, challenge).",
	}, []string{"source_type", "outcome"})
	if cfg.Metrics != nil {
		cfg.Metrics.MustRegister(g.requests)
	}
	return g
}

// ErrRefused is the error of a request that failed verification. It says
// nothing of which check failed: the log and the source's log do.
var ErrRefused = hookline.Errorf(hookline.EUNAUTHORIZED, "Webhook verification failed.")

// errNoRequests refuses a request to a cron source.
var errNoRequests = hookline.Errorf(hookline.ENOTFOUND, "Source not found.")

// Receive handles a request src received from client, whose body was read
// within its limit: it verifies it, and stores it with a delivery to each
// enabled ingest endpoint of src unless it is a duplicate of a delivery
// received within the window. It returns nil once the request is durable
// (answer 2xx: a duplicate too; 200 with the challenge for Slack's URL
// check, which is recorded, not forwarded), ErrRefused when verification failed (401;
// the refusal is logged and recorded in the source's log), or the store's
// error.
func (g *Gateway) Receive(ctx context.Context, src *hookline.Source, r *http.Request, client netip.Addr, body []byte) (*hookline.Received, error) {
	if src.Type == hookline.SourceCron {
		return nil, errNoRequests
	}
	rec := &hookline.Received{RemoteAddr: client.String(), Headers: keptHeaders(src, r.Header)}
	v, err := newVerifier(src, g.now)
	if err == nil {
		err = v.verify(r, client, body)
	}
	if err != nil {
		g.requests.WithLabelValues(src.Type, hookline.ReceivedRefused).Inc()
		g.log.Warn("ingest: request refused", "source_id", src.ID, "source_type", src.Type, "remote", rec.RemoteAddr, "reason", err.Error())
		rec.StatusCode, rec.Outcome, rec.Reason = http.StatusUnauthorized, hookline.ReceivedRefused, err.Error()
		if err := g.store.Receive(ctx, src, rec, nil, 0); err != nil {
			g.log.Error("ingest: cannot record a refused request", "source_id", src.ID, "error", err.Error())
		}
		return rec, ErrRefused
	}
	if challenge, ok := urlCheck(src, body); ok {
		rec.StatusCode, rec.Outcome, rec.Challenge = http.StatusOK, hookline.ReceivedChallenge, challenge
		if err := g.store.Receive(ctx, src, rec, nil, 0); err != nil {
			return nil, err
		}
		g.requests.WithLabelValues(src.Type, rec.Outcome).Inc()
		return rec, nil
	}
	rec.DeliveryID = deliveryID(src, r.Header, body)
	if v.signsNoTimestamp() {
		sum := sha256.Sum256(body)
		rec.BodyHash = hex.EncodeToString(sum[:])
	}
	rec.StatusCode = http.StatusNoContent
	contentType := r.Header.Get("Content-Type")
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	msg := g.message(src, rec, eventType(src, r.Header, body), body, contentType)
	if err := g.accept(ctx, src, rec, msg, g.DedupWindow(src.Config.DedupWindow())); err != nil {
		return nil, err
	}
	g.requests.WithLabelValues(src.Type, rec.Outcome).Inc()
	return rec, nil
}

// accept stores rec with msg (Store.Receive) in the transaction that
// accepts msg, traced as the API's are (telemetry.Messages.Accept). The
// number of deliveries is not known: Receive does not tell it.
func (g *Gateway) accept(ctx context.Context, src *hookline.Source, rec *hookline.Received, msg *hookline.Message, window time.Duration) error {
	_, err := g.messages.Accept(ctx, msg, func(ctx context.Context) (int, error) {
		return telemetry.UnknownDeliveries, g.store.Receive(ctx, src, rec, msg, window)
	})
	return err
}

// Check is the package's Check, and refuses a dedupWindowSeconds longer
// than the retention: the store deletes what a source received after it,
// and with it the delivery ids.
func (g *Gateway) Check(src *hookline.Source) error {
	if err := Check(src); err != nil {
		return err
	}
	if w := src.Config.DedupWindowSeconds; w != nil && g.retention > 0 && time.Duration(*w)*time.Second > g.retention {
		return hookline.Invalid(field("dedupWindowSeconds"), "must not exceed the server's --retention (%s): a delivery id is forgotten with the request", g.retention)
	}
	return nil
}

// DedupWindow returns window, a source's de-duplication window, at most
// the retention (0: forever), past which the store has deleted the
// delivery ids.
func (g *Gateway) DedupWindow(window time.Duration) time.Duration {
	if g.retention > 0 {
		return min(window, g.retention)
	}
	return window
}

// maxChallengeLen bounds the challenge a URL check may have echoed.
const maxChallengeLen = 1024

// urlCheck reports whether body, verified, is the provider's check that
// the URL is its receiver, rather than an event, and returns the challenge
// to answer it with: Slack's url_verification, sent when an app's Events
// API request URL is set, which must be answered with its challenge.
func urlCheck(src *hookline.Source, body []byte) (challenge string, ok bool) {
	if src.Type != hookline.SourceSlack {
		return "", false
	}
	var check struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(body, &check) != nil || check.Type != "url_verification" ||
		check.Challenge == "" || len(check.Challenge) > maxChallengeLen {
		return "", false
	}
	return check.Challenge, true
}

// message is the message a received request becomes.
func (g *Gateway) message(src *hookline.Source, rec *hookline.Received, typ string, body []byte, contentType string) *hookline.Message {
	now := g.now().UTC()
	m := &hookline.Message{
		// The id is made here for the span that accepts it to name it.
		ID:    hookline.NewID(hookline.PrefixMessage),
		AppID: src.AppID, EventType: typ, Payload: body, ContentType: contentType, Headers: rec.Headers,
		CreatedAt: now, ExpiresAt: now.Add(Retention),
		// The tag names the source: an action gets it (HOOKLINE_SOURCE_ID).
		Tags: []string{src.ID},
	}
	if m.Payload == nil {
		m.Payload = []byte{}
	}
	if rec.DeliveryID != "" {
		id := rec.DeliveryID
		m.EventID = &id
	}
	return m
}

// Sources holds what Create and Delete need of a store.
type Sources interface {
	hookline.Applications
	hookline.Sources
}

// Create stores src with its internal application, and a new token when it
// has none.
func Create(ctx context.Context, store Sources, src *hookline.Source) error {
	if src.ID == "" {
		src.ID = hookline.NewID(hookline.PrefixSource)
	}
	if src.Token == "" {
		src.Token = NewToken()
	}
	app := NewApplication(src.ID)
	if err := store.CreateApplication(ctx, app); err != nil {
		return err
	}
	src.AppID = app.ID
	if err := store.CreateSource(ctx, src); err != nil {
		// The application alone would be an orphan, hidden and harmless;
		// delete it anyway.
		return errors.Join(err, ignoreNotFound(store.DeleteApplication(context.WithoutCancel(ctx), app.ID)))
	}
	return nil
}

// Delete deletes src, its log, and its application with the application's
// endpoints, messages and deliveries.
func Delete(ctx context.Context, store Sources, src *hookline.Source) error {
	if err := store.DeleteSource(ctx, src.ID); err != nil {
		return err
	}
	return ignoreNotFound(store.DeleteApplication(ctx, src.AppID))
}

func ignoreNotFound(err error) error {
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return nil
	}
	return err
}
