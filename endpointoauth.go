package hookline

import (
	"errors"
	"net/http"
	"slices"
	"strings"
)

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
// "Authorization: Bearer". Its JSON form is the one stores seal (see
// SecretBox.SealAuth): add fields, never rename their keys.
type EndpointOAuth struct {
	TokenURL string `json:"tokenUrl"`
	ClientID string `json:"clientId"`
	// ClientSecret is sealed by stores.
	ClientSecret string `json:"clientSecret"`
	// AuthMethod is OAuthClientSecretBasic or OAuthClientSecretPost.
	AuthMethod string `json:"authMethod"`
	// GrantType is OAuthClientCredentials.
	GrantType string `json:"grantType"`
	// Scopes are sent space-separated as scope when not empty.
	Scopes []string `json:"scopes"`
	// ExtraParams are added to the token request's form body; they cannot
	// replace the parameters Hookline sets (Validate refuses them).
	ExtraParams map[string]string `json:"extraParams"`
	// ExtraHeaders are added to the token request; they cannot replace the
	// headers Hookline sets (Validate refuses them).
	ExtraHeaders map[string]string `json:"extraHeaders"`
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
		if !validHeaderName(k) || !validHeaderValue(v) || len(v) > maxOAuthField {
			return Invalid(at("extraHeaders"), "holds an invalid header name or value")
		}
		if slices.Contains(reservedTokenHeaders, http.CanonicalHeaderKey(k)) {
			return Invalid(at("extraHeaders"), "%s is set by Hookline and cannot be given", http.CanonicalHeaderKey(k))
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
