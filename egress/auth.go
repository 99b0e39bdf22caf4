package egress

import (
	"errors"

	"github.com/hookline/hookline"
)

// EndpointAuth is how Hookline authenticates itself to one receiver, beyond
// the webhook signature and the endpoint's custom headers: the endpoint's
// own settings, as the root package defines and validates them. The zero
// value (or a nil *EndpointAuth) uses the server-wide defaults of Config.
// Client.Do reads it and never changes it.
type EndpointAuth struct {
	// MTLS, when set, is the client certificate presented for mutual TLS
	// (none of its own: Config's default identity, if any) and the CAs the
	// receiver's certificate must chain to (none: Config.RootCAs or the
	// system roots).
	MTLS *hookline.EndpointMTLS
	// OAuth, when set, gets a bearer token with the client credentials grant
	// and sends it in the Authorization header.
	OAuth *hookline.EndpointOAuth
}

// AuthConfigError is the error of endpoint authentication settings that
// cannot be used: a PEM that does not parse, a key that does not match its
// certificate, OAuth 2.0 settings that hookline.EndpointOAuth.Validate
// refuses. It holds no key material and no secret.
type AuthConfigError struct {
	// Setting names what is wrong: "client certificate", "CA certificates",
	// "default client certificate", "oauth2".
	Setting string
	// Err is the *hookline.Error (EINVALID) of the setting's validation.
	Err error
}

// Error says which setting is wrong and, for a *hookline.Error, the field
// it names and its message.
func (e *AuthConfigError) Error() string {
	msg := e.Err.Error()
	var he *hookline.Error
	if errors.As(e.Err, &he) {
		msg = he.Message
		if n := len(he.Field); n > 0 {
			msg = he.Field[n-1] + " " + msg
		}
	}
	return "egress: endpoint " + e.Setting + ": " + msg
}

func (e *AuthConfigError) Unwrap() error { return e.Err }
