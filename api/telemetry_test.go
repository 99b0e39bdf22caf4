package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookline/hookline/api"
)

// TestMetricsEndpoint: GET /metrics answers admin tokens only, with the
// requests by route pattern (never an id) and the messages accepted; a
// server given no metrics handler has no such route.
func TestMetricsEndpoint(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFixture(t, func(c *api.Config) {
		c.Metrics = reg
		c.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}, nil)
	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)
	for _, tt := range []struct {
		token  string
		status int
		code   string
	}{
		{"", 401, `"code":"authentication"`},
		{"hk_not_a_token", 401, `"code":"authentication"`},
		{access.Token, 403, `"code":"forbidden"`},
	} {
		if st, body := f.do("GET", "/metrics", tt.token, nil); st != tt.status || !strings.Contains(string(body), tt.code) {
			t.Errorf("token %q: %d %s, want %d %s", tt.token, st, body, tt.status, tt.code)
		}
	}
	st, body := f.do("GET", "/metrics", f.admin, nil)
	text := string(body)
	if st != 200 {
		t.Fatalf("admin: %d %s", st, body)
	}
	for _, want := range []string{
		`hookline_http_requests_total{code="202",route="POST /api/v1/app/{app_id}/msg"} 2`,
		`hookline_http_requests_total{code="401",route="GET /metrics"} 2`,
		`hookline_messages_accepted_total 2`,
		`hookline_http_request_duration_seconds_bucket{code="201",route="POST /api/v1/app/{app_id}/endpoint",le="+Inf"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %s in\n%s", want, text)
		}
	}
	for _, id := range []string{f.app, f.ep, f.msg, "shop"} {
		if strings.Contains(text, id) {
			t.Errorf("the metrics name %s", id)
		}
	}

	plain := newFixture(t, nil, nil)
	if st, _ := plain.do("GET", "/metrics", plain.admin, nil); st != 404 {
		t.Errorf("without a metrics handler, GET /metrics: %d", st)
	}
}

// TestTraces: a request's span continues the caller's trace; the span of
// the transaction that accepts a message is its child, and its context is
// stored with the message.
func TestTraces(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	f := newFixture(t, func(c *api.Config) { c.Tracing = tp }, nil)
	exp.Reset()
	var out struct{ ID string }
	f.must(202, "POST", "/api/v1/app/shop/msg", f.admin, map[string]any{"eventType": "a.b", "payload": map[string]any{}}, &out,
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2: %v", len(spans), spans)
	}
	accept, request := spans[0], spans[1]
	if request.Name != "POST /api/v1/app/{app_id}/msg" || request.Parent.SpanID().String() != "00f067aa0ba902b7" ||
		request.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("request span %q, parent %v", request.Name, request.Parent)
	}
	if accept.Name != "accept message" || accept.Parent.SpanID() != request.SpanContext.SpanID() {
		t.Errorf("accept span %q, parent %v", accept.Name, accept.Parent)
	}
	msg, err := f.store.Message(context.Background(), f.app, out.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + accept.SpanContext.SpanID().String() + "-01"
	if msg.TraceParent != want {
		t.Errorf("stored traceparent %q, want %q", msg.TraceParent, want)
	}
}
