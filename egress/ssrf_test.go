package egress

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSSRF sends real requests through a Client and checks, for each, that a
// denied address is refused before anything is connected to (the dial log
// stays empty and the receiver on 127.0.0.1 gets nothing), and that allowed
// ones reach the receiver, and only through allowed addresses.
func TestSSRF(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	local := "127.0.0.1:" + port

	const (
		ok      = ""
		blocked = "blocked"  // a *BlockedError for an address
		badPort = "port"     // a *BlockedError for a port
		https   = "https"    // ErrHTTPSOnly
		noHost  = "dns"      // a resolution error, not a refusal
		loop    = "loopback" // shorthand reasons
	)
	tests := []struct {
		name   string
		url    string // "P" stands for the receiver's port
		dns    map[string][]string
		policy Policy
		https  bool
		want   string // ok or an error kind
		reason string // a part of the refusal's text
		dialed []string
	}{
		{name: "loopback v4", url: "http://127.0.0.1:P/", want: blocked, reason: loop},
		{name: "loopback v4 other", url: "http://127.1.2.3:P/", want: blocked, reason: loop},
		{name: "loopback v6", url: "http://[::1]:P/", want: blocked, reason: loop},
		{name: "rfc1918 10/8", url: "http://10.0.0.1:P/", want: blocked, reason: "private"},
		{name: "rfc1918 172.16/12", url: "http://172.16.0.1:P/", want: blocked, reason: "private"},
		{name: "rfc1918 192.168/16", url: "http://192.168.1.1:P/", want: blocked, reason: "private"},
		{name: "cloud metadata", url: "http://169.254.169.254:P/latest/meta-data/", want: blocked, reason: "metadata"},
		{name: "cgnat", url: "http://100.64.0.1:P/", want: blocked, reason: "carrier-grade NAT"},
		{name: "this network", url: "http://0.0.0.0:P/", want: blocked, reason: "this network"},
		{name: "multicast v4", url: "http://224.0.0.251:P/", want: blocked, reason: "multicast"},
		{name: "broadcast", url: "http://255.255.255.255:P/", want: blocked, reason: "broadcast"},
		{name: "reserved 240/4", url: "http://240.0.0.1:P/", want: blocked, reason: "reserved"},
		{name: "unspecified v6", url: "http://[::]:P/", want: blocked, reason: "unspecified"},
		{name: "ula fc00::/7", url: "http://[fc00::1]:P/", want: blocked, reason: "unique local"},
		{name: "ula aws metadata v6", url: "http://[fd00:ec2::254]:P/", want: blocked, reason: "unique local"},
		{name: "link-local v6", url: "http://[fe80::1]:P/", want: blocked, reason: "link-local"},
		{name: "multicast v6", url: "http://[ff02::1]:P/", want: blocked, reason: "multicast"},
		{name: "ipv4-mapped loopback", url: "http://[::ffff:127.0.0.1]:P/", want: blocked, reason: loop},
		{name: "ipv4-mapped private", url: "http://[::ffff:10.0.0.1]:P/", want: blocked, reason: "private"},
		{name: "ipv4-mapped metadata", url: "http://[::ffff:169.254.169.254]:P/", want: blocked, reason: "metadata"},
		{name: "nat64 loopback", url: "http://[64:ff9b::7f00:1]:P/", want: blocked, reason: "loopback address (embedded in IPv6)"},
		{name: "nat64 metadata", url: "http://[64:ff9b::a9fe:a9fe]:P/", want: blocked, reason: "metadata"},
		{name: "6to4 loopback", url: "http://[2002:7f00:1::1]:P/", want: blocked, reason: loop},
		{name: "6to4 private", url: "http://[2002:c0a8:101::1]:P/", want: blocked, reason: "private"},
		{name: "teredo loopback", url: "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:P/", want: blocked, reason: loop},
		{name: "ipv4-compatible", url: "http://[::127.0.0.1]:P/", want: blocked, reason: loop},
		{name: "localhost by the system resolver", url: "http://localhost:P/", want: blocked, reason: loop},
		{name: "public name, private answer", url: "http://hooks.example.com:P/",
			dns: map[string][]string{"hooks.example.com": {"10.1.2.3"}}, want: blocked, reason: "private"},
		{name: "public name, metadata answer", url: "http://hooks.example.com:P/",
			dns: map[string][]string{"hooks.example.com": {"169.254.169.254"}}, want: blocked, reason: "metadata"},
		{name: "public name, all answers private", url: "http://hooks.example.com:P/",
			dns:  map[string][]string{"hooks.example.com": {"fd00::1", "192.168.0.10", "::ffff:127.0.0.1"}},
			want: blocked, reason: "unique local"},
		{name: "mixed answer: only the allowed address is dialed", url: "http://hooks.example.com:P/",
			dns:    map[string][]string{"hooks.example.com": {"10.0.0.1", "169.254.169.254", "127.0.0.1", "fd00::1"}},
			policy: allow("127.0.0.1/32"), want: ok, dialed: []string{local}},
		{name: "unknown name", url: "http://nowhere.example.com:P/", dns: map[string][]string{}, want: noHost},
		{name: "allowed network", url: "http://127.0.0.1:P/", policy: allow("127.0.0.0/8"), want: ok, dialed: []string{local}},
		{name: "allowed network, ipv4-mapped form", url: "http://[::ffff:127.0.0.1]:P/", policy: allow("127.0.0.0/8"),
			want: ok, dialed: []string{"[::ffff:127.0.0.1]:" + port}},
		{name: "allowed network by name", url: "http://receiver.internal:P/",
			dns:    map[string][]string{"receiver.internal": {"127.0.0.1"}},
			policy: allow("127.0.0.1/32"), want: ok, dialed: []string{local}},
		{name: "another allowed network opens nothing else", url: "http://127.0.0.1:P/", policy: allow("10.0.0.0/8"), want: blocked, reason: loop},
		{name: "port not in --allow-port", url: "http://127.0.0.1:P/",
			policy: Policy{Allow: allow("127.0.0.0/8").Allow, Ports: []int{443, 8443}}, want: badPort, reason: "port"},
		{name: "port in --allow-port", url: "http://127.0.0.1:P/",
			policy: Policy{Allow: allow("127.0.0.0/8").Allow, Ports: []int{443, atoi(port)}}, want: ok, dialed: []string{local}},
		{name: "https only", url: "http://127.0.0.1:P/", policy: allow("127.0.0.0/8"), https: true, want: https, reason: "https"},
		{name: "redirect to metadata not followed", url: "http://127.0.0.1:P/redirect", policy: allow("127.0.0.0/8"),
			want: ok, dialed: []string{local}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Policy: tt.policy, HTTPSOnly: tt.https}
			var dns *fakeDNS
			if tt.dns != nil {
				dns = newDNS(tt.dns)
				cfg.LookupNetIP = dns.lookup
			}
			c, log := traced(t, cfg)
			defer c.CloseIdleConnections()
			before := hits.Load()
			req, err := http.NewRequest(http.MethodPost, strings.ReplaceAll(tt.url, ":P/", ":"+port+"/"), strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req, nil)
			if err == nil {
				resp.Body.Close()
			}
			got := hits.Load() - before

			switch tt.want {
			case ok:
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got != 1 {
					t.Fatalf("receiver got %d requests, want 1", got)
				}
				if strings.HasSuffix(tt.url, "/redirect") && resp.StatusCode != http.StatusFound {
					t.Fatalf("status %d, want the 302 itself", resp.StatusCode)
				}
				if d := log.list(); !slices.Equal(d, tt.dialed) {
					t.Fatalf("dialed %v, want %v", d, tt.dialed)
				}
				return
			case blocked, badPort:
				b, isBlocked := Blocked(err)
				if !isBlocked {
					t.Fatalf("error %v is not a BlockedError", err)
				}
				if (tt.want == badPort) != (b.Reason == "") {
					t.Fatalf("refusal %q: want a %s refusal", b, tt.want)
				}
			case https:
				if !errors.Is(err, ErrHTTPSOnly) {
					t.Fatalf("error %v is not ErrHTTPSOnly", err)
				}
			case noHost:
				var de *net.DNSError
				if !errors.As(err, &de) {
					t.Fatalf("error %v is not a DNS error", err)
				}
				if _, refused := Refused(err); refused {
					t.Fatalf("a name that does not resolve counts as a refusal: %v", err)
				}
			}
			if reason, refused := Refused(err); tt.reason != "" && (!refused || !strings.Contains(reason, tt.reason)) {
				t.Fatalf("refusal %q (refused=%v) does not say %q", reason, refused, tt.reason)
			}
			if got != 0 {
				t.Fatalf("receiver got %d requests, want 0", got)
			}
			if d := log.list(); len(d) != 0 {
				t.Fatalf("dialed %v, want nothing", d)
			}
		})
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestDNSRebinding checks that a name whose answer changes to a denied
// address between two connections is refused on the second: the check is on
// each dial, not on a first lookup.
func TestDNSRebinding(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := newDNS(map[string][]string{"rebind.example.com": {"127.0.0.1"}})
	c, log := traced(t, Config{Policy: allow("127.0.0.1/32"), LookupNetIP: dns.lookup})

	get := func() error {
		req, _ := http.NewRequest(http.MethodGet, "http://rebind.example.com:"+port+"/", nil)
		req.Close = true // a new connection, and so a new lookup, each time
		resp, err := c.Do(req, nil)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(); err != nil {
		t.Fatalf("first request: %v", err)
	}
	dns.set("rebind.example.com", "127.0.0.2") // an address the policy denies
	err := get()
	if _, ok := Blocked(err); !ok {
		t.Fatalf("after rebinding: %v, want a BlockedError", err)
	}
	dns.set("rebind.example.com", "169.254.169.254")
	if _, ok := Blocked(get()); !ok {
		t.Fatal("rebinding to the metadata address was not refused")
	}
	if hits.Load() != 1 || len(log.list()) != 1 {
		t.Fatalf("receiver hits %d, dials %v; want 1 and one dial", hits.Load(), log.list())
	}
}

// TestDialTimeControl checks that the dialer's socket control refuses a
// denied address even if one reached it unchecked.
func TestDialTimeControl(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.dialer.direct.Dial("tcp", "127.0.0.1:9")
	if err == nil {
		conn.Close()
		t.Fatal("the socket control let 127.0.0.1 through")
	}
	if _, ok := Blocked(err); !ok {
		t.Fatalf("error %v is not a BlockedError", err)
	}
}
