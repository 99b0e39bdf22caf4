package postgres_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	neturl "net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/postgres/pgtest"
)

// cutProxy forwards TCP connections to a PostgreSQL server. A connection
// that sends marker (while cuts remain) has the server's answer to its next
// statement held back: from the first BindComplete, DataRow or
// CommandComplete after the marker up to ReadyForQuery, which the server
// sends once the statement's implicit transaction has committed. Then the
// proxy closes the connection. The client sees its statement die, unanswered,
// after the server committed it.
type cutProxy struct {
	ln     net.Listener
	target string
	marker []byte
	cuts   atomic.Int64 // cuts left
	done   atomic.Int64 // cuts made
}

func newCutProxy(t *testing.T, target string, marker string, cuts int64) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	p := &cutProxy{ln: ln, target: target, marker: []byte(marker)}
	p.cuts.Store(cuts)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c)
			}()
		}
	}()
	return p
}

// url returns raw pointing at the proxy, without TLS (the proxy reads the
// protocol).
func (p *cutProxy) url(t *testing.T, raw string) string {
	u, err := neturl.Parse(raw)
	must(t, err)
	u.Host = p.ln.Addr().String()
	return pgtest.WithParam(t, u.String(), "sslmode", "disable")
}

func (p *cutProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	var marked atomic.Bool
	go func() {
		// Client to server, as it comes; watch for the marker (kept whole
		// across reads by carrying the tail of the previous one).
		buf := make([]byte, 64<<10)
		var tail []byte
		for {
			n, err := client.Read(buf)
			if n > 0 {
				seen := append(tail, buf[:n]...)
				if !marked.Load() && bytes.Contains(seen, p.marker) && p.cuts.Add(-1) >= 0 {
					marked.Store(true)
				}
				tail = append([]byte(nil), seen[max(0, len(seen)-len(p.marker)):]...)
				if _, err := server.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				server.Close()
				return
			}
		}
	}()
	// Server to client, message by message: a type byte and a length.
	holding := false
	hdr := make([]byte, 5)
	for {
		if _, err := io.ReadFull(server, hdr); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr[1:])-4)
		if _, err := io.ReadFull(server, body); err != nil {
			return
		}
		if marked.Load() && !holding && (hdr[0] == '2' || hdr[0] == 'D' || hdr[0] == 'C') {
			holding = true
		}
		if holding {
			if hdr[0] == 'Z' {
				p.done.Add(1)
				return // committed; close without a word
			}
			continue
		}
		if _, err := client.Write(append(hdr, body...)); err != nil {
			return
		}
	}
}

// claimMarker is a part of the claim statement's text.
const claimMarker = "WITH cand AS"

