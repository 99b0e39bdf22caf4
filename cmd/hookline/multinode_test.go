package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/logtest"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres/pgtest"
	"github.com/hookline/hookline/signature"
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

// countingReceiver counts the deliveries of each webhook-id and remembers
// when each last arrived.
type countingReceiver struct {
	*httptest.Server
	delay atomic.Int64 // nanoseconds each request is held before its answer
	mu    sync.Mutex
	got   map[string]int
	last  map[string]time.Time // arrival of the latest request of each webhook-id
	seen  atomic.Int64
}

// newCountingReceiver answers 200 to every request after delay (which
// setDelay changes).
func newCountingReceiver(t testing.TB, delay time.Duration) *countingReceiver {
	rc := &countingReceiver{got: map[string]int{}, last: map[string]time.Time{}}
	rc.delay.Store(int64(delay))
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		io.Copy(io.Discard, r.Body)
		time.Sleep(time.Duration(rc.delay.Load()))
		id := r.Header.Get("webhook-id")
		rc.mu.Lock()
		rc.got[id]++
		if arrived.After(rc.last[id]) {
			rc.last[id] = arrived
		}
		rc.mu.Unlock()
		rc.seen.Add(1)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *countingReceiver) setDelay(d time.Duration) { rc.delay.Store(int64(d)) }

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

// duplicated returns the webhook-ids received more than once.
func (rc *countingReceiver) duplicated() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var ids []string
	for id, c := range rc.got {
		if c > 1 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (rc *countingReceiver) duplicates() int { return len(rc.duplicated()) }

// lastArrival returns when the latest request of id arrived.
func (rc *countingReceiver) lastArrival(id string) time.Time {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.last[id]
}

// node is a 'hookline serve' process started by startChildren.
type node struct {
	*child
	stdout    *logtest.Buffer
	exited    chan struct{} // closed once the process has exited
	listening chan string   // receives the address it listens on
}

// alive reports whether the process has not exited.
func (n *node) alive() bool {
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// childLog is the stderr of a child: kept in its logs, and watched for the
// line that says where it listens.
type childLog struct {
	c     *child
	found chan string // receives the listening address, once
	sent  bool
}

func (w *childLog) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.c.logs.Write(p)
	if !w.sent {
		if m := addrRE.FindStringSubmatch(w.c.logs.String()); m != nil {
			w.sent = true
			w.found <- m[1]
		}
	}
	return len(p), nil
}

// testMasterKey is the master key every node of a test shares (the nodes of
// one PostgreSQL database need the same one).
var testMasterKey = base64.StdEncoding.EncodeToString([]byte("hookline-test-master-key-32bytes"))

// startChildren starts n 'hookline serve' processes on db at the same
// moment (every process is started before any is waited for), with env
// added to the environment and the flags extra, and waits until all of them
// listen. It fails t, showing their logs, when one exits or does not listen.
func startChildren(t testing.TB, n int, bin, db string, env []string, extra ...string) []*node {
	t.Helper()
	nodes := launchChildren(t, n, bin, db, env, extra...)
	waitListening(t, nodes)
	return nodes
}

// launchChildren starts n 'hookline serve' processes as startChildren does,
// without waiting for them to listen.
func launchChildren(t testing.TB, n int, bin, db string, env []string, extra ...string) []*node {
	t.Helper()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--db", db, "--allow-network", "127.0.0.0/8"}, extra...)
	nodes := make([]*node, n)
	for i := range nodes {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append(os.Environ(), "HOOKLINE_SECRET_KEY="+testMasterKey), env...)
		nd := &node{child: &child{cmd: cmd, logs: &bytes.Buffer{}}, stdout: &logtest.Buffer{}, exited: make(chan struct{}),
			listening: make(chan string, 1)}
		cmd.Stderr = &childLog{c: nd.child, found: nd.listening}
		cmd.Stdout = nd.stdout
		nodes[i] = nd
	}
	for _, nd := range nodes {
		if err := nd.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { nd.cmd.Wait(); close(nd.exited) }()
		t.Cleanup(func() { nd.cmd.Process.Kill(); <-nd.exited })
	}
	return nodes
}

