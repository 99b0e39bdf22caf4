package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/wait"
)

// buildBinary compiles this command into a temporary directory.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hookline")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// child is a 'hookline serve' process.
type child struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs *bytes.Buffer // its stderr
}

// log returns what the child wrote to stderr so far.
func (c *child) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logs.String()
}

var addrRE = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// startChild starts 'hookline serve' on db with the flags extra, and waits
// until it listens.
func startChild(t testing.TB, bin, db, token string, extra ...string) *child {
	t.Helper()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--db", db, "--allow-network", "127.0.0.0/8"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOOKLINE_ADMIN_TOKEN="+token)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, logs: &bytes.Buffer{}}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.logs.WriteString(line)
			c.logs.WriteByte('\n')
			c.mu.Unlock()
			if m := addrRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		c.url = "http://" + addr
	case <-time.After(wait.Deadline):
		t.Fatal("child did not start listening")
	}
	return c
}

func apiCall(client *http.Client, method, url, token string, body any, out any) (int, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding %s: %w", data, err)
		}
	}
	return resp.StatusCode, nil
}

// sendOne creates, on the server at base, an application with an endpoint
// that delivers to url, and sends it one message; it returns the ids of the
// application and of the message.
func sendOne(t testing.TB, client *http.Client, base, token, url string) (appID, msgID string) {
	t.Helper()
	var app, msg struct{ ID string }
	if code, err := apiCall(client, "POST", base+"/api/v1/app", token, map[string]any{"name": "t"}, &app); err != nil || code != 201 {
		t.Fatalf("create app: %d %v", code, err)
	}
	if code, err := apiCall(client, "POST", base+"/api/v1/app/"+app.ID+"/endpoint", token, map[string]any{"url": url}, nil); err != nil || code != 201 {
		t.Fatalf("create endpoint: %d %v", code, err)
	}
	if code, err := apiCall(client, "POST", base+"/api/v1/app/"+app.ID+"/msg", token,
		map[string]any{"eventType": "a.b", "payload": map[string]any{"x": 1}}, &msg); err != nil || code != 202 {
		t.Fatalf("create message: %d %v", code, err)
	}
	return app.ID, msg.ID
}

// TestCrashLosesNothing kills a serving process with SIGKILL while messages
// flow, restarts it on the same database, and checks that every message the
// API accepted (answered 2xx) reaches the receiver, with its original
// webhook-id.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "hookline.db")
	const token = "hk_crash_test_token_0123456789abcdef"

	var mu sync.Mutex
	received := map[string]int{}
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		// A slow receiver keeps attempts in flight, so the kill catches
		// deliveries claimed and in flight, not only queued ones.
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		received[r.Header.Get("webhook-id")]++
		mu.Unlock()
	}))
	defer rc.Close()

	c := startChild(t, bin, db, token)
	client := &http.Client{Timeout: 10 * time.Second}
	var app, ep struct{ ID string }
	if code, err := apiCall(client, "POST", c.url+"/api/v1/app", token, map[string]any{"name": "crash"}, &app); err != nil || code != 201 {
		t.Fatalf("create app: %d %v", code, err)
	}
	if code, err := apiCall(client, "POST", c.url+"/api/v1/app/"+app.ID+"/endpoint", token,
		map[string]any{"url": rc.URL}, &ep); err != nil || code != 201 {
		t.Fatalf("create endpoint: %d %v", code, err)
	}

	// Publish from 16 goroutines; kill the server once 5,000 were accepted.
	const killAfter, publishers = 5000, 16
	var acceptedMu sync.Mutex
	var accepted []string
	var count atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var msg struct{ ID string }
				code, err := apiCall(client, "POST", c.url+"/api/v1/app/"+app.ID+"/msg", token,
					map[string]any{"eventType": "crash.test", "payload": map[string]any{"p": p, "i": i}}, &msg)
				if err != nil {
					return // the server is gone
				}
				if code == 202 {
					acceptedMu.Lock()
					accepted = append(accepted, msg.ID)
					acceptedMu.Unlock()
					if count.Add(1) == killAfter {
						c.cmd.Process.Signal(syscall.SIGKILL)
					}
				}
			}
		}(p)
	}
	c.cmd.Wait()
	close(stop)
	wg.Wait()
	if len(accepted) < killAfter {
		t.Fatalf("only %d messages accepted before the crash", len(accepted))
	}
	mu.Lock()
	before := len(received)
	mu.Unlock()
	t.Logf("accepted %d messages; %d delivered before SIGKILL", len(accepted), before)

	startChild(t, bin, db, token)
	wait.For(t, "every accepted message to be delivered after the restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range accepted {
			if received[id] == 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for _, n := range received {
		if n > 1 {
			dups++
		}
	}
	t.Logf("all %d accepted messages delivered; %d delivered more than once (at-least-once)", len(accepted), dups)
}

// TestCrashKeepsTheBreakerOnTime kills a serving process with SIGKILL while
// an endpoint's circuit breaker holds a burst's deliveries, restarts it on
// the same database, and checks that they are due by the end of the first
// cooldown, as they were before the crash, and then arrive; on either
// store (PostgreSQL keeps running while serve dies).
func TestCrashKeepsTheBreakerOnTime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes, and waits for the breaker's 30 s cooldown")
	}
	bin := buildBinary(t)
	onEachStore(t, func(t *testing.T, st testStore) {
		t.Parallel()
		const token = "hk_crash_test_token_0123456789abcdef"
		flags := append([]string{"--retry-schedule", "100ms,200ms,400ms,800ms"}, st.flags...)
		c := startChild(t, bin, st.db, token, flags...)
		s := &server{url: c.url, token: token}
		sx := s.client(t)
		b := openBreaker(t, sx)
		// Nothing in flight: every delivery waits in the store, for the
		// breaker or for a retry, when the process dies.
		wait.For(t, "every delivery of the burst to wait in the store", func() bool {
			_, held := b.heldUntil(sx)
			return held
		})
		b.down.Store(false)
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
		// The breaker opened before now.
		latest := time.Now().Add(cooldownEnd)

		s.url = startChild(t, bin, st.db, token, flags...).url
		b.released(t, s.client(t), latest)
	})
}
