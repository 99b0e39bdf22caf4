package dispatch_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/internal/logtest"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/signature"
	"github.com/hookline/hookline/sqlite"
)

// receiver is a real HTTP server on 127.0.0.1 that records what it gets and
// answers with whatever respond says.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*recorded
	respond  func(n int, w http.ResponseWriter, r *http.Request)
}

type recorded struct {
	header http.Header
	body   []byte
	path   string
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, &recorded{header: r.Header.Clone(), body: body, path: r.URL.Path})
		n := len(rc.requests)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(n, w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

// closeConnections makes rc close each connection after its response, for
// a test that reaches it from inside a testing/synctest bubble: a
// connection kept alive would leave a goroutine of the bubble waiting on
// the network, which synctest does not count as blocked, so the bubble
// would never be idle and its clock never move. (The receiver itself is
// made outside the bubble, for the same reason.)
func (rc *receiver) closeConnections() { rc.Config.SetKeepAlivesEnabled(false) }

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.requests)
}

func (rc *receiver) request(i int) *recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests[i]
}

type fixture struct {
	store hookline.Store
	app   *hookline.Application
	ctx   context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	now := time.Now()
	app := &hookline.Application{ID: hookline.NewID(hookline.PrefixApplication), Name: "test", CreatedAt: now, UpdatedAt: now}
	if err := store.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	return &fixture{store: store, app: app, ctx: ctx}
}

