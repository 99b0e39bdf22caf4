// Command outbox runs the transactional outbox end to end against a real
// PostgreSQL: an application marks invoices paid and announces each with a
// webhook in the same transaction, with the outbox package. A transaction
// that rolls back leaves no invoice and sends no webhook; one that commits
// leaves both, and the webhook is delivered.
//
//	go run ./examples/outbox -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// The database URL comes from -db, else $HOOKLINE_TEST_POSTGRES, else
// $DATABASE_URL. The program plays every part, so that it needs nothing but
// the database:
//
//   - Hookline's: it opens the postgres store on the schema -schema (created
//     and migrated if missing), creates an application with an endpoint at a
//     receiver it runs on 127.0.0.1, and runs a dispatcher, as the 'hookline
//     serve' nodes on that database (--db ...?search_path=<schema>) would.
//   - The receiver's: it verifies each webhook's signature with the
//     signature package.
//   - The application's: its own pgx pool on the URL (its own search_path),
//     its own table (invoices, created if missing), and two transactions that
//     each insert an invoice and call outbox.Send; the first rolls back, the
//     second commits.
//
// It prints each step and ends with the state of the committed message's
// delivery. It exits 1 if anything turns out otherwise than described. The
// Hookline application it creates is deleted at the end, with its endpoint
// and message; the invoices stay in the application's table.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/outbox"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/signature"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "outbox:", err)
		os.Exit(1)
	}
}