// waitListening waits until every node listens, and fails t, showing their
// logs, when one exits first or does not listen within wait.Deadline.
func waitListening(t testing.TB, nodes []*node) {
	t.Helper()
	deadline := time.After(wait.Deadline)
	for i, nd := range nodes {
		select {
		case addr := <-nd.listening:
			nd.url = "http://" + addr
		case <-nd.exited:
			t.Fatalf("node %d of %d started at once exited (%v):\n%s", i, len(nodes), nd.cmd.ProcessState, nd.log())
		case <-deadline:
			t.Fatalf("node %d of %d started at once did not listen:\n%s", i, len(nodes), nd.log())
		}
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

// TestMultiNode runs three 'hookline serve' processes, started at the same
// moment, on one fresh PostgreSQL schema and publishes thousands of messages
// across them; one node is killed with SIGKILL midway, while it holds leases
// (the receiver answers slowly then, so that its attempts are in flight).
// Every message the API accepted is delivered at least once; every delivery
// the dead node held is delivered again by another node once its lease ended;
// the only webhooks received twice are among those (a delivery is never sent
// by two nodes while its lease lives); and every node delivered some.
func TestMultiNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	_, schemaURL := pgtest.Schema(t)
	// 8 connections a node: the other packages' tests share the server.
	db := pgtest.WithParam(t, schemaURL, "pool_max_conns", "8")
	bin := buildBinary(t)
	const token = "hk_multinode_test_token_0123456789abcdef"
	rc := newCountingReceiver(t, 10*time.Millisecond)

	// All at once: they migrate one schema and store one admin token
	// together.
	nodes := startChildren(t, 3, bin, db, []string{"HOOKLINE_ADMIN_TOKEN=" + token}, nodeFlags...)
	appID := setupApp(t, nodes[0].child, token, rc.URL)

	const total, killAt, publishers = 3000, 1200, 12
	victim := nodes[2]
	victimLeases := fmt.Sprintf("%%/%d/%%", victim.cmd.Process.Pid) // its dispatcher's lease owner
	var (
		mu       sync.Mutex
		accepted []string
		count    atomic.Int64
		next     atomic.Int64
		dead     atomic.Bool
		refused  atomic.Int64
		wg       sync.WaitGroup
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
				count.Add(1)
			}
		}()
	}

	// Midway, the receiver slows down (300 ms an answer, far below the 2 s
	// attempt timeout), so every node has attempts in flight; once the
	// victim holds leases it is killed.
	wait.For(t, fmt.Sprintf("%d accepted messages", killAt), func() bool { return count.Load() >= killAt })
	rc.setDelay(300 * time.Millisecond)
	wait.For(t, "the victim to hold leases", func() bool {
		return queryInt(t, schemaURL, `SELECT count(*) FROM deliveries WHERE status = 3 AND lease_owner LIKE $1`, victimLeases) > 0
	})
	dead.Store(true)
	attempted := attemptsLogged(victim.child)
	ports := localPorts(t, victim.cmd.Process.Pid)
	victim.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.exited
	killed := time.Now()
	killedAfter := count.Load()
	// The victim's last transaction may still commit after it died: the
	// server finishes a statement it got before it sees the connection
	// closed. Once none of its sessions is left, what it held is final.
	wait.For(t, "the victim's database sessions to end", func() bool {
		return queryInt(t, schemaURL, `SELECT count(*) FROM pg_stat_activity WHERE client_port = ANY($1)`, ports) == 0
	})
	// What it held when it died: nobody else may send those until their
	// leases end.
	stranded := queryPairs(t, schemaURL, `SELECT id, message_id FROM deliveries WHERE status = 3 AND lease_owner LIKE $1`, victimLeases)
	rc.setDelay(10 * time.Millisecond)
	wg.Wait()
	t.Logf("accepted %d messages across 3 nodes (%d requests failed while the victim died); SIGKILL after %d, "+
		"with %d deliveries leased by the victim", len(accepted), refused.Load(), killedAfter, len(stranded))
	if len(stranded) == 0 {
		t.Fatal("the victim held no lease when it died: the test did not test a takeover")
	}

	// The dead node's claims come back after its lease (34 s).
	wait.For(t, "every accepted message to be delivered", func() bool { return rc.missing(accepted) == 0 })
	ids := make([]string, 0, len(stranded))
	for id := range stranded {
		ids = append(ids, id)
	}
	wait.For(t, "every delivery the victim held to succeed", func() bool {
		return queryInt(t, schemaURL, `SELECT count(*) FROM deliveries WHERE id = ANY($1) AND status = 0`, ids) == len(ids)
	})
	// Another node sent each of them after the kill: arrived later than a
	// request the victim wrote before dying could (leases last 34 s).
	for id, msg := range stranded {
		if at := rc.lastArrival(msg); !at.After(killed.Add(5 * time.Second)) {
			t.Errorf("delivery %s (message %s), leased by the victim, was last received %v after the kill: not sent again by another node",
				id, msg, at.Sub(killed).Round(time.Millisecond))
		}
	}
	// Receivers get a webhook twice only when the victim sent it and died
	// before recording that, or when an attempt failed and was retried.
	retried := map[string]bool{}
	for m := range queryPairs(t, schemaURL, `SELECT DISTINCT message_id, '' FROM attempts WHERE status <> 0`) {
		retried[m] = true
	}
	strandedMsg := map[string]bool{}
	for _, msg := range stranded {
		strandedMsg[msg] = true
	}
	dups := rc.duplicated()
	for _, msg := range dups {
		if !strandedMsg[msg] && !retried[msg] {
			t.Errorf("message %s was received twice although no dead node held it and no attempt of it failed: "+
				"two nodes sent it while a lease lived", msg)
		}
	}
	if len(dups) > len(stranded)+len(retried) {
		t.Errorf("%d messages received more than once, more than the %d deliveries the victim held (and %d retried)",
			len(dups), len(stranded), len(retried))
	}

	perNode := make([]int, len(nodes))
	for i, n := range nodes {
		perNode[i] = attemptsLogged(n.child)
	}
	t.Logf("attempts logged per node: %v (the victim had made %d when killed); %d messages delivered more than once "+
		"(of %d the victim held; %d with a failed attempt)", perNode, attempted, len(dups), len(stranded), len(retried))
	for i, n := range perNode {
		if n == 0 {
			t.Errorf("node %d delivered nothing", i)
		}
	}
}

