package signature

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"
)

// Header names used by Shopify webhooks.
const (
	ShopifySignatureHeader = "X-Shopify-Hmac-Sha256" // base64 HMAC-SHA256(secret, body)
	ShopifyWebhookIDHeader = "X-Shopify-Webhook-Id"  // unique per delivery; not signed
)

// Shopify verifies and signs Shopify webhooks: the base64 HMAC-SHA256 of
// the raw body under the app's client secret, in X-Shopify-Hmac-Sha256.
// Like GitHub, Shopify signs no timestamp; see GitHub about replays.
type Shopify struct {
	// Secret is the app's client secret (or the webhook signing secret
	// shown in the admin), as bytes.
	Secret []byte
}

// SignShopify returns the X-Shopify-Hmac-Sha256 value for body.
func SignShopify(secret, body []byte) string {
	return base64.StdEncoding.EncodeToString(hmacSum(sha256.New, secret, nil, body))
}

// Verify checks X-Shopify-Hmac-Sha256 against body.
func (s *Shopify) Verify(header http.Header, body []byte) error {
	v, err := signatureValue(s.Secret, "Shopify", header, ShopifySignatureHeader)
	if err != nil {
		return err
	}
	return checkEncoded(v, "", ShopifySignatureHeader, EncodingBase64, hmacSum(sha256.New, s.Secret, nil, body))
}

// Sign sets X-Shopify-Hmac-Sha256 for body.
func (s *Shopify) Sign(header http.Header, body []byte) error {
	if err := requireSecret(s.Secret, "Shopify"); err != nil {
		return err
	}
	header.Set(ShopifySignatureHeader, SignShopify(s.Secret, body))
	return nil
}

// ReplayKey names a verified Shopify request by a hash of its body.
func (s *Shopify) ReplayKey(_ http.Header, body []byte) (string, time.Time) {
	return bodyReplayKey("shopify", "", body), time.Time{}
}