func (f *fixture) endpoint(t *testing.T, url string) *hookline.Endpoint {
	t.Helper()
	now := time.Now()
	ep := &hookline.Endpoint{
		ID: hookline.NewID(hookline.PrefixEndpoint), AppID: f.app.ID, URL: url,
		Secret: hookline.NewSecret(), Headers: map[string]string{"X-Custom": "yes"},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := f.store.CreateEndpoint(f.ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	return ep
}

func (f *fixture) message(t *testing.T, payload string) *hookline.Message {
	t.Helper()
	now := time.Now()
	m := &hookline.Message{
		ID: hookline.NewID(hookline.PrefixMessage), AppID: f.app.ID, EventType: "invoice.paid",
		Payload: []byte(payload), CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
	if _, err := f.store.CreateMessage(f.ctx, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// run starts a dispatcher allowed to reach loopback and stops it at cleanup.
func (f *fixture) run(t *testing.T, cfg dispatch.Config) {
	t.Helper()
	cfg.Store = f.store
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = newEgress(t, egress.Config{
			Policy:  egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
			Timeout: cfg.Timeout,
		})
	}
	if cfg.Jitter == 0 {
		cfg.Jitter = -1
	}
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- dispatch.New(cfg).Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func newEgress(t *testing.T, cfg egress.Config) *egress.Client {
	t.Helper()
	c, err := egress.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) attempts(t *testing.T, msgID string) []*hookline.Attempt {
	t.Helper()
	page, err := f.store.ListAttemptsByMessage(f.ctx, f.app.ID, msgID, hookline.AttemptFilter{
		ListOptions: hookline.ListOptions{Limit: 100},
	})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func (f *fixture) delivery(t *testing.T, msgID string) hookline.Delivery {
	t.Helper()
	page, err := f.store.ListDeliveriesByMessage(f.ctx, f.app.ID, msgID, hookline.ListOptions{Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("deliveries of %s: %v, %v", msgID, page.Items, err)
	}
	return page.Items[0].Delivery
}

func TestDeliverSigned(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	ep := f.endpoint(t, rc.URL+"/hook")
	f.run(t, dispatch.Config{})
	msg := f.message(t, `{"amount":42,"currency":"EUR"}`)

	wait.For(t, "the delivery", func() bool { return rc.count() == 1 })
	req := rc.request(0)
	if string(req.body) != `{"amount":42,"currency":"EUR"}` {
		t.Errorf("body %q", req.body)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", "User-Agent": hookline.UserAgent(),
		"Webhook-Id": msg.ID, "X-Custom": "yes",
	} {
		if got := req.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	// Verify with the Standard Webhooks reference library, not our own code.
	wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString(ep.Secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(req.body, req.header); err != nil {
		t.Errorf("signature does not verify with the Standard Webhooks library: %v", err)
	}
	wait.For(t, "the success to be recorded", func() bool {
		return f.delivery(t, msg.ID).Status == hookline.StatusSuccess
	})
	atts := f.attempts(t, msg.ID)
	if len(atts) != 1 || atts[0].Status != hookline.StatusSuccess || atts[0].StatusCode != 200 ||
		atts[0].Trigger != hookline.TriggerScheduled {
		t.Fatalf("attempts %+v", atts)
	}
}

func TestRetryAfterFailure(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(500)
			io.WriteString(w, "try later")
		}
	})
	f.endpoint(t, rc.URL)
	f.run(t, dispatch.Config{Schedule: []time.Duration{50 * time.Millisecond, time.Hour}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "success after a retry", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusSuccess })
	if rc.count() != 2 {
		t.Fatalf("receiver got %d requests, want 2", rc.count())
	}
	if a, b := rc.request(0).header.Get("Webhook-Id"), rc.request(1).header.Get("Webhook-Id"); a != msg.ID || b != msg.ID {
		t.Errorf("webhook-id changed across retries: %q, %q", a, b)
	}
	atts := f.attempts(t, msg.ID) // oldest first
	if len(atts) != 2 || atts[0].StatusCode != 500 || atts[0].Response != "try later" || atts[0].Status != hookline.StatusFail ||
		atts[1].StatusCode != 200 {
		t.Fatalf("attempts %+v %+v", atts[0], atts[1])
	}
}

func TestExhaustedScheduleFails(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) })
	f.endpoint(t, rc.URL)
	f.run(t, dispatch.Config{Schedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the delivery to fail", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusFail })
	if n := len(f.attempts(t, msg.ID)); n != 3 {
		t.Fatalf("%d attempts, want 3 (first + 2 retries)", n)
	}
	if d := f.delivery(t, msg.ID); d.NextAttemptAt != nil {
		t.Errorf("failed delivery still has a next attempt at %v", d.NextAttemptAt)
	}
}

func TestTimeout(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	f.endpoint(t, rc.URL)
	f.run(t, dispatch.Config{Timeout: 300 * time.Millisecond, Schedule: []time.Duration{time.Hour}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the timed-out attempt", func() bool { return len(f.attempts(t, msg.ID)) == 1 })
	a := f.attempts(t, msg.ID)[0]
	if a.Status != hookline.StatusFail || a.StatusCode != 0 || !strings.Contains(a.Response, "timeout") {
		t.Fatalf("attempt %+v", a)
	}
	d := f.delivery(t, msg.ID)
	if d.Status != hookline.StatusPending || d.NextAttemptAt == nil {
		t.Fatalf("delivery after a timeout: %+v", d)
	}
}

func TestGoneDisablesEndpoint(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	ep := f.endpoint(t, rc.URL)
	f.run(t, dispatch.Config{Schedule: []time.Duration{10 * time.Millisecond}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the delivery to fail", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusFail })
	got, err := f.store.Endpoint(f.ctx, f.app.ID, ep.ID)
	if err != nil || !got.Disabled || got.DisabledReason != hookline.DisabledGone || got.DisabledAt == nil {
		t.Fatalf("endpoint after 410: %+v, %v", got, err)
	}
	if rc.count() != 1 {
		t.Fatalf("receiver got %d requests after 410, want 1", rc.count())
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	f := newFixture(t)
	var target int
	var mu sync.Mutex
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			mu.Lock()
			target++
			mu.Unlock()
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	f.endpoint(t, rc.URL+"/hook")
	f.run(t, dispatch.Config{Schedule: []time.Duration{time.Hour}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the attempt", func() bool { return len(f.attempts(t, msg.ID)) == 1 })
	a := f.attempts(t, msg.ID)[0]
	mu.Lock()
	defer mu.Unlock()
	if a.StatusCode != http.StatusTemporaryRedirect || a.Status != hookline.StatusFail || target != 0 {
		t.Fatalf("attempt %+v, redirect target hit %d times", a, target)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	f.endpoint(t, rc.URL)
	// The schedule alone would wait an hour; Retry-After says one second.
	f.run(t, dispatch.Config{Schedule: []time.Duration{time.Hour}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the first attempt", func() bool { return len(f.attempts(t, msg.ID)) == 1 })
	first := f.attempts(t, msg.ID)[0]
	d := f.delivery(t, msg.ID)
	if d.NextAttemptAt == nil {
		t.Fatalf("no next attempt after 429: %+v", d)
	}
	if gap := d.NextAttemptAt.Sub(first.CreatedAt); gap < time.Second || gap > time.Minute {
		t.Fatalf("next attempt %v after the first, want Retry-After's 1s (not the schedule's hour)", gap)
	}
	wait.For(t, "the retry", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusSuccess })
}

// TestPrivateNetworkRefused: a delivery to a denied address is refused; the
// attempt log, which the tenant reads, names the class of the address but
// not the address; the operator's log names it.
func TestPrivateNetworkRefused(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	ep := f.endpoint(t, strings.Replace(rc.URL, "127.0.0.1", "localhost", 1))
	logger, logs := logtest.Logger()
	// The default client allows no private network.
	f.run(t, dispatch.Config{Client: newEgress(t, egress.Config{}), Schedule: []time.Duration{time.Hour}, Logger: logger})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the refused attempt", func() bool { return len(f.attempts(t, msg.ID)) == 1 })
	a := f.attempts(t, msg.ID)[0]
	if a.Status != hookline.StatusFail || !strings.Contains(a.Response, "loopback") || rc.count() != 0 {
		t.Fatalf("attempt %+v, receiver hits %d", a, rc.count())
	}
	if strings.Contains(a.Response, "127.0.0.1") || strings.Contains(a.Response, "::1") {
		t.Errorf("the attempt log names the address localhost resolved to: %q", a.Response)
	}
	if l := logs.String(); !strings.Contains(l, "egress refused a delivery") || !strings.Contains(l, "loopback") ||
		!(strings.Contains(l, "127.0.0.1") || strings.Contains(l, "::1")) {
		t.Errorf("the operator's log does not name the address:\n%s", l)
	}
	// The ids have the keys of every other line.
	ids := "app_id=" + f.app.ID + " endpoint_id=" + ep.ID + " msg_id=" + msg.ID + " host=localhost:"
	if l := logs.String(); !strings.Contains(l, `level=WARN msg="dispatch: egress refused a delivery" `+ids) {
		t.Errorf("the line does not say %q:\n%s", ids, l)
	}
}

func TestManyMessagesAllDelivered(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	seen := map[string]int{}
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Webhook-Id")]++
		mu.Unlock()
	})
	f.endpoint(t, rc.URL)
	f.endpoint(t, rc.URL+"/second")
	f.run(t, dispatch.Config{Workers: 8, ClaimBatch: 16})
	const n = 300
	for i := 0; i < n; i++ {
		f.message(t, `{"i":1}`)
	}
	wait.For(t, "every delivery", func() bool { return rc.count() >= 2*n })
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Fatalf("%d distinct messages delivered, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 2 {
			t.Fatalf("message %s delivered %d times, want 2 (two endpoints)", id, c)
		}
	}
}

func TestRetryAfterOn503(t *testing.T) {
	f := newFixture(t)
	retryAt := time.Now().Add(2 * time.Second).UTC()
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", retryAt.Format(http.TimeFormat)) // the HTTP-date form
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	f.endpoint(t, rc.URL)
	f.run(t, dispatch.Config{Schedule: []time.Duration{time.Hour}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the first attempt", func() bool { return len(f.attempts(t, msg.ID)) == 1 })
	d := f.delivery(t, msg.ID)
	if d.NextAttemptAt == nil {
		t.Fatalf("no next attempt after 503: %+v", d)
	}
	// The header has whole seconds; the schedule alone would say an hour.
	if off := d.NextAttemptAt.Sub(retryAt); off < -2*time.Second || off > time.Second {
		t.Fatalf("next attempt at %v, want about %v (Retry-After)", d.NextAttemptAt, retryAt)
	}
	wait.For(t, "the retry", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusSuccess })
}

func TestRetryAfterIgnoredOn500(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusInternalServerError)
	})
	f.endpoint(t, rc.URL)
	f.run(t, dispatch.Config{Schedule: []time.Duration{time.Hour}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the first attempt", func() bool { return len(f.attempts(t, msg.ID)) == 1 })
	d := f.delivery(t, msg.ID)
	if d.NextAttemptAt == nil || time.Until(*d.NextAttemptAt) < 50*time.Minute {
		t.Fatalf("next attempt %v after a 500, want the schedule's hour", d.NextAttemptAt)
	}
}

func TestResponseBodyCapped(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("x", 40<<10)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, big)
	})
	f.endpoint(t, rc.URL)
	f.run(t, dispatch.Config{Schedule: []time.Duration{time.Hour}})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the attempt", func() bool { return len(f.attempts(t, msg.ID)) == 1 })
	a := f.attempts(t, msg.ID)[0]
	if len(a.Response) != 16<<10 || a.StatusCode != http.StatusBadRequest {
		t.Fatalf("attempt kept %d bytes of the response (status %d), want the default cap of 16 KiB", len(a.Response), a.StatusCode)
	}
}

func TestAttemptRecordsDuration(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		time.Sleep(120 * time.Millisecond)
	})
	f.endpoint(t, rc.URL)
	f.run(t, dispatch.Config{})
	msg := f.message(t, `{"a":1}`)

	wait.For(t, "the success", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusSuccess })
	a := f.attempts(t, msg.ID)[0]
	// The receiver held the request 120 ms: the recorded duration cannot be less.
	if a.DurationMS < 120 {
		t.Fatalf("attempt duration %d ms, want at least the receiver's 120 ms", a.DurationMS)
	}
}

// TestBacklogAndNewMessages publishes while a backlog is being drained,
// and then while the dispatcher is caught up: the backlog is claimed, new
// messages are fed straight to the workers or claimed, and every message
// arrives exactly once. It runs in a testing/synctest bubble, so that "no
// duplicate" is a fact, not a wait: once every message has arrived, the
// bubble's clock is moved a minute on (past every lease and the
// dispatcher's idle look at the queue) and, every goroutine of the bubble
// blocked again, whatever was to be sent has been.
func TestBacklogAndNewMessages(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Webhook-Id")]++
		mu.Unlock()
	})
	rc.closeConnections()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t)
		f.endpoint(t, rc.URL)
		const n = 300
		for range n {
			f.message(t, `{"old":true}`)
		}
		fed := &feedCount{Store: f.store}
		f.store = fed
		f.run(t, dispatch.Config{Workers: 4, ClaimBatch: 8})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for i := range n / 4 {
					f.message(t, `{"new":true}`)
					if i >= n/8 {
						// The clock moves once every goroutine is
						// blocked: the dispatcher has caught up.
						time.Sleep(time.Millisecond)
					}
				}
			})
		}
		wg.Wait()
		wait.For(t, "every delivery", func() bool { return rc.count() >= 2*n })
		time.Sleep(time.Minute)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 2*n || rc.count() != 2*n {
			t.Fatalf("%d distinct messages in %d requests, want %d in %d", len(seen), rc.count(), 2*n, 2*n)
		}
		if fed.n.Load() == 0 {
			t.Fatal("no delivery was fed to the dispatcher: the test did not try the feed")
		}
	})
}

