package telemetry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/telemetry"
)

// spans returns a TracerProvider that records every span in memory.
func spans(t *testing.T) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp, exp
}

func TestTracingFromEnv(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string // protocol; "error" for an error
	}{
		{nil, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http/protobuf"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, "http/protobuf"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, "http/protobuf"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "grpc"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, "grpc"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "error"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "error"},
	} {
		got, err := telemetry.TracingFromEnv(func(k string) string { return tt.env[k] })
		switch {
		case tt.want == "error" && err == nil:
			t.Errorf("%v: no error, tracing %+v", tt.env, got)
		case tt.want != "error" && (err != nil || got.Protocol != tt.want || got.On() != (tt.want != "")):
			t.Errorf("%v: %+v, %v; want protocol %q", tt.env, got, err, tt.want)
		}
	}
}

// TestTracerProvider: an OTLP provider starts without reaching its
// collector, and shuts down.
func TestTracerProvider(t *testing.T) {
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		tp, err := telemetry.Tracing{Protocol: protocol}.NewTracerProvider(t.Context())
		if err != nil {
			t.Fatal(protocol, err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		tp.Shutdown(ctx) // nothing to send
		cancel()
	}
}

func TestHTTP(t *testing.T) {
	reg := prometheus.NewRegistry()
	tp, exp := spans(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/app/{app_id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	mux.HandleFunc("POST /api/v1/app/{app_id}/msg", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("{}")) // an implicit 200
	})
	h := telemetry.NewHTTP(reg, tp).Handler(mux)
	for _, target := range []string{"/api/v1/app/app_1", "/api/v1/app/app_2", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	req := httptest.NewRequest("POST", "/api/v1/app/app_1/msg", nil)
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req.Header.Set("traceparent", parent)
	h.ServeHTTP(httptest.NewRecorder(), req)

	want := `
# HELP hookline_http_requests_total API requests answered, by route (the route pattern, e.g. "POST /api/v1/app/{app_id}/msg"; "none" when no route matched) and status code.
# TYPE hookline_http_requests_total counter
hookline_http_requests_total{code="200",route="POST /api/v1/app/{app_id}/msg"} 1
hookline_http_requests_total{code="404",route="none"} 1
hookline_http_requests_total{code="418",route="GET /api/v1/app/{app_id}"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hookline_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "hookline_http_request_duration_seconds"); n != 3 {
		t.Errorf("%d duration series, want 3", n)
	}
	got := exp.GetSpans()
	if len(got) != 4 {
		t.Fatalf("%d spans, want 4", len(got))
	}
	if got[0].Name != "GET /api/v1/app/{app_id}" || got[0].SpanKind != trace.SpanKindServer || got[2].Name != "GET" {
		t.Errorf("span names %q, %q", got[0].Name, got[2].Name)
	}
	post := got[3]
	if post.Parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || post.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("the request's span does not continue its traceparent: parent %v", post.Parent)
	}
	if !hasAttr(post, "http.route", "/api/v1/app/{app_id}/msg") || !hasAttr(post, "http.response.status_code", "200") {
		t.Errorf("span attributes %v", post.Attributes)
	}
}

func hasAttr(s tracetest.SpanStub, key, value string) bool {
	for _, a := range s.Attributes {
		if string(a.Key) == key && a.Value.Emit() == value {
			return true
		}
	}
	return false
}

// TestMessagePath: the span of an attempt is a child of the span that
// accepted its message, through the traceparent stored with the message,
// and the attempt's request carries its own context when propagating.
func TestMessagePath(t *testing.T) {
	reg := prometheus.NewRegistry()
	tp, exp := spans(t)
	msg := &hookline.Message{ID: "msg_1", AppID: "app_1", EventType: "user.created"}
	n, err := telemetry.NewMessages(reg, tp).Accept(t.Context(), msg, func(ctx context.Context) (int, error) {
		if !trace.SpanContextFromContext(ctx).IsValid() {
			t.Error("the store transaction runs outside the span")
		}
		return 2, nil
	})
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	if _, err := telemetry.NewMessages(reg, tp).Accept(t.Context(), &hookline.Message{}, func(context.Context) (int, error) {
		return 0, errors.New("refused")
	}); err == nil {
		t.Fatal("the store's error is lost")
	}
	accepted1 := `
# HELP hookline_messages_accepted_total Messages the API accepted (stored with their deliveries).
# TYPE hookline_messages_accepted_total counter
hookline_messages_accepted_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(accepted1), "hookline_messages_accepted_total"); err != nil {
		t.Error("a failed message counts:", err)
	}
	accepted := exp.GetSpans()[0]
	if msg.TraceParent != "00-"+accepted.SpanContext.TraceID().String()+"-"+accepted.SpanContext.SpanID().String()+"-01" {
		t.Fatalf("traceparent %q, span %v", msg.TraceParent, accepted.SpanContext)
	}

	d := telemetry.NewDeliveries(telemetry.DeliveriesConfig{Metrics: reg, Tracing: tp, PropagateTrace: true,
		OpenBreakers: func() int { return 3 }})
	task := &hookline.Task{Message: *msg, Delivery: hookline.Delivery{AppID: "app_1", MessageID: "msg_1", EndpointID: "ep_1"},
		Endpoint: hookline.Endpoint{URL: "https://user:secret@hooks.example.com/in?token=t"}}
	ctx, a := d.StartAttempt(t.Context(), task)
	h := http.Header{}
	d.Inject(ctx, h)
	d.EndAttempt(a, telemetry.Failure, 500, 20*time.Millisecond, "HTTP 500")
	attempt := exp.GetSpans()[2]
	if attempt.Parent.SpanID() != accepted.SpanContext.SpanID() || attempt.SpanContext.TraceID() != accepted.SpanContext.TraceID() {
		t.Errorf("the attempt's parent %v, want the accepting span %v", attempt.Parent, accepted.SpanContext)
	}
	if want := "00-" + attempt.SpanContext.TraceID().String() + "-" + attempt.SpanContext.SpanID().String() + "-01"; h.Get("traceparent") != want {
		t.Errorf("traceparent header %q, want %q", h.Get("traceparent"), want)
	}
	if !hasAttr(attempt, "server.address", "hooks.example.com") || !hasAttr(attempt, "http.response.status_code", "500") ||
		!hasAttr(attempt, "hookline.outcome", "failure") || attempt.Status.Description != "HTTP 500" {
		t.Errorf("attempt span %v %v", attempt.Attributes, attempt.Status)
	}
	want := `
# HELP hookline_attempts_total Delivery attempts, by outcome: success (a 2xx answer), failure (another answer) or error (no answer: refused, timed out, egress refusal).
# TYPE hookline_attempts_total counter
hookline_attempts_total{outcome="error"} 0
hookline_attempts_total{outcome="failure"} 1
hookline_attempts_total{outcome="success"} 0
# HELP hookline_circuit_breakers_open Endpoints whose circuit breaker is open in this process: their deliveries wait in the store until it lets a probe through.
# TYPE hookline_circuit_breakers_open gauge
hookline_circuit_breakers_open 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hookline_attempts_total", "hookline_circuit_breakers_open"); err != nil {
		t.Error(err)
	}

	// Without propagation, no header.
	h = http.Header{}
	quiet := telemetry.NewDeliveries(telemetry.DeliveriesConfig{Tracing: tp})
	ctx, a = quiet.StartAttempt(t.Context(), task)
	quiet.Inject(ctx, h)
	quiet.EndAttempt(a, telemetry.Success, 200, time.Millisecond, "")
	if len(h) != 0 {
		t.Errorf("headers %v without --propagate-trace", h)
	}
}

// TestNilHooks: without a registry or a tracer provider, the hooks are nil
// and record nothing.
func TestNilHooks(t *testing.T) {
	if telemetry.NewHTTP(nil, nil) != nil || telemetry.NewMessages(nil, nil) != nil ||
		telemetry.NewDeliveries(telemetry.DeliveriesConfig{PropagateTrace: true}) != nil {
		t.Fatal("a hook without metrics or traces is not nil")
	}
	next := http.NotFoundHandler()
	var h *telemetry.HTTP
	if got := h.Handler(next); got == nil {
		t.Fatal("nil handler")
	}
	var m *telemetry.Messages
	msg := &hookline.Message{}
	if n, err := m.Accept(t.Context(), msg, func(context.Context) (int, error) { return 1, nil }); n != 1 || err != nil || msg.TraceParent != "" {
		t.Fatal(n, err, msg.TraceParent)
	}
	var d *telemetry.Deliveries
	ctx, a := d.StartAttempt(t.Context(), &hookline.Task{})
	hdr := http.Header{}
	d.Inject(ctx, hdr)
	d.EndAttempt(a, telemetry.Error, 0, time.Second, "refused")
	d.Delivered(time.Second)
	d.EndpointDisabled(telemetry.Gone)
	if len(hdr) != 0 {
		t.Fatal(hdr)
	}
}

// fakeCounter counts deliveries as told, and the calls.
type fakeCounter struct {
	counts hookline.DeliveryCounts
	err    error
	calls  int
}

func (f *fakeCounter) CountDeliveries(context.Context) (hookline.DeliveryCounts, error) {
	f.calls++
	return f.counts, f.err
}

type fakeFigures struct{}

func (fakeFigures) Figures() []hookline.Figure {
	return []hookline.Figure{{Name: "sqlite_commits_total", Help: "Commits.", Counter: true, Value: 7}}
}

// TestRegisterStore: the deliveries are counted at most once every
// CountEvery, however often scraped; a failed count keeps the last one.
func TestRegisterStore(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := &fakeCounter{counts: hookline.DeliveryCounts{Pending: 4, Sending: 3, Held: 2, Failed: 1}}
	now := time.Now()
	telemetry.RegisterStoreAt(reg, f, fakeFigures{}, func() time.Time { return now })
	want := `
# HELP hookline_sqlite_commits_total Commits.
# TYPE hookline_sqlite_commits_total counter
hookline_sqlite_commits_total 7
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hookline_sqlite_commits_total"); err != nil {
		t.Error(err)
	}
	deliveries := func() string {
		mfs, err := reg.Gather()
		var b strings.Builder
		for _, mf := range mfs {
			if mf.GetName() == "hookline_deliveries" {
				for _, m := range mf.GetMetric() {
					b.WriteString(m.GetLabel()[0].GetValue() + "=" + strings.TrimSuffix(m.GetGauge().String(), " ") + " ")
				}
			}
		}
		if err != nil {
			b.WriteString("error")
		}
		return b.String()
	}
	const first = "failed=value:1 held=value:2 pending=value:4 sending=value:3 "
	if got := deliveries(); got != first || f.calls != 1 {
		t.Fatalf("%q after %d counts", got, f.calls)
	}
	f.counts.Pending = 40
	now = now.Add(telemetry.CountEvery - time.Millisecond)
	if got := deliveries(); got != first || f.calls != 1 {
		t.Fatalf("within CountEvery: %q after %d counts", got, f.calls)
	}
	now = now.Add(time.Millisecond)
	if got := deliveries(); !strings.Contains(got, "pending=value:40") || f.calls != 2 {
		t.Fatalf("after CountEvery: %q after %d counts", got, f.calls)
	}
	f.err = errors.New("database is locked")
	now = now.Add(telemetry.CountEvery)
	if got := deliveries(); !strings.Contains(got, "pending=value:40") || !strings.HasSuffix(got, "error") {
		t.Fatalf("a failed count: %q", got)
	}
}
