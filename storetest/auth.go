package storetest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// The authentication settings of endpoints: signing secrets of both kinds,
// previous secrets, Basic credentials in the URL, mTLS and OAuth 2.0.

// Identity returns a new self-signed ECDSA client certificate for cn and
// its private key, both PEM, for tests of mTLS settings.
func Identity(t testing.TB, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// Ed25519Key returns a new ed25519 private key as an endpoint stores it.
func Ed25519Key(t testing.TB) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// FullAuthEndpoint returns an endpoint of appID with every authentication
// setting, each secret in it distinct and recognisable: the Basic password
// "basic-password-<tag>", the OAuth client secret "oauth-secret-<tag>",
// an ed25519 signing key, two live previous secrets and one expired, a
// client certificate with its key, and the custom header "Authorization:
// Bearer header-token-<tag>". Tests of secrets at rest look for them.
func FullAuthEndpoint(t testing.TB, appID, tag string) *hookline.Endpoint {
	t.Helper()
	cert, key := Identity(t, "client-"+tag)
	ca, _ := Identity(t, "ca-"+tag)
	now := time.Now().UTC()
	return &hookline.Endpoint{
		AppID:      appID,
		URL:        "https://hook-user:basic-password-" + tag + "@receiver.example.com/hooks?x=1",
		Secret:     Ed25519Key(t),
		SecretKind: hookline.SecretEd25519,
		PreviousSecrets: []hookline.EndpointSecret{
			{Kind: hookline.SecretHMAC, Key: bytes.Repeat([]byte("prev-hmac-"), 4), Expires: now.Add(time.Hour)},
			{Kind: hookline.SecretEd25519, Key: Ed25519Key(t), Expires: now.Add(2 * time.Hour)},
			{Kind: hookline.SecretHMAC, Key: bytes.Repeat([]byte("expired-"), 4), Expires: now.Add(-time.Minute)},
		},
		MTLS: &hookline.EndpointMTLS{Certificate: cert, Key: key, ServerCACerts: ca},
		OAuth: &hookline.EndpointOAuth{
			TokenURL: "https://auth.example.com/oauth/token", ClientID: "client-" + tag,
			ClientSecret: "oauth-secret-" + tag, AuthMethod: hookline.OAuthClientSecretPost,
			GrantType: hookline.OAuthClientCredentials, Scopes: []string{"webhooks:write", "read"},
			ExtraParams: map[string]string{"audience": "https://api.example.com"}, ExtraHeaders: map[string]string{"X-Tenant": tag},
		},
		Headers: map[string]string{"Authorization": "Bearer header-token-" + tag, "X-Tenant": tag},
	}
}

// testEndpointAuth runs the tests of authentication settings on one store.
func testEndpointAuth(t *testing.T, s hookline.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s hookline.Store)
	}{
		{"RoundTrip", testEndpointAuthRoundTrip},
		{"Update", testEndpointAuthUpdate},
		{"Prune", testEndpointAuthPrune},
		{"Claimed", testEndpointAuthClaimed},
		{"TenantIsolation", testEndpointAuthIsolation},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, s) })
	}
}

func testEndpointAuthRoundTrip(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := FullAuthEndpoint(t, a.ID, "rt")
	expired := ep.PreviousSecrets[2]
	must(t, s.CreateEndpoint(ctx(t), ep, 0), "CreateEndpoint")
	// The expired previous secret is gone from the struct written, too.
	if len(ep.PreviousSecrets) != 2 {
		t.Fatalf("CreateEndpoint left %d previous secrets, want 2", len(ep.PreviousSecrets))
	}
	for _, p := range ep.PreviousSecrets {
		if bytes.Equal(p.Key, expired.Key) {
			t.Fatal("the expired previous secret was kept")
		}
	}
	got, err := s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint")
	same(t, got, ep, "Endpoint with every authentication setting")
	if u, p, ok := got.BasicAuth(); !ok || u != "hook-user" || p != "basic-password-rt" {
		t.Fatalf("BasicAuth of the endpoint read: %q %q %v", u, p, ok)
	}
	page, err := s.ListEndpoints(ctx(t), a.ID, hookline.ListOptions{Limit: 10})
	must(t, err, "ListEndpoints")
	if len(page.Items) != 1 {
		t.Fatalf("ListEndpoints: %d endpoints", len(page.Items))
	}
	same(t, page.Items[0], ep, "listed endpoint")

}