// feedCount counts the deliveries its store feeds the dispatcher.
type feedCount struct {
	hookline.Store
	n atomic.Int64
}

func (c *feedCount) SetFeed(f hookline.Feed) {
	if f != nil {
		f = &countedFeed{Feed: f, n: &c.n}
	}
	c.Store.(hookline.Feeder).SetFeed(f)
}

type countedFeed struct {
	hookline.Feed
	n *atomic.Int64
}

func (f *countedFeed) Deliver(tasks []*hookline.Task) {
	f.n.Add(int64(len(tasks)))
	f.Feed.Deliver(tasks)
}

// completions counts the Complete calls a store gets, and their outcomes.
type completions struct {
	hookline.Store
	mu    sync.Mutex
	sizes []int
}

func (c *completions) Complete(ctx context.Context, owner string, outs []hookline.Outcome) error {
	c.mu.Lock()
	c.sizes = append(c.sizes, len(outs))
	c.mu.Unlock()
	return c.Store.Complete(ctx, owner, outs)
}

func (c *completions) calls() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.sizes...)
}

// TestOutcomeLinger runs in a testing/synctest bubble, whose clock moves
// only when every goroutine of the bubble is blocked: once they all are,
// an outcome not yet written is held by the outcome writer, which lingers.
func TestOutcomeLinger(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.closeConnections()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t)
		f.endpoint(t, rc.URL)
		counted := &completions{Store: f.store}
		f.store = counted
		const linger = 2 * time.Second
		f.run(t, dispatch.Config{OutcomeLinger: linger})

		m1 := f.message(t, `{"n":1}`)
		synctest.Wait()
		if rc.count() != 1 {
			t.Fatalf("%d deliveries, want 1", rc.count())
		}
		if got := counted.calls(); len(got) != 0 {
			t.Fatalf("Complete called %v at once, with a linger of %v", got, linger)
		}
		m2 := f.message(t, `{"n":2}`)
		synctest.Wait()
		if rc.count() != 2 {
			t.Fatalf("%d deliveries, want 2", rc.count())
		}
		// Both outcomes wait for more, up to the linger after the first.
		time.Sleep(linger - time.Millisecond)
		synctest.Wait()
		if got := counted.calls(); len(got) != 0 {
			t.Fatalf("Complete called %v before the linger of %v ended", got, linger)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if got := counted.calls(); len(got) != 1 || got[0] != 2 {
			t.Fatalf("Complete calls with %v outcomes once the linger ended, want one call with both", got)
		}
		wait.For(t, "both outcomes in the store", func() bool {
			return len(f.attempts(t, m1.ID)) == 1 && len(f.attempts(t, m2.ID)) == 1
		})
	})
}

