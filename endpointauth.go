package hookline

import (
	"bytes"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// How Hookline authenticates itself to an endpoint: the signing secrets
// (current and previous, HMAC or ed25519), Basic credentials in the URL, a
// client certificate for mutual TLS and an OAuth 2.0 client. Stores keep
// every secret of these sealed by their SecretBox.

// SecretKind is the kind of key an endpoint signs with.
type SecretKind int

const (
	// SecretHMAC is an HMAC-SHA256 key (whsec_ on the API), which signs the
	// Standard Webhooks scheme "v1". It is the zero value, the kind of every
	// endpoint made before kinds existed.
	SecretHMAC SecretKind = 0
	// SecretEd25519 is an ed25519 private key (whsk_ on the API) of
	// ed25519.PrivateKeySize bytes, seed then public key, which signs "v1a".
	// Receivers verify with its public key (whpk_), which the API returns.
	SecretEd25519 SecretKind = 1
)

// Scheme is the Standard Webhooks signature scheme of keys of kind k: "v1"
// or "v1a".
func (k SecretKind) Scheme() string {
	if k == SecretEd25519 {
		return "v1a"
	}
	return "v1"
}

// String names the kind by its API prefix without the underscore.
func (k SecretKind) String() string {
	switch k {
	case SecretHMAC:
		return "whsec"
	case SecretEd25519:
		return "whsk"
	}
	return "invalid"
}

// EndpointSecret is one signing key of an endpoint.
type EndpointSecret struct {
	Kind SecretKind
	// Key is the HMAC key (SecretHMAC) or the 64-byte ed25519 private key,
	// usable as an ed25519.PrivateKey as it is (SecretEd25519).
	Key []byte
	// Expires is when a previous secret stops signing; zero for the current
	// secret.
	Expires time.Time
}

// MaxPreviousSecrets bounds the previous secrets an endpoint keeps signing
// with; a rotation past it drops the oldest.
const MaxPreviousSecrets = 5

// SigningSecrets returns the secrets a delivery at now is signed with: the
// current secret first, then every previous secret that expires after now,
// newest first. A delivery carries one signature per secret, "v1" or "v1a"
// after the secret's Kind.Scheme, in this order, in one webhook-signature
// header. The keys are shared with e: do not change them.
func (e *Endpoint) SigningSecrets(now time.Time) []EndpointSecret {
	out := make([]EndpointSecret, 1, 1+len(e.PreviousSecrets))
	out[0] = EndpointSecret{Kind: e.SecretKind, Key: e.Secret}
	for _, p := range e.PreviousSecrets {
		if p.Expires.After(now) {
			out = append(out, p)
		}
	}
	return out
}

// RotateSecret makes key, of kind, the signing secret of e. The secret it
// replaces keeps signing, as the newest previous secret, until now+grace;
// with grace <= 0 it stops at once. Expired previous secrets are dropped
// and at most MaxPreviousSecrets are kept, the newest. PreviousSecrets is
// replaced, not changed in place, so that a copy of e keeps its list.
func (e *Endpoint) RotateSecret(kind SecretKind, key []byte, now time.Time, grace time.Duration) {
	prev := make([]EndpointSecret, 0, 1+len(e.PreviousSecrets))
	if grace > 0 && len(e.Secret) > 0 {
		prev = append(prev, EndpointSecret{Kind: e.SecretKind, Key: e.Secret, Expires: now.Add(grace)})
	}
	prev = append(prev, e.PreviousSecrets...)
	e.Secret, e.SecretKind, e.PreviousSecrets = key, kind, prev
	e.PruneSecrets(now)
}

// PruneSecrets drops the previous secrets that expired at now, keeps at most
// MaxPreviousSecrets of the others (the first ones, which are the newest),
// and sets PreviousSecrets to nil when none is left. Stores call it before
// they write an endpoint and after they read one.
func (e *Endpoint) PruneSecrets(now time.Time) {
	if len(e.PreviousSecrets) == 0 {
		e.PreviousSecrets = nil
		return
	}
	live := 0
	for _, p := range e.PreviousSecrets {
		if p.Expires.After(now) {
			live++
		}
	}
	if live == len(e.PreviousSecrets) && live <= MaxPreviousSecrets {
		return
	}
	out := make([]EndpointSecret, 0, min(live, MaxPreviousSecrets))
	for _, p := range e.PreviousSecrets {
		if p.Expires.After(now) && len(out) < MaxPreviousSecrets {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	e.PreviousSecrets = out
}

// checkSecret validates a signing key of kind at loc.
func checkSecret(loc []string, kind SecretKind, key []byte) error {
	switch kind {
	case SecretHMAC:
		if len(key) < 24 || len(key) > 75 {
			return Invalid(loc, "an HMAC secret (whsec_) must decode to 24 to 75 bytes")
		}
	case SecretEd25519:
		if len(key) != ed25519.PrivateKeySize {
			return Invalid(loc, "an ed25519 secret (whsk_) must be a %d-byte private key", ed25519.PrivateKeySize)
		}
		pub := ed25519.NewKeyFromSeed(key[:ed25519.SeedSize]).Public().(ed25519.PublicKey)
		if !bytes.Equal(pub, key[ed25519.SeedSize:]) {
			return Invalid(loc, "the ed25519 private key's public half does not match its seed")
		}
	default:
		return Invalid(loc, "unknown secret kind %d", int(kind))
	}
	return nil
}

// validateAuth checks the authentication settings of e; Validate calls it.
func (e *Endpoint) validateAuth() error {
	if len(e.Secret) != 0 || e.SecretKind != SecretHMAC {
		if err := checkSecret([]string{"body", "secret"}, e.SecretKind, e.Secret); err != nil {
			return err
		}
	}
	if len(e.PreviousSecrets) > MaxPreviousSecrets {
		return Invalid([]string{"body", "secret"}, "at most %d previous secrets are kept", MaxPreviousSecrets)
	}
	for _, p := range e.PreviousSecrets {
		if err := checkSecret([]string{"body", "secret"}, p.Kind, p.Key); err != nil {
			return err
		}
	}
	if e.MTLS != nil {
		if err := e.MTLS.Validate(); err != nil {
			return err
		}
	}
	if e.OAuth != nil {
		if err := e.OAuth.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Basic credentials in endpoint URLs.

// RedactedPassword replaces the credentials of endpoint URLs wherever they
// are shown.
const RedactedPassword = "xxxxx"

// splitUserinfo cuts raw into what comes before its userinfo, the userinfo
// (still escaped) and what comes after the '@', the way url.Parse finds
// them. ok is false when raw has no userinfo.
func splitUserinfo(raw string) (before, userinfo, after string, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return "", "", "", false
	}
	start := i + 3
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return "", "", "", false
	}
	at += start
	return raw[:start], raw[start:at], raw[at+1:], true
}

// redactUserinfo hides the password of user:password, and the whole of a
// user name given alone, which is often an API key.
func redactUserinfo(ui string) string {
	if user, _, ok := strings.Cut(ui, ":"); ok {
		return user + ":" + RedactedPassword
	}
	return RedactedPassword
}

// RedactURL returns raw with its credentials hidden, as the API shows it: a
// password becomes RedactedPassword (https://user:xxxxx@host/), and so does
// a user name without a password (https://xxxxx@host/). A URL without
// credentials is returned as it is.
func RedactURL(raw string) string {
	before, ui, after, ok := splitUserinfo(raw)
	if !ok {
		return raw
	}
	return before + redactUserinfo(ui) + "@" + after
}

// HasURLCredentials reports whether raw holds a user name or password.
func HasURLCredentials(raw string) bool {
	_, _, _, ok := splitUserinfo(raw)
	return ok
}

// KeepURLCredentials returns the URL to store when an endpoint whose URL is
// current is given next, which may be current as RedactURL showed it: when
// next holds the redacted form of current's credentials and names the same
// scheme and host, the result is next with current's credentials. A redacted
// password sent towards another scheme or host is refused (EINVALID at
// field) rather than stored, or sent there: the password must be given
// again. Otherwise the result is next.
func KeepURLCredentials(field []string, next, current string) (string, error) {
	nb, nui, na, ok := splitUserinfo(next)
	if !ok {
		return next, nil
	}
	cb, cui, ca, ok := splitUserinfo(current)
	masked := ok && nui == redactUserinfo(cui)
	if !masked {
		if nui == RedactedPassword || strings.HasSuffix(nui, ":"+RedactedPassword) {
			return "", Invalid(field, "holds the redacted password %s: give the credentials again", RedactedPassword)
		}
		return next, nil
	}
	if !strings.EqualFold(nb, cb) || !strings.EqualFold(hostOf(na), hostOf(ca)) {
		return "", Invalid(field, "holds the redacted password %s for another scheme or host: give the credentials again", RedactedPassword)
	}
	return nb + cui + "@" + na, nil
}

// hostOf returns the host[:port] at the start of the rest of a URL after
// its userinfo.
func hostOf(after string) string {
	if i := strings.IndexAny(after, "/?#"); i >= 0 {
		return after[:i]
	}
	return after
}

// BasicAuth returns the credentials in e's URL, which a delivery sends as
// "Authorization: Basic", and ok false when the URL holds none. The user
// name and password are unescaped.
func (e *Endpoint) BasicAuth() (user, password string, ok bool) {
	u, err := url.Parse(e.URL)
	if err != nil || u.User == nil {
		return "", "", false
	}
	password, _ = u.User.Password()
	return u.User.Username(), password, true
}

// Mutual TLS.

// MaxPEMLen bounds each PEM setting of an endpoint (identity, CA bundle).
const MaxPEMLen = 64 << 10

// EndpointMTLS is the client certificate an endpoint's deliveries present
// for mutual TLS, and the CAs its server certificate must chain to.
type EndpointMTLS struct {
	// Certificate is the PEM client certificate chain, leaf first.
	Certificate []byte
	// Key is the PEM private key of the leaf certificate. Stores seal it.
	Key []byte
	// ServerCACerts is a PEM bundle of CA certificates; when set, the
	// receiver's certificate must chain to one of them instead of the
	// system roots. Optional.
	ServerCACerts []byte
}

// ParseIdentity reads a PEM "identity", a private key with its certificate
// and chain in any order (as Svix's mTLS setting takes it), into an
// EndpointMTLS: exactly one unencrypted private key and at least one
// certificate, one of which holds the key's public key; that one becomes the
// leaf, first in Certificate. Errors are EINVALID at field and never hold
// key material.
func ParseIdentity(field []string, identity []byte) (*EndpointMTLS, error) {
	if len(identity) > MaxPEMLen {
		return nil, Invalid(field, "must be at most %d bytes", MaxPEMLen)
	}
	var keys, certs []*pem.Block
	rest := identity
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			certs = append(certs, b)
		case b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "":
			return nil, Invalid(field, "holds an encrypted private key: give it unencrypted")
		case b.Type == "PRIVATE KEY" || strings.HasSuffix(b.Type, " PRIVATE KEY"):
			keys = append(keys, b)
		default:
			return nil, Invalid(field, "holds a PEM block of type %q: only CERTIFICATE and one PRIVATE KEY are accepted", pemType(b.Type))
		}
	}
	switch {
	case len(keys) == 0 && len(certs) == 0:
		return nil, Invalid(field, "must be PEM: a private key and its certificate")
	case len(keys) == 0:
		return nil, Invalid(field, "holds no private key")
	case len(keys) > 1:
		return nil, Invalid(field, "holds %d private keys; exactly one is needed", len(keys))
	case len(certs) == 0:
		return nil, Invalid(field, "holds no certificate")
	}
	key := pem.EncodeToMemory(keys[0])
	for i, leaf := range certs {
		chain := append([]*pem.Block{leaf}, slices.Delete(slices.Clone(certs), i, i+1)...)
		var cert []byte
		for _, c := range chain {
			cert = append(cert, pem.EncodeToMemory(c)...)
		}
		m := &EndpointMTLS{Certificate: cert, Key: key}
		err, mismatch := m.checkPair(field)
		if err == nil {
			return m, nil
		}
		if !mismatch {
			return nil, err
		}
	}
	return nil, Invalid(field, "holds no certificate for its private key")
}

// pemType returns a PEM block type fit for an error message.
func pemType(t string) string {
	if len(t) > 40 || strings.ContainsFunc(t, func(r rune) bool { return r < ' ' || r > '~' }) {
		return "unknown"
	}
	return t
}

// checkPair returns nil when Key belongs to the leaf of Certificate, else an
// EINVALID error at field without key material; mismatch is true when both
// parse but do not belong together.
func (m *EndpointMTLS) checkPair(field []string) (err *Error, mismatch bool) {
	for rest := m.Certificate; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return Invalid(field, "holds a certificate that does not parse"), false
		}
	}
	_, kerr := tls.X509KeyPair(m.Certificate, m.Key)
	switch {
	case kerr == nil:
		return nil, false
	case strings.Contains(kerr.Error(), "does not match"):
		return Invalid(field, "holds no certificate for its private key"), true
	case strings.Contains(kerr.Error(), "certificate"):
		return Invalid(field, "holds a certificate that does not parse"), false
	}
	return Invalid(field, "holds a private key that does not parse (PKCS #1, PKCS #8 or SEC 1 PEM is needed)"), false
}

