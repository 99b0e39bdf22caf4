package signature

import (
	"errors"
	"net/http"
	"time"
)

// Verifier checks that a request body and its headers carry a valid
// signature. Verify returns nil when the request is authentic and fresh,
// and otherwise an error that wraps one of this package's sentinel errors
// (ErrMissingHeader, ErrBadFormat, ErrNoMatch, ErrTooOld, ErrTooNew,
// ErrBadSecret). body must be the raw bytes as received, before any
// decoding or re-encoding. Implementations in this package are safe for
// concurrent use as long as their fields are not changed.
type Verifier interface {
	Verify(header http.Header, body []byte) error
}

// Signer adds to header the headers that make body verifiable by the
// matching Verifier. Signers in this package take their timestamp from their
// Now field, so tests and the CLI can sign for a chosen instant.
type Signer interface {
	Sign(header http.Header, body []byte) error
}

// Scheme is a signature scheme that can both sign and verify. Every
// provider type in this package (Standard, Svix, GitHub, Stripe, Shopify,
// Slack, HMAC) is one.
type Scheme interface {
	Signer
	Verifier
}

// Compile-time checks that every scheme satisfies the interfaces.
var (
	_ Scheme      = (*Standard)(nil)
	_ Scheme      = (*Svix)(nil)
	_ Scheme      = (*GitHub)(nil)
	_ Scheme      = (*Stripe)(nil)
	_ Scheme      = (*Shopify)(nil)
	_ Scheme      = (*Slack)(nil)
	_ Scheme      = (*HMAC)(nil)
	_ ReplayKeyer = (*Standard)(nil)
	_ ReplayKeyer = (*Svix)(nil)
	_ ReplayKeyer = (*GitHub)(nil)
	_ ReplayKeyer = (*Stripe)(nil)
	_ ReplayKeyer = (*Shopify)(nil)
	_ ReplayKeyer = (*Slack)(nil)
	_ ReplayKeyer = (*HMAC)(nil)
	_ ReplayKeyer = anyOf(nil)
)

// Any returns a Verifier that accepts a request when at least one of
// verifiers accepts it. Use it to rotate the secret of a provider scheme
// that carries only one signature (accept the old and the new secret for a
// while), or to accept several schemes on one URL. When all fail, the error
// of the first verifier is returned. The result also implements ReplayKeyer.
func Any(verifiers ...Verifier) Verifier {
	return anyOf(append([]Verifier(nil), verifiers...))
}

type anyOf []Verifier

func (a anyOf) Verify(header http.Header, body []byte) error {
	var first error
	for _, v := range a {
		err := v.Verify(header, body)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		return errors.Join(ErrBadSecret, errors.New("signature: Any called with no verifiers"))
	}
	return first
}

// ReplayKey returns the key of the first verifier that accepts the request
// and implements ReplayKeyer.
func (a anyOf) ReplayKey(header http.Header, body []byte) (string, time.Time) {
	for _, v := range a {
		if k, ok := v.(ReplayKeyer); ok && v.Verify(header, body) == nil {
			return k.ReplayKey(header, body)
		}
	}
	return bodyReplayKey("any", "", body), time.Time{}
}
