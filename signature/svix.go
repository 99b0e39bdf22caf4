package signature

import (
	"net/http"
	"time"
)

// Header names used by Svix. The scheme is Standard Webhooks with these
// names in place of the webhook-* headers.
const (
	SvixHeaderID        = "svix-id"
	SvixHeaderTimestamp = "svix-timestamp"
	SvixHeaderSignature = "svix-signature"
)

const (
	canonicalSvixID        = "Svix-Id"
	canonicalSvixTimestamp = "Svix-Timestamp"
	canonicalSvixSignature = "Svix-Signature"
)

// Svix verifies and signs webhooks sent by Svix: the Standard Webhooks
// scheme carried in svix-id, svix-timestamp and svix-signature. When a
// request has no svix-id header, Verify reads the webhook-* headers
// instead, as Svix's own libraries do. Secrets, tolerance and clock work as
// in Standard, which Svix embeds.
type Svix struct {
	Standard
}

// NewSvix returns a Svix verifier for the given secrets, in a form
// ParseSecret reads ("whsec_..." as shown in the Svix dashboard).
func NewSvix(secrets ...string) (*Svix, error) {
	parsed, err := parseSecrets(secrets)
	if err != nil {
		return nil, err
	}
	return &Svix{Standard{Secrets: parsed}}, nil
}

// Verify checks the svix-* (or, failing those, webhook-*) headers against
// body.
func (s *Svix) Verify(header http.Header, body []byte) error {
	if len(headerValues(header, canonicalSvixID)) == 0 {
		return s.Standard.Verify(header, body)
	}
	id, ts, sigs, err := standardHeaders(header, canonicalSvixID, canonicalSvixTimestamp, canonicalSvixSignature)
	if err != nil {
		return err
	}
	return s.VerifyValues(id, ts, sigs, body)
}

// Sign sets the svix-id, svix-timestamp and svix-signature headers; see
// Standard.Sign.
func (s *Svix) Sign(header http.Header, body []byte) error {
	return signStandard(header, body, s.Secrets, s.Now, canonicalSvixID, canonicalSvixTimestamp, canonicalSvixSignature)
}

// ReplayKey is Standard.ReplayKey over the headers Verify read: the
// svix-* ones or, failing those, the webhook-* ones. Both give the same key
// for the same id and timestamp, so a copy of a request cannot pass again
// by moving its values to the other header names.
func (s *Svix) ReplayKey(header http.Header, body []byte) (string, time.Time) {
	if len(headerValues(header, canonicalSvixID)) == 0 {
		return s.Standard.ReplayKey(header, body)
	}
	return standardReplayKey(header, s.Tolerance, canonicalSvixID, canonicalSvixTimestamp)
}
