package telemetry

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
)

// Messages is the telemetry of the messages an API accepts:
// hookline_messages_accepted_total, and a span for the store transaction
// that accepts each. A nil *Messages records nothing.
type Messages struct {
	accepted prometheus.Counter
	tracer   trace.Tracer
}

// NewMessages returns the Messages telemetry that registers its metric on
// reg and traces with tp, either of which may be nil; nil when both are.
func NewMessages(reg prometheus.Registerer, tp trace.TracerProvider) *Messages {
	if reg == nil && tp == nil {
		return nil
	}
	m := &Messages{tracer: tracer(tp)}
	if reg != nil {
		m.accepted = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "messages_accepted_total",
			Help: "Messages the API accepted (stored with their deliveries).",
		}))
	}
	return m
}

// UnknownDeliveries is what create returns to Accept for the number of
// deliveries when the store does not tell it: the span then has no
// hookline.deliveries attribute.
const UnknownDeliveries = -1

// Accept runs create, the store transaction that accepts msg and returns
// the number of its deliveries, and counts msg when it succeeds. With tracing, create runs in a span, a child of
// ctx's, whose context is first written into msg.TraceParent: stored with
// the message, it makes the span the parent of the spans of the message's
// delivery attempts (Deliveries.StartAttempt).
func (m *Messages) Accept(ctx context.Context, msg *hookline.Message, create func(context.Context) (int, error)) (int, error) {
	if m == nil {
		return create(ctx)
	}
	var span trace.Span
	if m.tracer != nil {
		ctx, span = m.tracer.Start(ctx, "accept message", trace.WithAttributes(
			attribute.String("hookline.app_id", msg.AppID),
			attribute.String("hookline.message_id", msg.ID),
			attribute.String("hookline.event_type", msg.EventType)))
		if sc := span.SpanContext(); sc.IsValid() {
			carrier := propagation.MapCarrier{}
			propagation.TraceContext{}.Inject(ctx, carrier)
			msg.TraceParent = carrier[traceparent]
		}
	}
	n, err := create(ctx)
	if err == nil && m.accepted != nil {
		m.accepted.Inc()
	}
	if span != nil {
		if n != UnknownDeliveries {
			span.SetAttributes(attribute.Int("hookline.deliveries", n))
		}
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
	return n, err
}

// traceparent is the W3C Trace Context header.
const traceparent = "traceparent"