// queryPairs runs a query of two text columns on the database at url and
// returns its rows as a map from the first to the second.
func queryPairs(t *testing.T, url, sql string, args ...any) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// TestPostgresOutage publishes to two nodes on one database while the
// database goes away for longer than the store's 10 s bound on a call: every
// session of it is terminated and new ones are refused for 12 s. The nodes
// stay up; every request meanwhile is answered, with 503 (or 202 for those
// that committed before), rather than left hanging until the client's own
// 20 s timeout, including requests made after the bound had run out; no
// request gets a 500; and, once the database is back, every message they
// accepted is delivered.
func TestPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	const (
		outage        = 12 * time.Second // longer than the store's bound on a call
		callBound     = 10 * time.Second // postgres.WithTimeout's default
		clientTimeout = 20 * time.Second
	)
	dbName, db := pgtest.Database(t)
	db = pgtest.WithParam(t, db, "pool_max_conns", "8")
	admin := pgtest.URL(t)
	bin := buildBinary(t)
	const token = "hk_outage_test_token_0123456789abcdef"
	rc := newCountingReceiver(t, 0)
	nodes := startChildren(t, 2, bin, db, []string{"HOOKLINE_ADMIN_TOKEN=" + token}, nodeFlags...)
	appID := setupApp(t, nodes[0].child, token, rc.URL)

	var (
		mu        sync.Mutex
		accepted  []string
		statuses  = map[int]int{} // of requests made while the database was away
		late503   int             // 503s to requests made once the outage had outlasted the bound
		slowest   time.Duration   // the longest answer while the database was away
		hangs     atomic.Int64
		other     []string
		awaySince atomic.Int64 // unix nanoseconds; 0 while the database is up
		stop      atomic.Bool
		count     atomic.Int64
		wg        sync.WaitGroup
	)
	client := &http.Client{Timeout: clientTimeout}
	for p := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				n := nodes[(p+i)%len(nodes)]
				since := awaySince.Load()
				sent := time.Now()
				var msg struct{ ID string }
				code, err := apiCall(client, "POST", n.url+"/api/v1/app/"+appID+"/msg", token,
					map[string]any{"eventType": "outage", "payload": map[string]any{"p": p, "i": i}}, &msg)
				took := time.Since(sent)
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
				if since != 0 || awaySince.Load() != 0 {
					statuses[code]++
					slowest = max(slowest, took)
					if code == 503 && since != 0 && sent.Sub(time.Unix(0, since)) > callBound && awaySince.Load() != 0 {
						late503++
					}
				}
				mu.Unlock()
				if code == 503 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	wait.For(t, "500 accepted messages", func() bool { return count.Load() >= 500 })

	// The database goes away: sessions killed, new ones refused.
	pgtest.Exec(t, admin, `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS false`)
	awaySince.Store(time.Now().UnixNano())
	killed := pgtest.Terminate(t, dbName)
	time.Sleep(outage / 2)
	killed += pgtest.Terminate(t, dbName)
	time.Sleep(outage / 2)
	killed += pgtest.Terminate(t, dbName)
	awaySince.Store(0)
	pgtest.Exec(t, admin, `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS true`)
	before := count.Load()
	wait.For(t, "messages accepted again after the outage", func() bool { return count.Load() >= before+500 })
	stop.Store(true)
	wg.Wait()

	for i, n := range nodes {
		if !n.alive() {
			t.Fatalf("node %d exited during the outage:\n%s", i, n.log())
		}
	}
	mu.Lock()
	t.Logf("terminated %d sessions; statuses of the requests made while the database was away (%v): %v, "+
		"%d of them 503s to requests made after the first %v; slowest answer %v; accepted %d in all",
		killed, outage, statuses, late503, callBound, slowest.Round(time.Millisecond), len(accepted))
	if hangs.Load() > 0 {
		t.Errorf("%d requests hung: no answer within the client's %v timeout", hangs.Load(), clientTimeout)
	}
	if len(other) > 0 {
		t.Errorf("%d requests got neither 202 nor 503: %v", len(other), other[:min(len(other), 5)])
	}
	if statuses[503] == 0 {
		t.Errorf("no 503 while the database refused connections: %v", statuses)
	}
	if late503 == 0 {
		t.Errorf("no 503 to a request made after the outage had outlasted the %v bound on a call: %v", callBound, statuses)
	}
	ids := append([]string(nil), accepted...)
	mu.Unlock()

	// Outcomes that could not be written during the outage are retried when
	// their leases (34 s) end.
	wait.For(t, "every accepted message to be delivered", func() bool { return rc.missing(ids) == 0 })
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

