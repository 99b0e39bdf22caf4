package dispatch_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/internal/logtest"
	"github.com/hookline/hookline/internal/wait"
)

// secretEndpoint is an endpoint of f at url with credentials in its URL
// and a custom header, neither of which may reach a log line.
func (f *fixture) secretEndpoint(t *testing.T, url string) *hookline.Endpoint {
	t.Helper()
	now := time.Now()
	ep := &hookline.Endpoint{
		ID: hookline.NewID(hookline.PrefixEndpoint), AppID: f.app.ID,
		URL:    strings.Replace(url, "http://", "http://hookuser:url-s3cret@", 1),
		Secret: hookline.NewSecret(), Headers: map[string]string{"X-Api-Key": "header-s3cret"},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := f.store.CreateEndpoint(f.ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	return ep
}

// TestLogsSayWhatFailed: at the default level, one WARN line when an
// endpoint answering 410 is disabled (however many attempts were in
// flight), when a delivery exhausts its retries and when a breaker opens,
// an INFO line when it closes, each with the ids and the reason; at
// debug, a line for each attempt with the endpoint's host. No line holds
// a secret.
func TestLogsSayWhatFailed(t *testing.T) {
	var logs, debug logtest.Buffer
	handler := slog.NewTextHandler(&logs, nil) // the default level: info
	reg := prometheus.NewRegistry()

	f := newFixture(t)
	gone := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // the attempts overlap
		w.WriteHeader(http.StatusGone)
	})
	goneEp := f.secretEndpoint(t, gone.URL)
	broken := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	var healthy atomic.Bool
	flaky := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	f.run(t, dispatch.Config{
		Logger:   slog.New(teeHandler{handler, slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug})}),
		Metrics:  reg,
		Schedule: []time.Duration{time.Millisecond}, BreakerFailures: 2, BreakerCooldown: 50 * time.Millisecond,
	})

	var goneMsgs []*hookline.Message
	for range 4 {
		goneMsgs = append(goneMsgs, f.message(t, `{"a":1}`))
	}
	wait.For(t, "the 410 endpoint disabled", func() bool {
		ep, err := f.store.Endpoint(f.ctx, f.app.ID, goneEp.ID)
		return err == nil && ep.Disabled && gone.count() >= 1
	})
	wait.For(t, "the attempts in flight to end", func() bool {
		return len(debug.Lines("dispatch: attempt", "HTTP 410")) == gone.count()
	})
	if got := logs.Lines("level=WARN", "endpoint disabled", "endpoint_id="+goneEp.ID, "cause=gone", `reason="HTTP 410"`,
		"app_id="+f.app.ID, "msg_id=msg_", "host="+strings.TrimPrefix(gone.URL, "http://")); len(got) != 1 {
		t.Errorf("%d WARN lines for the 410 after %d attempts, want 1:\n%s", len(got), gone.count(), logs.String())
	}

	brokenEp := f.endpoint(t, broken.URL)
	m := f.message(t, `{"b":2}`)
	wait.For(t, "the delivery to the broken endpoint exhausted", func() bool {
		return len(logs.Lines("level=WARN", "retries exhausted", "msg_id="+m.ID, "endpoint_id="+brokenEp.ID)) == 1
	})
	if got := logs.Lines("retries exhausted", "msg_id="+m.ID, `reason="HTTP 500"`, "attempts=2", "app_id="+f.app.ID); len(got) != 1 {
		t.Errorf("the exhaustion line: %v", got)
	}

	flakyEp := f.endpoint(t, flaky.URL)
	for range 3 {
		f.message(t, `{"c":3}`)
	}
	wait.For(t, "the breaker to open", func() bool {
		return len(logs.Lines("level=WARN", "circuit breaker opened", "endpoint_id="+flakyEp.ID, `reason="HTTP 503"`)) == 1
	})
	healthy.Store(true)
	wait.For(t, "the breaker to close", func() bool {
		return len(logs.Lines("level=INFO", "circuit breaker closed", "endpoint_id="+flakyEp.ID, "app_id="+f.app.ID)) == 1
	})

	if got := logs.Lines("dispatch: attempt"); len(got) != 0 {
		t.Errorf("attempt lines at the default level: %v", got)
	}
	if got := debug.Lines("level=DEBUG", "dispatch: attempt", "host=127.0.0.1:", "outcome=failure", `reason="HTTP 500"`); len(got) == 0 {
		t.Errorf("no debug line for the attempts:\n%s", debug.String())
	}
	for _, secret := range []string{"url-s3cret", "header-s3cret", "hookuser"} {
		if strings.Contains(debug.String(), secret) {
			t.Errorf("a log line holds %q:\n%s", secret, debug.String())
		}
	}
	if got := testutil.ToFloat64(counterVec(t, reg, "hookline_endpoints_disabled_total", "gone")); got != 1 {
		t.Errorf("endpoints disabled (gone): %v, want 1", got)
	}
}