// run runs the example with the command-line arguments args, reading the
// environment through getenv and printing to out.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	fs.SetOutput(out)
	dbURL := fs.String("db", "", "PostgreSQL URL (default $HOOKLINE_TEST_POSTGRES, else $DATABASE_URL)")
	schema := fs.String("schema", "hookline", "schema of Hookline's tables")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the delivery")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbURL == "" {
		*dbURL = getenv("HOOKLINE_TEST_POSTGRES")
	}
	if *dbURL == "" {
		*dbURL = getenv("DATABASE_URL")
	}
	if *dbURL == "" {
		return errors.New("no database: give -db, or set HOOKLINE_TEST_POSTGRES or DATABASE_URL")
	}
	ctx, cancel := context.WithTimeout(ctx, *wait+time.Minute)
	defer cancel()

	// Hookline's side: the store (tables in their own schema), an
	// application, an endpoint at our receiver, a dispatcher.
	store, err := postgres.Open(ctx, *dbURL, postgres.WithSchema(*schema))
	if err != nil {
		return err
	}
	defer store.Close()
	rc, err := startReceiver()
	if err != nil {
		return err
	}
	defer rc.close()
	app := &hookline.Application{Name: "outbox example"}
	if err := store.CreateApplication(ctx, app); err != nil {
		return err
	}
	defer store.DeleteApplication(context.WithoutCancel(ctx), app.ID)
	ep := &hookline.Endpoint{AppID: app.ID, URL: rc.url, EventTypes: []string{"invoice.paid"}}
	if err := store.CreateEndpoint(ctx, ep, 0); err != nil {
		return err
	}
	if err := rc.setSecret(ep.Secret); err != nil {
		return err
	}
	client, err := egress.New(egress.Config{
		// The receiver is on loopback, which deliveries may not reach by
		// default.
		Policy:  egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Timeout: 5 * time.Second,
	})
	if err != nil {
		return err
	}
	d := dispatch.New(dispatch.Config{Store: store, Client: client, Timeout: 5 * time.Second})
	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	dispatched := make(chan error, 1)
	go func() { dispatched <- d.Run(dctx) }()
	defer func() { stopDispatch(); <-dispatched }()
	fmt.Fprintf(out, "hookline: tables in schema %q; application %s with an endpoint at %s\n", store.Schema(), app.ID, rc.url)

	// The application's side: its own pool and its own table.
	pool, err := pgxpool.New(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS invoices (
		id text PRIMARY KEY, amount integer NOT NULL, paid_at timestamptz NOT NULL)`); err != nil {
		return err
	}

	// A transaction that rolls back: no invoice, no message, no webhook.
	first, rolledBack, err := pay(ctx, pool, store.Schema(), app.ID, 1500, false)
	if err != nil {
		return err
	}
	if _, err := store.Message(ctx, app.ID, rolledBack); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		return fmt.Errorf("message %s of a rolled-back transaction: %v, want not found", rolledBack, err)
	}
	fmt.Fprintf(out, "rolled back: invoice %s and message %s were never stored\n", first, rolledBack)

	// A transaction that commits: the invoice and the message, together.
	second, committed, err := pay(ctx, pool, store.Schema(), app.ID, 4200, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "committed: invoice %s and message %s\n", second, committed)

	// The dispatcher, woken by the commit's notification, delivers it.
	var got webhook
	select {
	case got = <-rc.received:
	case <-time.After(*wait):
		return fmt.Errorf("message %s not received within %v", committed, *wait)
	}
	if got.id != committed {
		return fmt.Errorf("received %s, want only %s", got.id, committed)
	}
	if got.err != nil {
		return fmt.Errorf("received %s with a bad signature: %v", got.id, got.err)
	}
	fmt.Fprintf(out, "received: %s %s (signature verified)\n", got.id, got.body)

	// Its delivery's state, once the dispatcher has recorded the attempt.
	deadline := time.Now().Add(*wait)
	for {
		page, err := store.ListDeliveriesByMessage(ctx, app.ID, committed, hookline.ListOptions{})
		if err != nil {
			return err
		}
		if len(page.Items) != 1 {
			return fmt.Errorf("message %s has %d deliveries, want 1", committed, len(page.Items))
		}
		dl := page.Items[0].Delivery
		if dl.Status == hookline.StatusSuccess {
			fmt.Fprintf(out, "delivery %s to %s: %s after %d attempt(s)\n", dl.ID, page.Items[0].Endpoint.URL, dl.Status, dl.Attempts)
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("delivery %s still %s after %v", dl.ID, dl.Status, *wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Nothing else comes: the rolled-back message does not exist to be sent.
	select {
	case w := <-rc.received:
		return fmt.Errorf("received %s as well, want only %s", w.id, committed)
	case <-time.After(200 * time.Millisecond):
	}
	fmt.Fprintf(out, "the receiver got 1 webhook in all\n")
	return nil
}

// pay runs payInvoice on a new invoice, committing or not, and checks that
// the invoice is stored exactly when the transaction committed. It returns
// the invoice's id and the message's.
func pay(ctx context.Context, pool *pgxpool.Pool, schema, app string, amount int, commit bool) (invoice, message string, err error) {
	invoice = newInvoiceID()
	if message, err = payInvoice(ctx, pool, schema, app, invoice, amount, commit); err != nil {
		return "", "", err
	}
	n, err := invoices(ctx, pool, invoice)
	switch {
	case commit && (err != nil || n != 1):
		return "", "", fmt.Errorf("committed invoice %s: %d rows (%v), want 1", invoice, n, err)
	case !commit && (err != nil || n != 0):
		return "", "", fmt.Errorf("rolled back invoice %s: %d rows (%v), want none", invoice, n, err)
	}
	return invoice, message, nil
}

// payInvoice is the application's transaction: it records the payment of
// an invoice and, in the same transaction, queues the invoice.paid webhook
// with outbox.Send. It commits when commit is set and rolls back otherwise,
// and returns the message's id (the webhook-id receivers see).
func payInvoice(ctx context.Context, pool *pgxpool.Pool, schema, app, invoice string, amount int, commit bool) (string, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx) // a no-op once committed
	if _, err := tx.Exec(ctx, `INSERT INTO invoices (id, amount, paid_at) VALUES ($1, $2, now())`, invoice, amount); err != nil {
		return "", err
	}
	payload, _ := json.Marshal(map[string]any{"invoice": invoice, "amount": amount})
	id, err := outbox.Send(ctx, tx, schema, app, outbox.Message{
		EventType: "invoice.paid",
		EventID:   "invoice-" + invoice + "-paid", // a retried transaction cannot send it twice
		Payload:   payload,
	})
	if err != nil {
		return "", err
	}
	if !commit {
		return id, tx.Rollback(ctx)
	}
	return id, tx.Commit(ctx)
}

// invoices counts the invoices with this id.
func invoices(ctx context.Context, pool *pgxpool.Pool, id string) (int, error) {
	var n int
	err := pool.QueryRow(ctx, `SELECT count(*) FROM invoices WHERE id = $1`, id).Scan(&n)
	return n, err
}

func newInvoiceID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "in_" + hex.EncodeToString(b)
}

// webhook is a request the receiver got.
type webhook struct {
	id   string
	body string
	err  error // of the signature's verification
}

// receiver is the endpoint: an HTTP server on 127.0.0.1 that verifies
// every request with the endpoint's secret and passes it on.
type receiver struct {
	url      string
	srv      *http.Server
	received chan webhook
	mu       sync.Mutex
	verifier *signature.Standard
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + ln.Addr().String() + "/webhook", received: make(chan webhook, 16)}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serveHTTP), ReadHeaderTimeout: 5 * time.Second}
	go rc.srv.Serve(ln)
	return rc, nil
}

func (rc *receiver) setSecret(key []byte) error {
	secret, err := signature.NewHMACSecret(key)
	if err != nil {
		return err
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.verifier = &signature.Standard{Secrets: []signature.Secret{secret}}
	return nil
}

func (rc *receiver) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	v := rc.verifier
	rc.mu.Unlock()
	wh := webhook{id: r.Header.Get("webhook-id"), body: string(body), err: errors.New("no secret yet")}
	if v != nil {
		wh.err = v.Verify(r.Header, body)
	}
	select {
	case rc.received <- wh:
	default:
	}
	if wh.err != nil {
		http.Error(w, "webhook verification failed", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc.srv.Shutdown(ctx)
}