// TestSignatureHeaders: each choice of signature headers sends those
// headers, and only those, with the same id, timestamp and a signature that
// verifies with the endpoint's secret.
func TestSignatureHeaders(t *testing.T) {
	for _, tc := range []struct {
		headers        dispatch.Headers
		webhook, svixH bool
	}{
		{"", true, false},
		{dispatch.HeadersWebhook, true, false},
		{dispatch.HeadersSvix, false, true},
		{dispatch.HeadersBoth, true, true},
	} {
		t.Run(string(tc.headers), func(t *testing.T) {
			f := newFixture(t)
			rc := newReceiver(t, nil)
			ep := f.endpoint(t, rc.URL)
			f.run(t, dispatch.Config{SignatureHeaders: tc.headers})
			msg := f.message(t, `{"a":1}`)
			wait.For(t, "the delivery", func() bool { return rc.count() == 1 })
			r := rc.request(0)
			for _, set := range []struct {
				want           bool
				id, ts, sigKey string
			}{
				{tc.webhook, "Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"},
				{tc.svixH, "Svix-Id", "Svix-Timestamp", "Svix-Signature"},
			} {
				if got := r.header.Get(set.id) != ""; got != set.want {
					t.Fatalf("%s sent: %v, want %v", set.id, got, set.want)
				}
				if !set.want {
					continue
				}
				if r.header.Get(set.id) != msg.ID || r.header.Get(set.ts) == "" || r.header.Get(set.sigKey) == "" {
					t.Fatalf("%s headers: %v", set.id, r.header)
				}
			}
			v, err := signature.NewSvix(whsec(ep.Secret))
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(r.header, r.body); err != nil {
				t.Fatalf("the signature does not verify: %v", err)
			}
		})
	}
}
