package dispatch

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/signature"
)

// sign returns the webhook-signature of a delivery to ep: one signature per
// secret ep signs with at now (the current one, and those rotated out less
// than their grace period ago), "v1" for HMAC and "v1a" for ed25519, space
// separated. Receivers accept the delivery when any one verifies.
func sign(ep *hookline.Endpoint, id string, now time.Time, body []byte) (string, error) {
	if len(ep.PreviousSecrets) == 0 && ep.SecretKind == hookline.SecretHMAC {
		return signature.SignV1(ep.Secret, id, now, body), nil // the common case, without a slice
	}
	var b strings.Builder
	for i, s := range ep.SigningSecrets(now) {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch s.Kind {
		case hookline.SecretHMAC:
			b.WriteString(signature.SignV1(s.Key, id, now, body))
		case hookline.SecretEd25519:
			if len(s.Key) != ed25519.PrivateKeySize {
				return "", errors.New("the endpoint's ed25519 signing key is not 64 bytes")
			}
			b.WriteString(signature.SignV1a(ed25519.PrivateKey(s.Key), id, now, body))
		default:
			return "", fmt.Errorf("the endpoint's signing secret is of an unknown kind %d", s.Kind)
		}
	}
	return b.String(), nil
}
