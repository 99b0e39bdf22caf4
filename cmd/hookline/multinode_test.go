package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/postgres/pgtest"
)

// queryInt runs a query that returns one number on the database at url.
func queryInt(t *testing.T, url, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// countingReceiver counts the deliveries of each webhook-id.
type countingReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  map[string]int
	seen atomic.Int64
}

// newCountingReceiver answers 200 to every request after delay.
func newCountingReceiver(t testing.TB, delay time.Duration) *countingReceiver {
	rc := &countingReceiver{got: map[string]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(delay)
		rc.mu.Lock()
		rc.got[r.Header.Get("webhook-id")]++
		rc.mu.Unlock()
		rc.seen.Add(1)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// missing returns how many of ids were not received yet.
func (rc *countingReceiver) missing(ids []string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, id := range ids {
		if rc.got[id] == 0 {
			n++
		}
	}
	return n
}

func (rc *countingReceiver) duplicates() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, c := range rc.got {
		if c > 1 {
			n++
		}
	}
	return n
}

// waitLong is waitFor with a deadline long enough for leases to expire.
func waitLong(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// attemptsLogged counts the delivery attempts a child logged (at debug level).
func attemptsLogged(c *child) int {
	return strings.Count(c.log(), `msg="dispatch: attempt"`)
}

// nodeFlags are the flags of the nodes of these tests: attempt logs, and a
// 2 s attempt timeout, which makes the dispatcher's lease 2×2 s + 30 s =
// 34 s, the time after which a dead node's claims go to the others.
var nodeFlags = []string{"--log-level", "debug", "--timeout", "2s"}

// setupApp creates an application with an endpoint at url through node c.
func setupApp(t testing.TB, c *child, token, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var app, ep struct{ ID string }
	if code, err := apiCall(client, "POST", c.url+"/api/v1/app", token, map[string]any{"name": "multinode"}, &app); err != nil || code != 201 {
		t.Fatalf("create app: %d %v", code, err)
	}
	if code, err := apiCall(client, "POST", c.url+"/api/v1/app/"+app.ID+"/endpoint", token,
		map[string]any{"url": url}, &ep); err != nil || code != 201 {
		t.Fatalf("create endpoint: %d %v", code, err)
	}
	return app.ID
}

// TestMultiNode runs three 'hookline serve' processes on one PostgreSQL
// schema and publishes thousands of messages across them; one node is
// killed with SIGKILL midway. Every message the API accepted is delivered at
// least once (the dead node's claims are taken over when their leases end),
// and every node delivered some: the dispatchers share one queue.
func TestMultiNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	_, schemaURL := pgtest.Schema(t)
	// 8 connections a node: the other packages' tests share the server.
	db := pgtest.WithParam(t, schemaURL, "pool_max_conns", "8")
	bin := buildBinary(t)
	const token = "hk_multinode_test_token_0123456789abcdef"
	// A receiver that takes 10 ms, so that the victim dies with attempts
	// in flight.
	rc := newCountingReceiver(t, 10*time.Millisecond)

	// One after the other: the first creates the schema and the admin token.
	nodes := make([]*child, 3)
	for i := range nodes {
		nodes[i] = startChild(t, bin, db, token, nodeFlags...)
	}
	appID := setupApp(t, nodes[0], token, rc.URL)

	const total, killAt, publishers = 3000, 1200, 12
	victim := nodes[2]
	var (
		mu        sync.Mutex
		accepted  []string
		count     atomic.Int64
		next      atomic.Int64
		dead      atomic.Bool
		refused   atomic.Int64
		wg        sync.WaitGroup
		killedAt  int
		attempted int
	)
	client := &http.Client{Timeout: 15 * time.Second}
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; count.Load() < total; i++ {
				n := nodes[int(next.Add(1))%len(nodes)]
				if n == victim && dead.Load() {
					continue
				}
				var msg struct{ ID string }
				code, err := apiCall(client, "POST", n.url+"/api/v1/app/"+appID+"/msg", token,
					map[string]any{"eventType": "multi.node", "payload": map[string]any{"p": p, "i": i}}, &msg)
				if err != nil || code != 202 {
					refused.Add(1) // the victim, dying
					continue
				}
				mu.Lock()
				accepted = append(accepted, msg.ID)
				mu.Unlock()
				if count.Add(1) == killAt {
					attempted = attemptsLogged(victim)
					victim.cmd.Process.Signal(syscall.SIGKILL)
					dead.Store(true)
					killedAt = killAt
				}
			}
		}()
	}
	wg.Wait()
	victim.cmd.Wait()
	// The claims the victim held when it died: their leases must end before
	// another node may take them.
	stranded := queryInt(t, schemaURL, `SELECT count(*) FROM deliveries WHERE status = 3 AND lease_owner LIKE $1`,
		fmt.Sprintf("%%/%d/%%", victim.cmd.Process.Pid))
	t.Logf("accepted %d messages across 3 nodes (%d requests failed while the victim died); SIGKILL after %d, "+
		"with %d deliveries leased by the victim", len(accepted), refused.Load(), killedAt, stranded)

	// The dead node's claims come back after its lease (34 s).
	waitLong(t, 2*time.Minute, "every accepted message to be delivered", func() bool { return rc.missing(accepted) == 0 })

	perNode := make([]int, len(nodes))
	for i, n := range nodes {
		perNode[i] = attemptsLogged(n)
	}
	t.Logf("attempts logged per node: %v (the victim had made %d when killed); %d messages delivered more than once (at-least-once)",
		perNode, attempted, rc.duplicates())
	for i, n := range perNode {
		if n == 0 {
			t.Errorf("node %d delivered nothing", i)
		}
	}
}

