package signature

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// Secret prefixes used by Standard Webhooks.
const (
	// PrefixSymmetric marks a base64 HMAC key for the "v1" scheme.
	PrefixSymmetric = "whsec_"
	// PrefixPrivateKey marks a base64 ed25519 private key (64 bytes:
	// seed followed by public key) for signing with the "v1a" scheme.
	PrefixPrivateKey = "whsk_"
	// PrefixPublicKey marks a base64 ed25519 public key (32 bytes) for
	// verifying the "v1a" scheme.
	PrefixPublicKey = "whpk_"
)

// SecretKind tells which of the Standard Webhooks key forms a Secret holds.
type SecretKind int

const (
	// Symmetric is an HMAC-SHA256 key: it signs and verifies "v1".
	Symmetric SecretKind = iota + 1
	// PrivateKey is an ed25519 key pair: it signs and verifies "v1a".
	PrivateKey
	// PublicKey is an ed25519 public key: it verifies "v1a" only.
	PublicKey
)

// String returns the secret prefix of the kind without the underscore, or
// "invalid".
func (k SecretKind) String() string {
	switch k {
	case Symmetric:
		return "whsec"
	case PrivateKey:
		return "whsk"
	case PublicKey:
		return "whpk"
	}
	return "invalid"
}

// Secret is a decoded Standard Webhooks key. The zero Secret is invalid.
// Which fields are set depends on Kind:
//
//   - Symmetric: Key holds the raw HMAC-SHA256 key bytes.
//   - PrivateKey: Private holds the 64-byte ed25519 private key and Public
//     its public half.
//   - PublicKey: Public holds the 32-byte ed25519 public key.
//
// A Secret must not be modified after it is built; its byte slices may be
// shared by every Sign and Verify call that uses it.
type Secret struct {
	Kind    SecretKind
	Key     []byte
	Private ed25519.PrivateKey
	Public  ed25519.PublicKey
}

// ParseSecret decodes a secret string in one of the Standard Webhooks forms:
//
//   - "whsec_<base64>": an HMAC key; the result is Symmetric and Key holds
//     the decoded bytes (the key SignV1 wants).
//   - "whsk_<base64>": an ed25519 private key of 64 bytes (seed then public
//     key) or a bare 32-byte seed; the result is PrivateKey.
//   - "whpk_<base64>": an ed25519 public key of 32 bytes; the result is
//     PublicKey.
//   - "<base64>" with no prefix: an HMAC key, as for "whsec_".
//
// Base64 may be padded or not, in the standard or the URL-safe alphabet.
// Leading and trailing white space is ignored. An empty secret, a bare
// prefix, text that is not base64 and keys of the wrong length are errors
// that match ErrBadSecret. The error never contains the secret itself.
func ParseSecret(s string) (Secret, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, PrefixSymmetric):
		return parseSymmetric(s[len(PrefixSymmetric):], PrefixSymmetric)
	case strings.HasPrefix(s, PrefixPrivateKey):
		raw, err := decodeKey(s[len(PrefixPrivateKey):], PrefixPrivateKey)
		if err != nil {
			return Secret{}, err
		}
		return NewPrivateKeySecret(raw)
	case strings.HasPrefix(s, PrefixPublicKey):
		raw, err := decodeKey(s[len(PrefixPublicKey):], PrefixPublicKey)
		if err != nil {
			return Secret{}, err
		}
		return NewPublicKeySecret(raw)
	default:
		return parseSymmetric(s, "")
	}
}

func parseSymmetric(b64, prefix string) (Secret, error) {
	raw, err := decodeKey(b64, prefix)
	if err != nil {
		return Secret{}, err
	}
	return Secret{Kind: Symmetric, Key: raw}, nil
}