// localPorts returns the local ports of the TCP connections of the process
// pid (Linux: its socket descriptors, found in /proc/net/tcp and tcp6).
func localPorts(t *testing.T, pid int) []int {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(target, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var ports []int
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || !inodes[f[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":") // local address:port
			if port, err := strconv.ParseInt(hexPort, 16, 32); err == nil {
				ports = append(ports, int(port))
			}
		}
	}
	return ports
}

// ingestNodes starts two 'hookline serve' processes on a fresh PostgreSQL
// schema, and a receiver; it returns the nodes, the receiver and the
// schema's URL.
func ingestNodes(t *testing.T) (nodes []*server, rc *countingReceiver, schemaURL string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	_, schemaURL = pgtest.Schema(t)
	db := pgtest.WithParam(t, schemaURL, "pool_max_conns", "8")
	bin := buildBinary(t)
	const token = "hk_multinode_test_token_0123456789abcdef"
	rc = newCountingReceiver(t, 0)
	for _, nd := range startChildren(t, 2, bin, db, []string{"HOOKLINE_ADMIN_TOKEN=" + token}, nodeFlags...) {
		nodes = append(nodes, &server{url: nd.url, token: token})
	}
	return nodes, rc, schemaURL
}

// TestIngestMultiNodeOnce runs two 'hookline serve' processes on one
// PostgreSQL schema and sends each GitHub delivery to both at the same
// moment, as a provider retrying through a load balancer may: each is
// answered 2xx by both, stored once, and received once by the receiver.
func TestIngestMultiNodeOnce(t *testing.T) {
	nodes, rc, schemaURL := ingestNodes(t)
	s := nodes[0]
	srcID, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, rc.URL)
	_, path, _ := strings.Cut(url, "/ingest/")

	const deliveries = 20
	ids := make([]string, 0, deliveries)
	for i := range deliveries {
		id := fmt.Sprint("gh-delivery-", i)
		body := []byte(fmt.Sprintf(`{"n": %d}`, i))
		h := http.Header{"X-Hub-Signature-256": {signature.SignGitHub([]byte("s"), body)}, "X-Github-Delivery": {id}}
		var wg sync.WaitGroup
		for _, nd := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := post(t, nd.url+"/ingest/"+path, h, body); code != 204 {
					t.Errorf("node %s: %d, want 204", nd.url, code)
				}
			}()
		}
		wg.Wait()
		ids = append(ids, id)
	}
	// The store's record: each delivery id accepted once (one message, so
	// one delivery), and once a duplicate.
	log := ingestLog(t, s, srcID)
	accepted, _ := acceptedOnce(t, log)
	for _, id := range ids {
		if accepted[id] == "" {
			t.Fatalf("%s not accepted (log of %d entries)", id, len(log))
		}
	}
	if len(log) != 2*deliveries {
		t.Fatalf("%d log entries, want %d", len(log), 2*deliveries)
	}
	receivedOnce(t, rc, schemaURL, slices.Collect(maps.Values(accepted)))
	if n := rc.seen.Load(); n != deliveries {
		t.Fatalf("the receiver got %d webhooks, want %d", n, deliveries)
	}
}

