package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/hookline/hookline"
)

// The mTLS and OAuth 2.0 settings of an endpoint, in the shapes of the hosted
// Svix API: GET .../mtls and .../oauth answer the settings alone (404 when
// not set), .../mtls-config and .../oauth-config {enabled, config}. Their secrets (the private key, the client
// secret, the values of extra parameters and headers named like
// credentials) are written, never read back.

// endpointMtlsConfigIn sets the client certificate of an endpoint.
type endpointMtlsConfigIn struct {
	Identity     string  `json:"identity" api:"required" doc:"PEM: one unencrypted private key (PKCS #8, PKCS #1 or SEC 1) and its X.509 certificate, with any intermediate certificates, in any order. Deliveries present it when the receiver asks for a client certificate."`
	ServerCACert *string `json:"serverCaCert,omitempty" doc:"PEM: the CA certificates the receiver's certificate must chain to, instead of the system roots, for receivers with a private CA. Absent keeps the bundle set before (here or with PUT .../ca)."`
}

// endpointMtlsOut says whether an endpoint has a client certificate.
type endpointMtlsOut struct {
	Enabled bool                   `json:"enabled"`
	Config  *endpointMtlsConfigOut `json:"config" doc:"The settings, without the private key; null when not enabled."`
}

// endpointMtlsConfigOut describes an endpoint's client certificate.
type endpointMtlsConfigOut struct {
	Certificate  string   `json:"certificate" doc:"PEM: the client certificate chain, the certificate of the key first."`
	Fingerprint  string   `json:"fingerprint" doc:"The SHA-256 of the client certificate (DER), in hex."`
	Subject      string   `json:"subject" doc:"The client certificate's subject."`
	Issuer       string   `json:"issuer" doc:"The client certificate's issuer."`
	NotBefore    jsonTime `json:"notBefore"`
	NotAfter     jsonTime `json:"notAfter" doc:"When the client certificate expires."`
	ServerCACert *string  `json:"serverCaCert,omitempty" doc:"PEM: the CA certificates the receiver's certificate must chain to, when set."`
}

// mtlsConfigOf describes m: nil when m holds no client certificate, only a
// CA bundle or nothing (mTLS is not enabled; see endpointServerCaOut).
func mtlsConfigOf(m *hookline.EndpointMTLS) (*endpointMtlsConfigOut, error) {
	if m == nil || !m.HasIdentity() {
		return nil, nil
	}
	leaf, err := m.Leaf()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(leaf.Raw)
	out := &endpointMtlsConfigOut{
		Certificate: string(m.Certificate), Fingerprint: hex.EncodeToString(sum[:]),
		Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(),
		NotBefore: jsonTime(leaf.NotBefore.UTC()), NotAfter: jsonTime(leaf.NotAfter.UTC()),
	}
	if len(m.ServerCACerts) > 0 {
		ca := string(m.ServerCACerts)
		out.ServerCACert = &ca
	}
	return out, nil
}

// endpointMtlsConfig reads the client certificate of the call's endpoint,
// nil when it has none.
func endpointMtlsConfig(c *call) (*endpointMtlsConfigOut, error) {
	_, ep, err := c.loadEndpoint()
	if err != nil {
		return nil, err
	}
	return mtlsConfigOf(ep.MTLS)
}

// getEndpointMtls answers the settings alone, as the hosted GET .../mtls.
func (s *Server) getEndpointMtls(c *call) (int, any, error) {
	cfg, err := endpointMtlsConfig(c)
	return setting(cfg, err, "mTLS settings")
}

