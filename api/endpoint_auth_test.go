package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/signature"
	"github.com/hookline/hookline/storetest"
)

// stored reads an endpoint of the fixture from the store.
func (f *fixture) stored(app, ep string) *hookline.Endpoint {
	f.t.Helper()
	got, err := f.store.Endpoint(context.Background(), app, ep)
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

func TestRotateKeepsThePreviousSecretForTheGracePeriod(t *testing.T) {
	f := newFixture(t, nil, nil)
	first := f.stored(f.app, f.ep).Secret

	start := time.Now()
	f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, nil, nil)
	var sec struct{ Key string }
	f.must(200, "GET", "/api/v1/app/shop/endpoint/ep1/secret", f.admin, nil, &sec)
	if sec.Key == f.epSecret || !strings.HasPrefix(sec.Key, "whsec_") {
		t.Fatalf("secret after rotation %q", sec.Key)
	}
	ep := f.stored(f.app, f.ep)
	got := ep.SigningSecrets(time.Now())
	if len(got) != 2 || "whsec_"+base64.StdEncoding.EncodeToString(got[0].Key) != sec.Key || !bytes.Equal(got[1].Key, first) {
		t.Fatalf("signing secrets after a rotation: %d", len(got))
	}
	// The default grace period is 24 hours.
	if exp := got[1].Expires; exp.Before(start.Add(24*time.Hour)) || exp.After(time.Now().Add(24*time.Hour)) {
		t.Fatalf("previous secret expires %v, want 24h from now", exp)
	}
	if n := len(ep.SigningSecrets(start.Add(24*time.Hour + time.Minute))); n != 1 {
		t.Fatalf("%d secrets sign after the grace period", n)
	}

	// A grace period of 0 drops the secret replaced at once; the earlier
	// one keeps its own expiry.
	second := got[0].Key
	f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, map[string]any{"gracePeriodSeconds": 0}, nil)
	got = f.stored(f.app, f.ep).SigningSecrets(time.Now())
	if len(got) != 2 || bytes.Equal(got[1].Key, second) || !bytes.Equal(got[1].Key, first) {
		t.Fatal("gracePeriodSeconds 0 kept the replaced secret")
	}
	f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, map[string]any{"gracePeriodSeconds": 60}, nil)
	got = f.stored(f.app, f.ep).SigningSecrets(time.Now())
	if len(got) != 3 || got[1].Expires.After(time.Now().Add(time.Minute)) {
		t.Fatalf("gracePeriodSeconds 60: %d secrets, the newest previous expiring %v", len(got), got[1].Expires)
	}

	// At most ten previous secrets: a rotation while ten are unexpired is
	// refused (400 limit_reached, as svix-server), and changes nothing.
	for len(f.stored(f.app, f.ep).PreviousSecrets) < hookline.MaxPreviousSecrets {
		f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, map[string]any{}, nil)
	}
	before := f.stored(f.app, f.ep)
	if st, body := f.do("POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, map[string]any{}); st != 400 ||
		!strings.Contains(string(body), `"code":"limit_reached"`) {
		t.Fatalf("an eleventh rotation: %d %s, want 400 limit_reached", st, body)
	}
	if after := f.stored(f.app, f.ep); !bytes.Equal(after.Secret, before.Secret) || len(after.PreviousSecrets) != hookline.MaxPreviousSecrets {
		t.Fatal("a refused rotation changed the secrets")
	}

	// PUT and PATCH of the endpoint keep them.
	f.must(200, "PUT", "/api/v1/app/shop/endpoint/ep1", f.admin, map[string]any{"url": "https://shop.example.com/v2", "uid": "ep1"}, nil)
	f.must(200, "PATCH", "/api/v1/app/shop/endpoint/ep1", f.admin, map[string]any{"description": "d"}, nil)
	if n := len(f.stored(f.app, f.ep).PreviousSecrets); n != hookline.MaxPreviousSecrets {
		t.Fatalf("PUT and PATCH left %d previous secrets", n)
	}
}

