package hookline

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// testIdentity returns a self-signed certificate and its PEM private key.
func testIdentity(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
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

func TestSigningSecretsAndRotation(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b, c := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	e := &Endpoint{Secret: a}
	if got := e.SigningSecrets(now); len(got) != 1 || !bytes.Equal(got[0].Key, a) || got[0].Kind != SecretHMAC {
		t.Fatalf("SigningSecrets = %+v", got)
	}

	e.RotateSecret(SecretHMAC, b, now, time.Hour)
	copyOfE := *e
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	e.RotateSecret(SecretEd25519, priv, now.Add(time.Minute), 0) // b stops at once
	got := e.SigningSecrets(now.Add(2 * time.Minute))
	if len(got) != 2 || got[0].Kind != SecretEd25519 || got[0].Kind.Scheme() != "v1a" ||
		!bytes.Equal(got[1].Key, a) || got[1].Kind.Scheme() != "v1" {
		t.Fatalf("after two rotations: %+v", got)
	}
	if !got[1].Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("previous secret expires %v", got[1].Expires)
	}
	if len(copyOfE.PreviousSecrets) != 1 || !bytes.Equal(copyOfE.Secret, b) {
		t.Fatal("rotating changed a copy of the endpoint")
	}
	// Past its expiry the previous secret no longer signs.
	if got := e.SigningSecrets(now.Add(time.Hour)); len(got) != 1 {
		t.Fatalf("at expiry: %d secrets", len(got))
	}

	// At most MaxPreviousSecrets are kept, the newest; expired ones go.
	e = &Endpoint{Secret: a}
	for i := range 8 {
		e.RotateSecret(SecretHMAC, bytes.Repeat([]byte{byte(10 + i)}, 32), now, 24*time.Hour)
	}
	if len(e.PreviousSecrets) != MaxPreviousSecrets || e.PreviousSecrets[0].Key[0] != 16 {
		t.Fatalf("%d previous secrets, newest %d", len(e.PreviousSecrets), e.PreviousSecrets[0].Key[0])
	}
	e.RotateSecret(SecretHMAC, c, now.Add(25*time.Hour), time.Hour)
	if len(e.PreviousSecrets) != 1 || e.PreviousSecrets[0].Key[0] != 17 {
		t.Fatalf("expired secrets kept: %+v", e.PreviousSecrets)
	}
	e.PruneSecrets(now.Add(30 * time.Hour))
	if e.PreviousSecrets != nil {
		t.Fatal("PruneSecrets left an empty list")
	}
}

func TestValidateSecrets(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	bad := bytes.Clone(priv)
	bad[63] ^= 1
	for _, tc := range []struct {
		name string
		ep   Endpoint
		ok   bool
	}{
		{"hmac", Endpoint{Secret: make([]byte, 24)}, true},
		{"short hmac", Endpoint{Secret: make([]byte, 23)}, false},
		{"ed25519", Endpoint{Secret: priv, SecretKind: SecretEd25519}, true},
		{"ed25519 seed only", Endpoint{Secret: priv[:32], SecretKind: SecretEd25519}, false},
		{"ed25519 halves apart", Endpoint{Secret: bad, SecretKind: SecretEd25519}, false},
		{"unknown kind", Endpoint{Secret: priv, SecretKind: 7}, false},
		{"previous", Endpoint{Secret: priv, SecretKind: SecretEd25519,
			PreviousSecrets: []EndpointSecret{{Key: make([]byte, 32), Expires: time.Now()}}}, true},
		{"bad previous", Endpoint{PreviousSecrets: []EndpointSecret{{Key: make([]byte, 3)}}}, false},
	} {
		tc.ep.URL = "https://example.com/"
		err := tc.ep.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("%s: code %s", tc.name, ErrorCode(err))
		}
	}
}