// getEndpointMtlsStatus answers whether mTLS is enabled and its settings,
// as the hosted GET .../mtls-config.
func (s *Server) getEndpointMtlsStatus(c *call) (int, any, error) {
	cfg, err := endpointMtlsConfig(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, endpointMtlsOut{Enabled: cfg != nil, Config: cfg}, nil
}

// setting answers an endpoint's setting cfg alone, as the hosted API's GET
// .../mtls and .../oauth do: 404 (what not found) when it is not set.
func setting[T any](cfg *T, err error, what string) (int, any, error) {
	switch {
	case err != nil:
		return 0, nil, err
	case cfg == nil:
		return 0, nil, notFound(what)
	}
	return http.StatusOK, cfg, nil
}

// setEndpointMtls sets (or replaces) the client certificate and CA bundle;
// appEndpoints.save validates them (Endpoint.Validate).
func (s *Server) setEndpointMtls(c *call) (int, any, error) {
	var in endpointMtlsConfigIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	if in.Identity == "" {
		return 0, nil, badInput([]string{"body", "identity"}, "value_error.missing", "field required")
	}
	m, err := hookline.ParseIdentity([]string{"body", "identity"}, []byte(in.Identity))
	if err != nil {
		return 0, nil, err
	}
	switch {
	case in.ServerCACert != nil && *in.ServerCACert != "":
		m.ServerCACerts = []byte(*in.ServerCACert)
	case in.ServerCACert == nil && ep.MTLS != nil:
		m.ServerCACerts = ep.MTLS.ServerCACerts
	}
	next := *ep
	next.MTLS = m
	return noContent(s.appEndpoints.save(c, app, ep, &next))
}

// deleteEndpointMtls removes the client certificate; a CA bundle stays
// until PUT .../ca removes it.
func (s *Server) deleteEndpointMtls(c *call) (int, any, error) {
	return s.appEndpoints.edit(c, func(next *hookline.Endpoint) error {
		if next.MTLS == nil || !next.MTLS.HasIdentity() {
			return errNoChange
		}
		next.MTLS = withServerCA(nil, next.MTLS.ServerCACerts)
		return nil
	})
}

// endpointServerCaIn sets or removes the CA bundle of an endpoint.
type endpointServerCaIn struct {
	Cert *string `json:"cert" doc:"PEM: the CA certificates the receiver's certificate must chain to, instead of the system roots; null or absent: the system roots."`
}

// endpointServerCaOut is the CA bundle of an endpoint.
type endpointServerCaOut struct {
	Cert *string `json:"cert" doc:"PEM: the CA certificates the receiver's certificate must chain to; null when the system roots are in use."`
}

// withServerCA returns the mTLS settings of m (nil: none) with the CA
// bundle ca (empty: none): nil when they hold neither a client certificate
// nor a CA bundle. m is not changed.
func withServerCA(m *hookline.EndpointMTLS, ca []byte) *hookline.EndpointMTLS {
	next := hookline.EndpointMTLS{}
	if m != nil {
		next = *m
	}
	next.ServerCACerts = ca
	if !next.HasIdentity() && len(ca) == 0 {
		return nil
	}
	return &next
}

func (s *Server) getEndpointServerCa(c *call) (int, any, error) {
	_, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	var out endpointServerCaOut
	if ep.MTLS != nil && len(ep.MTLS.ServerCACerts) > 0 {
		ca := string(ep.MTLS.ServerCACerts)
		out.Cert = &ca
	}
	return http.StatusOK, out, nil
}

// setEndpointServerCa sets the CA bundle the receiver's certificate must
// chain to, or removes it (null), keeping the client certificate.
func (s *Server) setEndpointServerCa(c *call) (int, any, error) {
	var in endpointServerCaIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	var ca []byte
	if in.Cert != nil && *in.Cert != "" {
		ca = []byte(*in.Cert)
		if err := hookline.ParseCACerts([]string{"body", "cert"}, ca); err != nil {
			return 0, nil, err
		}
	}
	return s.appEndpoints.edit(c, func(next *hookline.Endpoint) error {
		if next.MTLS == nil && ca == nil {
			return errNoChange
		}
		next.MTLS = withServerCA(next.MTLS, ca)
		return nil
	})
}

// endpointOauthConfigIn sets the OAuth 2.0 client of an endpoint.
type endpointOauthConfigIn struct {
	TokenURL     string            `json:"tokenUrl" api:"required" format:"uri" doc:"The authorization server's token endpoint: an absolute http or https URL."`
	ClientID     string            `json:"clientId" api:"required"`
	ClientSecret *string           `json:"clientSecret,omitempty" doc:"The client secret, required by clientSecretBasic and clientSecretPost; absent keeps the one set before. It is stored encrypted and never returned."`
	AuthMethod   string            `json:"authMethod" api:"required" enum:"clientSecretBasic,clientSecretPost,clientSecretJwt" doc:"How the client authenticates to the token endpoint: clientSecretBasic (HTTP Basic) or clientSecretPost (in the form body). clientSecretJwt is refused (422)."`
	GrantType    string            `json:"grantType" api:"required" enum:"clientCredentials,refreshToken" doc:"clientCredentials; refreshToken is refused (422)."`
	Scopes       []string          `json:"scopes,omitempty" doc:"Sent space-separated as scope."`
	ExtraParams  map[string]string `json:"extraParams,omitempty" doc:"Added to the token request's form body (audience, resource...). Stored encrypted; the values of those named like credentials are never returned, so a PUT that should keep them gives them again."`
	ExtraHeaders map[string]string `json:"extraHeaders,omitempty" doc:"Added to the token request. Stored encrypted; the values of those named like credentials are never returned, so a PUT that should keep them gives them again."`
}

// endpointOauthOut says whether an endpoint has an OAuth 2.0 client.
type endpointOauthOut struct {
	Enabled bool                    `json:"enabled"`
	Config  *endpointOauthConfigOut `json:"config" doc:"The settings, without the client secret; null when not enabled."`
}

// endpointOauthConfigOut is an endpoint's OAuth 2.0 client without its
// secrets: the client secret, and the values of the extra parameters and
// headers named like credentials (see hookline.SensitiveName), which are named in
// sensitiveExtraParams and sensitiveExtraHeaders instead.
type endpointOauthConfigOut struct {
	TokenURL              string            `json:"tokenUrl"`
	ClientID              string            `json:"clientId"`
	ClientSecretSet       bool              `json:"clientSecretSet" doc:"Whether a client secret is set; the secret itself is never returned."`
	AuthMethod            string            `json:"authMethod" enum:"clientSecretBasic,clientSecretPost"`
	GrantType             string            `json:"grantType" enum:"clientCredentials"`
	Scopes                []string          `json:"scopes,omitempty"`
	ExtraParams           map[string]string `json:"extraParams,omitempty" doc:"The extra parameters but those named like credentials (see sensitiveExtraParams)."`
	ExtraHeaders          map[string]string `json:"extraHeaders,omitempty" doc:"The extra headers but those named like credentials (see sensitiveExtraHeaders)."`
	SensitiveExtraParams  []string          `json:"sensitiveExtraParams,omitempty" doc:"The names of the extra parameters that look like credentials (token, key, secret, auth, password, session...), whose values are never returned."`
	SensitiveExtraHeaders []string          `json:"sensitiveExtraHeaders,omitempty" doc:"The names of the extra headers that look like credentials (Authorization, Cookie, or a name with token, key, secret, auth, password, session), whose values are never returned."`
}

// oauthConfigOf describes o, nil when it is not set.
func oauthConfigOf(o *hookline.EndpointOAuth) *endpointOauthConfigOut {
	if o == nil {
		return nil
	}
	out := &endpointOauthConfigOut{
		TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecretSet: o.ClientSecret != "",
		AuthMethod: o.AuthMethod, GrantType: o.GrantType, Scopes: o.Scopes,
	}
	out.ExtraParams, out.SensitiveExtraParams = redacted(o.ExtraParams)
	out.ExtraHeaders, out.SensitiveExtraHeaders = redacted(o.ExtraHeaders)
	return out
}

// endpointOauthConfig reads the OAuth 2.0 client of the call's endpoint,
// nil when it has none.
func endpointOauthConfig(c *call) (*endpointOauthConfigOut, error) {
	_, ep, err := c.loadEndpoint()
	if err != nil {
		return nil, err
	}
	return oauthConfigOf(ep.OAuth), nil
}

// getEndpointOauth answers the settings alone, as the hosted GET .../oauth.
func (s *Server) getEndpointOauth(c *call) (int, any, error) {
	cfg, err := endpointOauthConfig(c)
	return setting(cfg, err, "OAuth 2.0 settings")
}

// getEndpointOauthStatus answers whether OAuth 2.0 is enabled and its
// settings, as the hosted GET .../oauth-config.
func (s *Server) getEndpointOauthStatus(c *call) (int, any, error) {
	cfg, err := endpointOauthConfig(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, endpointOauthOut{Enabled: cfg != nil, Config: cfg}, nil
}

// setEndpointOauth sets (or replaces) the OAuth 2.0 client; appEndpoints.save
// validates it (Endpoint.Validate).
func (s *Server) setEndpointOauth(c *call) (int, any, error) {
	var in endpointOauthConfigIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	o := &hookline.EndpointOAuth{
		TokenURL: in.TokenURL, ClientID: in.ClientID, AuthMethod: in.AuthMethod, GrantType: in.GrantType,
		Scopes: in.Scopes, ExtraParams: in.ExtraParams, ExtraHeaders: in.ExtraHeaders,
	}
	switch {
	case in.ClientSecret != nil:
		o.ClientSecret = *in.ClientSecret
	case ep.OAuth != nil:
		o.ClientSecret = ep.OAuth.ClientSecret
	}
	next := *ep
	next.OAuth = o
	return noContent(s.appEndpoints.save(c, app, ep, &next))
}

func (s *Server) deleteEndpointOauth(c *call) (int, any, error) {
	return s.appEndpoints.edit(c, func(next *hookline.Endpoint) error { return unset(&next.OAuth) })
}
