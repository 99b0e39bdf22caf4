package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/internal/wait"
)

// server is an in-process 'hookline serve' on 127.0.0.1 with a SQLite file.
type server struct {
	url   string
	token string
	out   *bytes.Buffer
}

func startServer(t *testing.T, extraArgs ...string) *server {
	t.Helper()
	return startServerWith(t, nil, extraArgs...)
}

// startServerWith is startServer with mod, when not nil, changing the
// configuration the flags make (its fields that tests set).
func startServerWith(t *testing.T, mod func(*serveConfig), extraArgs ...string) *server {
	t.Helper()
	const token = "hk_test_admin_token_0123456789abcdef"
	args := append([]string{
		"--listen", "127.0.0.1:0",
		"--db", filepath.Join(t.TempDir(), "hookline.db"),
		"--allow-network", "127.0.0.0/8",
		"--retry-schedule", "100ms,200ms",
		"--log-level", "warn",
	}, extraArgs...)
	base, out, stop := runServer(t, args, map[string]string{"HOOKLINE_ADMIN_TOKEN": token}, mod)
	t.Cleanup(stop)
	return &server{url: base, token: token, out: out}
}

// runServer runs serve in-process with the flags args and the environment
// env (and the changes mods make to the configuration) until stop is
// called, and returns its base URL and what it printed on stdout. stop
// waits for serve to return, and fails t if it returned an error.
func runServer(t *testing.T, args []string, env map[string]string, mods ...func(*serveConfig)) (base string, out *bytes.Buffer, stop func()) {
	t.Helper()
	cfg, err := parseServeFlags(args, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	for _, mod := range mods {
		if mod != nil {
			mod(cfg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	out = &bytes.Buffer{}
	go func() { done <- serve(ctx, cfg, func(a string) { addr <- a }, out, io.Discard) }()
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	return base, out, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	}
}

func (s *server) client(t *testing.T) *svix.Svix {
	t.Helper()
	u, _ := url.Parse(s.url)
	c, err := svix.New(s.token, &svix.SvixOptions{ServerUrl: u})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hookReceiver records the webhook-id, headers and body of every request
// and answers status().
type hookReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	ids     []string
	headers []http.Header
	bodies  [][]byte
	status  func(n int) int
}

func newHookReceiver(t *testing.T, status func(n int) int) *hookReceiver {
	h := &hookReceiver{status: status}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.ids = append(h.ids, r.Header.Get("webhook-id"))
		h.headers = append(h.headers, r.Header.Clone())
		h.bodies = append(h.bodies, body)
		n := len(h.ids)
		h.mu.Unlock()
		if h.status != nil {
			w.WriteHeader(h.status(n))
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ids)
}

// TestSDKWalkthrough is the README's walkthrough through the official Svix Go
// SDK: an application, an event type, an endpoint, a message delivered to a
// real receiver, the logs, a resend and a recover.
func TestSDKWalkthrough(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	sx := s.client(t)
	failing := true
	var mu sync.Mutex
	rc := newHookReceiver(t, func(n int) int {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return 500
		}
		return 204
	})

	app, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "Acme", Uid: ptr("acme")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sx.EventType.Create(ctx, models.EventTypeIn{Name: "invoice.paid", Description: "An invoice was paid"}, nil); err != nil {
		t.Fatal(err)
	}
	ep, err := sx.Endpoint.Create(ctx, "acme", models.EndpointIn{
		Url: rc.URL + "/webhooks", FilterTypes: []string{"invoice.paid"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A message of another type does not go to the endpoint.
	if _, err := sx.Message.Create(ctx, app.Id, models.MessageIn{EventType: "user.created", Payload: map[string]any{"x": 1}}, nil); err != nil {
		t.Fatal(err)
	}
	msg, err := sx.Message.Create(ctx, app.Id, models.MessageIn{
		EventType: "invoice.paid", Payload: map[string]any{"invoice": "in_1", "amount": 100},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// The schedule is 100ms, 200ms: three attempts fail, then the delivery fails.
	wait.For(t, "three failed attempts", func() bool {
		out, err := sx.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg.Id, nil)
		return err == nil && len(out.Data) == 1 && out.Data[0].Status == models.MESSAGESTATUS_FAIL
	})
	if rc.count() != 3 {
		t.Fatalf("receiver got %d requests, want 3", rc.count())
	}
	atts, err := sx.MessageAttempt.ListByMsg(ctx, app.Id, msg.Id, nil)
	if err != nil || len(atts.Data) != 3 {
		t.Fatalf("attempts: %v, %v", atts, err)
	}
	for _, a := range atts.Data {
		if a.ResponseStatusCode != 500 || a.Status != models.MESSAGESTATUS_FAIL || a.EndpointId != ep.Id {
			t.Errorf("attempt %+v", a)
		}
	}

	mu.Lock()
	failing = false
	mu.Unlock()

	// Resend: one more attempt, manual, and now it succeeds.
	if _, err := sx.MessageAttempt.Resend(ctx, app.Id, msg.Id, ep.Id, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the resend to succeed", func() bool {
		out, err := sx.MessageAttempt.ListByEndpoint(ctx, app.Id, ep.Id, nil)
		return err == nil && len(out.Data) == 4 && out.Data[0].Status == models.MESSAGESTATUS_SUCCESS
	})
	out, _ := sx.MessageAttempt.ListByEndpoint(ctx, app.Id, ep.Id, nil)
	if out.Data[0].TriggerType != models.MESSAGEATTEMPTTRIGGERTYPE_MANUAL || out.Data[0].ResponseStatusCode != 204 {
		t.Errorf("resend attempt %+v", out.Data[0])
	}

	// Recover: a new failed message is sent again by a recover since before it.
	mu.Lock()
	failing = true
	mu.Unlock()
	since := time.Now().Add(-time.Minute)
	msg2, err := sx.Message.Create(ctx, app.Id, models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"n": 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the second message to fail", func() bool {
		out, err := sx.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg2.Id, nil)
		return err == nil && len(out.Data) == 1 && out.Data[0].Status == models.MESSAGESTATUS_FAIL
	})
	mu.Lock()
	failing = false
	mu.Unlock()
	rec, err := sx.Endpoint.Recover(ctx, app.Id, ep.Id, models.RecoverIn{Since: since}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the recovered message to succeed", func() bool {
		out, err := sx.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg2.Id, nil)
		return err == nil && len(out.Data) == 1 && out.Data[0].Status == models.MESSAGESTATUS_SUCCESS
	})
	// serve's runner ran the recover as a background task.
	wait.For(t, "the recover task to finish", func() bool {
		task, err := sx.BackgroundTask.Get(ctx, rec.Id)
		return err == nil && task.Status == models.BACKGROUNDTASKSTATUS_FINISHED && task.Data["messagesSent"] == float64(1)
	})

	// Every request carried the message id; the payload arrived as sent.
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i, id := range rc.ids {
		if id != msg.Id && id != msg2.Id {
			t.Errorf("request %d has webhook-id %q", i, id)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(rc.bodies[0], &got); err != nil || got["invoice"] != "in_1" {
		t.Errorf("delivered body %s", rc.bodies[0])
	}
}

// TestIdleDeliveryStartsAtOnce checks there is no polling delay: a message to
// an idle server is delivered while the API call that created it is barely
// done. It asserts no duration; it checks the dispatcher was woken (the
// delivery happens long before the dispatcher's idle re-check of a minute).
func TestIdleDeliveryStartsAtOnce(t *testing.T) {
	idle := make(chan struct{}, 1)
	s := startServerWith(t, func(c *serveConfig) {
		c.dispatchQueue = func(q hookline.Queue) hookline.Queue { return idleQueue{q, idle} }
	})
	ctx := context.Background()
	sx := s.client(t)
	rc := newHookReceiver(t, nil)
	app, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "idle"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sx.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: rc.URL}, nil); err != nil {
		t.Fatal(err)
	}
	// The dispatcher asks for the next due time only when its claim found
	// nothing more: it then waits for a signal (or its idle re-check).
	wait.For(t, "the dispatcher to go idle", func() bool {
		select {
		case <-idle:
			return true
		default:
			return false
		}
	})
	if _, err := sx.Message.Create(ctx, app.Id, models.MessageIn{EventType: "a.b", Payload: map[string]any{}}, nil); err != nil {
		t.Fatal(err)
	}
	// The deadline is far below the one-minute idle re-check: only a
	// dispatcher woken by the message delivers it in time.
	wait.Within(t, 20*time.Second, "the idle dispatcher to be woken by the new message", func() bool { return rc.count() > 0 })
}

// idleQueue is a queue that signals idle each time the dispatcher asks
// for the next due time, which it does just before it waits.
type idleQueue struct {
	hookline.Queue
	idle chan struct{}
}

func (q idleQueue) NextDue(ctx context.Context) (time.Time, bool, error) {
	next, ok, err := q.Queue.NextDue(ctx)
	select {
	case q.idle <- struct{}{}:
	default:
	}
	return next, ok, err
}

func TestServeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--allow-network", "not-a-cidr"},
		{"--max-body", "huge"},
		{"--timeout", "-1s"},
		{"--retry-schedule", "5s,soon"},
		{"--timeout", "10s", "--lease", "5s"},
		{"stray"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), append([]string{"serve"}, args...), func(string) string { return "" },
			strings.NewReader(""), io.Discard, &stderr)
		if code != 2 || stderr.Len() == 0 {
			t.Errorf("serve %v: exit %d, stderr %q; want 2 and a reason", args, code, stderr.String())
		}
	}
}

