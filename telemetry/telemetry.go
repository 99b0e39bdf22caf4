// Package telemetry is Hookline's metrics (Prometheus) and traces
// (OpenTelemetry).
//
// The api and dispatch packages record through the hooks here: HTTP (each
// request), Messages (each message accepted) and Deliveries (each attempt,
// each endpoint disabled, the circuit breakers). cmd/hookline registers the
// store's metrics (RegisterStore) and builds the TracerProvider that the
// standard OTEL_* variables describe (TracingFromEnv).
//
// Nothing here is global: callers pass a prometheus.Registerer and a
// trace.TracerProvider in. A constructor given neither returns a nil hook,
// whose methods record nothing at the cost of a nil check.
//
// No metric label holds an application, endpoint or message id: the number
// of series stays bounded whatever the number of tenants. Spans carry those
// ids as attributes.
package telemetry

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
)

// namespace prefixes every metric name.
const namespace = "hookline"

// instrumentation names the tracer of Hookline's spans.
const instrumentation = "github.com/hookline/hookline"

// register registers c on reg and returns it, or returns the collector
// registered before under the same names: components that share a
// registry share their metrics. Any other error is a mistake in this
// package's metric definitions, and panics.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// tracer returns Hookline's tracer of tp, nil when tp is.
func tracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		return nil
	}
	return tp.Tracer(instrumentation, trace.WithInstrumentationVersion(hookline.Version))
}
