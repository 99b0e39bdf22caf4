package main

import (
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
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