func TestURLCredentials(t *testing.T) {
	for raw, want := range map[string]string{
		"https://example.com/a@b":                "https://example.com/a@b",
		"https://user:pa%40ss@example.com:8443/": "https://user:xxxxx@example.com:8443/",
		"https://apikey@example.com/?x=@":        "https://xxxxx@example.com/?x=@",
		"http://u:@example.com#f@g":              "http://u:xxxxx@example.com#f@g",
		"https://a:b@c@example.com/":             "https://a:xxxxx@example.com/",
	} {
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
		if HasURLCredentials(raw) != (raw != want) {
			t.Errorf("HasURLCredentials(%q) wrong", raw)
		}
	}
	e := &Endpoint{URL: "https://user:pa%40ss@example.com/hook"}
	if u, p, ok := e.BasicAuth(); !ok || u != "user" || p != "pa@ss" {
		t.Fatalf("BasicAuth = %q %q %v", u, p, ok)
	}
	if _, _, ok := (&Endpoint{URL: "https://example.com/"}).BasicAuth(); ok {
		t.Fatal("BasicAuth without credentials")
	}

	cur := "https://user:s3cret@example.com/hook"
	field := []string{"body", "url"}
	for _, tc := range []struct{ next, want string }{
		{"https://user:xxxxx@example.com/hook", cur},                                              // sent back as shown
		{"https://user:xxxxx@EXAMPLE.com/other?q=1", "https://user:s3cret@EXAMPLE.com/other?q=1"}, // same host, new path
		{"https://user:new@example.com/hook", "https://user:new@example.com/hook"},
		{"https://example.com/hook", "https://example.com/hook"},
		{"https://other:xxxxx@example.com/hook", ""}, // another user: the mask would be stored
		{"https://user:xxxxx@evil.example/hook", ""}, // the password must not follow to another host
		{"http://user:xxxxx@example.com/hook", ""},
	} {
		got, err := KeepURLCredentials(field, tc.next, cur)
		if tc.want == "" {
			if ErrorCode(err) != EINVALID || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("KeepURLCredentials(%q): %q, %v", tc.next, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("KeepURLCredentials(%q) = %q, %v; want %q", tc.next, got, err, tc.want)
		}
	}
	if got, err := KeepURLCredentials(field, "https://xxxxx@example.com/", "https://key@example.com/"); err != nil || got != "https://key@example.com/" {
		t.Errorf("user name alone: %q, %v", got, err)
	}
}

func TestParseIdentity(t *testing.T) {
	cert, key := testIdentity(t, "client")
	ca, caKey := testIdentity(t, "ca")
	field := []string{"body", "identity"}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, []byte("\n")) }

	// Key and certificates in any order; the matching certificate leads.
	m, err := ParseIdentity(field, join(ca, key, cert))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(m.Certificate, cert) || !bytes.Contains(m.Certificate, ca) || !bytes.Equal(m.Key, key) {
		t.Fatal("identity not split into chain (leaf first) and key")
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	leaf, err := m.Leaf()
	if err != nil || leaf.Subject.CommonName != "client" {
		t.Fatalf("Leaf = %v, %v", leaf, err)
	}

	rsaLike := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("not a key")})
	for name, id := range map[string][]byte{
		"empty":            nil,
		"not PEM":          []byte("hello"),
		"key only":         key,
		"certificate only": cert,
		"two keys":         join(key, caKey, cert),
		"mismatch":         join(caKey, cert),
		"bad key":          join(rsaLike, cert),
		"bad certificate":  join(key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})),
		"encrypted":        join(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), cert),
		"other block":      join(key, cert, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})),
		"too large":        join(key, cert, bytes.Repeat([]byte{' '}, MaxPEMLen)),
	} {
		_, err := ParseIdentity(field, id)
		if ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// No key material in the message.
		for _, secret := range [][]byte{key, caKey} {
			b, _ := pem.Decode(secret)
			if msg := err.Error(); strings.Contains(msg, "PRIVATE KEY-----") || strings.Contains(msg, string(secret[30:60])) || bytes.Contains([]byte(msg), b.Bytes[10:20]) {
				t.Errorf("%s: the error holds key material: %s", name, msg)
			}
		}
	}
	if (&EndpointMTLS{Certificate: cert, Key: caKey}).Validate() == nil {
		t.Error("Validate accepted a key of another certificate")
	}
	if (&EndpointMTLS{Certificate: cert, Key: key, ServerCACerts: []byte("x")}).Validate() == nil {
		t.Error("Validate accepted a bad CA bundle")
	}

	if err := ParseCACerts(field, join(ca, cert)); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"empty": nil, "key": join(ca, key), "junk": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")} {
		if ErrorCode(ParseCACerts(field, b)) != EINVALID {
			t.Errorf("ParseCACerts(%s) accepted it", name)
		}
	}
}

func TestOAuthValidate(t *testing.T) {
	good := func() *EndpointOAuth {
		return &EndpointOAuth{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: "s3cret-value",
			AuthMethod: OAuthClientSecretBasic, GrantType: OAuthClientCredentials, Scopes: []string{"a", "b:c"},
			ExtraParams: map[string]string{"audience": "x"}, ExtraHeaders: map[string]string{"X-Tenant": "t"}}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mod   func(*EndpointOAuth)
		field string
	}{
		"ftp token URL":         {func(o *EndpointOAuth) { o.TokenURL = "ftp://x/" }, "tokenUrl"},
		"relative token URL":    {func(o *EndpointOAuth) { o.TokenURL = "/token" }, "tokenUrl"},
		"credentials in URL":    {func(o *EndpointOAuth) { o.TokenURL = "https://a:b@x/" }, "tokenUrl"},
		"refresh token grant":   {func(o *EndpointOAuth) { o.GrantType = "refreshToken" }, "grantType"},
		"unknown grant":         {func(o *EndpointOAuth) { o.GrantType = "password" }, "grantType"},
		"jwt":                   {func(o *EndpointOAuth) { o.AuthMethod = "clientSecretJwt" }, "authMethod"},
		"unknown method":        {func(o *EndpointOAuth) { o.AuthMethod = "mtls" }, "authMethod"},
		"no client id":          {func(o *EndpointOAuth) { o.ClientID = "" }, "clientId"},
		"no secret":             {func(o *EndpointOAuth) { o.ClientSecret = "" }, "clientSecret"},
		"secret with a newline": {func(o *EndpointOAuth) { o.ClientSecret = "s3cret\n" }, "clientSecret"},
		"scope with a space":    {func(o *EndpointOAuth) { o.Scopes = []string{"a b"} }, "scopes"},
		"reserved param":        {func(o *EndpointOAuth) { o.ExtraParams = map[string]string{"client_secret": "x"} }, "extraParams"},
		"reserved header":       {func(o *EndpointOAuth) { o.ExtraHeaders = map[string]string{"authorization": "x"} }, "extraHeaders"},
		"bad header":            {func(o *EndpointOAuth) { o.ExtraHeaders = map[string]string{"X-A": "a\r\nb"} }, "extraHeaders"},
	} {
		o := good()
		tc.mod(o)
		err := o.Validate()
		var e *Error
		if ErrorCode(err) != EINVALID || !asError(err, &e) || strings.Join(e.Field, ".") != "body."+tc.field {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error holds the secret: %v", name, err)
		}
	}
}

func asError(err error, e **Error) bool {
	v, ok := err.(*Error)
	*e = v
	return ok
}