func TestEnvironmentTwins(t *testing.T) {
	env := map[string]string{
		"HOOKLINE_LISTEN": "127.0.0.1:9999", "HOOKLINE_DB": "/tmp/x.db",
		"HOOKLINE_ALLOW_NETWORK": "10.0.0.0/8,127.0.0.1", "HOOKLINE_MAX_BODY": "2MiB",
		"HOOKLINE_TIMEOUT": "3s", "HOOKLINE_RETRY_SCHEDULE": "1s,2s",
	}
	cfg, err := parseServeFlags([]string{"--timeout", "4s"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || cfg.DB != "/tmp/x.db" || len(cfg.AllowNetworks) != 2 ||
		cfg.MaxBodyBytes != 2<<20 || cfg.Timeout != 4*time.Second || len(cfg.Schedule) != 2 {
		t.Fatalf("config from environment: %+v", cfg)
	}
}

func TestServeDefaults(t *testing.T) {
	cfg, err := parseServeFlags(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	want := &serveConfig{
		Listen: "127.0.0.1:8071", DB: "hookline.db", PublicURL: "http://127.0.0.1:8071",
		MaxBodyBytes: 1 << 20, Timeout: 15 * time.Second, Workers: 64, SecretGrace: 24 * time.Hour, Retention: 90 * 24 * time.Hour,
		EndpointConcurrency: 16, DisableAfter: 5 * 24 * time.Hour, MaxEndpointsPerApp: 50, SignatureHeaders: dispatch.HeadersWebhook,
		Schedule: dispatch.DefaultSchedule, LogLevel: slog.LevelInfo,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults\n got %+v\nwant %+v", cfg, want)
	}
}

// TestEveryVariableIsATwin sets each environment variable alone and checks
// that it lands in the configuration, and that a flag given as well wins.
func TestEveryVariableIsATwin(t *testing.T) {
	for _, tc := range []struct {
		env, value, flag, flagValue string
		check                       func(*serveConfig) any
		fromEnv, fromFlag           any
	}{
		{"HOOKLINE_LISTEN", "127.0.0.1:9", "--listen", "127.0.0.1:10", func(c *serveConfig) any { return c.Listen }, "127.0.0.1:9", "127.0.0.1:10"},
		{"HOOKLINE_DB", "/tmp/a.db", "--db", "/tmp/b.db", func(c *serveConfig) any { return c.DB }, "/tmp/a.db", "/tmp/b.db"},
		{"HOOKLINE_PUBLIC_URL", "https://a.example", "--public-url", "https://b.example", func(c *serveConfig) any { return c.PublicURL }, "https://a.example", "https://b.example"},
		{"HOOKLINE_ALLOW_NETWORK", "10.0.0.0/8", "--allow-network", "192.168.0.0/16", func(c *serveConfig) any { return len(c.AllowNetworks) }, 1, 2},
		{"HOOKLINE_ALLOW_PORT", "443", "--allow-port", "8443", func(c *serveConfig) any { return len(c.AllowPorts) }, 1, 1},
		{"HOOKLINE_HTTPS_ONLY", "true", "--https-only=false", "", func(c *serveConfig) any { return c.HTTPSOnly }, true, false},
		{"HOOKLINE_EGRESS_PROXY", "socks5://127.0.0.1:1080", "--egress-proxy", "http://127.0.0.1:3128", func(c *serveConfig) any { return c.EgressProxy }, "socks5://127.0.0.1:1080", "http://127.0.0.1:3128"},
		{"HOOKLINE_EGRESS_IPS", "203.0.113.5,2001:db8::5", "--egress-ips", "198.51.100.7", func(c *serveConfig) any { return len(c.EgressIPs) }, 2, 1},
		{"HOOKLINE_EGRESS_CLIENT_CERT_FILE", "/tmp/a.pem", "--egress-client-cert-file", "/tmp/b.pem", func(c *serveConfig) any { return c.EgressCertFile }, "/tmp/a.pem", "/tmp/b.pem"},
		{"HOOKLINE_EGRESS_CLIENT_KEY_FILE", "/tmp/a.key", "--egress-client-key-file", "/tmp/b.key", func(c *serveConfig) any { return c.EgressKeyFile }, "/tmp/a.key", "/tmp/b.key"},
		{"HOOKLINE_MAX_BODY", "2MiB", "--max-body", "3KiB", func(c *serveConfig) any { return c.MaxBodyBytes }, int64(2 << 20), int64(3 << 10)},
		{"HOOKLINE_TIMEOUT", "3s", "--timeout", "4s", func(c *serveConfig) any { return c.Timeout }, 3 * time.Second, 4 * time.Second},
		{"HOOKLINE_SECRET_GRACE_PERIOD", "1h", "--secret-grace-period", "2h", func(c *serveConfig) any { return c.SecretGrace }, time.Hour, 2 * time.Hour},
		{"HOOKLINE_ENDPOINT_CONCURRENCY", "4", "--endpoint-concurrency", "5", func(c *serveConfig) any { return c.EndpointConcurrency }, 4, 5},
		{"HOOKLINE_HOST_CONCURRENCY", "6", "--host-concurrency", "7", func(c *serveConfig) any { return c.HostConcurrency }, 6, 7},
		{"HOOKLINE_SIGNATURE_HEADERS", "svix", "--signature-headers", "both", func(c *serveConfig) any { return c.SignatureHeaders }, dispatch.HeadersSvix, dispatch.HeadersBoth},
		{"HOOKLINE_MAX_ENDPOINTS_PER_APP", "8", "--max-endpoints-per-app", "9", func(c *serveConfig) any { return c.MaxEndpointsPerApp }, 8, 9},
		{"HOOKLINE_MAX_CONNECTIONS", "10", "--max-connections", "11", func(c *serveConfig) any { return c.MaxConnections }, 10, 11},
		{"HOOKLINE_DISABLE_AFTER", "0", "--disable-after", "48h", func(c *serveConfig) any { return c.DisableAfter }, time.Duration(0), 48 * time.Hour},
		{"HOOKLINE_LEASE", "90s", "--lease", "100s", func(c *serveConfig) any { return c.Lease }, 90 * time.Second, 100 * time.Second},
		{"HOOKLINE_WORKERS", "8", "--workers", "9", func(c *serveConfig) any { return c.Workers }, 8, 9},
		{"HOOKLINE_RETRY_SCHEDULE", "1s,2s", "--retry-schedule", "3s", func(c *serveConfig) any { return len(c.Schedule) }, 2, 1},
		{"HOOKLINE_PPROF_LISTEN", "127.0.0.1:6060", "--pprof-listen", "127.0.0.1:6061", func(c *serveConfig) any { return c.PprofListen }, "127.0.0.1:6060", "127.0.0.1:6061"},
		{"HOOKLINE_LOG_LEVEL", "debug", "--log-level", "error", func(c *serveConfig) any { return c.LogLevel }, slog.LevelDebug, slog.LevelError},
		{"HOOKLINE_NO_DISPATCH", "true", "--no-dispatch=false", "", func(c *serveConfig) any { return c.NoDispatch }, true, false},
		{"HOOKLINE_SECRET_KEY_FILE", "/tmp/a.key", "--secret-key-file", "/tmp/b.key", func(c *serveConfig) any { return c.SecretKeyFile }, "/tmp/a.key", "/tmp/b.key"},
	} {
		getenv := func(k string) string {
			if k == tc.env {
				return tc.value
			}
			return ""
		}
		cfg, err := parseServeFlags(nil, getenv)
		if err != nil {
			t.Errorf("%s=%s: %v", tc.env, tc.value, err)
			continue
		}
		if got := tc.check(cfg); got != tc.fromEnv {
			t.Errorf("%s=%s: got %v, want %v", tc.env, tc.value, got, tc.fromEnv)
		}
		args := []string{tc.flag}
		if tc.flagValue != "" {
			args = append(args, tc.flagValue)
		}
		if cfg, err = parseServeFlags(args, getenv); err != nil {
			t.Errorf("%s=%s %v: %v", tc.env, tc.value, args, err)
			continue
		}
		if got := tc.check(cfg); got != tc.fromFlag {
			t.Errorf("%s=%s %v: got %v, want %v", tc.env, tc.value, args, got, tc.fromFlag)
		}
	}
	// The three variables without a flag.
	const token = "hk_x_0123456789abcdefghijk"
	cfg, err := parseServeFlags(nil, func(k string) string {
		return map[string]string{"HOOKLINE_ADMIN_TOKEN": token, "HOOKLINE_SECRET_KEY": "a2V5", "HOOKLINE_PREVIOUS_SECRET_KEYS": "b2xk"}[k]
	})
	if err != nil || cfg.AdminToken != token || cfg.SecretKey != "a2V5" || cfg.PreviousSecretKeys != "b2xk" {
		t.Fatalf("HOOKLINE_ADMIN_TOKEN, HOOKLINE_SECRET_KEY and HOOKLINE_PREVIOUS_SECRET_KEYS: %+v, %v", cfg, err)
	}
}

// TestConfigurationDocumented checks that docs/configuration.md names every
// flag of serve with its variable, and every variable without a flag.
func TestConfigurationDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	f := newServeFlags(func(string) string { return "" }, &serveConfig{})
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n != len(f.flags) {
		t.Fatalf("%d flags defined, %d of them with a variable", n, len(f.flags))
	}
	for _, fl := range f.flags {
		env := "HOOKLINE_" + strings.ToUpper(strings.ReplaceAll(fl.name, "-", "_"))
		if fl.env != env {
			t.Errorf("flag --%s: variable %s, want %s", fl.name, fl.env, env)
		}
		row := "| `--" + fl.name + "` | `" + env + "` |"
		if !bytes.Contains(doc, []byte(row)) {
			t.Errorf("docs/configuration.md has no row %q", row)
		}
	}
	for _, env := range []string{"HOOKLINE_ADMIN_TOKEN", "HOOKLINE_SECRET_KEY", "HOOKLINE_PREVIOUS_SECRET_KEYS"} {
		if !bytes.Contains(doc, []byte("| | `"+env+"` |")) {
			t.Errorf("docs/configuration.md has no row for %s", env)
		}
		if !slices.ContainsFunc(f.vars, func(v envFlag) bool { return v.env == env }) {
			t.Errorf("serve's help does not list %s", env)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestRedactDB(t *testing.T) {
	if got := redactDB("postgres://hook:s3cret@db.internal:5432/hooks"); strings.Contains(got, "s3cret") {
		t.Fatalf("password in %q", got)
	}
	if got := redactDB("/var/lib/hookline/hookline.db"); got != "/var/lib/hookline/hookline.db" {
		t.Fatalf("a file path changed: %q", got)
	}
}

// TestWalkthroughVerify is the README walkthrough's check of a delivery: the
// receiver keeps the request as it came (request line, headers, body, as the
// README's receiver writes last-delivery.http), the endpoint's secret comes
// from the API by the endpoint's uid, and 'hookline verify --request' says
// the delivery is valid; with another secret, it is not.
func TestWalkthroughVerify(t *testing.T) {
	s := startServer(t)
	raw := make(chan []byte, 1)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b bytes.Buffer
		fmt.Fprintf(&b, "%s %s %s\r\n", r.Method, r.RequestURI, r.Proto)
		r.Header.Write(&b)
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
		b.Write(body)
		raw <- b.Bytes()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	client := &http.Client{Timeout: 10 * time.Second}
	for _, c := range []struct {
		path string
		body any
	}{
		{"/api/v1/app", map[string]any{"name": "Acme Inc.", "uid": "acme"}},
		{"/api/v1/app/acme/endpoint", map[string]any{"url": rc.URL + "/webhooks", "uid": "billing"}},
	} {
		if code, err := apiCall(client, "POST", s.url+c.path, s.token, c.body, nil); err != nil || code != 201 {
			t.Fatalf("POST %s: %d %v", c.path, code, err)
		}
	}
	if code, err := apiCall(client, "POST", s.url+"/api/v1/app/acme/msg", s.token,
		map[string]any{"eventType": "invoice.paid", "payload": map[string]any{"invoice": "in_123", "amount": 4200}}, nil); err != nil || code != 202 {
		t.Fatalf("send: %d %v", code, err)
	}
	var secret struct{ Key string }
	if code, err := apiCall(client, "GET", s.url+"/api/v1/app/acme/endpoint/billing/secret", s.token, nil, &secret); err != nil || code != 200 {
		t.Fatalf("the endpoint's secret: %d %v", code, err)
	}
	var delivery []byte
	select {
	case delivery = <-raw:
	case <-time.After(wait.Deadline):
		t.Fatal("no delivery")
	}
	verify := func(secret string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"verify", "--secret", secret, "--request"}, func(string) string { return "" },
			bytes.NewReader(delivery), &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, out := verify(secret.Key); code != 0 || !strings.HasPrefix(out, "valid") {
		t.Fatalf("hookline verify with the endpoint's secret: exit %d: %s", code, out)
	}
	if code, _ := verify("whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 24))); code != 1 {
		t.Fatalf("hookline verify with another secret: exit %d, want 1", code)
	}
}
