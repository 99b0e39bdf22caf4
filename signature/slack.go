package signature

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Header names used by Slack request signing.
const (
	SlackSignatureHeader = "X-Slack-Signature"         // "v0=<hex HMAC-SHA256(secret, v0:ts:body)>"
	SlackTimestampHeader = "X-Slack-Request-Timestamp" // Unix seconds
)

// Slack verifies and signs Slack requests (events, slash commands,
// interactivity): the hex HMAC-SHA256 of "v0:<timestamp>:<body>" under the
// app's signing secret, after "v0=" in X-Slack-Signature. The timestamp
// must lie within Tolerance of Now (five minutes by default, as Slack
// advises).
type Slack struct {
	// Secret is the app's signing secret, as bytes (not the legacy
	// verification token).
	Secret []byte
	// Tolerance and Now work as in Standard.
	Tolerance time.Duration
	Now       func() time.Time
}

// SignSlack returns the X-Slack-Signature value for body signed at
// timestamp; the X-Slack-Request-Timestamp header must carry the same
// timestamp in Unix seconds.
func SignSlack(secret []byte, timestamp time.Time, body []byte) string {
	prefix := "v0:" + strconv.FormatInt(timestamp.Unix(), 10) + ":"
	return "v0=" + hex.EncodeToString(hmacSum(sha256.New, secret, []byte(prefix), body))
}

// Verify checks X-Slack-Signature and X-Slack-Request-Timestamp against
// body.
func (s *Slack) Verify(header http.Header, body []byte) error {
	sig, err := signatureValue(s.Secret, "Slack", header, SlackSignatureHeader)
	if err != nil {
		return err
	}
	tsText, err := singleHeader(header, SlackTimestampHeader)
	if err != nil {
		return err
	}
	if _, err := checkTimestamp(tsText, SlackTimestampHeader, s.Now, s.Tolerance); err != nil {
		return err
	}
	prefix := make([]byte, 0, 3+maxTimestampDigits+1)
	prefix = append(append(append(prefix, "v0:"...), tsText...), ':')
	return checkEncoded(sig, "v0=", SlackSignatureHeader, EncodingHex, hmacSum(sha256.New, s.Secret, prefix, body))
}

// Sign sets X-Slack-Request-Timestamp (Now) and X-Slack-Signature for body.
func (s *Slack) Sign(header http.Header, body []byte) error {
	if err := requireSecret(s.Secret, "Slack"); err != nil {
		return err
	}
	t := clock(s.Now)
	header.Set(SlackTimestampHeader, strconv.FormatInt(t.Unix(), 10))
	header.Set(SlackSignatureHeader, SignSlack(s.Secret, t, body))
	return nil
}

// ReplayKey names a verified Slack request by its timestamp and a hash of
// its body.
func (s *Slack) ReplayKey(header http.Header, body []byte) (string, time.Time) {
	tsText, _ := singleHeader(header, SlackTimestampHeader)
	ts, _ := parseUnix(tsText)
	return bodyReplayKey("slack", strconv.FormatInt(ts, 10), body), expiry(ts, s.Tolerance)
}
