package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/svix/svix-webhooks/go/models"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/logtest"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres/pgtest"
	"github.com/hookline/hookline/signature"
)

// observedServer is an in-process 'hookline serve' whose log is kept,
// at the default level, and whose spans, when exporter is set, go to it
// (else where the OTEL_* variables of the process say).
type observedServer struct {
	*server
	logs *logtest.Buffer
}

func startObserved(t *testing.T, exporter *tracetest.InMemoryExporter, extraArgs ...string) *observedServer {
	t.Helper()
	const token = "hk_test_admin_token_0123456789abcdef"
	args := append([]string{
		"--listen", "127.0.0.1:0",
		"--db", filepath.Join(t.TempDir(), "hookline.db"),
		"--allow-network", "127.0.0.0/8",
		"--retry-schedule", "100ms,200ms",
	}, extraArgs...)
	cfg, err := parseServeFlags(args, func(k string) string {
		if strings.HasPrefix(k, "OTEL_") {
			// The process's, which the OpenTelemetry SDK reads too
			// (t.Setenv).
			return os.Getenv(k)
		}
		return map[string]string{"HOOKLINE_ADMIN_TOKEN": token}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if exporter != nil {
		cfg.spanExporter = exporter
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	logs := &logtest.Buffer{}
	go func() { done <- serve(ctx, cfg, func(a string) { addr <- a }, io.Discard, logs) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v\n%s", err, logs)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	return &observedServer{server: &server{url: base, token: token}, logs: logs}
}

// get sends GET url with token, if any, and returns the status and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// appWith makes an application with an endpoint at each of urls, through
// the Svix SDK, and returns its id and theirs.
func (s *server) appWith(t *testing.T, urls ...string) (app string, endpoints []string) {
	t.Helper()
	sx := s.client(t)
	a, err := sx.Application.Create(t.Context(), models.ApplicationIn{Name: "Acme"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range urls {
		ep, err := sx.Endpoint.Create(t.Context(), a.Id, models.EndpointIn{Url: url}, nil)
		if err != nil {
			t.Fatal(err)
		}
		endpoints = append(endpoints, ep.Id)
	}
	return a.Id, endpoints
}

// scrape reads the metrics in the text format, as Prometheus would.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, url, token string) scrape {
	t.Helper()
	status, body := get(t, url, token)
	if status != 200 {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the metrics do not parse: %v\n%s", err, body)
	}
	return families
}

// value returns the value of the sample of name whose labels are labels
// ("k=v" each), summed over the samples that have them; a histogram's
// count.
func (s scrape) value(name string, labels ...string) float64 {
	mf := s[name]
	if mf == nil {
		return -1
	}
	sum := 0.0
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			match = match && have[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// move is how far a sample of a scrape should have moved since an earlier
// one: the sample of name whose labels are labels, by least at least and
// by most at most (0: no bound; both 0: not at all).
type move struct {
	name        string
	labels      []string
	least, most float64
}

// some is the least a counter of seconds moves by to have moved.
const some = math.SmallestNonzeroFloat64

// moved checks that s's samples moved since before (nil: a serve that had
// just started) as moves say.
func (s scrape) moved(t *testing.T, before scrape, moves []move) {
	t.Helper()
	for _, m := range moves {
		got := s.value(m.name, m.labels...) - max(before.value(m.name, m.labels...), 0)
		if got < m.least || m.most > 0 && got > m.most || m.least == 0 && got != 0 {
			t.Errorf("%s%v moved by %v, want %v to %v", m.name, m.labels, got, m.least, m.most)
		}
	}
}

// TestMetricsThroughServe scrapes a real serve as messages are delivered,
// fail, are exhausted, disable an endpoint (410) and open a breaker: the
// families move, no label names an id, and the WARN lines say what failed.
func TestMetricsThroughServe(t *testing.T) {
	s := startObserved(t, nil)
	metricsURL := s.url + "/metrics"
	for _, token := range []string{"", "hk_wrong"} {
		if status, body := get(t, metricsURL, token); status != 401 || !strings.Contains(body, `"code":"authentication"`) {
			t.Errorf("token %q: %d %s", token, status, body)
		}
	}
	before := scrapeMetrics(t, metricsURL, s.token)
	for _, name := range []string{"hookline_messages_accepted_total", "hookline_attempts_total", "hookline_deliveries",
		"hookline_circuit_breakers_open", "hookline_sqlite_commits_total", "go_goroutines", "process_cpu_seconds_total"} {
		if before[name] == nil {
			t.Errorf("no family %s", name)
		}
	}
	if got := before.value("hookline_messages_accepted_total"); got != 0 {
		t.Errorf("messages accepted before any: %v", got)
	}

	ctx := context.Background()
	sx := s.client(t)
	app, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "Acme"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A token of one application is known, but may not read the metrics.
	access, err := sx.Authentication.AppPortalAccess(ctx, app.Id, models.AppPortalAccessIn{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := get(t, metricsURL, access.Token); status != 403 || !strings.Contains(body, `"code":"forbidden"`) {
		t.Errorf("an application's token: %d %s", status, body)
	}
	answer := func(status int) func(int) int { return func(int) int { return status } }
	ok, failing := newHookReceiver(t, answer(204)), newHookReceiver(t, answer(500))
	gone, down := newHookReceiver(t, answer(410)), newHookReceiver(t, answer(503))
	endpoint := func(url, eventType string) string {
		// The event type first: an endpoint filters only on one that exists.
		if _, err := sx.EventType.Get(ctx, eventType); err != nil {
			if _, err := sx.EventType.Create(ctx, models.EventTypeIn{Name: eventType, Description: eventType}, nil); err != nil {
				t.Fatal(err)
			}
		}
		ep, err := sx.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: url, FilterTypes: []string{eventType}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ep.Id
	}
	endpoint(ok.URL, "order.paid")
	failingID := endpoint(failing.URL, "order.paid")
	goneID := endpoint(gone.URL, "user.left")
	downID := endpoint(down.URL, "report.ready")
	send := func(eventType string) string {
		msg, err := sx.Message.Create(ctx, app.Id, models.MessageIn{EventType: eventType, Payload: map[string]any{"n": 1}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return msg.Id
	}
	paid := send("order.paid")
	left := send("user.left")
	// Five failures in a row open the breaker of the endpoint that is down
	// (the default --breaker-failures): three messages make more than five
	// attempts, and what is left of them waits, held.
	for range 3 {
		send("report.ready")
	}

	wait.For(t, "the delivery to the failing endpoint exhausted", func() bool {
		return strings.Contains(s.logs.String(), "msg_id="+paid) && failing.count() == 3 &&
			len(regexp.MustCompile(`level=WARN msg="dispatch: delivery failed for good.*endpoint_id=`+failingID).FindAllString(s.logs.String(), -1)) == 1
	})
	wait.For(t, "the breaker of the endpoint that is down to open", func() bool {
		return strings.Contains(s.logs.String(), `level=WARN msg="dispatch: circuit breaker opened`)
	})
	var after scrape
	wait.For(t, "the deliveries counted again (every 5 s)", func() bool {
		after = scrapeMetrics(t, metricsURL, s.token)
		return after.value("hookline_deliveries", "state=failed") == 2 && after.value("hookline_deliveries", "state=held") >= 1
	})
	logs := s.logs.String()
	for _, want := range []struct{ what, re string }{
		{"the exhaustion", `level=WARN msg="dispatch: delivery failed for good, its retries exhausted" app_id=` + app.Id +
			` endpoint_id=` + failingID + ` msg_id=` + paid + ` host=127\.0\.0\.1:\d+ attempts=3 reason="HTTP 500"`},
		{"the 410", `level=WARN msg="dispatch: endpoint disabled: the endpoint answered 410 Gone" app_id=` + app.Id +
			` endpoint_id=` + goneID + ` msg_id=` + left + ` host=127\.0\.0\.1:\d+ cause=gone reason="HTTP 410"`},
		{"the breaker", `level=WARN msg="dispatch: circuit breaker opened: [^"]*" app_id=` + app.Id +
			` endpoint_id=` + downID + ` msg_id=msg_\w+ host=127\.0\.0\.1:\d+ reason="HTTP 503" probe_at=`},
	} {
		if !regexp.MustCompile(want.re).MatchString(logs) {
			t.Errorf("no WARN line for %s (%s) in\n%s", want.what, want.re, logs)
		}
	}
	if strings.Contains(logs, "writer closed") || strings.Contains(logs, "dispatch: attempt") {
		t.Errorf("debug lines at the default level:\n%s", logs)
	}

	msgRoute := []string{"route=POST /api/v1/app/{app_id}/msg", "code=202"}
	after.moved(t, before, []move{
		{"hookline_messages_accepted_total", nil, 5, 5},
		{"hookline_attempts_total", []string{"outcome=success"}, 1, 1},
		{"hookline_attempts_total", []string{"outcome=failure"}, 3 + 1 + 5, 0},
		{"hookline_attempts_total", []string{"outcome=error"}, 0, 0},
		{"hookline_attempt_duration_seconds", []string{"outcome=success"}, 1, 1},
		{"hookline_attempt_duration_seconds", []string{"outcome=failure"}, 3 + 1 + 5, 0},
		{"hookline_delivery_latency_seconds", nil, 1, 1},
		{"hookline_endpoints_disabled_total", []string{"reason=gone"}, 1, 1},
		{"hookline_circuit_breakers_open", nil, 1, 1},
		{"hookline_http_requests_total", msgRoute, 5, 5},
		{"hookline_http_request_duration_seconds", msgRoute, 5, 5},
		{"hookline_sqlite_commits_total", nil, 1, 0},
		{"hookline_sqlite_operations_total", nil, 1, 0},
		{"hookline_sqlite_commit_seconds_total", nil, some, 0},
		{"hookline_sqlite_syncs_total", nil, 1, 0},
		{"hookline_sqlite_sync_seconds_total", nil, some, 0},
	})
	idLike := regexp.MustCompile(`^(app|ep|msg|msgep|atmpt)_`)
	for name, mf := range after {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if idLike.MatchString(l.GetValue()) || strings.Contains(l.GetValue(), app.Id) {
					t.Errorf("%s has an id in a label: %s=%s", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestMetricsWhenEndpointsDoNotAnswer: attempts that get no answer, to an
// endpoint on a closed port and to one the egress policy refuses, count as
// errors and, failing for longer than --disable-after, disable their
// endpoints; the WARN lines say why. On PostgreSQL, the pool's figures are
// there too.
func TestMetricsWhenEndpointsDoNotAnswer(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			// The retry schedule is 100ms,200ms (with jitter, at least 240ms
			// in all): the third attempt, if not the second, is after 200ms.
			args := []string{"--disable-after", "200ms"}
			store, other := "hookline_sqlite_commits_total", "hookline_postgres_pool_connections"
			if db == "postgres" {
				_, url := pgtest.Schema(t)
				args = append(args, "--db", url, "--allow-unencrypted-secrets")
				store, other = other, store
			}
			s := startObserved(t, nil, args...)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			closedPort := "http://" + ln.Addr().String()
			ln.Close()
			// 10.0.0.1 is private, and only 127.0.0.0/8 is allowed: the
			// egress policy refuses it before any packet is sent.
			app, eps := s.appWith(t, closedPort, "http://10.0.0.1:9/hooks")
			closedID, refusedID := eps[0], eps[1]
			msg, err := s.client(t).Message.Create(t.Context(), app, models.MessageIn{EventType: "order.paid", Payload: map[string]any{}}, nil)
			if err != nil {
				t.Fatal(err)
			}

			disabled := func(id, reason string) string {
				return `level=WARN msg="dispatch: endpoint disabled: its attempts have all failed since [^"]+" app_id=` + app +
					` endpoint_id=` + id + ` msg_id=` + msg.Id + ` host=\S+ cause=failing reason="` + reason + `"`
			}
			lines := []struct{ what, re string }{
				{"the closed port disabled", disabled(closedID, `connection error: dial tcp 127\.0\.0\.1:\d+: connect: connection refused`)},
				{"the refused address disabled", disabled(refusedID, `egress refused: [^"]*private[^"]*`)},
				{"the egress refusal", `level=WARN msg="dispatch: egress refused a delivery" app_id=` + app +
					` endpoint_id=` + refusedID + ` msg_id=` + msg.Id + ` host=10\.0\.0\.1:9 err=.*10\.0\.0\.1`},
			}
			wait.For(t, "both endpoints disabled", func() bool {
				return regexp.MustCompile(lines[0].re).MatchString(s.logs.String()) &&
					regexp.MustCompile(lines[1].re).MatchString(s.logs.String())
			})
			logs := s.logs.String()
			for _, want := range lines {
				if !regexp.MustCompile(want.re).MatchString(logs) {
					t.Errorf("no WARN line for %s (%s) in\n%s", want.what, want.re, logs)
				}
			}

			got := scrapeMetrics(t, s.url+"/metrics", s.token)
			// Each endpoint is disabled at its second or third attempt.
			got.moved(t, nil, []move{
				{"hookline_attempts_total", []string{"outcome=error"}, 2 * 2, 2 * 3},
				{"hookline_attempt_duration_seconds", []string{"outcome=error"}, 2 * 2, 2 * 3},
				{"hookline_attempts_total", []string{"outcome=failure"}, 0, 0},
				{"hookline_endpoints_disabled_total", []string{"reason=failing"}, 2, 2},
				{"hookline_endpoints_disabled_total", []string{"reason=gone"}, 0, 0},
				{store, nil, 1, 0},
			})
			if got[other] != nil {
				t.Errorf("a serve on %s has %s", db, other)
			}
			if db == "postgres" {
				got.moved(t, nil, []move{
					{"hookline_postgres_pool_max_connections", nil, 1, 0},
					{"hookline_postgres_pool_acquires_total", nil, 1, 0},
				})
			}
		})
	}
}

// TestDeliveriesGauge: through serve, hookline_deliveries counts a
// delivery whose attempt is in flight as sending, and one of a message
// to deliver in an hour as pending (held and failed:
// TestMetricsThroughServe).
func TestDeliveriesGauge(t *testing.T) {
	s := startObserved(t, nil)
	release := make(chan struct{})
	rc := newHookReceiver(t, func(int) int { <-release; return 204 })
	defer close(release)
	app, _ := s.appWith(t, rc.URL)
	inAnHour := time.Now().Add(time.Hour)
	for _, at := range []*time.Time{nil, &inAnHour} {
		if _, err := s.client(t).Message.Create(t.Context(), app, models.MessageIn{EventType: "a.b", Payload: map[string]any{}, DeliverAt: at}, nil); err != nil {
			t.Fatal(err)
		}
	}
	wait.For(t, "the attempt in flight", func() bool { return rc.count() == 1 })
	var got scrape
	wait.For(t, "the deliveries counted again (every 5 s)", func() bool {
		got = scrapeMetrics(t, s.url+"/metrics", s.token)
		return got.value("hookline_deliveries", "state=sending") == 1
	})
	for state, want := range map[string]float64{"pending": 1, "sending": 1, "held": 0, "failed": 0} {
		if n := got.value("hookline_deliveries", "state="+state); n != want {
			t.Errorf("hookline_deliveries{state=%q} %v, want %v", state, n, want)
		}
	}
}

// TestMetricsListen: with --metrics-listen, /metrics is served there
// without a token, and no longer on the API's listener.
func TestMetricsListen(t *testing.T) {
	s := startObserved(t, nil, "--metrics-listen", "127.0.0.1:0")
	got := scrapeMetrics(t, "http://"+metricsAddr(t, s)+"/metrics", "")
	if got["hookline_deliveries"] == nil || got["go_goroutines"] == nil {
		t.Errorf("families %v", len(got))
	}
	if status, body := get(t, s.url+"/metrics", s.token); status != 404 {
		t.Errorf("the API's /metrics with --metrics-listen: %d %s", status, body)
	}
}

// metricsAddr returns the address s serves --metrics-listen on, as it
// logged it.
func metricsAddr(t *testing.T, s *observedServer) string {
	t.Helper()
	m := regexp.MustCompile(`serving metrics without a token.* metrics=(127\.0\.0\.1:\d+)`).FindStringSubmatch(s.logs.String())
	if m == nil {
		t.Fatalf("no line for the metrics listener in\n%s", s.logs)
	}
	return m[1]
}

// TestTracesThroughServe follows one message: the request's span continues
// the caller's trace, the accepting transaction's span is its child, the
// attempt's span is the accepting span's child, and with --propagate-trace
// the receiver gets the attempt's traceparent.
func TestTracesThroughServe(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	s := startObserved(t, exp, "--propagate-trace")
	rc := newHookReceiver(t, nil)
	app, _ := s.appWith(t, rc.URL)
	h := http.Header{"Authorization": {"Bearer " + s.token}, "Content-Type": {"application/json"}, "Traceparent": {callerTraceParent}}
	if code := post(t, s.url+"/api/v1/app/"+app+"/msg", h, []byte(`{"eventType":"a.b","payload":{}}`)); code != 202 {
		t.Fatalf("POST msg: %d", code)
	}
	deliver := messageTrace(t, exp, "POST /api/v1/app/{app_id}/msg")
	want := fmt.Sprintf("00-%s-%s-01", callerTraceID, deliver.SpanContext.SpanID())
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.headers) != 1 || rc.headers[0].Get("traceparent") != want {
		t.Errorf("the receiver got %v, want traceparent %q", rc.headers, want)
	}
}

// The trace of a caller, and its traceparent header.
const (
	callerTraceID, callerSpanID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	callerTraceParent           = "00-" + callerTraceID + "-" + callerSpanID + "-01"
)

// messageTrace waits for the attempt's span of the one message exp was
// sent, and checks that one trace follows the message: the span of the
// request named request continues the caller's (callerTraceParent) and is
// the parent of the accepting span, the parent of the attempt's span. It
// returns the attempt's span.
func messageTrace(t *testing.T, exp *tracetest.InMemoryExporter, request string) tracetest.SpanStub {
	t.Helper()
	wait.For(t, "the attempt's span", func() bool {
		for _, sp := range exp.GetSpans() {
			if sp.Name == "deliver" {
				return true
			}
		}
		return false
	})
	byName := map[string]tracetest.SpanStub{}
	for _, sp := range exp.GetSpans() {
		byName[sp.Name] = sp
	}
	req, accept, deliver := byName[request], byName["accept message"], byName["deliver"]
	if req.Parent.SpanID().String() != callerSpanID || req.SpanContext.TraceID().String() != callerTraceID {
		t.Errorf("request span %q: %+v, parent %v", request, req.SpanContext, req.Parent)
	}
	if accept.Parent.SpanID() != req.SpanContext.SpanID() {
		t.Errorf("the accepting span's parent %v, want the request's", accept.Parent.SpanID())
	}
	if deliver.Parent.SpanID() != accept.SpanContext.SpanID() || deliver.SpanContext.TraceID().String() != callerTraceID {
		t.Errorf("the attempt's span: parent %v in trace %v, want %v in %s", deliver.Parent.SpanID(),
			deliver.SpanContext.TraceID(), accept.SpanContext.SpanID(), callerTraceID)
	}
	return deliver
}

// TestIngestTraced: one trace follows a message a source accepts, from the
// request to its ingest URL to the attempt that forwards it, as it follows
// a message of the API, and one follows a cron tick's; they are counted by
// hookline_ingest_requests_total, not hookline_messages_accepted_total.
func TestIngestTraced(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	s := startObserved(t, exp)
	recv := newHookReceiver(t, func(int) int { return 204 })
	_, url := ingestSource(t, s.server, "github", map[string]any{"secret": "s"}, recv.URL)
	body := []byte(`{"a":1}`)
	h := http.Header{"X-Hub-Signature-256": {signature.SignGitHub([]byte("s"), body)}, "Traceparent": {callerTraceParent}}
	if code := post(t, url, h, body); code != 204 {
		t.Fatalf("a signed request: %d, want 204", code)
	}
	messageTrace(t, exp, "POST /ingest/in/{token}")

	// A cron source's tick has no request: the span that accepts its
	// message starts the trace, and the attempt's span is its child.
	ticks := newHookReceiver(t, func(int) int { return 204 })
	ingestSource(t, s.server, "cron", map[string]any{"schedule": "@every 1s", "payload": "report=daily", "contentType": "text/plain"}, ticks.URL)
	wait.For(t, "a tick delivered", func() bool { return ticks.count() >= 1 })
	ticks.mu.Lock()
	tick := ticks.ids[0]
	ticks.mu.Unlock()
	spans := map[string]tracetest.SpanStub{}
	wait.For(t, "the tick's spans", func() bool {
		for _, sp := range exp.GetSpans() {
			for _, a := range sp.Attributes {
				if a.Key == "hookline.message_id" && a.Value.AsString() == tick {
					spans[sp.Name] = sp
				}
			}
		}
		return len(spans) == 2
	})
	if accept, deliver := spans["accept message"], spans["deliver"]; accept.Parent.IsValid() || deliver.Parent.SpanID() != accept.SpanContext.SpanID() {
		t.Errorf("the tick's spans: accepting %v (parent %v), attempt's parent %v", accept.SpanContext.SpanID(), accept.Parent.SpanID(), deliver.Parent.SpanID())
	}
	for _, a := range spans["accept message"].Attributes {
		if a.Key == "hookline.deliveries" {
			t.Errorf("the gateway's accepting span counts deliveries, which its transaction does not tell: %v", a.Value.Emit())
		}
	}

	m := scrapeMetrics(t, s.url+"/metrics", s.token)
	if got := m.value("hookline_ingest_requests_total", "source_type=github", "outcome=accepted"); got != 1 {
		t.Errorf("hookline_ingest_requests_total{source_type=github,outcome=accepted}: %v, want 1", got)
	}
	if got := m.value("hookline_ingest_requests_total", "source_type=cron", "outcome=accepted"); got < 1 {
		t.Errorf("hookline_ingest_requests_total{source_type=cron,outcome=accepted}: %v, want 1 or more", got)
	}
	if got := m.value("hookline_messages_accepted_total"); got != 0 {
		t.Errorf("hookline_messages_accepted_total: %v, want 0", got)
	}
}

// TestIngestTokenNeverLogged: the token of an ingest URL, a secret, is in
// no log line, at debug where every request writes one, and in no span.
// An accepted, a refused and a misdirected (GET) request to the URL show
// its path as /ingest/in/{token}.
func TestIngestTokenNeverLogged(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	s := startObserved(t, exp, "--log-level", "debug")
	recv := newHookReceiver(t, func(int) int { return 204 })
	_, url := ingestSource(t, s.server, "github", map[string]any{"secret": "s"}, recv.URL)
	_, token, _ := strings.Cut(url, hookline.IngestPathPrefix)
	body := []byte(`{"a":1}`)
	if code := post(t, url, http.Header{"X-Hub-Signature-256": {signature.SignGitHub([]byte("s"), body)}}, body); code != 204 {
		t.Fatalf("a signed request: %d, want 204", code)
	}
	if code := post(t, url, http.Header{"X-Hub-Signature-256": {"sha256=00"}}, body); code != 401 {
		t.Fatalf("a wrong signature: %d, want 401", code)
	}
	if code, _ := get(t, url, ""); code != 405 {
		t.Fatalf("GET: %d, want 405", code)
	}
	const path = "/ingest/in/{token}"
	for _, want := range []string{"level=DEBUG", "level=INFO status=401", "level=INFO status=405"} {
		level, status, _ := strings.Cut(want, " ")
		if got := s.logs.Lines(level, `msg="api request"`, "path="+path, status); len(got) != 1 {
			t.Errorf("%d %s lines for the ingest URL, want 1:\n%s", len(got), want, s.logs)
		}
	}
	if strings.Contains(s.logs.String(), token) {
		t.Errorf("a log line holds the token %s:\n%s", token, s.logs)
	}
	var requests int
	wait.For(t, "the three requests' spans", func() bool {
		requests = 0
		for _, sp := range exp.GetSpans() {
			for _, a := range sp.Attributes {
				if a.Key == "url.path" && a.Value.AsString() == path {
					requests++
				}
			}
		}
		return requests == 3
	})
	for _, sp := range exp.GetSpans() {
		if strings.Contains(fmt.Sprint(sp.Name, sp.Attributes, sp.Events), token) {
			t.Errorf("the span %q holds the token: %v", sp.Name, sp.Attributes)
		}
	}
}
