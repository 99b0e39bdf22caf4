package egress

import (
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestPolicyCheck(t *testing.T) {
	allowLocal := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	only443 := Policy{Ports: []int{443}}
	tests := []struct {
		addr    string
		port    int
		policy  Policy
		blocked bool
	}{
		{"8.8.8.8", 443, Policy{}, false},
		{"1.1.1.1", 80, Policy{}, false},
		{"2606:4700:4700::1111", 443, Policy{}, false},
		{"127.0.0.1", 80, Policy{}, true},
		{"127.255.255.254", 80, Policy{}, true},
		{"10.0.0.1", 80, Policy{}, true},
		{"172.16.5.4", 80, Policy{}, true},
		{"172.31.255.255", 80, Policy{}, true},
		{"172.32.0.1", 80, Policy{}, false},
		{"192.168.1.1", 80, Policy{}, true},
		{"169.254.169.254", 80, Policy{}, true}, // cloud metadata
		{"100.64.0.1", 80, Policy{}, true},
		{"100.128.0.1", 80, Policy{}, false},
		{"0.0.0.0", 80, Policy{}, true},
		{"224.0.0.1", 80, Policy{}, true},
		{"255.255.255.255", 80, Policy{}, true},
		{"240.0.0.1", 80, Policy{}, true},
		{"::1", 80, Policy{}, true},
		{"::", 80, Policy{}, true},
		{"fd00::1", 80, Policy{}, true},
		{"fc00::1", 80, Policy{}, true},
		{"fe80::1", 80, Policy{}, true},
		{"ff02::1", 80, Policy{}, true},
		{"::ffff:127.0.0.1", 80, Policy{}, true}, // IPv4-mapped loopback
		{"::ffff:169.254.169.254", 80, Policy{}, true},
		{"::ffff:8.8.8.8", 80, Policy{}, false},
		{"64:ff9b::a9fe:a9fe", 80, Policy{}, true}, // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", 80, Policy{}, false},  // NAT64 of 8.8.8.8
		{"2002:7f00:1::", 80, Policy{}, true},      // 6to4 of 127.0.0.1
		{"::127.0.0.1", 80, Policy{}, true},        // IPv4-compatible
		{"127.0.0.1", 80, allowLocal, false},
		{"::ffff:127.0.0.1", 80, allowLocal, false},
		{"10.0.0.1", 80, allowLocal, true},
		{"8.8.8.8", 443, only443, false},
		{"8.8.8.8", 8080, only443, true},
	}
	for _, tt := range tests {
		err := tt.policy.Check(netip.MustParseAddr(tt.addr), tt.port)
		if (err != nil) != tt.blocked {
			t.Errorf("Check(%s:%d) with %+v = %v, want blocked=%v", tt.addr, tt.port, tt.policy, err, tt.blocked)
		}
		var b *BlockedError
		if err != nil && !errors.As(err, &b) {
			t.Errorf("Check(%s) error is %T, want *BlockedError", tt.addr, err)
		}
	}
}

// TestClientRefusesAtDialTime checks that the policy applies to the address a
// connection is made to, by IP and after resolving a name, and that an allowed
// network gets through.
func TestClientRefusesAtDialTime(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	c := NewClient(Config{})
	resp, err := c.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("loopback delivery was not refused")
	}
	if _, ok := Blocked(err); !ok {
		t.Fatalf("error %v is not a BlockedError", err)
	}
	// "localhost" resolves to loopback through the system resolver: refused too.
	if resp, err := c.Get("http://localhost:" + port); err == nil {
		resp.Body.Close()
		t.Fatal("localhost delivery was not refused")
	}
	if hits != 0 {
		t.Fatalf("receiver got %d requests, want 0", hits)
	}

	allowed := NewClient(Config{Policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	resp, err = allowed.Get(srv.URL)
	if err != nil {
		t.Fatalf("allowed loopback: %v", err)
	}
	resp.Body.Close()
	if hits != 1 {
		t.Fatalf("receiver got %d requests, want 1", hits)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	target := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/target" {
			target++
			return
		}
		http.Redirect(w, r, "/target", http.StatusFound)
	}))
	defer srv.Close()
	c := NewClient(Config{Policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	resp, err := c.Get(srv.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || target != 0 {
		t.Fatalf("status %d, target hit %d times; want 302 and 0", resp.StatusCode, target)
	}
}

func TestParseNetworks(t *testing.T) {
	got, err := ParseNetworks([]string{"127.0.0.0/8", "10.1.2.3", "", "::1"})
	if err != nil || len(got) != 3 || got[1].Bits() != 32 || got[2].Bits() != 128 {
		t.Fatalf("ParseNetworks = %v, %v", got, err)
	}
	if _, err := ParseNetworks([]string{"nonsense"}); err == nil {
		t.Fatal("nonsense parsed")
	}
}

func TestHTTPSOnly(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	c := NewClient(Config{HTTPSOnly: true, Policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	resp, err := c.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("plain http was not refused")
	}
	if reason, ok := Refused(err); !ok || !strings.Contains(reason, "https") {
		t.Fatalf("error %v is not an https-only refusal", err)
	}
	if hits != 0 {
		t.Fatalf("receiver got %d requests", hits)
	}

	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer tlsSrv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(tlsSrv.Certificate())
	c = NewClient(Config{HTTPSOnly: true, RootCAs: roots, Policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	resp, err = c.Get(tlsSrv.URL)
	if err != nil {
		t.Fatalf("https refused: %v", err)
	}
	resp.Body.Close()
	if hits != 1 {
		t.Fatalf("receiver got %d requests, want 1", hits)
	}
}

func TestAllowedPorts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := NewClient(Config{Policy: Policy{Ports: []int{443}, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	resp, err := c.Get(srv.URL) // a random high port
	if err == nil {
		resp.Body.Close()
		t.Fatal("a port outside --allow-port was not refused")
	}
	if reason, ok := Refused(err); !ok || !strings.Contains(reason, "port") {
		t.Fatalf("error %v: not a port refusal", err)
	}
}