// dueDeliveries creates an application, an endpoint and n messages in the
// store at url, and returns the ids of their deliveries' messages.
func dueDeliveries(t *testing.T, url string, n int) []string {
	t.Helper()
	s := open(t, url)
	ctx := t.Context()
	app := &hookline.Application{Name: "claims"}
	must(t, s.CreateApplication(ctx, app))
	must(t, s.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/hook"}, 0))
	var ids []string
	for range n {
		m := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)}
		if _, err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

// TestClaimCommittedUnanswered: the connection of a claim dies after the
// server committed it and before its rows arrive. ClaimDue does not retry
// blindly (which would find the rows leased to this owner, and return
// nothing while they wait for the lease to end): it gives them back first,
// and its retry returns them.
func TestClaimCommittedUnanswered(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	ids := dueDeliveries(t, url, 7)
	u, _ := neturl.Parse(url)
	proxy := newCutProxy(t, u.Host, claimMarker, 1)
	s := open(t, proxy.url(t, url))

	tasks, err := s.ClaimDue(t.Context(), "owner-a", time.Now().Add(time.Second), time.Hour, 100)
	if proxy.done.Load() != 1 {
		t.Fatalf("the proxy cut %d claims, want 1", proxy.done.Load())
	}
	if err != nil {
		t.Fatalf("ClaimDue after one claim was cut: %v", err)
	}
	if len(tasks) != len(ids) {
		t.Fatalf("ClaimDue returned %d deliveries after a claim that committed unanswered, want all %d", len(tasks), len(ids))
	}
	direct := open(t, url)
	if more, err := direct.ClaimDue(t.Context(), "owner-b", time.Now().Add(time.Second), time.Hour, 100); err != nil || len(more) != 0 {
		t.Fatalf("another owner claimed %d deliveries (%v): those returned to owner-a must stay leased", len(more), err)
	}
}

// TestClaimFailsUnanswered: every claim of a store commits unanswered, so
// ClaimDue fails; the deliveries it leased without returning them are due
// again at once, for another node, not at the end of their lease.
func TestClaimFailsUnanswered(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	ids := dueDeliveries(t, url, 5)
	u, _ := neturl.Parse(url)
	proxy := newCutProxy(t, u.Host, claimMarker, 1<<30)
	s := open(t, proxy.url(t, url))

	tasks, err := s.ClaimDue(t.Context(), "owner-a", time.Now().Add(time.Second), time.Hour, 100)
	if code := hookline.ErrorCode(err); code != hookline.EUNAVAILABLE {
		t.Fatalf("ClaimDue with every claim cut: %d tasks, err %v (code %q), want EUNAVAILABLE", len(tasks), err, code)
	}
	if proxy.done.Load() == 0 {
		t.Fatal("the proxy cut no claim")
	}
	direct := open(t, url)
	other, err := direct.ClaimDue(t.Context(), "owner-b", time.Now().Add(time.Second), time.Hour, 100)
	must(t, err)
	if len(other) != len(ids) {
		t.Fatalf("another owner claimed %d of the %d deliveries after owner-a's claims failed "+
			"(%d cut): the rest stay leased to owner-a, unsent, until the lease ends", len(other), len(ids), proxy.done.Load())
	}
}

// TestCreateMessageCommittedUnanswered: the insert of a message commits and
// its connection dies before the answer arrives. CreateMessage reports the
// database unavailable (the publisher tries again, with its idempotency key
// if it has one) rather than running the insert again, which would find its
// own message and call it a conflict; the message is stored, once.
func TestCreateMessageCommittedUnanswered(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	direct := open(t, url)
	ctx := t.Context()
	app := &hookline.Application{Name: "cut"}
	must(t, direct.CreateApplication(ctx, app))
	must(t, direct.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/hook"}, 0))
	u, _ := neturl.Parse(url)
	proxy := newCutProxy(t, u.Host, "WITH m AS", 1)
	s := open(t, proxy.url(t, url))

	msg := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)}
	_, err := s.CreateMessage(ctx, msg)
	if proxy.done.Load() != 1 {
		t.Fatalf("the proxy cut %d inserts, want 1", proxy.done.Load())
	}
	if code := hookline.ErrorCode(err); code != hookline.EUNAVAILABLE {
		t.Fatalf("CreateMessage whose commit went unanswered: %v (code %q), want EUNAVAILABLE", err, code)
	}
	got, err := direct.Message(ctx, app.ID, msg.ID)
	if err != nil {
		t.Fatalf("the committed message is not stored: %v", err)
	}
	if got.ID != msg.ID {
		t.Fatalf("Message = %s, want %s", got.ID, msg.ID)
	}
	tasks, err := direct.ClaimDue(ctx, "owner", time.Now().Add(time.Second), time.Hour, 10)
	must(t, err)
	if len(tasks) != 1 {
		t.Fatalf("%d deliveries of the message, want 1", len(tasks))
	}
}

// TestClaimPlan: with a deliveries table of many finished deliveries, and
// statistics that do not know it (a table that grew fast), the claim finds
// its rows by index, not by reading the whole table.
func TestClaimPlan(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	dueDeliveries(t, url, 3)
	pgtest.Exec(t, url, `ANALYZE deliveries`)
	pgtest.Exec(t, url, `INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status, msg_created_at, created_at, updated_at)
		SELECT 'del_done' || g, 'app_x', 'msg_x', 'ep_' || g, 2, now(), now(), now() FROM generate_series(1, 50000) g`)

	conn, err := pgx.Connect(t.Context(), url)
	must(t, err)
	defer conn.Close(t.Context())
	now := time.Now()
	rows, err := conn.Query(t.Context(), "EXPLAIN "+postgres.ClaimQuery, now, 128, now.Add(time.Minute), "owner")
	must(t, err)
	var plan []string
	for rows.Next() {
		var line string
		must(t, rows.Scan(&line))
		plan = append(plan, line)
	}
	must(t, rows.Err())
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan on deliveries") {
		t.Fatalf("the claim reads the whole deliveries table:\n%s", text)
	}
}