// TestPostgresOutage publishes to two nodes on one database while the
// database goes away: every session of it is terminated and new ones are
// refused for a while. The nodes stay up, answer 503 quickly meanwhile (no
// hang, no 500), reconnect when the database is back, and every message they
// accepted is delivered.
func TestPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	dbName, db := pgtest.Database(t)
	db = pgtest.WithParam(t, db, "pool_max_conns", "8")
	admin := pgtest.URL(t)
	bin := buildBinary(t)
	const token = "hk_outage_test_token_0123456789abcdef"
	rc := newCountingReceiver(t, 0)
	nodes := []*child{startChild(t, bin, db, token, nodeFlags...)}
	nodes = append(nodes, startChild(t, bin, db, token, nodeFlags...))
	appID := setupApp(t, nodes[0], token, rc.URL)

	var (
		mu       sync.Mutex
		accepted []string
		statuses = map[int]int{} // while the database was away
		hangs    atomic.Int64
		other    []string
		away     atomic.Bool
		stop     atomic.Bool
		count    atomic.Int64
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 15 * time.Second}
	for p := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				n := nodes[(p+i)%len(nodes)]
				during := away.Load()
				var msg struct{ ID string }
				code, err := apiCall(client, "POST", n.url+"/api/v1/app/"+appID+"/msg", token,
					map[string]any{"eventType": "outage", "payload": map[string]any{"p": p, "i": i}}, &msg)
				mu.Lock()
				switch {
				case err != nil:
					if strings.Contains(err.Error(), "Client.Timeout") {
						hangs.Add(1)
					}
					other = append(other, err.Error())
				case code == 202:
					accepted = append(accepted, msg.ID)
					count.Add(1)
				case code == 503:
					// expected while the database is away
				default:
					other = append(other, fmt.Sprintf("status %d", code))
				}
				if during || away.Load() {
					statuses[code]++
				}
				mu.Unlock()
				if code == 503 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	waitLong(t, time.Minute, "500 accepted messages", func() bool { return count.Load() >= 500 })

	// The database goes away: sessions killed, new ones refused.
	away.Store(true)
	pgtest.Exec(t, admin, `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS false`)
	killed := pgtest.Terminate(t, dbName)
	time.Sleep(2 * time.Second)
	killed += pgtest.Terminate(t, dbName)
	pgtest.Exec(t, admin, `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS true`)
	away.Store(false)
	before := count.Load()
	waitLong(t, time.Minute, "messages accepted again after the outage", func() bool { return count.Load() >= before+500 })
	stop.Store(true)
	wg.Wait()

	for i, n := range nodes {
		if n.cmd.ProcessState != nil || n.cmd.Process.Signal(syscall.Signal(0)) != nil {
			t.Fatalf("node %d exited during the outage:\n%s", i, n.log())
		}
	}
	mu.Lock()
	t.Logf("terminated %d sessions; statuses while the database was away: %v; accepted %d in all", killed, statuses, len(accepted))
	if hangs.Load() > 0 {
		t.Errorf("%d requests hung (no answer within 15 s) during the outage", hangs.Load())
	}
	if len(other) > 0 {
		t.Errorf("%d requests got neither 202 nor 503: %v", len(other), other[:min(len(other), 5)])
	}
	if statuses[503] == 0 {
		t.Errorf("no 503 while the database refused connections: %v", statuses)
	}
	ids := append([]string(nil), accepted...)
	mu.Unlock()

	// Outcomes that could not be written during the outage are retried when
	// their leases (34 s) end.
	waitLong(t, 2*time.Minute, "every accepted message to be delivered", func() bool { return rc.missing(ids) == 0 })
	t.Logf("all %d accepted messages delivered; %d more than once (at-least-once)", len(ids), rc.duplicates())
}

// BenchmarkEndToEnd measures deliveries per second end to end: b.N
// messages published through the API by 32 clients, spread over the nodes,
// each delivered to one endpoint on a receiver on 127.0.0.1. It starts the
// nodes as child processes ('hookline serve') on SQLite (one node) or on a
// fresh PostgreSQL schema (one and two nodes):
//
//	go test ./cmd/hookline -run '^$' -bench EndToEnd -benchtime 20000x
func BenchmarkEndToEnd(b *testing.B) {
	bin := buildBinary(b)
	for _, bc := range []struct {
		name  string
		nodes int
		pg    bool
	}{
		{"sqlite/nodes=1", 1, false},
		{"postgres/nodes=1", 1, true},
		{"postgres/nodes=2", 2, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			db := b.TempDir() + "/hookline.db"
			if bc.pg {
				_, db = pgtest.Schema(b)
			}
			const token = "hk_bench_test_token_0123456789abcdef"
			rc := newCountingReceiver(b, 0)
			var nodes []*child
			for range bc.nodes {
				nodes = append(nodes, startChild(b, bin, db, token, "--log-level", "info"))
			}
			appID := setupApp(b, nodes[0], token, rc.URL)
			payload := map[string]any{"data": strings.Repeat("x", 1000)}
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var next, failed atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for p := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						n := nodes[(p+int(i))%len(nodes)]
						code, err := apiCall(client, "POST", n.url+"/api/v1/app/"+appID+"/msg", token,
							map[string]any{"eventType": "bench", "payload": payload}, nil)
						if err != nil || code != 202 {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			published := time.Since(start)
			want := int64(b.N) - failed.Load()
			for rc.seen.Load() < want {
				if time.Since(start) > 10*time.Minute {
					b.Fatalf("%d of %d deliveries after 10 minutes", rc.seen.Load(), want)
				}
				time.Sleep(5 * time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Errorf("%d publishes failed", failed.Load())
			}
			b.ReportMetric(float64(want)/published.Seconds(), "published/s")
			b.ReportMetric(float64(want)/elapsed.Seconds(), "delivered/s")
		})
	}
}