// ParseCACerts checks a PEM bundle of CA certificates: at least one, each a
// CERTIFICATE block that parses. Errors are EINVALID at field.
func ParseCACerts(field []string, bundle []byte) error {
	if len(bundle) > MaxPEMLen {
		return Invalid(field, "must be at most %d bytes", MaxPEMLen)
	}
	n := 0
	for rest := bundle; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return Invalid(field, "holds a PEM block of type %q: only CERTIFICATE is accepted", pemType(b.Type))
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return Invalid(field, "holds a certificate that does not parse")
		}
		n++
	}
	if n == 0 {
		return Invalid(field, "must be one or more PEM certificates")
	}
	return nil
}

// Leaf returns the parsed leaf certificate of m.
func (m *EndpointMTLS) Leaf() (*x509.Certificate, error) {
	b, _ := pem.Decode(m.Certificate)
	if b == nil {
		return nil, Errorf(EINVALID, "the client certificate is not PEM")
	}
	return x509.ParseCertificate(b.Bytes)
}

// Validate checks that Key belongs to the leaf of Certificate and that
// ServerCACerts, when set, parses. Errors are EINVALID and hold no key
// material.
func (m *EndpointMTLS) Validate() error {
	field := []string{"body", "identity"}
	if len(m.Certificate)+len(m.Key) > MaxPEMLen {
		return Invalid(field, "must be at most %d bytes", MaxPEMLen)
	}
	if err, _ := m.checkPair(field); err != nil {
		return err
	}
	if len(m.ServerCACerts) > 0 {
		return ParseCACerts([]string{"body", "serverCaCert"}, m.ServerCACerts)
	}
	return nil
}

