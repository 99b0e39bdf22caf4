package dispatch_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/signature"
)

func whsec(key []byte) string { return "whsec_" + base64.StdEncoding.EncodeToString(key) }

// TestRotatedSecretsSignDuringTheGracePeriod checks that a delivery carries
// a signature of the current secret and of the previous one still in its
// grace period, each verifying with the Standard Webhooks library, and none
// of an expired one.
func TestRotatedSecretsSignDuringTheGracePeriod(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	ep := f.endpoint(t, rc.URL)
	current, previous, expired := ep.Secret, hookline.NewSecret(), hookline.NewSecret()
	ep.PreviousSecrets = []hookline.EndpointSecret{
		{Kind: hookline.SecretHMAC, Key: previous, Expires: time.Now().Add(time.Hour)},
		{Kind: hookline.SecretHMAC, Key: expired, Expires: time.Now().Add(-time.Minute)},
	}
	if err := f.store.UpdateEndpoint(f.ctx, ep); err != nil {
		t.Fatal(err)
	}
	f.run(t, dispatch.Config{})
	f.message(t, `{"a":1}`)
	wait.For(t, "the delivery", func() bool { return rc.count() == 1 })
	req := rc.request(0)
	if n := len(strings.Fields(req.header.Get("Webhook-Signature"))); n != 2 {
		t.Fatalf("webhook-signature %q has %d entries, want 2 (current and previous)", req.header.Get("Webhook-Signature"), n)
	}
	for name, key := range map[string][]byte{"current": current, "previous": previous} {
		wh, err := standardwebhooks.NewWebhook(whsec(key))
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(req.body, req.header); err != nil {
			t.Errorf("the %s secret does not verify: %v", name, err)
		}
	}
	wh, _ := standardwebhooks.NewWebhook(whsec(expired))
	if wh.Verify(req.body, req.header) == nil {
		t.Error("the expired secret still verifies")
	}
}

func TestEd25519EndpointSignsV1a(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	ep := f.endpoint(t, rc.URL)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ep.SecretKind, ep.Secret = hookline.SecretEd25519, priv
	if err := f.store.UpdateEndpoint(f.ctx, ep); err != nil {
		t.Fatal(err)
	}
	f.run(t, dispatch.Config{})
	f.message(t, `{"a":1}`)
	wait.For(t, "the delivery", func() bool { return rc.count() == 1 })
	req := rc.request(0)
	if sig := req.header.Get("Webhook-Signature"); !strings.HasPrefix(sig, "v1a,") {
		t.Fatalf("webhook-signature %q, want a v1a signature", sig)
	}
	v, err := signature.NewStandard("whpk_" + base64.StdEncoding.EncodeToString(pub))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(req.header, req.body); err != nil {
		t.Fatalf("v1a does not verify with the public key: %v", err)
	}
}

func TestBasicAuthFromTheURL(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	f.endpoint(t, strings.Replace(rc.URL, "http://", "http://hook:s3cret-pass@", 1))
	f.run(t, dispatch.Config{})
	msg := f.message(t, `{"a":1}`)
	wait.For(t, "the delivery", func() bool { return rc.count() == 1 })
	user, pass, ok := (&http.Request{Header: rc.request(0).header}).BasicAuth()
	if !ok || user != "hook" || pass != "s3cret-pass" {
		t.Fatalf("Basic credentials %q %q %v", user, pass, ok)
	}
	wait.For(t, "the attempt", func() bool { return len(f.attempts(t, msg.ID)) == 1 })
	if u := f.attempts(t, msg.ID)[0].URL; strings.Contains(u, "s3cret-pass") {
		t.Fatalf("the attempt log holds the password: %s", u)
	}
}