// decodeKey decodes padded or unpadded, standard or URL-safe base64.
func decodeKey(b64, prefix string) ([]byte, error) {
	what := "secret"
	if prefix != "" {
		what = prefix + " secret"
	}
	if b64 == "" {
		return nil, fmt.Errorf("%w: empty %s", ErrBadSecret, what)
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		if raw, err := enc.DecodeString(b64); err == nil && len(raw) > 0 {
			return raw, nil
		}
	}
	return nil, fmt.Errorf("%w: %s is not base64", ErrBadSecret, what)
}

// NewHMACSecret returns a Symmetric secret for a raw HMAC key. The key is
// copied. An empty key is an error matching ErrBadSecret.
func NewHMACSecret(key []byte) (Secret, error) {
	if len(key) == 0 {
		return Secret{}, fmt.Errorf("%w: empty HMAC key", ErrBadSecret)
	}
	return Secret{Kind: Symmetric, Key: append([]byte(nil), key...)}, nil
}

// NewPrivateKeySecret returns a PrivateKey secret for a raw ed25519 private
// key: either 64 bytes (seed then public key, the form crypto/ed25519 uses)
// or a 32-byte seed. A 64-byte key whose public half does not belong to its
// seed is rejected. The key is copied.
func NewPrivateKeySecret(key []byte) (Secret, error) {
	var priv ed25519.PrivateKey
	switch len(key) {
	case ed25519.SeedSize:
		priv = ed25519.NewKeyFromSeed(key)
	case ed25519.PrivateKeySize:
		priv = ed25519.NewKeyFromSeed(key[:ed25519.SeedSize])
		if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(key[ed25519.SeedSize:])) {
			return Secret{}, fmt.Errorf("%w: ed25519 private key: public half does not match seed", ErrBadSecret)
		}
	default:
		return Secret{}, fmt.Errorf("%w: ed25519 private key must be %d or %d bytes, got %d",
			ErrBadSecret, ed25519.PrivateKeySize, ed25519.SeedSize, len(key))
	}
	return Secret{Kind: PrivateKey, Private: priv, Public: priv.Public().(ed25519.PublicKey)}, nil
}

// NewPublicKeySecret returns a PublicKey secret for a raw 32-byte ed25519
// public key. The key is copied.
func NewPublicKeySecret(key []byte) (Secret, error) {
	if len(key) != ed25519.PublicKeySize {
		return Secret{}, fmt.Errorf("%w: ed25519 public key must be %d bytes, got %d",
			ErrBadSecret, ed25519.PublicKeySize, len(key))
	}
	return Secret{Kind: PublicKey, Public: append(ed25519.PublicKey(nil), key...)}, nil
}

// String returns the secret in its prefixed base64 form ("whsec_...",
// "whsk_..." or "whpk_..."), which ParseSecret reads back. It reveals the
// key: never log it.
func (s Secret) String() string {
	switch s.Kind {
	case Symmetric:
		return PrefixSymmetric + base64.StdEncoding.EncodeToString(s.Key)
	case PrivateKey:
		return PrefixPrivateKey + base64.StdEncoding.EncodeToString(s.Private)
	case PublicKey:
		return PrefixPublicKey + base64.StdEncoding.EncodeToString(s.Public)
	}
	return ""
}

// PublicSecret returns the verifying half of s: for a PrivateKey secret, the
// matching PublicKey secret; otherwise s itself.
func (s Secret) PublicSecret() Secret {
	if s.Kind == PrivateKey {
		return Secret{Kind: PublicKey, Public: s.Public}
	}
	return s
}

// GenerateSecret returns a new random Symmetric secret of 32 bytes.
func GenerateSecret() (Secret, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return Secret{}, err
	}
	return Secret{Kind: Symmetric, Key: key}, nil
}

// GenerateKeyPair returns a new random ed25519 PrivateKey secret. Its
// PublicSecret is what receivers are given.
func GenerateKeyPair() (Secret, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Secret{}, err
	}
	return Secret{Kind: PrivateKey, Private: priv, Public: pub}, nil
}
