package egress

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveOn starts a receiver on addr (e.g. "127.0.0.2:0"), with TLS when
// tlsOn is set, that records the Host header and SNI name of each request.
func serveOn(t *testing.T, addr string, tlsOn bool) (*httptest.Server, *receiverLog) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	rl := &receiverLog{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sni := ""
		if r.TLS != nil {
			sni = r.TLS.ServerName
		}
		rl.add(r.Host, sni)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are tested
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, rl
}

type receiverLog struct {
	mu    sync.Mutex
	hosts []string
	snis  []string
}

func (l *receiverLog) add(host, sni string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hosts = append(l.hosts, host)
	l.snis = append(l.snis, sni)
}

func (l *receiverLog) get() (hosts, snis []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.hosts...), append([]string(nil), l.snis...)
}

func portOf(srv *httptest.Server) string {
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return p
}

// TestProxy sends deliveries through a real proxy process, over HTTP CONNECT
// and SOCKS5, with and without proxy credentials. The receivers listen on
// 127.0.0.2 and ::1, the only networks the policy allows; the proxy listens
// on 127.0.0.1, which the policy denies: the proxy's own address is the
// operator's and is not checked, the targets are.
func TestProxy(t *testing.T) {
	plain, plainLog := serveOn(t, "127.0.0.2:0", false)
	secure, secureLog := serveOn(t, "127.0.0.2:0", true)
	v6, _ := serveOn(t, "[::1]:0", false)
	pp, sp, vp := portOf(plain), portOf(secure), portOf(v6)
	roots := x509.NewCertPool()
	roots.AddCert(secure.Certificate()) // valid for example.com and *.example.com only

	for _, tc := range []struct{ scheme, auth, verb string }{
		{"http", "", "CONNECT"},
		{"http", "hookline:s3cret pass", "CONNECT"},
		{"socks5", "", "SOCKS5"},
		{"socks5", "hookline:s3cret pass", "SOCKS5"},
	} {
		t.Run(tc.scheme+map[bool]string{true: "+auth"}[tc.auth != ""], func(t *testing.T) {
			px := startProxy(t, tc.auth)
			proxyURL := tc.scheme + "://" + px.addr
			if tc.auth != "" {
				user, pass, _ := strings.Cut(tc.auth, ":")
				proxyURL = tc.scheme + "://" + user + ":" + strings.ReplaceAll(pass, " ", "%20") + "@" + px.addr
			}
			dns := newDNS(map[string][]string{
				"hooks.example.com":    {"10.0.0.1", "169.254.169.254", "127.0.0.2"},
				"example.com":          {"127.0.0.2"},
				"metadata.example.com": {"169.254.169.254"},
				"internal.example.com": {"10.0.0.7", "fd00::7"},
				"v6.example.com":       {"::1"},
				"hooks.example.net":    {"127.0.0.2"},
			})
			c, err := New(Config{
				Policy:      allow("127.0.0.2/32", "::1/128"),
				Proxy:       proxyURL,
				LookupNetIP: dns.lookup,
				RootCAs:     roots,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			do := func(url string) (*http.Response, error) {
				req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"ok":true}`))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := c.Do(req, nil)
				if err == nil {
					resp.Body.Close()
				}
				return resp, err
			}

			// Denied targets are refused before the proxy is asked: the
			// proxy's log holds only the allowed request that follows.
			for _, u := range []string{
				"http://metadata.example.com:" + pp + "/",
				"http://internal.example.com:" + pp + "/",
				"http://10.0.0.1:" + pp + "/",
				"http://127.0.0.1:" + pp + "/", // the proxy's own network
				"http://[::ffff:169.254.169.254]:" + pp + "/",
			} {
				if _, err := do(u); err == nil {
					t.Fatalf("%s went through the proxy", u)
				} else if _, ok := Blocked(err); !ok {
					t.Fatalf("%s: %v, want a BlockedError", u, err)
				}
			}
			hostsBefore, _ := plainLog.get()
			if _, err := do("http://hooks.example.com:" + pp + "/"); err != nil {
				t.Fatalf("delivery through the proxy: %v", err)
			}
			if got := px.waitLog(t, 1); !slices.Equal(got, []string{tc.verb + " 127.0.0.2:" + pp}) {
				t.Fatalf("proxy log %q: want only the checked address, asked by IP", got)
			}
			hosts, _ := plainLog.get()
			if len(hosts) != len(hostsBefore)+1 || hosts[len(hosts)-1] != "hooks.example.com:"+pp {
				t.Fatalf("receiver saw hosts %q, want hooks.example.com:%s last", hosts, pp)
			}

			// IPv6 targets.
			if _, err := do("http://v6.example.com:" + vp + "/"); err != nil {
				t.Fatalf("IPv6 delivery through the proxy: %v", err)
			}
			if got := px.waitLog(t, 2); got[1] != tc.verb+" [::1]:"+vp {
				t.Fatalf("proxy log %q, want [::1]:%s asked", got, vp)
			}

			// https through the tunnel verifies the certificate against the
			// URL's host name, which is also the SNI name sent.
			resp, err := do("https://example.com:" + sp + "/")
			if err != nil {
				t.Fatalf("https through the proxy: %v", err)
			}
			if resp.TLS == nil || resp.TLS.ServerName != "example.com" {
				t.Fatalf("TLS state %+v, want ServerName example.com", resp.TLS)
			}
			if _, snis := secureLog.get(); snis[len(snis)-1] != "example.com" {
				t.Fatalf("receiver saw SNI %q, want example.com", snis)
			}
			_, err = do("https://hooks.example.net:" + sp + "/")
			var he x509.HostnameError
			if !errors.As(err, &he) || he.Host != "hooks.example.net" {
				t.Fatalf("certificate for example.com accepted for hooks.example.net: %v", err)
			}
			if got := px.waitLog(t, 4); got[2] != tc.verb+" 127.0.0.2:"+sp || got[3] != tc.verb+" 127.0.0.2:"+sp {
				t.Fatalf("proxy log %q", got)
			}
			for _, line := range px.log() {
				if strings.Contains(line, "example.") || strings.Contains(line, "by-name") {
					t.Fatalf("the proxy was asked for a name: %q", line)
				}
			}
		})
	}
}

// TestProxyCredentials checks wrong or missing proxy credentials give an
// error that names the problem and not the password.
func TestProxyCredentials(t *testing.T) {
	srv, _ := serveOn(t, "127.0.0.1:0", false)
	for _, scheme := range []string{"http", "socks5"} {
		t.Run(scheme, func(t *testing.T) {
			px := startProxy(t, "hookline:right")
			for _, cred := range []string{"hookline:wrong-pass-42@", ""} {
				c, err := New(Config{Policy: allow("127.0.0.1/32"), Proxy: scheme + "://" + cred + px.addr})
				if err != nil {
					t.Fatal(err)
				}
				resp, err := c.HTTPClient().Get(srv.URL)
				if err == nil {
					resp.Body.Close()
					t.Fatalf("credentials %q accepted", cred)
				}
				if strings.Contains(err.Error(), "wrong-pass-42") {
					t.Fatalf("error shows the proxy password: %v", err)
				}
				if !strings.Contains(err.Error(), "proxy") {
					t.Fatalf("error %v does not name the proxy", err)
				}
			}
			if got := px.waitLog(t, 2); !strings.HasPrefix(got[0], "AUTHFAIL") || !strings.HasPrefix(got[1], "AUTHFAIL") {
				t.Fatalf("proxy log %q, want two refused authentications", got)
			}
		})
	}
}

func TestProxyUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	dns := newDNS(map[string][]string{"hooks.example.com": {"127.0.0.2", "127.0.0.3"}})
	c, log := traced(t, Config{Policy: allow("127.0.0.0/8"), Proxy: "http://" + addr, LookupNetIP: dns.lookup})
	resp, err := c.HTTPClient().Get("http://hooks.example.com/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("no error without a proxy")
	}
	var pe *proxyDialError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("error %v does not say the proxy is unreachable", err)
	}
	if d := log.list(); len(d) != 1 {
		t.Fatalf("tried %v: the other addresses need not be tried when the proxy is down", d)
	}
}

func TestParseProxy(t *testing.T) {
	for _, tt := range []struct {
		raw, addr, errPart string
	}{
		{raw: "http://proxy.internal:3128", addr: "proxy.internal:3128"},
		{raw: "http://10.0.0.5", addr: "10.0.0.5:8080"},
		{raw: "socks5://u:p@[fd00::5]", addr: "[fd00::5]:1080"},
		{raw: "SOCKS5://proxy:1081", addr: "proxy:1081"},
		{raw: "socks5h://proxy:1080", errPart: "socks5h"},
		{raw: "https://proxy:443", errPart: "not supported"},
		{raw: "ftp://proxy", errPart: "not supported"},
		{raw: "proxy:3128", errPart: "not supported"},
		{raw: "http://:3128", errPart: "no host"},
		{raw: "http://u:topsecret@proxy:3128/path", errPart: "no path"},
		{raw: "socks5://:topsecret@proxy:1080", errPart: "RFC 1929"},
		{raw: "http://u:topsecret@proxy:3128\x7f", errPart: "does not parse"},
	} {
		p, err := parseProxy(tt.raw)
		if tt.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("parseProxy(%q) = %v, want an error about %q", tt.raw, err, tt.errPart)
			}
			if err != nil && strings.Contains(err.Error(), "topsecret") {
				t.Errorf("parseProxy(%q) error shows the password: %v", tt.raw, err)
			}
			continue
		}
		if err != nil || p.addr != tt.addr {
			t.Errorf("parseProxy(%q) = %+v, %v; want addr %s", tt.raw, p, err, tt.addr)
		}
	}
	if _, err := New(Config{Proxy: "gopher://x"}); err == nil {
		t.Error("New accepted a bad proxy")
	}
}

func TestEgressIPs(t *testing.T) {
	ips := []netip.Addr{netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("2001:db8::10")}
	c, err := New(Config{EgressIPs: ips})
	if err != nil {
		t.Fatal(err)
	}
	got := c.EgressIPs()
	if !slices.Equal(got, ips) {
		t.Fatalf("EgressIPs = %v, want %v", got, ips)
	}
	got[0] = netip.Addr{}
	ips[1] = netip.Addr{}
	if again := c.EgressIPs(); !again[0].IsValid() || !again[1].IsValid() {
		t.Fatal("EgressIPs shares memory with the caller")
	}
}

// fakeProxy accepts connections on 127.0.0.1 and answers each with serve.
// When t ends it closes the listener and every connection, and waits for
// the calls of serve to return.
func fakeProxy(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		conns  = map[net.Conn]bool{}
		closed bool
		wg     sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				c.Close()
			}
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	return ln.Addr().String()
}

// TestProxyHandshakeBounds checks that a proxy that never answers, or
// answers without end, cannot hold a delivery beyond the dial timeout or
// make it read without bound, and that bytes the proxy sends right after its
// answer reach the caller.
func TestProxyHandshakeBounds(t *testing.T) {
	target := netip.MustParseAddrPort("127.0.0.2:443")
	silent := fakeProxy(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	endless := fakeProxy(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX: ")
		chunk := []byte(strings.Repeat("a", 4096))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	eager := fakeProxy(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\nearly bytes")
		io.Copy(io.Discard, c) // the tunnel stays open until the caller closes it
	})
	socksSilent := fakeProxy(t, func(c net.Conn) { io.Copy(io.Discard, c) })

	for _, tt := range []struct{ name, url, want string }{
		{"connect silent", "http://" + silent, "timeout"},
		{"socks5 silent", "socks5://" + socksSilent, "timeout"},
		{"connect endless", "http://" + endless, "proxy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			px, err := parseProxy(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			c, err := px.dial(ctx, target)
			if err == nil {
				c.Close()
				t.Fatal("no error")
			}
			if tt.want == "timeout" {
				// The connection's deadline or the context's, whichever fires first.
				if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("error %v is not a timeout", err)
				}
			} else if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v does not say %q", err, tt.want)
			}
		})
	}

	px, _ := parseProxy("http://" + eager)
	c, err := px.dial(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(c, buf, len("early bytes"))
	if string(buf[:n]) != "early bytes" {
		t.Fatalf("tunnel read %q, want the bytes after the proxy's answer", buf[:n])
	}
}