// testEndpointAuthClaimed checks that a claimed task's endpoint carries the
// settings: the dispatcher signs and authenticates with them.
func testEndpointAuthClaimed(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := FullAuthEndpoint(t, a.ID, "claim")
	must(t, s.CreateEndpoint(ctx(t), ep, 0), "CreateEndpoint")
	newMessage(t, s, a.ID, "user.created")
	task := claimOne(t, s, "auth-owner", later())
	same(t, &task.Endpoint, ep, "task endpoint")
	if got := task.Endpoint.SigningSecrets(time.Now()); len(got) != 3 || got[0].Kind != hookline.SecretEd25519 {
		t.Fatalf("task endpoint signs with %d secrets", len(got))
	}
}

func testEndpointAuthUpdate(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := FullAuthEndpoint(t, a.ID, "up")
	must(t, s.CreateEndpoint(ctx(t), ep, 0), "CreateEndpoint")

	// Without a secret, the secret and its kind stay; every other setting is
	// written as given, removals included.
	upd := *ep
	upd.Secret, upd.SecretKind = nil, hookline.SecretHMAC
	upd.URL = "https://receiver.example.com/plain"
	upd.MTLS = nil
	upd.PreviousSecrets = upd.PreviousSecrets[:1]
	o := *ep.OAuth
	o.ClientSecret, o.AuthMethod, o.Scopes, o.ExtraParams, o.ExtraHeaders = "new-secret", hookline.OAuthClientSecretBasic, nil, nil, nil
	upd.OAuth = &o
	must(t, s.UpdateEndpoint(ctx(t), &upd), "UpdateEndpoint")
	got, err := s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint")
	upd.Secret, upd.SecretKind = ep.Secret, ep.SecretKind
	same(t, got, &upd, "updated endpoint")

	// A new secret sets its kind; clearing the rest leaves nothing behind.
	upd.Secret, upd.SecretKind = bytes.Repeat([]byte{4}, 32), hookline.SecretHMAC
	upd.PreviousSecrets, upd.OAuth = nil, nil
	upd.URL = "https://only-user@receiver.example.com/"
	must(t, s.UpdateEndpoint(ctx(t), &upd), "UpdateEndpoint")
	got, err = s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint")
	same(t, got, &upd, "endpoint with its settings cleared")
	if got.SecretKind != hookline.SecretHMAC || got.MTLS != nil || got.OAuth != nil || got.PreviousSecrets != nil {
		t.Fatalf("cleared endpoint reads back %+v", got)
	}

	// A rotation through the store keeps the old secret as a previous one.
	next := *got
	next.RotateSecret(hookline.SecretEd25519, Ed25519Key(t), time.Now(), time.Hour)
	must(t, s.UpdateEndpoint(ctx(t), &next), "UpdateEndpoint after RotateSecret")
	got, err = s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint")
	same(t, got, &next, "rotated endpoint")
	if len(got.PreviousSecrets) != 1 || !bytes.Equal(got.PreviousSecrets[0].Key, upd.Secret) {
		t.Fatal("the rotated-out secret is not the previous secret")
	}
}

func testEndpointAuthPrune(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	now := time.Now().UTC()
	ep := &hookline.Endpoint{AppID: a.ID, URL: "https://example.com/prune"}
	// Every third one expired; of the others, the first
	// MaxPreviousSecrets are kept, in order.
	var want []byte
	for i := range hookline.MaxPreviousSecrets + 6 {
		exp := now.Add(time.Duration(100-i) * time.Minute)
		if i%3 == 1 {
			exp = now.Add(-time.Duration(i) * time.Minute)
		} else if len(want) < hookline.MaxPreviousSecrets {
			want = append(want, byte(i+1))
		}
		ep.PreviousSecrets = append(ep.PreviousSecrets, hookline.EndpointSecret{Key: bytes.Repeat([]byte{byte(i + 1)}, 24), Expires: exp})
	}
	must(t, s.CreateEndpoint(ctx(t), ep, 0), "CreateEndpoint")
	got, err := s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint")
	same(t, got, ep, "endpoint after pruning")
	var firsts []byte
	for _, p := range got.PreviousSecrets {
		if !p.Expires.After(now) {
			t.Fatalf("an expired previous secret was kept: %v", p.Expires)
		}
		firsts = append(firsts, p.Key[0])
	}
	if !bytes.Equal(firsts, want) {
		t.Fatalf("previous secrets kept: %v, want %v", firsts, want)
	}

	// All expired: the list reads back nil.
	upd := *got
	upd.PreviousSecrets = []hookline.EndpointSecret{{Key: make([]byte, 24), Expires: now.Add(-time.Second)}}
	must(t, s.UpdateEndpoint(ctx(t), &upd), "UpdateEndpoint")
	got, err = s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint")
	if got.PreviousSecrets != nil || upd.PreviousSecrets != nil {
		t.Fatalf("expired previous secrets read back: %v, written %v", got.PreviousSecrets, upd.PreviousSecrets)
	}
}

