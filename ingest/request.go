package ingest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/jsonpointer"
)

// maxDeliveryIDLen bounds a delivery id taken from a request; a longer one
// is not de-duplicated on.
const maxDeliveryIDLen = 256

// deliveryID returns the provider's id of the delivery: the source's
// dedupHeader or dedupPointer when set, else where its type puts it. Empty
// when the request has none (then it is not de-duplicated).
func deliveryID(src *hookline.Source, h http.Header, body []byte) string {
	c := &src.Config
	var id string
	switch {
	case c.DedupHeader != "":
		id = h.Get(c.DedupHeader)
	case c.DedupPointer != "":
		id, _ = jsonpointer.Get(body, c.DedupPointer)
	default:
		switch src.Type {
		case hookline.SourceGitHub:
			id = h.Get("X-GitHub-Delivery")
		case hookline.SourceStripe:
			id, _ = jsonpointer.Get(body, "/id")
		case hookline.SourceShopify:
			id = h.Get("X-Shopify-Webhook-Id")
		case hookline.SourceSlack:
			id, _ = jsonpointer.Get(body, "/event_id")
		case hookline.SourceSvix:
			if id = h.Get("Svix-Id"); id == "" {
				id = h.Get("Webhook-Id")
			}
		}
	}
	if len(id) > maxDeliveryIDLen || strings.ContainsFunc(id, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return ""
	}
	return id
}

// defaultEventType is the event type of a received request whose provider
// names none.
const defaultEventType = "ingest.received"

// eventType returns what the provider says happened (GitHub's
// X-GitHub-Event, Shopify's X-Shopify-Topic, the type of a Stripe, Svix or
// Slack event), when it is a valid event type name, else
// defaultEventType. It names the message of the request in the log.
func eventType(src *hookline.Source, h http.Header, body []byte) string {
	var t string
	switch src.Type {
	case hookline.SourceGitHub:
		t = h.Get("X-GitHub-Event")
	case hookline.SourceShopify:
		t = h.Get("X-Shopify-Topic")
	case hookline.SourceStripe, hookline.SourceSvix:
		t, _ = jsonpointer.Get(body, "/type")
	case hookline.SourceSlack:
		if t, _ = jsonpointer.Get(body, "/event/type"); t == "" {
			t, _ = jsonpointer.Get(body, "/type")
		}
	}
	if !hookline.ValidName(t, hookline.MaxEventTypeLen) {
		return defaultEventType
	}
	return t
}

// hopByHop are the headers of one connection, never forwarded (RFC 9110,
// section 7.6.1), with those a forwarded request gets anew.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect",
}

// credentials are headers that carry a sender's credentials, never stored.
var credentials = []string{"Authorization", "Cookie"}

// signatureHeaders are the headers each type signs with: not stored, not
// forwarded (the deliveries carry Hookline's own signature).
var signatureHeaders = map[string][]string{
	hookline.SourceGitHub:  {"X-Hub-Signature", "X-Hub-Signature-256"},
	hookline.SourceStripe:  {"Stripe-Signature"},
	hookline.SourceShopify: {"X-Shopify-Hmac-Sha256"},
	hookline.SourceSlack:   {"X-Slack-Signature"},
}

// keptHeaders returns the headers of a request that are stored and
// forwarded: all but those of the connection, the credentials (those the
// source requires among them), and the signature headers of its type and
// of Standard Webhooks (svix-*, webhook-*), which deliveries carry anew.
func keptHeaders(src *hookline.Source, h http.Header) http.Header {
	drop := slices.Concat(hopByHop, credentials, signatureHeaders[src.Type])
	if a := src.Config.HeaderAuth; a != nil {
		drop = append(drop, http.CanonicalHeaderKey(a.Header))
	}
	if m := src.Config.HMAC; m != nil {
		drop = append(drop, http.CanonicalHeaderKey(m.Header))
	}
	for _, c := range h.Values("Connection") {
		for _, name := range strings.Split(c, ",") {
			drop = append(drop, http.CanonicalHeaderKey(strings.TrimSpace(name)))
		}
	}
	out := make(http.Header, len(h))
	for k, v := range h {
		if slices.Contains(drop, k) || strings.HasPrefix(k, "Svix-") || strings.HasPrefix(k, "Webhook-") {
			continue
		}
		out[k] = slices.Clone(v)
	}
	return out
}

// NewToken returns a new token for an ingest URL: 24 random bytes in
// URL-safe base64.
func NewToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("ingest: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// URLPath is the path of the ingest URL of a source with token: POST
// requests to it are what the source receives.
func URLPath(token string) string { return hookline.IngestPathPrefix + token }
