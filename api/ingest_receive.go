package api

import (
	"net/netip"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
)

// receive serves the ingest URL of a source, POST /ingest/in/{token}: the
// body is read within its limit before anything else (413), the token
// names the source (404), and the gateway verifies, de-duplicates and
// stores the request before the answer: 204, or 401 without a word of which
// check failed. Refusals are counted per source and sender address, apart
// from the API's failed authentications: 429 after too many, on that source
// only.
func (s *Server) receive(c *call) (int, any, error) {
	body, err := c.readBody()
	if err != nil {
		return 0, nil, err
	}
	if enc := c.r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return 0, nil, hookline.Invalid([]string{"header", "content-encoding"}, "an encoded (compressed) body is not accepted")
	}
	src, err := s.store.SourceByToken(c.ctx(), c.r.PathValue("token"), time.Now())
	if err != nil {
		return 0, nil, orNotFound(err, "Source")
	}
	client := ingestClient{source: src.ID, client: s.ingestFailures.client(c.r)}
	if c.retryAfter = s.ingestFailures.wait(client); c.retryAfter > 0 {
		return 0, nil, hookline.Errorf(hookline.ETOOMANY, "Too many failed verifications from this address; try again later.")
	}
	rec, err := s.gateway.Receive(c.ctx(), src, c.r, s.ingestFailures.clientAddr(c.r), body)
	if err == ingest.ErrRefused {
		s.ingestFailures.failed(client)
	}
	if err != nil {
		return 0, nil, err
	}
	if rec.Outcome == hookline.ReceivedChallenge {
		return rec.StatusCode, challengeOut{Challenge: rec.Challenge}, nil
	}
	return rec.StatusCode, nil, nil
}

// ingestClient is whom the refusals of ingest requests are counted for: a
// sender's address (as authThrottle.client) on one source.
type ingestClient struct {
	source string
	client netip.Prefix
}

// challengeOut answers a provider's URL check (Slack's url_verification).
type challengeOut struct {
	Challenge string `json:"challenge"`
}
