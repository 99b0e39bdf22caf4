package signature

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Header names used by GitHub webhooks.
const (
	GitHubSignatureHeader     = "X-Hub-Signature-256" // "sha256=<hex HMAC-SHA256(secret, body)>"
	GitHubSignatureHeaderSHA1 = "X-Hub-Signature"     // legacy: "sha1=<hex HMAC-SHA1(secret, body)>"
	GitHubDeliveryHeader      = "X-GitHub-Delivery"   // a GUID per delivery; not signed
	GitHubEventHeader         = "X-GitHub-Event"      // the event name; not signed
)

// GitHub verifies and signs GitHub webhooks: an HMAC-SHA256 of the raw body
// under the webhook's secret, hex-encoded after "sha256=" in
// X-Hub-Signature-256.
//
// GitHub signs no timestamp, so a captured request stays valid for as long
// as the secret does; use Middleware with a ReplayGuard to refuse copies
// for a while, and treat X-GitHub-Delivery as the idempotency key.
type GitHub struct {
	// Secret is the webhook secret exactly as entered in GitHub's settings,
	// as bytes (not decoded in any way).
	Secret []byte
	// AllowSHA1 makes Verify accept the legacy X-Hub-Signature (HMAC-SHA1)
	// header when X-Hub-Signature-256 is absent. Off by default: GitHub
	// sends both, and a receiver should not accept the weaker one without
	// a reason.
	AllowSHA1 bool
}

// SignGitHub returns the X-Hub-Signature-256 value for body:
// "sha256=<hex HMAC-SHA256(secret, body)>".
func SignGitHub(secret, body []byte) string {
	return "sha256=" + hex.EncodeToString(hmacSum(sha256.New, secret, nil, body))
}

// SignGitHubSHA1 returns the legacy X-Hub-Signature value for body:
// "sha1=<hex HMAC-SHA1(secret, body)>".
func SignGitHubSHA1(secret, body []byte) string {
	return "sha1=" + hex.EncodeToString(hmacSum(sha1.New, secret, nil, body))
}

// Verify checks X-Hub-Signature-256 (or, with AllowSHA1 and only when that
// header is absent, X-Hub-Signature) against body.
func (g *GitHub) Verify(header http.Header, body []byte) error {
	v, err := signatureValue(g.Secret, "GitHub", header, GitHubSignatureHeader)
	if err == nil {
		return checkEncoded(v, "sha256=", GitHubSignatureHeader, EncodingHex, hmacSum(sha256.New, g.Secret, nil, body))
	}
	if !g.AllowSHA1 || !errors.Is(err, ErrMissingHeader) {
		return err
	}
	v, err = singleHeader(header, GitHubSignatureHeaderSHA1)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrMissingHeader, GitHubSignatureHeader)
	}
	return checkEncoded(v, "sha1=", GitHubSignatureHeaderSHA1, EncodingHex, hmacSum(sha1.New, g.Secret, nil, body))
}

// Sign sets X-Hub-Signature-256 and, as GitHub does, the legacy
// X-Hub-Signature for body.
func (g *GitHub) Sign(header http.Header, body []byte) error {
	if err := requireSecret(g.Secret, "GitHub"); err != nil {
		return err
	}
	header.Set(GitHubSignatureHeader, SignGitHub(g.Secret, body))
	header.Set(GitHubSignatureHeaderSHA1, SignGitHubSHA1(g.Secret, body))
	return nil
}

// ReplayKey names a verified GitHub request by a hash of its body, the
// only signed part (the delivery GUID is not signed). expires is zero:
// the scheme has no time limit of its own.
func (g *GitHub) ReplayKey(_ http.Header, body []byte) (string, time.Time) {
	return bodyReplayKey("github", "", body), time.Time{}
}
