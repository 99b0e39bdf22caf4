package egress

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// EndpointAuth is how Hookline authenticates itself to one receiver, beyond
// the webhook signature and the endpoint's custom headers. The zero value (or
// a nil *EndpointAuth) uses the server-wide defaults of Config. Client.Do
// reads it and never changes it.
type EndpointAuth struct {
	// ClientCert is the PEM client certificate (and chain) presented for
	// mutual TLS. Empty: Config's default identity, if any.
	ClientCert []byte
	// ClientKey is the PEM private key of ClientCert. It may be empty when
	// ClientCert holds the key too (one "identity" PEM).
	ClientKey []byte
	// CACerts is a PEM bundle of the CAs the receiver's certificate must
	// chain to, for receivers with a private CA. When set, only these are
	// trusted for this endpoint; empty: Config.RootCAs or the system roots.
	CACerts []byte
	// OAuth2, when set, gets a bearer token with the client credentials grant
	// and sends it in the Authorization header.
	OAuth2 *OAuth2Config
}

// OAuth 2.0 client authentication methods at the token endpoint, named as in
// the Svix API.
const (
	// AuthClientSecretBasic sends the client id and secret as HTTP Basic
	// credentials (RFC 6749, section 2.3.1). The default.
	AuthClientSecretBasic = "clientSecretBasic"
	// AuthClientSecretPost sends them as client_id and client_secret in the
	// form body.
	AuthClientSecretPost = "clientSecretPost"
)

// OAuth2Config is an OAuth 2.0 client credentials grant (RFC 6749, section
// 4.4).
type OAuth2Config struct {
	// TokenURL is the authorization server's token endpoint. It is reached
	// through the same policy (and proxy) as deliveries.
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Scopes are sent space-separated as scope, when not empty.
	Scopes []string
	// Audience is sent as audience, when set (Auth0 and others require it).
	Audience string
	// AuthMethod is AuthClientSecretBasic (the default when empty) or
	// AuthClientSecretPost.
	AuthMethod string
	// ExtraParams are added to the token request's form body. They cannot
	// replace grant_type, scope, audience or the client credentials.
	ExtraParams map[string]string
	// ExtraHeaders are added to the token request. They cannot replace
	// Authorization, Content-Type or Accept.
	ExtraHeaders map[string]string
}

// AuthConfigError is the error of endpoint authentication settings that
// cannot be used: a PEM that does not parse, a key that does not match its
// certificate, an incomplete OAuth 2.0 configuration. It holds no key
// material and no secret.
type AuthConfigError struct {
	// Setting names what is wrong: "client certificate", "CA certificates",
	// "default client certificate", "oauth2".
	Setting string
	Err     error
}

func (e *AuthConfigError) Error() string {
	return "egress: endpoint " + e.Setting + ": " + e.Err.Error()
}

func (e *AuthConfigError) Unwrap() error { return e.Err }

// Validate checks a's settings without connecting anywhere: the PEM material
// parses, the key matches the certificate, the OAuth 2.0 configuration is
// complete. The API can call it to refuse bad settings when they are saved;
// Client.Do returns the same errors. Errors are *AuthConfigError.
func (a *EndpointAuth) Validate() error {
	if a == nil {
		return nil
	}
	if len(a.ClientCert)+len(a.ClientKey) > 0 {
		if _, err := parseIdentity(a.ClientCert, a.ClientKey, "client certificate"); err != nil {
			return err
		}
	}
	if len(a.CACerts) > 0 {
		if _, err := parseCAs(a.CACerts, "CA certificates"); err != nil {
			return err
		}
	}
	if a.OAuth2 != nil {
		return a.OAuth2.validate()
	}
	return nil
}

func (o *OAuth2Config) validate() error {
	bad := func(s string) error { return &AuthConfigError{Setting: "oauth2", Err: errors.New(s)} }
	u, err := url.Parse(o.TokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return bad("the token URL must be an absolute http or https URL")
	}
	if o.ClientID == "" {
		return bad("the client id is empty")
	}
	switch o.AuthMethod {
	case "", AuthClientSecretBasic, AuthClientSecretPost:
	default:
		return bad(fmt.Sprintf("auth method %q is not supported: use %s or %s", o.AuthMethod, AuthClientSecretBasic, AuthClientSecretPost))
	}
	for _, s := range o.Scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") || strings.ContainsFunc(s, isControl) {
			return bad("a scope is empty or holds a space, a quote, a backslash or a control character")
		}
	}
	for k, v := range o.ExtraHeaders {
		if k == "" || strings.ContainsFunc(k+v, isControl) || strings.ContainsAny(k, " :") {
			return bad("an extra header has an empty or invalid name, or a control character")
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// RedactURL returns raw with its credentials hidden, for logs and attempt
// records: a password becomes "xxxxx" (user:xxxxx@host), and a user name
// without a password, often an API key, becomes "xxxxx" too. A URL that does
// not parse is not returned at all, since what it holds is unknown.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL, redacted)"
	}
	if u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		u.User = url.User("xxxxx")
		return u.String()
	}
	return u.Redacted()
}
