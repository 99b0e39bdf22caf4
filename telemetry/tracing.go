package telemetry

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/hookline/hookline"
)

// Tracing is what the standard OTEL_* variables say of tracing: off, or
// exported by OTLP over one of its protocols.
type Tracing struct {
	// Protocol is "grpc" or "http/protobuf"; empty: tracing is off.
	Protocol string
}

// On reports whether spans are exported.
func (t Tracing) On() bool { return t.Protocol != "" }

// TracingFromEnv reads the variables of the OpenTelemetry specification
// that turn tracing on and choose the exporter; the exporter reads the rest
// (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _CERTIFICATE, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER...) itself. Tracing is on
// when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
// set, or OTEL_TRACES_EXPORTER is "otlp"; off when OTEL_SDK_DISABLED is
// "true" or OTEL_TRACES_EXPORTER is "none". The protocol is
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
// http/protobuf, as the specification defaults; "grpc" is the other one
// supported.
func TracingFromEnv(getenv func(string) string) (Tracing, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return Tracing{}, nil
	}
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return Tracing{}, nil
	case "":
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return Tracing{}, nil
		}
	case "otlp":
	default:
		return Tracing{}, fmt.Errorf("$OTEL_TRACES_EXPORTER: %q is not supported (otlp or none)", exp)
	}
	protocol := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
	name := "$OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	if protocol == "" {
		protocol, name = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL")), "$OTEL_EXPORTER_OTLP_PROTOCOL"
	}
	switch protocol {
	case "":
		protocol = "http/protobuf"
	case "grpc", "http/protobuf":
	default:
		return Tracing{}, fmt.Errorf("%s: %q is not supported (grpc or http/protobuf)", name, protocol)
	}
	return Tracing{Protocol: protocol}, nil
}

// NewTracerProvider returns a TracerProvider that batches spans to the
// OTLP exporter of t's protocol, with the resource of the service
// ("hookline" unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say
// otherwise). The caller shuts it down, which sends the last spans. No
// connection is made before the first export.
func (t Tracing) NewTracerProvider(ctx context.Context) (*sdktrace.TracerProvider, error) {
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch t.Protocol {
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	case "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("telemetry: no tracing protocol %q", t.Protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
	}
	res, err := Resource(ctx)
	if err != nil {
		return nil, err
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// Resource describes this process to the tracing backend: service.name
// "hookline" and its version, unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES say otherwise.
func Resource(ctx context.Context) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "hookline"),
			attribute.String("service.version", hookline.Version)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}
