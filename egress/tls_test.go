package egress

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// mtlsServer is a receiver on 127.0.0.1 with a certificate from a private CA
// that requires a client certificate from another CA.
type mtlsServer struct {
	*httptest.Server
	serverCA, clientCA *testCA
}

func newMTLSServer(t *testing.T) *mtlsServer {
	t.Helper()
	s := &mtlsServer{serverCA: newCA(t, "receiver CA"), clientCA: newCA(t, "sender CA")}
	_, _, pair := s.serverCA.issue(t, "receiver", false, []string{"receiver.test"}, "127.0.0.1")
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	s.TLS = &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    s.clientCA.pool(),
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// mtls returns the EndpointAuth of an endpoint with these mTLS settings.
func mtls(certPEM, keyPEM, caPEM []byte) *EndpointAuth {
	return &EndpointAuth{MTLS: &hookline.EndpointMTLS{Certificate: certPEM, Key: keyPEM, ServerCACerts: caPEM}}
}

// get sends a GET through c with auth and returns the body (the common name
// of the client certificate the receiver saw) or the error.
func get(t *testing.T, c *Client, url string, auth *EndpointAuth) (string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req, auth)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return b.String(), nil
}

func TestMutualTLS(t *testing.T) {
	srv := newMTLSServer(t)
	certPEM, keyPEM, _ := srv.clientCA.issue(t, "endpoint client", true, nil)
	otherCA := newCA(t, "someone else")
	strangerCert, strangerKey, _ := otherCA.issue(t, "stranger", true, nil)
	c, err := New(Config{Policy: allow("127.0.0.1/32")})
	if err != nil {
		t.Fatal(err)
	}

	// The right certificate and the receiver's CA: verified both ways.
	cn, err := get(t, c, srv.URL, mtls(certPEM, keyPEM, srv.serverCA.pem))
	if err != nil || cn != "endpoint client" {
		t.Fatalf("with certificate and CA: %q, %v", cn, err)
	}
	// One "identity" PEM holding both key and certificate (the Svix shape).
	identity := append(append([]byte{}, keyPEM...), certPEM...)
	m, err := hookline.ParseIdentity([]string{"body", "identity"}, identity)
	if err != nil {
		t.Fatal(err)
	}
	m.ServerCACerts = srv.serverCA.pem
	if cn, err := get(t, c, srv.URL, &EndpointAuth{MTLS: m}); err != nil || cn != "endpoint client" {
		t.Fatalf("with an identity PEM: %q, %v", cn, err)
	}
	// No client certificate: the receiver refuses the handshake.
	if _, err := get(t, c, srv.URL, mtls(nil, nil, srv.serverCA.pem)); err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("a receiver requiring a client certificate accepted none: %v", err)
	}
	// A certificate from a CA the receiver does not trust.
	if _, err := get(t, c, srv.URL, mtls(strangerCert, strangerKey, srv.serverCA.pem)); err == nil {
		t.Fatal("a receiver accepted a client certificate from an unknown CA")
	}
	// Without the receiver's CA its certificate does not verify.
	_, err = get(t, c, srv.URL, mtls(certPEM, keyPEM, nil))
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Fatalf("without the private CA: %v, want an unknown authority error", err)
	}
	// With another CA only (the endpoint's bundle replaces the roots).
	_, err = get(t, c, srv.URL, mtls(certPEM, keyPEM, otherCA.pem))
	if !errors.As(err, &ua) {
		t.Fatalf("with the wrong CA: %v, want an unknown authority error", err)
	}
}

func TestMutualTLSDefaultIdentity(t *testing.T) {
	srv := newMTLSServer(t)
	defCert, defKey, _ := srv.clientCA.issue(t, "default client", true, nil)
	epCert, epKey, _ := srv.clientCA.issue(t, "endpoint client", true, nil)
	c, err := New(Config{
		Policy:     allow("127.0.0.1/32"),
		ClientCert: defCert,
		ClientKey:  defKey,
		RootCAs:    srv.serverCA.pool(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		auth *EndpointAuth
		want string
	}{
		{"no endpoint auth", nil, "default client"},
		{"endpoint CA only", mtls(nil, nil, srv.serverCA.pem), "default client"},
		{"endpoint certificate", mtls(epCert, epKey, nil), "endpoint client"},
	} {
		if cn, err := get(t, c, srv.URL, tt.auth); err != nil || cn != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, cn, err, tt.want)
		}
	}
	// NewClient's *http.Client presents the default identity too.
	hc := NewClient(Config{Policy: allow("127.0.0.1/32"), ClientCert: defCert, ClientKey: defKey, RootCAs: srv.serverCA.pool()})
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("NewClient with a default identity: %v", err)
	}
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	if b.String() != "default client" {
		t.Errorf("NewClient presented %q, want the default identity", b.String())
	}

	if _, err := New(Config{ClientCert: []byte("not a certificate")}); err == nil || !strings.Contains(err.Error(), "default client certificate") {
		t.Errorf("a bad default certificate: %v", err)
	}
}