// OAuth 2.0.

// OAuth 2.0 settings of endpoints, named as in the Svix API.
const (
	// OAuthClientCredentials is the client credentials grant (RFC 6749,
	// section 4.4), the one grant Hookline supports.
	OAuthClientCredentials = "clientCredentials"
	// OAuthClientSecretBasic sends the client id and secret to the token
	// endpoint as HTTP Basic credentials.
	OAuthClientSecretBasic = "clientSecretBasic"
	// OAuthClientSecretPost sends them as client_id and client_secret in
	// the form body.
	OAuthClientSecretPost = "clientSecretPost"
)

// EndpointOAuth is an OAuth 2.0 client: a delivery first gets an access
// token from TokenURL with the client credentials grant, and sends it as
// "Authorization: Bearer".
type EndpointOAuth struct {
	TokenURL string
	ClientID string
	// ClientSecret is sealed by stores.
	ClientSecret string
	// AuthMethod is OAuthClientSecretBasic or OAuthClientSecretPost.
	AuthMethod string
	// GrantType is OAuthClientCredentials.
	GrantType string
	// Scopes are sent space-separated as scope when not empty.
	Scopes []string
	// ExtraParams are added to the token request's form body.
	ExtraParams map[string]string
	// ExtraHeaders are added to the token request.
	ExtraHeaders map[string]string
}

