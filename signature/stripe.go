package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// StripeSignatureHeader carries Stripe's signature:
// "t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]".
const StripeSignatureHeader = "Stripe-Signature"

// maxStripeEntries bounds the number of comma-separated entries looked at.
const maxStripeEntries = 32

// Stripe verifies and signs Stripe webhooks: each v1 entry of the
// Stripe-Signature header is the hex HMAC-SHA256 of "<t>.<body>" under the
// endpoint's signing secret. Stripe puts several v1 entries in the header
// while a secret is being rolled; one match is enough. The t value must lie
// within Tolerance of Now (Stripe's own libraries check only the past; this
// one also refuses timestamps too far in the future).
type Stripe struct {
	// Secret is the endpoint's signing secret as shown by Stripe,
	// "whsec_..." included. Stripe uses the whole string as the HMAC key,
	// without decoding it.
	Secret []byte
	// Tolerance and Now work as in Standard (zero Tolerance means five
	// minutes; negative disables the check).
	Tolerance time.Duration
	Now       func() time.Time
}

// SignStripe returns a Stripe-Signature header value for body signed at
// timestamp: "t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>".
func SignStripe(secret []byte, timestamp time.Time, body []byte) string {
	t := strconv.FormatInt(timestamp.Unix(), 10)
	return "t=" + t + ",v1=" + hex.EncodeToString(hmacSum(sha256.New, secret, []byte(t+"."), body))
}

// Verify checks the Stripe-Signature header against body.
func (s *Stripe) Verify(header http.Header, body []byte) error {
	v, err := singleHeader(header, StripeSignatureHeader)
	if err != nil {
		return err
	}
	return s.VerifyHeader(v, body)
}

// VerifyHeader is Verify for a caller that holds the Stripe-Signature value.
func (s *Stripe) VerifyHeader(value string, body []byte) error {
	if err := requireSecret(s.Secret, "Stripe"); err != nil {
		return err
	}
	if value == "" {
		return fmt.Errorf("%w: %s", ErrMissingHeader, StripeSignatureHeader)
	}
	if len(value) > maxHeaderLen {
		return fmt.Errorf("%w: %s too long", ErrBadFormat, StripeSignatureHeader)
	}
	tsText, ok, err := stripeTimestamp(value)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s has no t= entry", ErrBadFormat, StripeSignatureHeader)
	}
	if _, err := checkTimestamp(tsText, StripeSignatureHeader+" t=", s.Now, s.Tolerance); err != nil {
		return err
	}

	var want [sha256.Size]byte
	mac := hmac.New(sha256.New, s.Secret)
	var prefix [maxTimestampDigits + 1]byte
	mac.Write(append(append(prefix[:0], tsText...), '.'))
	mac.Write(body)
	mac.Sum(want[:0])

	wellFormed := false
	for rest := value; rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(rest, ",")
		k, v, found := strings.Cut(strings.TrimSpace(entry), "=")
		if !found || k == "t" || v == "" {
			continue
		}
		if k != "v1" {
			wellFormed = true // v0 (test-mode) or a future scheme: never matches
			continue
		}
		var got [sha256.Size]byte
		if !decodeExact(got[:], v, EncodingHex) {
			continue
		}
		wellFormed = true
		if hmac.Equal(got[:], want[:]) {
			return nil
		}
	}
	if !wellFormed {
		return fmt.Errorf("%w: %s has no signature entry", ErrBadFormat, StripeSignatureHeader)
	}
	return fmt.Errorf("%w: %s", ErrNoMatch, StripeSignatureHeader)
}

// stripeTimestamp finds the single t= entry. Two t= entries are refused:
// which one was signed would be ambiguous.
func stripeTimestamp(value string) (ts string, ok bool, err error) {
	n := 0
	for rest := value; rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(rest, ",")
		if n++; n > maxStripeEntries {
			return "", false, fmt.Errorf("%w: %s has more than %d entries", ErrBadFormat, StripeSignatureHeader, maxStripeEntries)
		}
		k, v, found := strings.Cut(strings.TrimSpace(entry), "=")
		if !found || k != "t" {
			continue
		}
		if ok {
			return "", false, fmt.Errorf("%w: %s has more than one t= entry", ErrBadFormat, StripeSignatureHeader)
		}
		ts, ok = v, true
	}
	return ts, ok, nil
}

// Sign sets Stripe-Signature for body, signed at Now.
func (s *Stripe) Sign(header http.Header, body []byte) error {
	if err := requireSecret(s.Secret, "Stripe"); err != nil {
		return err
	}
	header.Set(StripeSignatureHeader, SignStripe(s.Secret, clock(s.Now), body))
	return nil
}

// ReplayKey names a verified Stripe request by its signed timestamp and a
// hash of its body (the event id lives inside the body).
func (s *Stripe) ReplayKey(header http.Header, body []byte) (string, time.Time) {
	v, _ := singleHeader(header, StripeSignatureHeader)
	tsText, _, _ := stripeTimestamp(v)
	ts, _ := parseUnix(tsText)
	return bodyReplayKey("stripe", strconv.FormatInt(ts, 10), body), expiry(ts, s.Tolerance)
}
