package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
)

// connectProxy is an HTTP CONNECT proxy on 127.0.0.1 that records the
// targets it was asked for. When refuse is set (a status line, "403
// Forbidden"), it answers every CONNECT with it.
type connectProxy struct {
	ln      net.Listener
	refuse  string
	mu      sync.Mutex
	targets []string
}

func newConnectProxy(t *testing.T, refuse string) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln, refuse: refuse}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *connectProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.Host)
	p.mu.Unlock()
	if p.refuse != "" {
		io.WriteString(c, "HTTP/1.1 "+p.refuse+"\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { io.Copy(up, br); up.Close() }()
	io.Copy(c, up)
}

func (p *connectProxy) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// TestDeliveriesThroughEgressProxy checks that serve --egress-proxy sends
// deliveries through the proxy, asking it for the receiver's address.
func TestDeliveriesThroughEgressProxy(t *testing.T) {
	proxy := newConnectProxy(t, "")
	s := startServer(t, "--egress-proxy", "http://"+proxy.ln.Addr().String(), "--egress-ips", "203.0.113.7")
	rc := newHookReceiver(t, nil)
	ctx := context.Background()
	c := s.client(t)
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "proxied"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: rc.URL}, nil); err != nil {
		t.Fatal(err)
	}
	msg, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "a.b", Payload: map[string]any{"x": 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the delivery through the proxy", func() bool { return rc.count() == 1 })
	rc.mu.Lock()
	id := rc.ids[0]
	rc.mu.Unlock()
	if id != msg.Id {
		t.Fatalf("received webhook-id %q, want %q", id, msg.Id)
	}
	want := strings.TrimPrefix(rc.URL, "http://")
	if got := proxy.asked(); len(got) != 1 || got[0] != want {
		t.Fatalf("the proxy was asked for %v, want [%s]", got, want)
	}
}

func TestBadEgressSettingsStopServe(t *testing.T) {
	for _, args := range [][]string{
		{"--egress-proxy", "ftp://127.0.0.1:21"},
		{"--egress-client-cert-file", "/nonexistent/cert.pem"},
		{"--egress-ips", "not-an-address"},
	} {
		all := append([]string{"--listen", "127.0.0.1:0", "--db", t.TempDir() + "/h.db"}, args...)
		cfg, err := parseServeFlags(all, func(string) string { return "" })
		if err == nil {
			err = serve(context.Background(), cfg, func(string) { t.Errorf("%v: serve started", args) }, io.Discard, io.Discard)
		}
		if err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
