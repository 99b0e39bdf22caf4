// Package signature signs and verifies webhooks.
//
// It implements Standard Webhooks (https://www.standardwebhooks.com): the
// symmetric "v1" scheme (HMAC-SHA256) and the asymmetric "v1a" scheme
// (ed25519), carried in the webhook-id, webhook-timestamp and
// webhook-signature headers. It also verifies the schemes of common
// providers (GitHub, Stripe, Shopify, Slack, Svix) and a configurable
// generic HMAC scheme, and offers net/http middleware that verifies a
// request before handing it to the next handler.
//
// The package depends only on the standard library and golang.org/x/crypto,
// so a receiver can import it without pulling in the rest of Hookline.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// Header names used by Standard Webhooks. HTTP header names are
// case-insensitive; these are the canonical lower-case spellings.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SignV1 returns "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" where
// timestamp is written as decimal Unix seconds. key is the raw HMAC key
// (for a "whsec_" secret, the bytes ParseSecret returns in Secret.Key).
func SignV1(key []byte, id string, timestamp time.Time, body []byte) string {
	var tsBuf [20]byte
	ts := strconv.AppendInt(tsBuf[:0], timestamp.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(ts)
	mac.Write([]byte{'.'})
	mac.Write(body)
	var sum [sha256.Size]byte
	out := make([]byte, 3, 3+base64.StdEncoding.EncodedLen(sha256.Size))
	copy(out, "v1,")
	out = base64.StdEncoding.AppendEncode(out, mac.Sum(sum[:0]))
	return string(out)
}
