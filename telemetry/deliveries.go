package telemetry

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
)

// Outcome is how a delivery attempt ended: the outcome label.
type Outcome int

const (
	// Success: the endpoint answered 2xx.
	Success Outcome = iota
	// Failure: the endpoint answered, but not 2xx.
	Failure
	// Error: no answer: the connection was refused or timed out, the
	// egress policy refused the address, or the request could not be sent.
	Error
)

var outcomeNames = [...]string{Success: "success", Failure: "failure", Error: "error"}

// String returns the outcome's label value.
func (o Outcome) String() string { return outcomeNames[o] }

// DisableReason is why a dispatcher disabled an endpoint: the reason label.
type DisableReason int

const (
	// Gone: the endpoint answered 410 Gone.
	Gone DisableReason = iota
	// Failing: its attempts had all failed for longer than allowed.
	Failing
)

var disableReasonNames = [...]string{Gone: "gone", Failing: "failing"}

// String returns the reason's label value.
func (r DisableReason) String() string { return disableReasonNames[r] }

// DeliveriesConfig configures the telemetry of a dispatcher.
type DeliveriesConfig struct {
	// Metrics, when set, registers the metrics of the attempts, the
	// disabled endpoints and the open circuit breakers.
	Metrics prometheus.Registerer
	// Tracing, when set, traces each attempt.
	Tracing trace.TracerProvider
	// PropagateTrace sends each attempt's trace context to the endpoint in
	// a W3C traceparent header (with Tracing only).
	PropagateTrace bool
	// OpenBreakers, with Metrics, counts the endpoints whose circuit
	// breaker is open (hookline_circuit_breakers_open), at each scrape.
	OpenBreakers func() int
}

// Deliveries is the telemetry of a dispatcher. A nil *Deliveries records
// nothing.
type Deliveries struct {
	attempts  [len(outcomeNames)]prometheus.Counter
	durations [len(outcomeNames)]prometheus.Observer
	latency   prometheus.Observer
	disabled  [len(disableReasonNames)]prometheus.Counter
	tracer    trace.Tracer
	propagate bool
}

// NewDeliveries returns the telemetry cfg describes, nil when it has
// neither Metrics nor Tracing.
func NewDeliveries(cfg DeliveriesConfig) *Deliveries {
	if cfg.Metrics == nil && cfg.Tracing == nil {
		return nil
	}
	d := &Deliveries{tracer: tracer(cfg.Tracing), propagate: cfg.PropagateTrace && cfg.Tracing != nil}
	reg := cfg.Metrics
	if reg == nil {
		return d
	}
	attempts := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "attempts_total",
		Help: "Delivery attempts, by outcome: success (a 2xx answer), failure (another answer) or error (no answer: refused, timed out, egress refusal).",
	}, []string{"outcome"}))
	durations := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "attempt_duration_seconds",
		Help:    "Time a delivery attempt took, from sending the request to the end of the answer, by outcome.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30, 60},
	}, []string{"outcome"}))
	for o, name := range outcomeNames {
		d.attempts[o] = attempts.WithLabelValues(name)
		d.durations[o] = durations.WithLabelValues(name)
	}
	d.latency = register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "delivery_latency_seconds",
		Help: "Time from a message's creation (or its deliverAt) to the end of the first successful attempt of each of its deliveries; retries included, manual resends not.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600,
			4 * 3600, 12 * 3600, 24 * 3600},
	}))
	disabled := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "endpoints_disabled_total",
		Help: "Endpoints the dispatcher disabled, by reason: gone (it answered 410) or failing (its attempts all failed for longer than --disable-after).",
	}, []string{"reason"}))
	for r, name := range disableReasonNames {
		d.disabled[r] = disabled.WithLabelValues(name)
	}
	if cfg.OpenBreakers != nil {
		register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "circuit_breakers_open",
			Help: "Endpoints whose circuit breaker is open in this process: their deliveries wait in the store until it lets a probe through.",
		}, func() float64 { return float64(cfg.OpenBreakers()) }))
	}
	return d
}

// Attempt is the span of a delivery attempt; the zero Attempt has none.
type Attempt struct{ span trace.Span }

// StartAttempt starts the span of an attempt of t, a client span whose
// parent is the span that accepted its message (t.Message.TraceParent)
// when the message has one, and returns ctx with it.
func (d *Deliveries) StartAttempt(ctx context.Context, t *hookline.Task) (context.Context, Attempt) {
	if d == nil || d.tracer == nil {
		return ctx, Attempt{}
	}
	if t.Message.TraceParent != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{traceparent: t.Message.TraceParent})
	}
	ctx, span := d.tracer.Start(ctx, "deliver", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", http.MethodPost),
		attribute.String("server.address", hookline.URLHost(t.Endpoint.URL)),
		attribute.String("hookline.app_id", t.Delivery.AppID),
		attribute.String("hookline.endpoint_id", t.Delivery.EndpointID),
		attribute.String("hookline.message_id", t.Delivery.MessageID),
		attribute.Int("hookline.attempt", t.Delivery.Attempts+1)))
	return ctx, Attempt{span: span}
}

// Inject sets the traceparent header of an attempt's request to the trace
// context of ctx (StartAttempt's), when the dispatcher propagates traces.
func (d *Deliveries) Inject(ctx context.Context, h http.Header) {
	if d == nil || !d.propagate {
		return
	}
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(h))
}

// EndAttempt counts an attempt by outcome and observes its duration, and
// ends its span with the status the endpoint answered (0: none) and, when
// it did not succeed, the reason.
func (d *Deliveries) EndAttempt(a Attempt, o Outcome, status int, took time.Duration, reason string) {
	if d == nil {
		return
	}
	if d.attempts[o] != nil {
		d.attempts[o].Inc()
		d.durations[o].Observe(took.Seconds())
	}
	if a.span == nil {
		return
	}
	a.span.SetAttributes(attribute.String("hookline.outcome", o.String()))
	if status != 0 {
		a.span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	if o != Success {
		a.span.SetStatus(codes.Error, reason)
	}
	a.span.End()
}

// Delivered observes the latency of a delivery whose first successful
// attempt ended latency after its message was due.
func (d *Deliveries) Delivered(latency time.Duration) {
	if d == nil || d.latency == nil {
		return
	}
	d.latency.Observe(latency.Seconds())
}

// EndpointDisabled counts an endpoint the dispatcher disabled.
func (d *Deliveries) EndpointDisabled(r DisableReason) {
	if d == nil || d.disabled[r] == nil {
		return
	}
	d.disabled[r].Inc()
}