func TestSecretGracePeriodIsConfigurable(t *testing.T) {
	for _, tc := range []struct {
		grace time.Duration
		want  time.Duration // 0: no previous secret
	}{{time.Hour, time.Hour}, {-1, 0}} {
		f := newFixture(t, func(c *api.Config) { c.SecretGracePeriod = tc.grace }, nil)
		start := time.Now()
		f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, nil, nil)
		prev := f.stored(f.app, f.ep).PreviousSecrets
		if tc.want == 0 {
			if prev != nil {
				t.Fatalf("grace %v: previous secrets %v", tc.grace, prev)
			}
			continue
		}
		if len(prev) != 1 || prev[0].Expires.Before(start.Add(tc.want)) || prev[0].Expires.After(time.Now().Add(tc.want)) {
			t.Fatalf("grace %v: previous secrets %+v", tc.grace, prev)
		}
		// The request's own grace period wins.
		f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, map[string]any{"gracePeriodSeconds": 604800}, nil)
		if prev = f.stored(f.app, f.ep).PreviousSecrets; len(prev) != 2 || prev[0].Expires.Before(start.Add(7*24*time.Hour)) {
			t.Fatalf("gracePeriodSeconds 604800: %+v", prev)
		}
	}
}

func whsk(priv []byte) string { return "whsk_" + base64.StdEncoding.EncodeToString(priv) }

func TestEd25519Secrets(t *testing.T) {
	f := newFixture(t, nil, nil)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	var out struct{ ID string }
	f.must(201, "POST", "/api/v1/app/shop/endpoint", f.admin, map[string]any{"url": "https://ed.example.com/", "secret": whsk(priv)}, &out)
	var sec struct{ Key string }
	f.must(200, "GET", "/api/v1/app/shop/endpoint/"+out.ID+"/secret", f.admin, nil, &sec)
	if sec.Key != "whpk_"+base64.StdEncoding.EncodeToString(pub) {
		t.Fatalf("GET secret of an ed25519 endpoint: %q, want its public key", sec.Key)
	}
	ep := f.stored(f.app, out.ID)
	if ep.SecretKind != hookline.SecretEd25519 || !bytes.Equal(ep.Secret, priv) {
		t.Fatal("the ed25519 key is not stored as such")
	}
	// What the API returns verifies what the key signs (v1a).
	now := time.Now()
	sigs, err := signature.SignatureHeader("msg_1", now, []byte(`{}`), mustSecret(t, whsk(priv)))
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.NewStandard(sec.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyValues("msg_1", strconv.FormatInt(now.Unix(), 10), sigs, []byte(`{}`)); err != nil {
		t.Fatalf("the returned public key does not verify the signature: %v", err)
	}

	// A 32-byte seed is taken too, and stored as the whole key.
	_, priv2, _ := ed25519.GenerateKey(rand.Reader)
	f.must(200, "PATCH", "/api/v1/app/shop/endpoint/"+out.ID, f.admin, map[string]any{"secret": whsk(priv2.Seed())}, nil)
	if ep := f.stored(f.app, out.ID); !bytes.Equal(ep.Secret, priv2) || ep.SecretKind != hookline.SecretEd25519 {
		t.Fatal("PATCH with a seed")
	}
	// Rotating from HMAC to ed25519 keeps the HMAC secret for the grace period.
	f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, map[string]any{"key": whsk(priv)}, nil)
	got := f.stored(f.app, f.ep).SigningSecrets(time.Now())
	if len(got) != 2 || got[0].Kind.Scheme() != "v1a" || got[1].Kind.Scheme() != "v1" {
		t.Fatalf("after rotating to ed25519: %+v", got)
	}
	// And back to an HMAC secret.
	f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, map[string]any{"key": f.epSecret}, nil)
	f.must(200, "GET", "/api/v1/app/shop/endpoint/ep1/secret", f.admin, nil, &sec)
	if sec.Key != f.epSecret {
		t.Fatalf("after rotating back: %q", sec.Key)
	}
}

