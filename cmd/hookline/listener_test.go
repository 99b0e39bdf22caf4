package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener accepts the server ends of in-memory connections.
type pipeListener struct{ conns chan net.Conn }

func (l *pipeListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l *pipeListener) Close() error   { close(l.conns); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{} }

// TestLimitListener: with the bound reached, the next connection is not
// accepted until one of the open ones closes. The bubble's goroutines block
// only on channels, so synctest.Wait proves the accept is still waiting.
func TestLimitListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pl := &pipeListener{conns: make(chan net.Conn, 3)}
		ln := limitListener(pl, 2)
		defer ln.Close()
		var open []net.Conn
		for range 3 {
			server, client := net.Pipe()
			defer client.Close()
			pl.conns <- server
		}
		for range 2 {
			c, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			open = append(open, c)
		}
		var third atomic.Bool
		go func() {
			if c, err := ln.Accept(); err == nil {
				third.Store(true)
				c.Close()
			}
		}()
		synctest.Wait()
		if third.Load() {
			t.Fatal("a third connection was accepted with two open and a bound of two")
		}
		open[0].Close()
		synctest.Wait()
		if !third.Load() {
			t.Fatal("the third connection was not accepted once one closed")
		}
		open[1].Close()
	})
}

func TestDefaultMaxConnections(t *testing.T) {
	n := defaultMaxConnections()
	if n < 1 || n > maxDefaultConnections {
		t.Fatalf("defaultMaxConnections() = %d", n)
	}
	if limit, ok := fileLimit(); ok && uint64(n) > limit/2 && n > 1 {
		t.Fatalf("defaultMaxConnections() = %d with a file limit of %d", n, limit)
	}
}

// rawConn is a client's keep-alive connection, one request at a time.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

// dialRaw opens a connection to addr, closed when t ends.
func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

// get sends GET path on c and reads the answer, keeping c open.
func (c *rawConn) get(path string) error {
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: hookline\r\n\r\n", path); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return nil
}

// getLater sends GET path on c and returns where the outcome will be.
func (c *rawConn) getLater(path string) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.get(path) }()
	return done
}

// answered waits for the outcome of getLater, failing t if there is none
// within a bound far beyond what it takes.
func answered(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no answer", what)
	}
}

// TestConnectionsBounded: through a real serve with --max-connections 2,
// two idle keep-alive connections hold both places, on the API's listener
// and on --metrics-listen's: the request of a third connection (which the
// kernel completes) is answered only once one of them closes.
func TestConnectionsBounded(t *testing.T) {
	s := startObserved(t, nil, "--max-connections", "2", "--metrics-listen", "127.0.0.1:0")
	for _, tc := range []struct{ addr, path string }{
		{strings.TrimPrefix(s.url, "http://"), "/api/v1/health/ping"},
		{metricsAddr(t, s), "/metrics"},
	} {
		held := []*rawConn{dialRaw(t, tc.addr), dialRaw(t, tc.addr)}
		for _, c := range held {
			if err := c.get(tc.path); err != nil {
				t.Fatal(err)
			}
		}
		third := dialRaw(t, tc.addr).getLater(tc.path)
		// Requests answered on a held connection meanwhile give serve every
		// chance to answer the third too, were it not bounded.
		for range 20 {
			if err := held[1].get(tc.path); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case err := <-third:
			t.Fatalf("%s: a third connection was answered (%v) while two held a bound of two", tc.addr, err)
		default:
		}
		held[0].Close()
		answered(t, third, tc.addr+": the third connection once one closed")
	}
}

// TestIdleConnectionClosed: serve closes a keep-alive connection left idle
// (here after 100 ms instead of apiIdleTimeout), which frees its place of
// --max-connections for a connection that was waiting.
func TestIdleConnectionClosed(t *testing.T) {
	s := startServerWith(t, func(c *serveConfig) { c.idleTimeout = 100 * time.Millisecond }, "--max-connections", "1")
	addr, path := strings.TrimPrefix(s.url, "http://"), "/api/v1/health/ping"
	idle := dialRaw(t, addr)
	if err := idle.get(path); err != nil {
		t.Fatal(err)
	}
	waiting := dialRaw(t, addr).getLater(path)
	// The idle connection ends because serve closed it (EOF), long before
	// the deadline; without an idle timeout it would stay open 60 s (the
	// read timeout).
	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle.r.ReadByte(); err != io.EOF {
		t.Fatalf("the idle connection: %v, want it closed by serve", err)
	}
	answered(t, waiting, "the waiting connection once the idle one was closed")
}