// teeHandler sends each record to both handlers that take its level.
type teeHandler struct{ a, b slog.Handler }

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.a.Enabled(ctx, l) || h.b.Enabled(ctx, l)
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, x := range []slog.Handler{h.a, h.b} {
		if x.Enabled(ctx, r.Level) {
			x.Handle(ctx, r.Clone())
		}
	}
	return nil
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{h.a.WithAttrs(as), h.b.WithAttrs(as)}
}

func (h teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{h.a.WithGroup(name), h.b.WithGroup(name)}
}

// counterVec returns the child of a registered counter vector.
func counterVec(t *testing.T, reg *prometheus.Registry, name, label string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == label {
				v := m.GetCounter().GetValue()
				return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "copy", Help: "copy"}, func() float64 { return v })
			}
		}
	}
	t.Fatalf("no %s{%s}", name, label)
	return nil
}

// TestAttemptTraced: an attempt's span is a child of the span that
// accepted the message, and with PropagateTrace the receiver gets its
// traceparent; the attempt and the delivery's latency are measured.
func TestAttemptTraced(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	f.endpoint(t, rc.URL)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	reg := prometheus.NewRegistry()
	f.run(t, dispatch.Config{Metrics: reg, Tracing: tp, PropagateTrace: true})
	now := time.Now()
	m := &hookline.Message{
		ID: hookline.NewID(hookline.PrefixMessage), AppID: f.app.ID, EventType: "invoice.paid",
		Payload: []byte(`{}`), CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}
	if _, err := f.store.CreateMessage(f.ctx, m); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the attempt's span", func() bool { return len(exp.GetSpans()) == 1 })
	span := exp.GetSpans()[0]
	if span.Parent.SpanID().String() != "00f067aa0ba902b7" || span.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("the attempt's span: parent %v, trace %v", span.Parent, span.SpanContext.TraceID())
	}
	want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + span.SpanContext.SpanID().String() + "-01"
	if got := rc.request(0).header.Get("traceparent"); got != want {
		t.Errorf("the receiver got traceparent %q, want %q", got, want)
	}
	if got := testutil.ToFloat64(counterVec(t, reg, "hookline_attempts_total", "success")); got != 1 {
		t.Errorf("successful attempts %v", got)
	}
	if n := testutil.CollectAndCount(reg, "hookline_delivery_latency_seconds"); n != 1 {
		t.Errorf("latency series %d", n)
	}
}

// failingTracker is a store that cannot record whether an endpoint works.
type failingTracker struct{ hookline.Store }

var errTracking = errors.New("the store is down")

func (failingTracker) MarkFailing(context.Context, string, string, time.Time) (time.Time, error) {
	return time.Time{}, errTracking
}

func (failingTracker) ClearFailing(context.Context, string, string) error { return errTracking }

// TestTrackingFailureLogged: when the store cannot record an endpoint's
// failure or success, the WARN line names the delivery with the keys of
// every other line.
func TestTrackingFailureLogged(t *testing.T) {
	var logs logtest.Buffer
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	ep := f.endpoint(t, rc.URL)
	f.store = failingTracker{f.store}
	f.run(t, dispatch.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Schedule: []time.Duration{time.Millisecond}})
	m := f.message(t, `{"a":1}`)
	for _, what := range []string{"failure", "success"} {
		wait.For(t, "the WARN line for the "+what, func() bool {
			return len(logs.Lines("level=WARN", "dispatch: recording an endpoint's "+what, "app_id="+f.app.ID,
				"endpoint_id="+ep.ID, "msg_id="+m.ID, "host="+strings.TrimPrefix(rc.URL, "http://"), `err="the store is down"`)) == 1
		})
	}
}