func mustSecret(t *testing.T, s string) signature.Secret {
	t.Helper()
	sec, err := signature.ParseSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

func TestBasicAuthCredentialsAreRedacted(t *testing.T) {
	f := newFixture(t, nil, nil)
	const url = "https://hook-user:pa55-w0rd-secret@basic.example.com/hooks?a=1"
	const shown = "https://hook-user:xxxxx@basic.example.com/hooks?a=1"
	var out struct{ ID, URL string }
	body := f.must(201, "POST", "/api/v1/app/shop/endpoint", f.admin, map[string]any{"url": url, "uid": "basic"}, &out)
	if out.URL != shown || bytes.Contains(body, []byte("pa55")) {
		t.Fatalf("created endpoint shows %s", body)
	}
	for _, path := range []string{"/api/v1/app/shop/endpoint/basic", "/api/v1/app/shop/endpoint"} {
		if b := f.must(200, "GET", path, f.admin, nil, nil); bytes.Contains(b, []byte("pa55")) || !bytes.Contains(b, []byte(shown)) {
			t.Fatalf("GET %s shows %s", path, b)
		}
	}
	if f.stored(f.app, out.ID).URL != url {
		t.Fatal("the credentials are not kept")
	}
	user, pass, ok := f.stored(f.app, out.ID).BasicAuth()
	if !ok || user != "hook-user" || pass != "pa55-w0rd-secret" {
		t.Fatalf("BasicAuth %q %q %v", user, pass, ok)
	}

	// The redacted URL sent back keeps the password: PUT, and PATCH with
	// another path on the same host.
	f.must(200, "PUT", "/api/v1/app/shop/endpoint/basic", f.admin, map[string]any{"url": shown, "uid": "basic", "description": "d"}, &out)
	if got := f.stored(f.app, out.ID); got.URL != url || got.Description != "d" {
		t.Fatalf("PUT with the redacted URL stored %q", got.URL)
	}
	f.must(200, "PATCH", "/api/v1/app/shop/endpoint/basic", f.admin, map[string]any{"url": "https://hook-user:xxxxx@basic.example.com/v2"}, &out)
	if got := f.stored(f.app, out.ID).URL; got != "https://hook-user:pa55-w0rd-secret@basic.example.com/v2" || out.URL != "https://hook-user:xxxxx@basic.example.com/v2" {
		t.Fatalf("PATCH with the redacted URL stored %q, showed %q", got, out.URL)
	}
	// Towards another host the redacted password is refused, not sent there.
	before := f.snapshot()
	for _, method := range []string{"PUT", "PATCH"} {
		st, b := f.do(method, "/api/v1/app/shop/endpoint/basic", f.admin, map[string]any{"url": "https://hook-user:xxxxx@evil.example.com/v2", "uid": "basic"})
		if st != 422 {
			t.Fatalf("%s to another host: %d %s", method, st, b)
		}
		checkError(t, st, b, "body.url")
	}
	if f.snapshot() != before {
		t.Fatal("a refused URL changed the store")
	}
	// A new password replaces it; a URL without credentials removes them.
	f.must(200, "PATCH", "/api/v1/app/shop/endpoint/basic", f.admin, map[string]any{"url": "https://hook-user:n3w@basic.example.com/v2"}, nil)
	if got := f.stored(f.app, out.ID).URL; got != "https://hook-user:n3w@basic.example.com/v2" {
		t.Fatalf("new password: %q", got)
	}
	f.must(200, "PATCH", "/api/v1/app/shop/endpoint/basic", f.admin, map[string]any{"url": "https://basic.example.com/v2"}, nil)
	if _, _, ok := f.stored(f.app, out.ID).BasicAuth(); ok {
		t.Fatal("credentials left after removing them")
	}
	// A user name alone (an API key) is hidden as well.
	f.must(201, "POST", "/api/v1/app/shop/endpoint", f.admin, map[string]any{"url": "https://sk_live_123@key.example.com/"}, &out)
	if out.URL != "https://xxxxx@key.example.com/" {
		t.Fatalf("user name alone shown as %q", out.URL)
	}
	if strings.Contains(f.logs.String(), "pa55-w0rd-secret") || strings.Contains(f.logs.String(), "sk_live_123") {
		t.Fatal("the log holds a URL's credentials")
	}
}

// identityPEM returns an identity (key, client certificate, another
// certificate as its chain) and its parts.
func identityPEM(t *testing.T) (identity, cert, key, chain []byte) {
	cert, key = storetest.Identity(t, "hookline-client")
	chain, _ = storetest.Identity(t, "intermediate")
	return bytes.Join([][]byte{chain, key, cert}, nil), cert, key, chain
}

func TestEndpointMtls(t *testing.T) {
	f := newFixture(t, nil, nil)
	const path = "/api/v1/app/shop/endpoint/ep1/mtls"
	type config struct {
		Certificate, Fingerprint, Subject, Issuer, NotAfter string
		ServerCaCert                                        *string
	}
	var out config
	st, body := f.do("GET", path, f.admin, nil)
	checkError(t, st, body, "not_found") // as the hosted API, where .../mtls-config says it is not enabled

	identity, cert, key, chain := identityPEM(t)
	ca, _ := storetest.Identity(t, "receiver-ca")
	f.must(204, "PUT", path, f.admin, map[string]any{"identity": string(identity), "serverCaCert": string(ca)}, nil)
	b := f.must(200, "GET", path, f.admin, nil, &out)
	block, _ := pem.Decode(cert)
	leaf, _ := x509.ParseCertificate(block.Bytes)
	sum := sha256.Sum256(block.Bytes)
	if !strings.HasPrefix(out.Certificate, string(cert)) ||
		!strings.Contains(out.Certificate, string(chain)) || out.Fingerprint != hex.EncodeToString(sum[:]) ||
		out.Subject != "CN=hookline-client" || out.ServerCaCert == nil || *out.ServerCaCert != string(ca) ||
		out.NotAfter != leaf.NotAfter.UTC().Format("2006-01-02T15:04:05.000000Z") {
		t.Fatalf("GET mtls: %s", b)
	}
	keyBody := bytes.Split(key, []byte("\n"))[1]
	if bytes.Contains(b, []byte("PRIVATE KEY")) || bytes.Contains(b, keyBody) {
		t.Fatal("GET mtls returns the private key")
	}
	m := f.stored(f.app, f.ep).MTLS
	if m == nil || !bytes.Equal(m.Key, key) || !bytes.Equal(m.ServerCACerts, ca) || !bytes.HasPrefix(m.Certificate, cert) {
		t.Fatal("the store does not hold the identity")
	}
	// PUT and PATCH of the endpoint, and a rotation, keep it.
	f.must(200, "PUT", "/api/v1/app/shop/endpoint/ep1", f.admin, map[string]any{"url": "https://shop.example.com/", "uid": "ep1"}, nil)
	f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, nil, nil)
	if f.stored(f.app, f.ep).MTLS == nil {
		t.Fatal("updating the endpoint dropped its mTLS settings")
	}
	// A PUT without a CA keeps the one set before (the hosted API sets it
	// with PUT .../ca); an empty one removes it; an identity of key and
	// certificate alone is enough.
	f.must(204, "PUT", path, f.admin, map[string]any{"identity": string(key) + string(cert)}, nil)
	out = config{}
	f.must(200, "GET", path, f.admin, nil, &out)
	if out.ServerCaCert == nil || *out.ServerCaCert != string(ca) || out.Certificate != string(cert) {
		t.Fatalf("after a PUT without a CA: %+v", out)
	}
	f.must(204, "PUT", path, f.admin, map[string]any{"identity": string(key) + string(cert), "serverCaCert": ""}, nil)
	out = config{}
	f.must(200, "GET", path, f.admin, nil, &out)
	if out.ServerCaCert != nil || out.Certificate != string(cert) {
		t.Fatalf("after a PUT with an empty CA: %+v", out)
	}

	f.must(204, "DELETE", path, f.admin, nil, nil)
	f.must(404, "GET", path, f.admin, nil, nil)
	if f.stored(f.app, f.ep).MTLS != nil {
		t.Fatal("DELETE left the mTLS settings")
	}
	f.must(204, "DELETE", path, f.admin, nil, nil)
	f.must(404, "DELETE", "/api/v1/app/shop/endpoint/ep_nope/mtls", f.admin, nil, nil)
}

