package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/wait"
)

// TestSIGTERMFinishesInFlight sends SIGTERM while a delivery is in flight:
// the attempt must finish and be recorded, and the process must exit 0.
func TestSIGTERMFinishesInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "hookline.db")
	const token = "hk_sigterm_test_token_0123456789abcdef"

	arrived := make(chan struct{}, 1)
	shuttingDown := make(chan struct{})
	var answered atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-shuttingDown // still in flight when the server begins to shut down
		answered.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer rc.Close()
	answer := sync.OnceFunc(func() { close(shuttingDown) })
	defer answer() // before rc.Close, which waits for the handler

	c := startChild(t, bin, db, token)
	client := &http.Client{Timeout: 10 * time.Second}
	appID, msgID := sendOne(t, client, c.url, token, rc.URL)
	<-arrived
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the server to begin shutting down", func() bool { return strings.Contains(c.log(), `msg="shutting down;`) })
	if !strings.Contains(c.log(), "attempts_in_flight=1 attempts_wait_up_to=20s requests_wait_up_to=30s") {
		t.Errorf("serve did not say what it waits for:\n%s", c.log())
	}
	answer()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM, want exit 0", err)
	}
	if answered.Load() != 1 {
		t.Fatal("the receiver's in-flight request did not complete")
	}

	// The attempt was recorded as a success: a restarted server shows it and
	// does not deliver again.
	c2 := startChild(t, bin, db, token)
	var atts struct {
		Data []struct {
			Status             int
			ResponseStatusCode int
		}
	}
	if code, err := apiCall(client, "GET", c2.url+"/api/v1/app/"+appID+"/attempt/msg/"+msgID, token, nil, &atts); err != nil || code != 200 {
		t.Fatalf("list attempts: %d %v", code, err)
	}
	if len(atts.Data) != 1 || atts.Data[0].Status != 0 || atts.Data[0].ResponseStatusCode != 200 {
		t.Fatalf("attempts after a graceful shutdown: %+v", atts.Data)
	}
}

var tokenRE = regexp.MustCompile(`hk_[A-Za-z0-9_-]+`)

// TestGeneratedAdminToken starts serve without HOOKLINE_ADMIN_TOKEN on a new
// database: it prints a token once, the token works, and a second start on
// the same database prints none.
func TestGeneratedAdminToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookline.db")
	start := func() (string, *bytes.Buffer, func()) {
		return runServer(t, []string{"--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"}, nil)
	}
	url, out, stop := start()
	token := tokenRE.FindString(out.String())
	if token == "" {
		t.Fatalf("no token printed on first start: %q", out.String())
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if code, err := apiCall(client, "GET", url+"/api/v1/app", token, nil, nil); err != nil || code != 200 {
		t.Fatalf("the printed token does not work: %d %v", code, err)
	}
	if code, _ := apiCall(client, "GET", url+"/api/v1/app", token+"x", nil, nil); code != 401 {
		t.Fatalf("a wrong token got %d, want 401", code)
	}
	stop()

	url, out, stop = start()
	defer stop()
	if strings.Contains(out.String(), "hk_") {
		t.Fatalf("a second start printed a token again: %q", out.String())
	}
	if code, err := apiCall(client, "GET", url+"/api/v1/app", token, nil, nil); err != nil || code != 200 {
		t.Fatalf("the first token stopped working after a restart: %d %v", code, err)
	}
	// Only the hash is stored: the token string is nowhere in the database.
	for _, f := range []string{db, db + "-wal"} {
		if data, err := readFileIfExists(f); err != nil {
			t.Fatal(err)
		} else if bytes.Contains(data, []byte(token)) {
			t.Fatalf("%s contains the admin token in clear", f)
		}
	}
}

func readFileIfExists(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// TestFailedStartWastesNoToken: a serve that cannot bind its address on a
// new database prints no token and stores none: the next start, which
// binds, creates and prints the first one.
func TestFailedStartWastesNoToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookline.db")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	code, stdout, stderr := runCommand(t, nil, "serve", "--listen", taken.Addr().String(), "--db", db, "--no-dispatch")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "address already in use") {
		t.Fatalf("serve on a taken address: exit %d, stdout %q, stderr %q; want 1, no token, the reason", code, stdout, stderr)
	}
	_, out, stop := runServer(t, []string{"--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"}, nil)
	defer stop()
	if tokenRE.FindString(out.String()) == "" {
		t.Fatalf("the first start that bound printed no token: %q", out.String())
	}
}

// TestSecondSignalExitsAtOnce: a second SIGTERM, while an attempt hangs and
// the attempt timeout is long, ends serve at once with exit 1; the
// delivery is not lost: the next start attempts it again, with the same
// webhook-id.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "hookline.db")
	const token = "hk_second_signal_token_0123456789abcdef"

	arrived := make(chan string, 4)
	hang := make(chan struct{})
	var hanging atomic.Bool
	hanging.Store(true)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- r.Header.Get("webhook-id")
		if hanging.Load() {
			<-hang
		}
	}))
	defer rc.Close()
	defer close(hang) // before rc.Close, which waits for the handler

	c := startChild(t, bin, db, token, "--timeout", "10m")
	_, msgID := sendOne(t, &http.Client{Timeout: 10 * time.Second}, c.url, token, rc.URL)
	if id := <-arrived; id != msgID {
		t.Fatalf("webhook-id %q, want %q", id, msgID)
	}

	// Process.Wait, not cmd.Wait, which would close stderr before its last
	// lines are read.
	exited := make(chan *os.ProcessState, 1)
	go func() { ps, _ := c.cmd.Process.Wait(); exited <- ps }()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the server to say what it waits for", func() bool {
		return strings.Contains(c.log(), "attempts_in_flight=1 attempts_wait_up_to=10m5s")
	})
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case ps := <-exited:
		if code := ps.ExitCode(); code != 1 {
			t.Fatalf("exit %d after the second signal, want 1:\n%s", code, c.log())
		}
	case <-time.After(wait.Deadline):
		t.Fatalf("serve did not exit at the second signal; it waits up to 10m for the attempt:\n%s", c.log())
	}
	wait.For(t, "serve to say why it exited", func() bool { return strings.Contains(c.log(), "second signal: exiting at once") })

	hanging.Store(false)
	startChild(t, bin, db, token)
	select {
	case id := <-arrived:
		if id != msgID {
			t.Fatalf("after the restart, webhook-id %q, want %q", id, msgID)
		}
	case <-time.After(wait.Deadline):
		t.Fatal("the delivery in flight at the second signal was not attempted again after the restart")
	}
}