// testCA is a certificate authority for the mTLS test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a certificate and key, PEM, for a server (with 127.0.0.1
// in it) or a client.
func (ca *testCA) issue(t *testing.T, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestMutualTLS delivers to a TLS server on 127.0.0.1 that requires a client
// certificate from its CA: the endpoint's certificate and CA bundle make the
// delivery succeed; without them the attempt fails.
func TestMutualTLS(t *testing.T) {
	f := newFixture(t)
	ca := newTestCA(t)
	serverCert, serverKey := ca.issue(t, true)
	clientCert, clientKey := ca.issue(t, false)
	pair, err := tls.X509KeyPair(serverCert, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	var got atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	with := f.endpoint(t, srv.URL+"/with")
	with.MTLS = &hookline.EndpointMTLS{Certificate: clientCert, Key: clientKey, ServerCACerts: ca.pem}
	if err := f.store.UpdateEndpoint(f.ctx, with); err != nil {
		t.Fatal(err)
	}
	without := &hookline.Application{ID: hookline.NewID(hookline.PrefixApplication), Name: "no cert", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := f.store.CreateApplication(f.ctx, without); err != nil {
		t.Fatal(err)
	}
	bare := &hookline.Endpoint{ID: hookline.NewID(hookline.PrefixEndpoint), AppID: without.ID, URL: srv.URL + "/without",
		Secret: hookline.NewSecret(), MTLS: &hookline.EndpointMTLS{ServerCACerts: ca.pem}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := f.store.CreateEndpoint(f.ctx, bare, 0); err != nil {
		t.Fatal(err)
	}
	f.run(t, dispatch.Config{Schedule: []time.Duration{time.Hour}})
	ok := f.message(t, `{"a":1}`)
	wait.For(t, "the mTLS delivery", func() bool { return f.delivery(t, ok.ID).Status == hookline.StatusSuccess })

	m := &hookline.Message{ID: hookline.NewID(hookline.PrefixMessage), AppID: without.ID, EventType: "x",
		Payload: []byte(`{}`), CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := f.store.CreateMessage(f.ctx, m); err != nil {
		t.Fatal(err)
	}
	var atts []*hookline.Attempt
	wait.For(t, "the attempt without a client certificate", func() bool {
		p, _ := f.store.ListAttemptsByMessage(f.ctx, without.ID, m.ID, hookline.AttemptFilter{ListOptions: hookline.ListOptions{Limit: 10}})
		atts = p.Items
		return len(atts) == 1
	})
	if atts[0].Status != hookline.StatusFail || got.Load() != 1 {
		t.Fatalf("without a client certificate: attempt %+v, server handled %d requests", atts[0], got.Load())
	}
}

// TestOAuth2ClientCredentials gets a token from a token endpoint on
// 127.0.0.1 and sends it as a bearer token; the token is fetched once for
// many deliveries.
func TestOAuth2ClientCredentials(t *testing.T) {
	f := newFixture(t)
	var fetches atomic.Int64
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != "hookline" || secret != "client-secret" || r.FormValue("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"tok-123","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(tokens.Close)
	var mu sync.Mutex
	var auths []string
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	ep := f.endpoint(t, rc.URL)
	ep.OAuth = &hookline.EndpointOAuth{TokenURL: tokens.URL, ClientID: "hookline", ClientSecret: "client-secret",
		AuthMethod: hookline.OAuthClientSecretBasic, GrantType: hookline.OAuthClientCredentials}
	if err := f.store.UpdateEndpoint(f.ctx, ep); err != nil {
		t.Fatal(err)
	}
	f.run(t, dispatch.Config{Client: newEgress(t, egress.Config{
		Policy: egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	})})
	const n = 5
	var msgs []*hookline.Message
	for range n {
		msgs = append(msgs, f.message(t, `{"a":1}`))
	}
	wait.For(t, "every delivery to succeed", func() bool {
		for _, m := range msgs {
			if f.delivery(t, m.ID).Status != hookline.StatusSuccess {
				return false
			}
		}
		return true
	})
	if got := fetches.Load(); got != 1 {
		t.Fatalf("%d token requests for %d deliveries, want 1", got, n)
	}
	// The attempt log names the bearer token's header, never its value.
	for _, m := range msgs {
		for _, a := range f.attempts(t, m.ID) {
			h, err := f.store.AttemptHeaders(f.ctx, f.app.ID, m.ID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			sent, withheld, err := h.Decode()
			if err != nil || strings.Contains(string(h), "tok-123") || !slices.Contains(withheld, "Authorization") ||
				sent["Webhook-Id"] != m.ID {
				t.Fatalf("the headers of an attempt with OAuth: %s (%v)", h, err)
			}
		}
	}
}