// testEndpointAuthIsolation writes authentication settings through another
// application's endpoint id: ENOTFOUND, and the endpoint keeps its own.
func testEndpointAuthIsolation(t *testing.T, s hookline.Store) {
	mine, theirs := newApp(t, s), newApp(t, s)
	newEndpoint(t, s, mine.ID)
	ep := FullAuthEndpoint(t, theirs.ID, "iso")
	ep.UID = ptr("their-auth-ep")
	must(t, s.CreateEndpoint(ctx(t), ep, 0), "CreateEndpoint")

	for _, id := range []string{ep.ID, "their-auth-ep"} {
		_, err := s.Endpoint(ctx(t), mine.ID, id)
		wantCode(t, err, hookline.ENOTFOUND, "Endpoint with another application's id")
	}
	cert, key := Identity(t, "intruder")
	for name, mod := range map[string]func(*hookline.Endpoint){
		"set mTLS":     func(e *hookline.Endpoint) { e.MTLS = &hookline.EndpointMTLS{Certificate: cert, Key: key} },
		"remove mTLS":  func(e *hookline.Endpoint) { e.MTLS = nil },
		"set OAuth":    func(e *hookline.Endpoint) { o := *e.OAuth; o.TokenURL = "https://evil.example/token"; e.OAuth = &o },
		"remove OAuth": func(e *hookline.Endpoint) { e.OAuth = nil },
		"rotate": func(e *hookline.Endpoint) {
			e.RotateSecret(hookline.SecretHMAC, make([]byte, 32), time.Now(), time.Hour)
		},
		"set the URL":   func(e *hookline.Endpoint) { e.URL = "https://u:p@evil.example/" },
		"clear secrets": func(e *hookline.Endpoint) { e.PreviousSecrets = nil },
	} {
		foreign := *ep
		foreign.AppID = mine.ID
		mod(&foreign)
		wantCode(t, s.UpdateEndpoint(ctx(t), &foreign), hookline.ENOTFOUND, "UpdateEndpoint ("+name+") with another application's id")
	}
	got, err := s.Endpoint(ctx(t), theirs.ID, ep.ID)
	must(t, err, "Endpoint")
	same(t, got, ep, "the other application's endpoint")
}

// SecretForms returns the secrets of ep (see FullAuthEndpoint) as they
// could show in a database that kept them in clear, by name: raw, in base64
// (JSON's form of bytes), in hex (PostgreSQL's text form of bytea) and in
// both, and for the PEM key, pieces of its text and of its DER too. A test
// of secrets at rest finds none of them in the raw database.
func SecretForms(t testing.TB, ep *hookline.Endpoint) map[string][]byte {
	t.Helper()
	forms := map[string][]byte{}
	add := func(name string, b []byte) {
		b64 := base64.StdEncoding.EncodeToString(b)
		forms[name] = b
		forms[name+" (base64)"] = []byte(b64)
		forms[name+" (hex)"] = []byte(hex.EncodeToString(b))
		forms[name+" (base64 in hex)"] = []byte(hex.EncodeToString([]byte(b64)))
	}
	add("signing secret", ep.Secret)
	for i, p := range ep.PreviousSecrets {
		add(fmt.Sprintf("previous secret %d", i), p.Key)
	}
	_, password, ok := ep.BasicAuth()
	if !ok {
		t.Fatal("the endpoint has no Basic credentials")
	}
	add("basic password", []byte(password))
	add("oauth client secret", []byte(ep.OAuth.ClientSecret))
	add("header token", []byte(ep.Headers["Authorization"]))
	add("mTLS key", ep.MTLS.Key)
	block, _ := pem.Decode(ep.MTLS.Key)
	add("mTLS key DER", block.Bytes[8:40])
	forms["mTLS key PEM"] = bytes.Split(ep.MTLS.Key, []byte("\n"))[1][:40]
	return forms
}
