package signature

import "errors"

// Errors returned by verifiers. Every verification error wraps exactly one
// of these, so callers can tell failures apart with errors.Is. Their text
// may name a header but never contains a secret or a signature.
//
// These errors are for logs and for the caller's own decisions; they should
// not be sent back to whoever made the request (Middleware answers a bare
// 401 whatever the cause).
var (
	// ErrMissingHeader: a header the scheme needs is absent or empty.
	ErrMissingHeader = errors.New("signature: missing header")
	// ErrBadFormat: a header is present but cannot be parsed: a timestamp
	// that is not plain Unix seconds (digits only, no leading zero), a
	// signature list without a single well-formed entry (e.g. a bare "v1,"
	// or a truncated signature), a signed header given twice with
	// different values.
	ErrBadFormat = errors.New("signature: malformed header")
	// ErrNoMatch: the headers are well formed but no signature matches the
	// body under any of the configured secrets.
	ErrNoMatch = errors.New("signature: no matching signature")
	// ErrTooOld: the timestamp is further in the past than the tolerance.
	ErrTooOld = errors.New("signature: timestamp too old")
	// ErrTooNew: the timestamp is further in the future than the tolerance.
	ErrTooNew = errors.New("signature: timestamp too new")
	// ErrBadSecret: a secret is empty, malformed or of the wrong kind for
	// the operation (e.g. signing with a public key), or a verifier holds
	// no secret that can verify anything.
	ErrBadSecret = errors.New("signature: bad secret")
	// ErrBodyTooLarge: Middleware refused a body over its size limit.
	ErrBodyTooLarge = errors.New("signature: body too large")
	// ErrReplayed: Middleware's ReplayGuard has already accepted this
	// request (same signed id and timestamp, or same signed body).
	ErrReplayed = errors.New("signature: message already seen")
)