func TestEndpointOauth(t *testing.T) {
	f := newFixture(t, nil, nil)
	const path = "/api/v1/app/shop/endpoint/ep1/oauth"
	type config struct {
		TokenURL, ClientID, AuthMethod, GrantType   string
		ClientSecretSet                             bool
		Scopes                                      []string
		ExtraParams, ExtraHeaders                   map[string]string
		SensitiveExtraParams, SensitiveExtraHeaders []string
	}
	var out config
	st, body := f.do("GET", path, f.admin, nil)
	checkError(t, st, body, "not_found") // as the hosted API, where .../oauth-config says it is not enabled
	in := map[string]any{
		"tokenUrl": "https://auth.example.com/oauth/token", "clientId": "hookline", "clientSecret": "the-client-s3cret",
		"authMethod": "clientSecretPost", "grantType": "clientCredentials", "scopes": []string{"webhooks"},
		"extraParams":  map[string]string{"audience": "https://api.example.com", "api_key": "param-s3cret", "Session_ID": "sess-s3cret"},
		"extraHeaders": map[string]string{"X-Tenant": "t1", "X-Api-Token": "hdr-s3cret", "Cookie": "c=cookie-s3cret"},
	}
	f.must(204, "PUT", path, f.admin, in, nil)
	b := f.must(200, "GET", path, f.admin, nil, &out)
	// The extras named like credentials are named, without their values.
	want := config{TokenURL: "https://auth.example.com/oauth/token", ClientID: "hookline", AuthMethod: "clientSecretPost",
		GrantType: "clientCredentials", ClientSecretSet: true, Scopes: []string{"webhooks"},
		ExtraParams: map[string]string{"audience": "https://api.example.com"}, ExtraHeaders: map[string]string{"X-Tenant": "t1"},
		SensitiveExtraParams: []string{"Session_ID", "api_key"}, SensitiveExtraHeaders: []string{"Cookie", "X-Api-Token"}}
	if g, _ := json.Marshal(out); string(g) != string(mustJSON(t, want)) {
		t.Fatalf("GET oauth: %s", b)
	}
	for _, secret := range []string{"the-client-s3cret", "param-s3cret", "sess-s3cret", "hdr-s3cret", "cookie-s3cret"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("GET oauth returns %s: %s", secret, b)
		}
	}
	if o := f.stored(f.app, f.ep).OAuth; o == nil || o.ClientSecret != "the-client-s3cret" || o.AuthMethod != hookline.OAuthClientSecretPost ||
		o.ExtraParams["api_key"] != "param-s3cret" || o.ExtraHeaders["X-Api-Token"] != "hdr-s3cret" {
		t.Fatalf("stored %+v", o)
	}
	// Without extras named like credentials, nothing is named.
	plain := maps.Clone(in)
	plain["extraParams"], plain["extraHeaders"] = map[string]string{"audience": "a"}, nil
	f.must(204, "PUT", path, f.admin, plain, nil)
	if b := f.must(200, "GET", path, f.admin, nil, nil); bytes.Contains(b, []byte("sensitive")) || bytes.Contains(b, []byte("extraHeaders")) {
		t.Fatalf("GET oauth without sensitive extras: %s", b)
	}
	f.must(204, "PUT", path, f.admin, in, nil)

	// A PUT without clientSecret keeps the one set; with one, replaces it.
	delete(in, "clientSecret")
	in["authMethod"] = "clientSecretBasic"
	f.must(204, "PUT", path, f.admin, in, nil)
	if o := f.stored(f.app, f.ep).OAuth; o.ClientSecret != "the-client-s3cret" || o.AuthMethod != hookline.OAuthClientSecretBasic {
		t.Fatalf("PUT without a secret: %+v", o)
	}
	in["clientSecret"] = "another-s3cret"
	f.must(204, "PUT", path, f.admin, in, nil)
	if o := f.stored(f.app, f.ep).OAuth; o.ClientSecret != "another-s3cret" {
		t.Fatal("PUT with a secret did not replace it")
	}
	f.must(200, "PATCH", "/api/v1/app/shop/endpoint/ep1", f.admin, map[string]any{"description": "x"}, nil)
	if f.stored(f.app, f.ep).OAuth == nil {
		t.Fatal("PATCH of the endpoint dropped its OAuth settings")
	}

	f.must(204, "DELETE", path, f.admin, nil, nil)
	f.must(404, "GET", path, f.admin, nil, nil)
	if f.stored(f.app, f.ep).OAuth != nil {
		t.Fatal("DELETE left the OAuth settings")
	}
	// Without a previous secret to keep, one is needed.
	delete(in, "clientSecret")
	st, body = f.do("PUT", path, f.admin, in)
	checkError(t, st, body, "body.clientSecret")
	if strings.Contains(f.logs.String(), "s3cret") {
		t.Fatal("the log holds a secret of the OAuth settings")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBadEndpointAuthInput sends bad secrets, identities and OAuth settings:
// 422 at the right place, no key material in the answer, and no change.
func TestBadEndpointAuthInput(t *testing.T) {
	f := newFixture(t, nil, nil)
	identity, cert, key, _ := identityPEM(t)
	otherCert, otherKey := storetest.Identity(t, "other")
	f.must(204, "PUT", "/api/v1/app/shop/endpoint/ep1/mtls", f.admin, map[string]any{"identity": string(identity)}, nil)
	f.must(204, "PUT", "/api/v1/app/shop/endpoint/ep1/oauth", f.admin, map[string]any{"tokenUrl": "https://auth.example.com/t",
		"clientId": "c", "clientSecret": "s", "authMethod": "clientSecretBasic", "grantType": "clientCredentials"}, nil)

	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	halves := bytes.Clone(priv)
	halves[40] ^= 1
	pub := priv.Public().(ed25519.PublicKey)
	const ep = "/api/v1/app/shop/endpoint"
	const mtls, oauth, rotate = ep + "/ep1/mtls", ep + "/ep1/oauth", ep + "/ep1/secret/rotate"
	oauthWith := func(k string, v any) map[string]any {
		in := map[string]any{"tokenUrl": "https://auth.example.com/t", "clientId": "c", "clientSecret": "s",
			"authMethod": "clientSecretBasic", "grantType": "clientCredentials"}
		if v == nil {
			delete(in, k)
		} else {
			in[k] = v
		}
		return in
	}
	enc := func(blocks ...[]byte) string { return string(bytes.Join(blocks, nil)) }
	cases := []struct {
		name, method, path string
		body               any
		want               string
	}{
		{"ed25519 key of 40 bytes", "POST", ep, map[string]any{"url": "https://x.example.com/", "secret": whsk(priv[:40])}, "body.secret"},
		{"ed25519 halves apart", "POST", ep, map[string]any{"url": "https://x.example.com/", "secret": whsk(halves)}, "body.secret"},
		{"public key as a secret", "POST", ep, map[string]any{"url": "https://x.example.com/", "secret": "whpk_" + base64.StdEncoding.EncodeToString(pub)}, "body.secret"},
		{"HMAC secret too long", "PATCH", ep + "/ep1", map[string]any{"secret": "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 76))}, "body.secret"},
		{"rotate to a short ed25519 key", "POST", rotate, map[string]any{"key": whsk(priv[:24])}, "body.key"},
		{"rotate with a negative grace period", "POST", rotate, map[string]any{"gracePeriodSeconds": -1}, "body.gracePeriodSeconds"},
		{"rotate with a grace period over 7 days", "POST", rotate, map[string]any{"gracePeriodSeconds": 604801}, "body.gracePeriodSeconds"},
		{"redacted password for a new endpoint", "POST", ep, map[string]any{"url": "https://u:xxxxx@x.example.com/"}, "body.url"},

		{"identity missing", "PUT", mtls, map[string]any{}, "body.identity"},
		{"identity not PEM", "PUT", mtls, map[string]any{"identity": "hello"}, "body.identity"},
		{"identity without a key", "PUT", mtls, map[string]any{"identity": string(cert)}, "body.identity"},
		{"identity without a certificate", "PUT", mtls, map[string]any{"identity": string(key)}, "body.identity"},
		{"identity with a mismatched key", "PUT", mtls, map[string]any{"identity": enc(otherKey, cert)}, "body.identity"},
		{"identity with two keys", "PUT", mtls, map[string]any{"identity": enc(key, otherKey, cert, otherCert)}, "body.identity"},
		{"identity with a broken key", "PUT", mtls, map[string]any{"identity": enc(cert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("nope")}))}, "body.identity"},
		{"bad CA bundle", "PUT", mtls, map[string]any{"identity": string(identity), "serverCaCert": "not PEM"}, "body.serverCaCert"},
		{"CA bundle with a key", "PUT", mtls, map[string]any{"identity": string(identity), "serverCaCert": enc(otherCert, otherKey)}, "body.serverCaCert"},
		{"identity not a string", "PUT", mtls, `{"identity":5}`, "body.identity"},
		{"CA not PEM", "PUT", ep + "/ep1/ca", map[string]any{"cert": "not PEM"}, "body.cert"},
		{"CA with a key", "PUT", ep + "/ep1/ca", map[string]any{"cert": enc(otherCert, otherKey)}, "body.cert"},
		{"CA not a string", "PUT", ep + "/ep1/ca", `{"cert":5}`, "body.cert"},

		{"token URL not http", "PUT", oauth, oauthWith("tokenUrl", "ftp://auth.example.com/"), "body.tokenUrl"},
		{"token URL not a URL", "PUT", oauth, oauthWith("tokenUrl", "not a url"), "body.tokenUrl"},
		{"token URL missing", "PUT", oauth, oauthWith("tokenUrl", nil), "body.tokenUrl"},
		{"unknown authMethod", "PUT", oauth, oauthWith("authMethod", "privateKeyJwt"), "body.authMethod"},
		{"clientSecretJwt", "PUT", oauth, oauthWith("authMethod", "clientSecretJwt"), "body.authMethod"},
		{"refreshToken grant", "PUT", oauth, oauthWith("grantType", "refreshToken"), "body.grantType"},
		{"clientId missing", "PUT", oauth, oauthWith("clientId", nil), "body.clientId"},
		{"reserved extra param", "PUT", oauth, oauthWith("extraParams", map[string]string{"grant_type": "password"}), "body.extraParams"},
		{"reserved extra header", "PUT", oauth, oauthWith("extraHeaders", map[string]string{"Authorization": "x"}), "body.extraHeaders"},
		{"scope with a space", "PUT", oauth, oauthWith("scopes", []string{"a b"}), "body.scopes"},
		{"scopes not an array", "PUT", oauth, oauthWith("scopes", "a"), "body.scopes"},
	}
	keyText := [][]byte{bytes.Split(key, []byte("\n"))[1], bytes.Split(otherKey, []byte("\n"))[1], []byte(base64.StdEncoding.EncodeToString(priv)[:20])}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snapshot()
			st, body := f.do(tc.method, tc.path, f.admin, tc.body)
			if st != 422 {
				t.Fatalf("status %d, want 422; body %.300s", st, body)
			}
			checkError(t, st, body, tc.want)
			for _, k := range keyText {
				if bytes.Contains(body, k) {
					t.Fatalf("the error holds key material: %s", body)
				}
			}
			if after := f.snapshot(); after != before {
				t.Fatalf("the store changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestEndpointAuthTenantIsolation checks that an app-portal token manages
// its own endpoints' mTLS and OAuth settings and no other application's.
func TestEndpointAuthTenantIsolation(t *testing.T) {
	f := newFixture(t, nil, nil)
	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)
	tok := access.Token
	identity, _, _, _ := identityPEM(t)
	mtlsIn := map[string]any{"identity": string(identity)}
	oauthIn := map[string]any{"tokenUrl": "https://auth.example.com/t", "clientId": "c", "clientSecret": "s",
		"authMethod": "clientSecretBasic", "grantType": "clientCredentials"}

	// Its own endpoint: every operation works.
	for _, p := range []string{"/mtls", "/oauth"} {
		in := map[string]map[string]any{"/mtls": mtlsIn, "/oauth": oauthIn}[p]
		f.must(204, "PUT", "/api/v1/app/shop/endpoint/ep1"+p, tok, in, nil)
		f.must(200, "GET", "/api/v1/app/shop/endpoint/ep1"+p, tok, nil, nil)
		f.must(204, "DELETE", "/api/v1/app/shop/endpoint/ep1"+p, tok, nil, nil)
	}
	// The other application's endpoint has settings of its own.
	f.must(204, "PUT", "/api/v1/app/other/endpoint/"+f.otherEp+"/mtls", f.admin, mtlsIn, nil)
	f.must(204, "PUT", "/api/v1/app/other/endpoint/"+f.otherEp+"/oauth", f.admin, oauthIn, nil)

	before := f.snapshot()
	for _, base := range []string{
		"/api/v1/app/other/endpoint/" + f.otherEp, // the other application
		"/api/v1/app/" + f.other + "/endpoint/ep1",
		"/api/v1/app/shop/endpoint/" + f.otherEp, // its endpoint under this application
	} {
		for _, tc := range []struct {
			method, sub string
			body        any
		}{
			{"GET", "/mtls", nil}, {"PUT", "/mtls", mtlsIn}, {"DELETE", "/mtls", nil},
			{"GET", "/oauth", nil}, {"PUT", "/oauth", oauthIn}, {"DELETE", "/oauth", nil},
			{"GET", "/mtls-config", nil}, {"GET", "/oauth-config", nil},
			{"GET", "/ca", nil}, {"PUT", "/ca", map[string]any{"cert": nil}},
		} {
			st, body := f.do(tc.method, base+tc.sub, tok, tc.body)
			if st != http.StatusNotFound {
				t.Errorf("%s %s%s: %d %s", tc.method, base, tc.sub, st, body)
				continue
			}
			checkError(t, st, body, "not_found")
		}
	}
	if after := f.snapshot(); after != before {
		t.Fatalf("a scoped token changed another application's endpoint:\nbefore %s\nafter  %s", before, after)
	}
	if o := f.stored(f.other, f.otherEp); o.MTLS == nil || o.OAuth == nil {
		t.Fatal("the other application's settings are gone")
	}
}

// TestEndpointServerCA: the hosted API's .../ca sets the CA bundle apart
// from the client certificate, and .../mtls-config and .../oauth-config
// answer {enabled, config}, config being what .../mtls and .../oauth answer
// alone, never a private key or client secret.
func TestEndpointServerCA(t *testing.T) {
	f := newFixture(t, nil, nil)
	const ep = "/api/v1/app/shop/endpoint/ep1"
	var ca struct{ Cert *string }
	f.must(200, "GET", ep+"/ca", f.admin, nil, &ca)
	if ca.Cert != nil {
		t.Fatalf("CA of a new endpoint: %v", *ca.Cert)
	}
	var mtls struct {
		Enabled bool
		Config  *struct{ ServerCaCert *string }
	}
	// config is the config that path, .../mtls-config or .../oauth-config,
	// answers: what GET of path without -config answers.
	config := func(path string) []byte {
		t.Helper()
		var status struct{ Config json.RawMessage }
		f.must(200, "GET", path, f.admin, nil, &status)
		if alone := f.must(200, "GET", strings.TrimSuffix(path, "-config"), f.admin, nil, nil); !bytes.Equal(alone, status.Config) {
			t.Fatalf("%s answers the config\n%s\nwithout -config\n%s", path, status.Config, alone)
		}
		return status.Config
	}
	f.must(200, "GET", ep+"/mtls-config", f.admin, nil, &mtls)
	if mtls.Enabled || mtls.Config != nil {
		t.Fatalf("mtls-config of a new endpoint: %+v", mtls)
	}

	// A CA alone: mTLS stays disabled; deliveries check the receiver
	// against it.
	bundle, _ := storetest.Identity(t, "receiver-ca")
	f.must(204, "PUT", ep+"/ca", f.admin, map[string]any{"cert": string(bundle)}, nil)
	f.must(200, "GET", ep+"/ca", f.admin, nil, &ca)
	if ca.Cert == nil || *ca.Cert != string(bundle) {
		t.Fatalf("GET ca: %v", ca.Cert)
	}
	if m := f.stored(f.app, f.ep).MTLS; m == nil || m.HasIdentity() || !bytes.Equal(m.ServerCACerts, bundle) {
		t.Fatalf("stored: %+v", m)
	}
	f.must(200, "GET", ep+"/mtls-config", f.admin, nil, &mtls)
	if mtls.Enabled || mtls.Config != nil {
		t.Fatalf("mtls-config with a CA alone: %+v", mtls)
	}
	f.must(404, "GET", ep+"/mtls", f.admin, nil, nil)

	// A client certificate set after it keeps it; deleting the client
	// certificate keeps it too.
	identity, _, key, _ := identityPEM(t)
	f.must(204, "PUT", ep+"/mtls", f.admin, map[string]any{"identity": string(identity)}, nil)
	b := f.must(200, "GET", ep+"/mtls-config", f.admin, nil, &mtls)
	if !mtls.Enabled || mtls.Config == nil || mtls.Config.ServerCaCert == nil || *mtls.Config.ServerCaCert != string(bundle) {
		t.Fatalf("mtls-config: %s", b)
	}
	if bytes.Contains(b, []byte("PRIVATE KEY")) || bytes.Contains(b, bytes.Split(key, []byte("\n"))[1]) {
		t.Fatal("mtls-config returns the private key")
	}
	config(ep + "/mtls-config")
	f.must(204, "DELETE", ep+"/mtls", f.admin, nil, nil)
	f.must(200, "GET", ep+"/ca", f.admin, nil, &ca)
	if ca.Cert == nil || *ca.Cert != string(bundle) {
		t.Fatal("deleting the client certificate removed the CA")
	}

	// Setting the CA keeps the client certificate; null removes the CA and,
	// with nothing else left, the mTLS settings.
	f.must(204, "PUT", ep+"/mtls", f.admin, map[string]any{"identity": string(identity)}, nil)
	other, _ := storetest.Identity(t, "other-ca")
	f.must(204, "PUT", ep+"/ca", f.admin, map[string]any{"cert": string(other)}, nil)
	if m := f.stored(f.app, f.ep).MTLS; m == nil || !m.HasIdentity() || !bytes.Equal(m.ServerCACerts, other) {
		t.Fatal("PUT ca lost the client certificate")
	}
	f.must(204, "PUT", ep+"/ca", f.admin, map[string]any{"cert": nil}, nil)
	if m := f.stored(f.app, f.ep).MTLS; m == nil || !m.HasIdentity() || m.ServerCACerts != nil {
		t.Fatal("PUT ca null")
	}
	f.must(204, "DELETE", ep+"/mtls", f.admin, nil, nil)
	if m := f.stored(f.app, f.ep).MTLS; m != nil {
		t.Fatalf("nothing left, yet %+v", m)
	}
	f.must(204, "PUT", ep+"/ca", f.admin, nil, nil)
	f.must(404, "GET", "/api/v1/app/shop/endpoint/ep_nope/ca", f.admin, nil, nil)

	// oauth-config reads what oauth does, without the client secret.
	var oauth struct {
		Enabled bool
		Config  *struct{ ClientID string }
	}
	f.must(200, "GET", ep+"/oauth-config", f.admin, nil, &oauth)
	if oauth.Enabled || oauth.Config != nil {
		t.Fatal("oauth-config of an endpoint without OAuth")
	}
	f.must(204, "PUT", ep+"/oauth", f.admin, map[string]any{"tokenUrl": "https://auth.example.com/t", "clientId": "c",
		"clientSecret": "s3cret-value", "authMethod": "clientSecretBasic", "grantType": "clientCredentials"}, nil)
	b = f.must(200, "GET", ep+"/oauth-config", f.admin, nil, &oauth)
	if !oauth.Enabled || oauth.Config == nil || oauth.Config.ClientID != "c" || bytes.Contains(b, []byte("s3cret-value")) {
		t.Fatalf("oauth-config: %s", b)
	}
	config(ep + "/oauth-config")
}