func TestMutualTLSBadMaterial(t *testing.T) {
	ca := newCA(t, "ca")
	certPEM, keyPEM, _ := ca.issue(t, "client", true, nil)
	_, otherKey, _ := ca.issue(t, "other", true, nil)
	corrupt := bytes.Replace(ca.pem, []byte("\n"), []byte("\nAAAA"), 3)
	c, err := New(Config{Policy: allow("127.0.0.1/32")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		auth    *EndpointAuth
		setting string
	}{
		{"garbage certificate", mtls([]byte("hello"), keyPEM, nil), "client certificate"},
		{"garbage key", mtls(certPEM, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), nil), "client certificate"},
		{"key of another certificate", mtls(certPEM, otherKey, nil), "client certificate"},
		{"key without certificate", mtls(nil, keyPEM, nil), "client certificate"},
		{"certificate without key", mtls(certPEM, nil, nil), "client certificate"},
		{"garbage CA", mtls(nil, nil, []byte("not PEM")), "CA certificates"},
		{"corrupt CA", mtls(nil, nil, corrupt), "CA certificates"},
		{"key as CA", mtls(nil, nil, keyPEM), "CA certificates"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The API refuses these settings (the one validation, in the
			// root package); Do refuses them too, should a store hold them.
			verr := tt.auth.MTLS.Validate()
			if hookline.ErrorCode(verr) != hookline.EINVALID {
				t.Fatalf("Validate: %v, want EINVALID", verr)
			}
			req, _ := http.NewRequest(http.MethodPost, "https://127.0.0.1:1/", strings.NewReader("x"))
			_, err := c.Do(req, tt.auth)
			var ae *AuthConfigError
			if !errors.As(err, &ae) || ae.Setting != tt.setting {
				t.Fatalf("error %v, want an AuthConfigError about the %s", err, tt.setting)
			}
			for _, e := range []error{verr, err} {
				if strings.Contains(e.Error(), "PRIVATE KEY-----") || strings.Contains(e.Error(), string(keyPEM[30:60])) {
					t.Fatalf("error shows key material: %v", e)
				}
			}
		})
	}
	if err := mtls(certPEM, keyPEM, ca.pem).MTLS.Validate(); err != nil {
		t.Fatalf("good material: %v", err)
	}
	if c.transports.len() != 0 {
		t.Fatalf("bad material was cached: %d transports", c.transports.len())
	}
}

// TestTransportReuse checks that equal TLS material shares one transport
// and its connections, and that the cache is bounded.
func TestTransportReuse(t *testing.T) {
	srv := newMTLSServer(t)
	c, err := New(Config{Policy: allow("127.0.0.1/32"), MaxTransports: 2})
	if err != nil {
		t.Fatal(err)
	}
	auths := make([]*EndpointAuth, 3)
	for i := range auths {
		certPEM, keyPEM, _ := srv.clientCA.issue(t, "client", true, nil)
		auths[i] = mtls(certPEM, keyPEM, srv.serverCA.pem)
	}
	reused := func(auth *EndpointAuth) bool {
		t.Helper()
		var info httptrace.GotConnInfo
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { info = i },
		}))
		resp, err := c.Do(req, auth)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		return info.Reused
	}
	if reused(auths[0]) {
		t.Fatal("first request reused a connection")
	}
	// Equal material in other slices: the same transport, the same connection.
	m0 := auths[0].MTLS
	copyOf := mtls(bytes.Clone(m0.Certificate), bytes.Clone(m0.Key), bytes.Clone(m0.ServerCACerts))
	if !reused(copyOf) {
		t.Fatal("equal TLS material did not reuse the connection")
	}
	if n := c.transports.len(); n != 1 {
		t.Fatalf("%d transports for one TLS material", n)
	}
	reused(auths[1])
	reused(auths[2]) // evicts auths[0], the least recently used
	if n := c.transports.len(); n != 2 {
		t.Fatalf("%d transports, want the bound of 2", n)
	}
	key0, _ := tlsKey(auths[0])
	key2, _ := tlsKey(auths[2])
	c.transports.mu.Lock()
	_, has0 := c.transports.m[key0]
	_, has2 := c.transports.m[key2]
	c.transports.mu.Unlock()
	if has0 || !has2 {
		t.Fatalf("eviction kept %v / %v; want the least recently used gone", has0, has2)
	}
	if reused(auths[0]) {
		t.Fatal("an evicted transport's connection was reused")
	}
	// Requests without TLS material of their own use the default transport.
	if _, ok := tlsKey(&EndpointAuth{OAuth: &hookline.EndpointOAuth{}}); ok {
		t.Fatal("OAuth2 alone got a TLS transport of its own")
	}
}
