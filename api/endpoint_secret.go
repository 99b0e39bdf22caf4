package api

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// Secret prefixes, as in Standard Webhooks.
const (
	prefixHMAC       = "whsec_"
	prefixPrivateKey = "whsk_"
	prefixPublicKey  = "whpk_"
)

var secretPattern = regexp.MustCompile(`^(whsec_|whsk_|whpk_)?[a-zA-Z0-9+/=]{32,100}$`)

// decodeSecret decodes a signing secret given at loc: whsec_ (or no prefix)
// and an HMAC key, or whsk_ and an ed25519 private key, 64 bytes or its
// 32-byte seed, returned as the 64-byte key.
func decodeSecret(loc []string, s string) (hookline.SecretKind, []byte, error) {
	if !secretPattern.MatchString(s) {
		return 0, nil, hookline.Invalid(loc, "must be whsec_ (HMAC) or whsk_ (ed25519 private key) followed by 32 to 100 base64 characters")
	}
	if strings.HasPrefix(s, prefixPublicKey) {
		return 0, nil, hookline.Invalid(loc, "is an ed25519 public key (whpk_), which cannot sign: give the private key (whsk_); receivers get the public key from GET .../secret")
	}
	kind, prefix := hookline.SecretHMAC, prefixHMAC
	if strings.HasPrefix(s, prefixPrivateKey) {
		kind, prefix = hookline.SecretEd25519, prefixPrivateKey
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, prefix))
	if err != nil {
		return 0, nil, hookline.Invalid(loc, "is not valid base64")
	}
	if kind == hookline.SecretHMAC {
		if len(b) < 24 || len(b) > 75 {
			return 0, nil, hookline.Invalid(loc, "an HMAC secret (whsec_) must decode to 24 to 75 bytes, not %d", len(b))
		}
		return kind, b, nil
	}
	switch len(b) {
	case ed25519.SeedSize:
		return kind, ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		if !bytes.Equal(ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])[ed25519.SeedSize:], b[ed25519.SeedSize:]) {
			return 0, nil, hookline.Invalid(loc, "the ed25519 private key (whsk_) is not a key pair: its public half does not match its seed")
		}
		return kind, b, nil
	}
	return 0, nil, hookline.Invalid(loc, "an ed25519 private key (whsk_) must decode to 64 bytes (seed and public key) or a 32-byte seed, not %d", len(b))
}

// verifyingKey returns what receivers verify an endpoint's signatures with:
// its HMAC secret (whsec_), or the public key of its ed25519 key (whpk_).
func verifyingKey(e *hookline.Endpoint) string {
	if e.SecretKind == hookline.SecretEd25519 && len(e.Secret) == ed25519.PrivateKeySize {
		return prefixPublicKey + base64.StdEncoding.EncodeToString(e.Secret[ed25519.SeedSize:])
	}
	return prefixHMAC + base64.StdEncoding.EncodeToString(e.Secret)
}

// endpointSecretOut is what receivers verify an endpoint's signatures with.
type endpointSecretOut struct {
	Key string `json:"key" doc:"For an HMAC secret, whsec_ and the secret in base64 (signatures v1); for an ed25519 key, whpk_ and its public key in base64 (signatures v1a). The private key (whsk_) is never returned."`
}

func (h *endpoints) getSecret(c *call) (int, any, error) {
	_, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, endpointSecretOut{Key: verifyingKey(ep)}, nil
}

// endpointSecretRotateIn gives the new secret, or asks for a generated one.
type endpointSecretRotateIn struct {
	Key                *string `json:"key,omitempty" doc:"The new secret, whsec_ or whsk_ as in EndpointIn; a new HMAC secret is generated when absent."`
	GracePeriodSeconds *int    `json:"gracePeriodSeconds,omitempty" doc:"How long the previous secret keeps signing, 0 (not at all) to 604800 seconds; the server's default (24 hours unless configured) when absent."`
}

// rotateSecret replaces the endpoint's secret. The previous one keeps
// signing for the grace period, so that every delivery meanwhile carries a
// signature with each and receivers can switch at their pace.
func (h *endpoints) rotateSecret(c *call) (int, any, error) {
	var in endpointSecretRotateIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if g := in.GracePeriodSeconds; g != nil && (*g < 0 || *g > 7*24*3600) {
		return 0, nil, hookline.Invalid([]string{"body", "gracePeriodSeconds"}, "must be between 0 and 604800")
	}
	return h.edit(c, func(next *hookline.Endpoint) error {
		kind, key := hookline.SecretHMAC, hookline.NewSecret()
		if in.Key != nil {
			var err error
			if kind, key, err = decodeSecret([]string{"body", "key"}, *in.Key); err != nil {
				return err
			}
		}
		grace := h.s.grace
		if g := in.GracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		return next.RotateSecret(kind, key, time.Now().UTC(), grace)
	})
}
