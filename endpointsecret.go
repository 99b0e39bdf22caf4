package hookline

import (
	"bytes"
	"crypto/ed25519"
	"time"
)

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
// with, as svix-server bounds them: a rotation that would keep more is
// refused until the oldest expires.
const MaxPreviousSecrets = 10

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
// with grace <= 0 it stops at once. Expired previous secrets are dropped.
// When that would leave more than MaxPreviousSecrets, it changes nothing and
// returns an ELIMIT error that says when the oldest expires.
// PreviousSecrets is replaced, not changed in place, so that a copy of e
// keeps its list.
func (e *Endpoint) RotateSecret(kind SecretKind, key []byte, now time.Time, grace time.Duration) error {
	prev := make([]EndpointSecret, 0, 1+len(e.PreviousSecrets))
	if grace > 0 && len(e.Secret) > 0 {
		prev = append(prev, EndpointSecret{Kind: e.SecretKind, Key: e.Secret, Expires: now.Add(grace)})
	}
	oldest := time.Time{}
	for _, p := range e.PreviousSecrets {
		if p.Expires.After(now) {
			prev = append(prev, p)
			if oldest.IsZero() || p.Expires.Before(oldest) {
				oldest = p.Expires
			}
		}
	}
	if len(prev) > MaxPreviousSecrets {
		return Errorf(ELIMIT, "You can only rotate a key %d times; please wait for old keys to expire. Your next key expires at %s.",
			MaxPreviousSecrets, oldest.UTC().Format(time.RFC3339))
	}
	e.Secret, e.SecretKind, e.PreviousSecrets = key, kind, prev
	e.PruneSecrets(now)
	return nil
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
