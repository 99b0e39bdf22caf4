package hookline

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"time"
)

// SecretLen is the length in bytes of a generated endpoint signing secret.
const SecretLen = 24

// Endpoint is a URL an application's customer registered to receive messages.
//
// Its secrets (Secret, PreviousSecrets, the credentials in URL, MTLS.Key,
// OAuth.ClientSecret, the values of Headers) are in clear here; stores seal
// them (all of MTLS, OAuth and Headers) with their SecretBox, and the API
// never returns them (see endpointauth.go; it names the headers and OAuth
// extras that look like credentials without their values).
type Endpoint struct {
	ID    string
	AppID string
	UID   *string
	// URL is where deliveries go. It may hold Basic credentials
	// (https://user:password@host/), sent as "Authorization: Basic" (see
	// BasicAuth) and hidden wherever the URL is shown (RedactURL).
	URL         string
	Description string
	Disabled    bool
	// DisabledReason and DisabledAt say why and since when the endpoint is
	// disabled; a Store sets them (see Prepare, PrepareUpdate, and
	// Outcome.Disable for the dispatcher's reasons). Both are unset while
	// it is enabled, and for an endpoint disabled by a version of Hookline
	// that did not record them.
	DisabledReason DisabledReason
	DisabledAt     *time.Time
	EventTypes     []string // nil: every event type
	Channels       []string // nil: every message, whatever its channels
	ThrottleRate   *int
	Metadata       map[string]string
	Headers        map[string]string // custom headers sent with every delivery
	// Secret is the current signing key, of kind SecretKind: an HMAC key
	// (whsec_<base64> on the API) or a 64-byte ed25519 private key (whsk_).
	Secret     []byte
	SecretKind SecretKind
	// PreviousSecrets are the keys a rotation replaced, newest first, which
	// keep signing until they expire (see SigningSecrets); nil when none.
	PreviousSecrets []EndpointSecret
	// MTLS, when set, is the client certificate deliveries present.
	MTLS *EndpointMTLS
	// OAuth, when set, gets the bearer token deliveries carry.
	OAuth     *EndpointOAuth
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Prepare gives e what a Store sets when it creates it: an id, a signing
// secret and a creation time when unset (UpdatedAt defaults to CreatedAt),
// times at the precision they read back with, and, when it is created
// disabled, DisabledManual at its creation.
func (e *Endpoint) Prepare(now time.Time) {
	stamp(&e.ID, PrefixEndpoint, &e.CreatedAt, &e.UpdatedAt, now)
	e.prepareDisabled(nil, e.CreatedAt)
	if len(e.Secret) == 0 {
		e.Secret = NewSecret()
	}
}

// Matches reports whether a message of eventType on channels goes to e: e is
// enabled, subscribes to the event type (or to all), and, when e filters by
// channel, the message is on one of e's channels.
func (e *Endpoint) Matches(eventType string, channels []string) bool {
	if e.Disabled {
		return false
	}
	if e.EventTypes != nil && !slices.Contains(e.EventTypes, eventType) {
		return false
	}
	if e.Channels != nil {
		for _, c := range channels {
			if slices.Contains(e.Channels, c) {
				return true
			}
		}
		return false
	}
	return true
}

// Validate checks the fields a caller sets, the authentication settings
// among them. An empty Secret is valid: stores generate one.
func (e *Endpoint) Validate() error {
	if err := ValidateURL(e.URL); err != nil {
		return err
	}
	return e.ValidateSettings()
}

// ValidateSettings is Validate without the check of the URL, for an ingest
// endpoint whose URL names an action (see ActionName).
func (e *Endpoint) ValidateSettings() error {
	if err := checkUID(e.UID); err != nil {
		return err
	}
	if err := checkNames("filterTypes", e.EventTypes, MaxEventTypeLen, 0); err != nil {
		return err
	}
	if err := checkNames("channels", e.Channels, MaxChannelLen, MaxChannels); err != nil {
		return err
	}
	if e.ThrottleRate != nil && (*e.ThrottleRate < 0 || *e.ThrottleRate > 65535) {
		return Invalid([]string{"body", "throttleRate"}, "must be between 0 and 65535")
	}
	if err := e.validateAuth(); err != nil {
		return err
	}
	if err := ValidateHeaders(e.Headers); err != nil {
		return err
	}
	return e.CheckStorable()
}

// NewSecret returns a random signing secret of SecretLen bytes.
func NewSecret() []byte {
	b := make([]byte, SecretLen)
	if _, err := rand.Read(b); err != nil {
		panic("hookline: crypto/rand failed: " + err.Error())
	}
	return b
}

// forbiddenHeaders are the headers an endpoint may not override: those that
// HTTP itself owns and those Hookline sets on every delivery.
var forbiddenHeaders = map[string]bool{
	"Connection": true, "Content-Length": true, "Content-Type": true, "Content-Encoding": true,
	"Host": true, "Keep-Alive": true, "Proxy-Authorization": true, "Proxy-Connection": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "User-Agent": true,
	"Expect":     true,
	"Webhook-Id": true, "Webhook-Timestamp": true, "Webhook-Signature": true,
	"Svix-Id": true, "Svix-Timestamp": true, "Svix-Signature": true,
	// Those svix-server refuses too: caching, and the content's own.
	"Age": true, "Cache-Control": true, "Clear-Site-Data": true, "Expires": true, "Pragma": true, "Warning": true,
	"Content-Language": true, "Content-Location": true, "Proxy-Authenticate": true, "Trailers": true,
}

// forbiddenHeaderPrefixes start the names of headers an endpoint may not
// set: Hookline's and Svix's own, and those cloud load balancers and
// gateways read (as svix-server refuses them).
var forbiddenHeaderPrefixes = []string{"webhook-", "svix-", "x-svix-", "x-amz-", "x-amzn-", "x-google", "x-goog-",
	"x-gfe", "x-azure-", "x-fd-"}

// MaxHeaders bounds the number of custom headers of an endpoint.
const MaxHeaders = 50

// ValidateHeaders checks custom endpoint headers: valid names and values, none
// of the forbidden names, at most MaxHeaders.
func ValidateHeaders(h map[string]string) error {
	if len(h) > MaxHeaders {
		return Invalid([]string{"body", "headers"}, "at most %d headers", MaxHeaders)
	}
	for k, v := range h {
		field := []string{"body", "headers", k}
		if !validHeaderName(k) {
			return Invalid(field, "is not a valid header name")
		}
		lower := strings.ToLower(k)
		if forbiddenHeaders[http.CanonicalHeaderKey(k)] ||
			slices.ContainsFunc(forbiddenHeaderPrefixes, func(p string) bool { return strings.HasPrefix(lower, p) }) {
			return Invalid(field, "is a reserved header and cannot be set")
		}
		if !validHeaderValue(v) || len(v) > 8192 {
			return Invalid(field, "is not a valid header value")
		}
	}
	return nil
}

// validHeaderValue reports whether s may be sent as a header's value: no
// control character but a horizontal tab (RFC 9110, section 5.5).
func validHeaderValue(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && isControl(r) })
}

func validHeaderName(s string) bool {
	return s != "" && len(s) <= 256 && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r)
	})
}