// Limits of OAuth 2.0 settings.
const (
	maxOAuthField  = 4096
	maxOAuthScopes = 50
	maxOAuthExtras = 20
)

// reservedParams are the token request parameters Hookline sets itself.
var reservedParams = []string{"grant_type", "scope", "client_id", "client_secret", "client_assertion", "client_assertion_type"}

// reservedTokenHeaders are the token request headers Hookline sets itself.
var reservedTokenHeaders = []string{"Authorization", "Content-Type", "Accept", "Content-Length", "Host"}

// Validate checks o. Errors are EINVALID at the field of the API's
// EndpointOauthConfigIn and never hold the client secret.
func (o *EndpointOAuth) Validate() error {
	at := func(name string) []string { return []string{"body", name} }
	if err := ValidateURL(o.TokenURL); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return Invalid(at("tokenUrl"), "%s", e.Message)
		}
		return err
	}
	if HasURLCredentials(o.TokenURL) {
		return Invalid(at("tokenUrl"), "must not hold credentials: give them as clientId and clientSecret")
	}
	switch o.GrantType {
	case OAuthClientCredentials:
	case "refreshToken":
		return Invalid(at("grantType"), "refreshToken is not supported: use clientCredentials")
	default:
		return Invalid(at("grantType"), "must be clientCredentials")
	}
	switch o.AuthMethod {
	case OAuthClientSecretBasic, OAuthClientSecretPost:
	case "clientSecretJwt":
		return Invalid(at("authMethod"), "clientSecretJwt is not supported: use clientSecretBasic or clientSecretPost")
	default:
		return Invalid(at("authMethod"), "must be clientSecretBasic or clientSecretPost")
	}
	if o.ClientID == "" || len(o.ClientID) > maxOAuthField || strings.ContainsFunc(o.ClientID, isControl) {
		return Invalid(at("clientId"), "must be 1 to %d characters without control characters", maxOAuthField)
	}
	if o.ClientSecret == "" || len(o.ClientSecret) > maxOAuthField || strings.ContainsFunc(o.ClientSecret, isControl) {
		return Invalid(at("clientSecret"), "must be 1 to %d characters without control characters (%s needs it)", maxOAuthField, o.AuthMethod)
	}
	if len(o.Scopes) > maxOAuthScopes {
		return Invalid(at("scopes"), "at most %d scopes", maxOAuthScopes)
	}
	for _, s := range o.Scopes {
		if s == "" || len(s) > maxOAuthField || strings.ContainsAny(s, " \"\\") || strings.ContainsFunc(s, isControl) {
			return Invalid(at("scopes"), "a scope must be non-empty, without spaces, quotes, backslashes or control characters")
		}
	}
	if len(o.ExtraParams) > maxOAuthExtras {
		return Invalid(at("extraParams"), "at most %d parameters", maxOAuthExtras)
	}
	for k, v := range o.ExtraParams {
		if k == "" || len(k)+len(v) > maxOAuthField || strings.ContainsFunc(k, isControl) {
			return Invalid(at("extraParams"), "a parameter needs a name and at most %d characters", maxOAuthField)
		}
		if slices.Contains(reservedParams, strings.ToLower(k)) {
			return Invalid(at("extraParams"), "%s is set by Hookline and cannot be given", pemType(k))
		}
	}
	if len(o.ExtraHeaders) > maxOAuthExtras {
		return Invalid(at("extraHeaders"), "at most %d headers", maxOAuthExtras)
	}
	for k, v := range o.ExtraHeaders {
		if !validHeaderName(k) || strings.ContainsAny(v, "\r\n\x00") || len(v) > maxOAuthField {
			return Invalid(at("extraHeaders"), "holds an invalid header name or value")
		}
		if slices.Contains(reservedTokenHeaders, http.CanonicalHeaderKey(k)) {
			return Invalid(at("extraHeaders"), "%s is set by Hookline and cannot be given", http.CanonicalHeaderKey(k))
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
