package hookline

// How Hookline authenticates itself to an endpoint: the signing secrets
// (current and previous, HMAC or ed25519; endpointsecret.go), Basic
// credentials in the URL (urlcredentials.go), a client certificate for
// mutual TLS (endpointmtls.go) and an OAuth 2.0 client (endpointoauth.go).
// Stores keep every secret of these sealed by their SecretBox
// (endpointseal.go).

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
