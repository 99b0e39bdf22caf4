package outbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/outbox"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/postgres/pgtest"
	"github.com/hookline/hookline/signature"
)

// receiver records the webhooks it gets.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  map[string]int // webhook-id: count
	bad  []string       // webhooks whose signature did not match
	body map[string]string
}

func newReceiver(t *testing.T, secret func() []byte) *receiver {
	r := &receiver{got: map[string]int{}, body: map[string]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		id := req.Header.Get("webhook-id")
		ts, _ := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got[id]++
		r.body[id] = string(b)
		if req.Header.Get("webhook-signature") != signature.SignV1(secret(), id, time.Unix(ts, 0), b) {
			r.bad = append(r.bad, id)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[id]
}

func (r *receiver) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.got {
		n += c
	}
	return n
}

// TestSend writes messages with outbox.Send in transactions of an
// application's own pool, next to the application's own rows, with a
// dispatcher running on a postgres Store of the same schema and a receiver
// on 127.0.0.1: a rolled-back transaction sends nothing, a committed one is
// delivered, signed, once.
func TestSend(t *testing.T) {
	schema, url := pgtest.Schema(t)
	ctx := t.Context()
	store, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	var secret []byte
	rc := newReceiver(t, func() []byte { return secret })
	app := &hookline.Application{Name: "shop", UID: ptr("shop")}
	if err := store.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	ep := &hookline.Endpoint{AppID: app.ID, URL: rc.URL, EventTypes: []string{"invoice.paid"}}
	if err := store.CreateEndpoint(ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	secret = ep.Secret

	// The dispatcher: on the store, waiting on Due. Nothing is due yet, so
	// it sleeps up to a minute unless a notification wakes it.
	client, err := egress.New(egress.Config{
		Policy:  egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := dispatch.New(dispatch.Config{Store: store, Client: client, Timeout: 5 * time.Second})
	dctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(dctx) }()
	// stop returns once the dispatcher has finished the attempts in flight
	// and recorded them: nothing more is sent.
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	defer stop()

	// The application: its own pool (no search_path: it names the schema)
	// and its own table.
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE `+schema+`.invoices (id text PRIMARY KEY, paid boolean NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	pay := func(invoice string, commit bool) string {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO `+schema+`.invoices (id, paid) VALUES ($1, true)`, invoice); err != nil {
			t.Fatal(err)
		}
		id, err := outbox.Send(ctx, tx, schema, "shop", outbox.Message{
			EventType: "invoice.paid",
			EventID:   "paid-" + invoice,
			Payload:   json.RawMessage(`{"invoice": "` + invoice + `"}`),
		})
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}

	rolledBack := pay("in_1", false)
	if _, err := store.Message(ctx, app.ID, rolledBack); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		t.Fatalf("the message of a rolled-back transaction: %v, want ENOTFOUND", err)
	}
	committed := pay("in_2", true)

	wait.For(t, "the committed message to be delivered", func() bool { return rc.count(committed) > 0 })
	m, err := store.Message(ctx, app.ID, "paid-in_2")
	if err != nil || m.ID != committed {
		t.Fatalf("the committed message by eventId: %v %v", m, err)
	}
	// Nothing else arrives, then or later: with the dispatcher stopped, the
	// receiver has all it was sent, and the store holds nothing more to
	// deliver.
	stop()
	if at, ok, err := store.NextDue(ctx); err != nil || ok {
		t.Fatalf("a delivery is still due at %v (%v), want none", at, err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Fatalf("bad signatures on %v", rc.bad)
	}
	if rc.got[rolledBack] != 0 || len(rc.got) != 1 || rc.got[committed] != 1 {
		t.Fatalf("received %v; want only %s, once", rc.got, committed)
	}
	if rc.body[committed] != `{"invoice":"in_2"}` {
		t.Fatalf("delivered body %s", rc.body[committed])
	}
}

// TestSendErrors: refusals that leave the caller's transaction usable.
func TestSendErrors(t *testing.T) {
	schema, url := pgtest.Schema(t)
	ctx := t.Context()
	store, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	app := &hookline.Application{Name: "shop"}
	if err := store.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/hook"}, 0); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	msg := outbox.Message{EventType: "a.b", EventID: "once", Payload: json.RawMessage(`{"a":1}`)}
	first, err := outbox.Send(ctx, tx, schema, app.ID, msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		app  string
		msg  outbox.Message
		code string
	}{
		{"taken eventId", app.ID, msg, hookline.ECONFLICT},
		{"unknown application", "nope", outbox.Message{EventType: "a.b", Payload: json.RawMessage(`{}`)}, hookline.ENOTFOUND},
		{"payload not an object", app.ID, outbox.Message{EventType: "a.b", Payload: json.RawMessage(`[1]`)}, hookline.EINVALID},
		{"bad event type", app.ID, outbox.Message{EventType: "a b", Payload: json.RawMessage(`{}`)}, hookline.EINVALID},
		{"retention too short", app.ID, outbox.Message{EventType: "a.b", Payload: json.RawMessage(`{}`), Retention: time.Minute}, hookline.EINVALID},
	} {
		if _, err := outbox.Send(ctx, tx, schema, tc.app, tc.msg); hookline.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	// The transaction is still usable, and commits the first message only.
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("Commit after refusals: %v", err)
	}
	p, err := store.ListMessages(ctx, app.ID, hookline.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].ID != first {
		t.Fatalf("%d messages stored, want only %s", len(p.Items), first)
	}
	tasks, err := store.ClaimDue(ctx, "t", time.Now().Add(time.Minute), time.Minute, 10)
	if err != nil || len(tasks) != 1 || tasks[0].Message.ID != first {
		t.Fatalf("claimed %d tasks (%v), want the one delivery of %s", len(tasks), err, first)
	}
}

func ptr[T any](v T) *T { return &v }