// acceptedOnce returns the message each delivery id of a source's log was
// accepted as, and how many entries are duplicates; it fails t when a
// delivery id was accepted twice.
func acceptedOnce(t *testing.T, log []map[string]any) (accepted map[string]string, duplicates int) {
	t.Helper()
	accepted = map[string]string{}
	for _, e := range log {
		switch id := e["delivery_id"].(string); e["outcome"] {
		case "accepted":
			if accepted[id] != "" {
				t.Fatalf("%s accepted twice, as %s and %s (log of %d entries)", id, accepted[id], e["msg_id"], len(log))
			}
			accepted[id] = e["msg_id"].(string)
		case "duplicate":
			duplicates++
		}
	}
	return accepted, duplicates
}

// receivedOnce waits until rc got the messages ids and the dispatchers of
// the database at url have none of them left to send, then checks that rc
// got each once.
func receivedOnce(t *testing.T, rc *countingReceiver, url string, ids []string) {
	t.Helper()
	wait.For(t, "every delivery to be sent", func() bool {
		return rc.missing(ids) == 0 &&
			queryInt(t, url, `SELECT count(*) FROM deliveries WHERE message_id = ANY($1) AND status <> 0`, ids) == 0
	})
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, id := range ids {
		if rc.got[id] != 1 {
			t.Errorf("the receiver got %s %d times", id, rc.got[id])
		}
	}
}

// TestCronMultiNodeOnce runs a cron source on two 'hookline serve'
// processes on one PostgreSQL schema: both fire its ticks (the second
// learns of the source up to ingest.CronRescan late, and fires the ticks
// since its last look), the store keeps each tick once, and the receiver
// gets each once.
func TestCronMultiNodeOnce(t *testing.T) {
	nodes, rc, schemaURL := ingestNodes(t)
	s := nodes[0]
	srcID, _ := ingestSource(t, s, "cron", map[string]any{"schedule": "@every 1s", "payload": `{"job": "report"}`}, rc.URL)

	var (
		accepted map[string]string
		dups     int
	)
	wait.For(t, "three ticks, and three fired by both nodes", func() bool {
		accepted, dups = acceptedOnce(t, ingestLog(t, s, srcID))
		return len(accepted) >= 3 && dups >= 3
	})
	// A node that took over a tick another had stored would have made the
	// other's message give its id up.
	if n := queryInt(t, schemaURL, `SELECT count(*) FROM messages WHERE event_id IS NULL`); n != 0 {
		t.Fatalf("%d ticks stored twice", n)
	}
	t.Logf("%d ticks accepted, %d fired again by the other node", len(accepted), dups)
	// The ticks keep firing; those accepted so far are received once each.
	receivedOnce(t, rc, schemaURL, slices.Collect(maps.Values(accepted)))
}
