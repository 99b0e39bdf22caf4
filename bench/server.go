package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// child is a 'hookline serve' the benchmark started, with its resource use
// sampled while it runs.
type child struct {
	cmd  *exec.Cmd
	pid  int
	addr string // host:port it listens on
	logs *ring

	exited  chan struct{} // closed when the process has exited
	waitErr error

	peakRSS  atomic.Int64 // bytes, sampled every sampleEvery
	stopSamp chan struct{}
	sampDone chan struct{}
}

// sampleEvery is how often the RSS of a child is read.
const sampleEvery = 100 * time.Millisecond

// addrPattern finds the listening address in the line 'serve' logs once it
// listens ("... addr=127.0.0.1:PORT ...").
var addrPattern = regexp.MustCompile(`\baddr=(\S+)`)

// startChild runs command (a hookline binary, and arguments before "serve")
// as 'serve' on 127.0.0.1:0 with a SQLite store at db, the admin token
// token, loopback deliveries allowed, and the extra flags. It returns once
// the server logged its address.
func startChild(ctx context.Context, command []string, db, token string, noDispatch bool, extra []string, logTo io.Writer) (*child, error) {
	if len(command) == 0 {
		return nil, errors.New("bench: no server command")
	}
	args := append([]string{}, command[1:]...)
	// --log-level info: the address is read from an info line. Extra flags
	// come last and may change anything but that.
	args = append(args, "serve", "--listen", "127.0.0.1:0", "--db", db, "--allow-network", "127.0.0.0/8", "--log-level", "info")
	if noDispatch {
		args = append(args, "--no-dispatch")
	}
	args = append(args, extra...)
	cmd := exec.Command(command[0], args...)
	// The variables of 'serve' that the flags above set are cleared, so that
	// the caller's environment cannot change what is measured; the others
	// (HOOKLINE_WORKERS...) pass through.
	env := []string{}
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "HOOKLINE_ADMIN_TOKEN", "HOOKLINE_LISTEN", "HOOKLINE_DB", "HOOKLINE_NO_DISPATCH", "HOOKLINE_PUBLIC_URL", "HOOKLINE_LOG_LEVEL":
			continue
		}
		env = append(env, kv)
	}
	// The fan-out and isolation scenarios give one application more
	// endpoints than serve allows by default (a serve that predates the
	// variable ignores it).
	cmd.Env = append(env, "HOOKLINE_ADMIN_TOKEN="+token, "HOOKLINE_MAX_ENDPOINTS_PER_APP=1000000")
	if strings.Contains(db, "://") {
		// A PostgreSQL store, whose serve needs a master key or leave to
		// store secrets unencrypted: measured as before, unencrypted (a
		// serve that predates the variable ignores it).
		cmd.Env = append(cmd.Env, "HOOKLINE_ALLOW_UNENCRYPTED_SECRETS=true")
	}
	cmd.Stdout = io.Discard
	cmd.SysProcAttr = childAttr()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the server: %w", err)
	}
	c := &child{
		cmd: cmd, pid: cmd.Process.Pid, logs: newRing(40), exited: make(chan struct{}),
		stopSamp: make(chan struct{}), sampDone: make(chan struct{}),
	}
	addr := make(chan string, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			c.logs.add(line)
			if logTo != nil {
				fmt.Fprintln(logTo, line)
			}
			if !found {
				if m := addrPattern.FindStringSubmatch(line); m != nil && strings.Contains(line, "serving") {
					found = true
					addr <- m[1]
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		<-readDone // Wait closes the pipe: read it all first
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	go c.sample()

	timer := time.NewTimer(2 * time.Minute)
	defer timer.Stop()
	select {
	case c.addr = <-addr:
		return c, nil
	case <-c.exited:
		c.stopSampling()
		return nil, fmt.Errorf("bench: the server exited before listening (%v):\n%s", c.waitErr, c.logs)
	case <-timer.C:
		c.kill()
		return nil, fmt.Errorf("bench: the server did not log its address within 2 minutes:\n%s", c.logs)
	case <-ctx.Done():
		c.kill()
		return nil, ctx.Err()
	}
}

func (c *child) sample() {
	defer close(c.sampDone)
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		if rss, _, err := procMemory(c.pid); err == nil && rss > c.peakRSS.Load() {
			c.peakRSS.Store(rss)
		}
		select {
		case <-c.stopSamp:
			return
		case <-c.exited:
			return
		case <-t.C:
		}
	}
}

func (c *child) stopSampling() {
	select {
	case <-c.stopSamp:
	default:
		close(c.stopSamp)
	}
	<-c.sampDone
}

// usage is the resource use of a child so far.
type usage struct {
	PeakRSS int64 // sampled
	HWM     int64 // VmHWM: the kernel's peak RSS
	CPU     time.Duration
}

// usage reads the resource use of the running child.
func (c *child) usage() usage {
	u := usage{PeakRSS: c.peakRSS.Load()}
	if rss, hwm, err := procMemory(c.pid); err == nil {
		u.HWM = hwm
		u.PeakRSS = max(u.PeakRSS, rss)
	}
	u.CPU, _ = procCPU(c.pid)
	return u
}

// stop sends SIGTERM and waits for the child to exit, killing it after
// timeout. It returns the usage read just before the signal and an error
// when the server did not exit cleanly.
func (c *child) stop(timeout time.Duration) (usage, error) {
	u := c.usage()
	c.stopSampling()
	select {
	case <-c.exited:
		return u, fmt.Errorf("bench: the server had exited (%v):\n%s", c.waitErr, c.logs)
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		if c.waitErr != nil {
			return u, fmt.Errorf("bench: the server exited with %v:\n%s", c.waitErr, c.logs)
		}
		return u, nil
	case <-time.After(timeout):
		c.kill()
		return u, fmt.Errorf("bench: the server did not stop within %s of SIGTERM; killed", timeout)
	}
}

func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.exited
	c.stopSampling()
}

// ring keeps the last lines a child logged, for error messages.
type ring struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
}

func newRing(n int) *ring { return &ring{lines: make([]string, n)} }

func (r *ring) add(s string) {
	r.mu.Lock()
	r.lines[r.next] = s
	r.next = (r.next + 1) % len(r.lines)
	r.full = r.full || r.next == 0
	r.mu.Unlock()
}

func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	if r.full {
		out = append(out, r.lines[r.next:]...)
	}
	out = append(out, r.lines[:r.next]...)
	return "    " + strings.Join(out, "\n    ")
}
