package hookline

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Prefixes of the identifiers of the inbound gateway, as the Svix Ingest API
// uses them.
const (
	PrefixSource = "src_"
	// PrefixReceived starts the id of an entry of a source's log (Svix's
	// IngestLogOut ids have no underscore).
	PrefixReceived = "log"
)

// Source types: the providers whose signatures a source verifies, the
// generic source (verified only by the Hookline extensions of its
// SourceConfig, if any) and the cron source, which fires on a schedule.
const (
	SourceGeneric = "generic-webhook"
	SourceGitHub  = "github"
	SourceStripe  = "stripe"
	SourceShopify = "shopify"
	SourceSlack   = "slack"
	SourceSvix    = "svix" // Svix and Standard Webhooks senders: svix-* or webhook-* headers
	SourceCron    = "cron"
)

// SourceTypes lists the source types, in the order the docs list them.
var SourceTypes = []string{SourceGeneric, SourceGitHub, SourceStripe, SourceShopify, SourceSlack, SourceSvix, SourceCron}

// Source is a place webhooks are received at: its URL (IngestURL, with an
// unguessable token) takes POSTs from one provider, verifies them per Type
// and Config, drops duplicates and forwards each request to the source's
// ingest endpoints.
//
// A source's ingest endpoints, the requests it received and their
// deliveries live in the tables of applications: each source has an
// internal application (AppID), hidden from the tenant API, whose endpoints
// are the source's ingest endpoints and whose messages are the requests it
// accepted. The store, the dispatcher, retries, the attempt log, resend and
// recover apply to them unchanged.
type Source struct {
	ID       string
	UID      *string
	Name     string
	Type     string
	Config   SourceConfig // in clear here; stores seal it, secrets and all
	Metadata map[string]string
	// AppID is the source's internal application.
	AppID string
	// Token is the secret part of the ingest URL. PreviousTokenHash
	// (TokenHash of the token a rotation replaced) is still accepted while
	// PreviousTokenExpires is ahead.
	Token                string
	PreviousTokenHash    []byte
	PreviousTokenExpires *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// IngestPathPrefix begins the path of every ingest URL; the source's
// token, a secret, ends it.
const IngestPathPrefix = "/ingest/in/"

// RedactedPath returns the path of an HTTP request as log lines and spans
// may hold it: an ingest URL's token is replaced by "{token}", as in the
// route's pattern (POST /ingest/in/{token}). Every other path is returned
// as it is.
func RedactedPath(path string) string {
	if i := strings.Index(path, IngestPathPrefix); i >= 0 {
		return path[:i+len(IngestPathPrefix)] + "{token}"
	}
	return path
}

// SourceConfig is what a source's type needs (Secret; Schedule, Payload and
// ContentType for a cron source), in the shapes of the Svix Ingest API, and
// the Hookline extensions that any type may add. Its JSON form is how
// stores keep it (sealed): add fields, never rename their keys.
type SourceConfig struct {
	// Secret is the provider's signing secret: GitHub's, Stripe's, Shopify's
	// or Slack's as the provider shows it; a Svix or Standard Webhooks
	// whsec_ secret or whpk_ public key. Optional for GitHub (then nothing
	// is verified but the extensions).
	Secret string `json:"secret,omitempty"`

	// Schedule (five fields), Payload and ContentType: a cron source.
	Schedule    string  `json:"schedule,omitempty"`
	Payload     string  `json:"payload,omitempty"`
	ContentType *string `json:"contentType,omitempty"`

	// AllowedNetworks, when set, refuses requests from any other address
	// (CIDRs; the peer's address, or the client X-Forwarded-For names when
	// the peer is a trusted proxy).
	AllowedNetworks []string `json:"allowedNetworks,omitempty"`
	// ReplayWindowSeconds is how far a signed timestamp may lie from now
	// (300 by default).
	ReplayWindowSeconds *int `json:"replayWindowSeconds,omitempty"`
	// DedupHeader or DedupPointer (a JSON pointer into the body) name the
	// provider's delivery id where the type has none of its own (generic
	// sources). DedupWindowSeconds is how long a delivery id is remembered
	// (DefaultDedupWindow; a cron source has no other: see the ingest
	// package).
	DedupHeader        string `json:"dedupHeader,omitempty"`
	DedupPointer       string `json:"dedupPointer,omitempty"`
	DedupWindowSeconds *int   `json:"dedupWindowSeconds,omitempty"`
	// BasicAuth and HeaderAuth (a bearer token or an API key in a header)
	// require credentials of each request.
	BasicAuth  *SourceBasicAuth  `json:"basicAuth,omitempty"`
	HeaderAuth *SourceHeaderAuth `json:"headerAuth,omitempty"`
	// HMAC verifies a signature scheme of the sender's own.
	HMAC *SourceHMAC `json:"hmac,omitempty"`
	// ClientCA, PEM certificates, requires a client certificate that
	// chains to one of them (mutual TLS, with serve's own TLS).
	ClientCA string `json:"clientCa,omitempty"`
}

// SourceBasicAuth is the user name and password a source requires.
type SourceBasicAuth struct {
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
}

// SourceHeaderAuth is a header a source requires with an exact value, such
// as "Authorization: Bearer <token>" or "X-API-Key: <key>".
type SourceHeaderAuth struct {
	Header string `json:"header"`
	Value  string `json:"value,omitempty"`
}

// SourceHMAC is a sender's own HMAC scheme: the signature, encoded
// (hex or base64) after Prefix in Header, of the body, or of
// "<timestamp>.<body>" (SignedContent "timestamp.body") with the timestamp
// in Unix seconds in TimestampHeader.
type SourceHMAC struct {
	Secret          string `json:"secret,omitempty"`
	Header          string `json:"header"`
	Algorithm       string `json:"algorithm,omitempty"` // sha1, sha256 (default), sha512
	Encoding        string `json:"encoding,omitempty"`  // hex (default), base64
	Prefix          string `json:"prefix,omitempty"`
	SignedContent   string `json:"signedContent,omitempty"` // body (default), timestamp.body
	TimestampHeader string `json:"timestampHeader,omitempty"`
}

// DefaultDedupWindow is how long a source remembers a delivery id unless
// its config says (or the retention is shorter: see the ingest package's
// Gateway.DedupWindow).
const DefaultDedupWindow = 7 * 24 * time.Hour

// DedupWindow is how long a delivery id is remembered.
func (c *SourceConfig) DedupWindow() time.Duration {
	if c.DedupWindowSeconds != nil {
		return time.Duration(*c.DedupWindowSeconds) * time.Second
	}
	return DefaultDedupWindow
}

// KeepSecrets gives c the secrets of old that c leaves out: the secret,
// and the basic auth password, the header auth value and the HMAC secret of
// the checks c keeps. The API shows a config without its secrets, so that a
// config changed from what it showed keeps them (PATCH).
func (c *SourceConfig) KeepSecrets(old *SourceConfig) {
	if c.Secret == "" {
		c.Secret = old.Secret
	}
	if b := c.BasicAuth; b != nil && b.Password == "" && old.BasicAuth != nil {
		b.Password = old.BasicAuth.Password
	}
	if h := c.HeaderAuth; h != nil && h.Value == "" && old.HeaderAuth != nil {
		h.Value = old.HeaderAuth.Value
	}
	if h := c.HMAC; h != nil && h.Secret == "" && old.HMAC != nil {
		h.Secret = old.HMAC.Secret
	}
}

// Prepare gives s what a Store sets when it creates it: an id and a
// creation time when unset, and times at the precision they read back with.
func (s *Source) Prepare(now time.Time) {
	stamp(&s.ID, PrefixSource, &s.CreatedAt, &s.UpdatedAt, now)
	s.PreviousTokenExpires = StoredTimePtr(s.PreviousTokenExpires)
}

// Validate checks the fields a caller sets but the config, which the
// ingest package checks against the type.
func (s *Source) Validate() error {
	if n := len(s.Name); n < 2 || n > 256 {
		return Invalid([]string{"body", "name"}, "must be 2 to 256 characters")
	}
	if s.UID != nil {
		if strings.HasPrefix(*s.UID, PrefixSource) {
			return Invalid([]string{"body", "uid"}, "must not start with %q", PrefixSource)
		}
		if err := checkName([]string{"body", "uid"}, *s.UID, 60); err != nil {
			return err
		}
	}
	if !slices.Contains(SourceTypes, s.Type) {
		return Invalid([]string{"body", "type"}, "must be one of %s", strings.Join(SourceTypes, ", "))
	}
	return s.CheckStorable()
}

// Receive outcomes: what became of a request a source received.
const (
	ReceivedAccepted  = "accepted"  // stored, and forwarded to the source's endpoints
	ReceivedDuplicate = "duplicate" // a delivery id seen within the window: answered, not forwarded again
	ReceivedRefused   = "refused"   // verification failed (answered 401)
	ReceivedChallenge = "challenge" // a verified URL check of the provider (Slack's url_verification), answered with its challenge, not forwarded
)

// Received is one entry of a source's log: a request it received, from
// where, what verification and de-duplication made of it, and the message
// (and so the deliveries) it led to.
type Received struct {
	ID         string
	SourceID   string
	RemoteAddr string
	StatusCode int    // what the sender was answered
	Outcome    string // ReceivedAccepted, ReceivedDuplicate, ReceivedRefused or ReceivedChallenge
	// Reason says why a request was refused, for the operator (never for
	// the sender).
	Reason string
	// Headers are the request's headers without its credentials.
	Headers http.Header
	// DeliveryID is the provider's id of the delivery, the de-duplication
	// key; empty when the request had none.
	DeliveryID string
	// BodyHash, when set, is the SHA-256 of the body (hex), a second
	// de-duplication key: a source whose signature covers no timestamp
	// (GitHub, Shopify, an HMAC of the body alone) has its requests
	// de-duplicated on their body too, since their delivery id is not
	// signed and a replay may carry another, or none.
	BodyHash string
	// MessageID is the message of the source's application the request
	// became (or, for a duplicate, the one it duplicates).
	MessageID string
	// Payload, read back, is that message's body; nil when there is none.
	Payload   []byte
	CreatedAt time.Time
	// Challenge, not stored, is what the provider's URL check asked to
	// have echoed (Outcome ReceivedChallenge).
	Challenge string
}

// Prepare gives r what a Store sets when it saves it: an id and a creation
// time when unset, at the stored precision.
func (r *Received) Prepare(now time.Time) {
	stamp(&r.ID, PrefixReceived, &r.CreatedAt, nil, now)
}

// Sources holds the sources of the inbound gateway and the log of what
// they received. A source's internal application (Source.AppID) is created
// and deleted with the Applications methods by whoever creates and deletes
// the source (see the ingest package).
type Sources interface {
	// CreateSource stores src. A taken uid is ECONFLICT.
	CreateSource(ctx context.Context, src *Source) error
	// Source looks a source up by id or uid.
	Source(ctx context.Context, idOrUID string) (*Source, error)
	// SourceByToken returns the source whose Token is token, or whose
	// previous token it is, unexpired at now; else ENOTFOUND.
	SourceByToken(ctx context.Context, token string, now time.Time) (*Source, error)
	// UpdateSource writes every field of src but its id, application and
	// creation time.
	UpdateSource(ctx context.Context, src *Source) error
	// DeleteSource deletes the source and its log (not its application).
	DeleteSource(ctx context.Context, id string) error
	ListSources(ctx context.Context, opts ListOptions) (Page[*Source], error)

	// Receive records r, a request src received, in one transaction with
	// msg when msg is not nil: msg (a message of src.AppID, whose EventID,
	// when set, is the provider's delivery id) is stored with a delivery to
	// each enabled endpoint of the application, unless a message with the
	// same EventID was stored within window: then r is a duplicate of that
	// one (Outcome ReceivedDuplicate, MessageID its id) and nothing else is
	// stored. An older message with that EventID gives it up to msg. When
	// r.BodyHash is set, a request with the same BodyHash accepted within
	// window makes r a duplicate of its message in the same way. Both
	// claims are atomic: of several stores receiving the same delivery at
	// once, one stores the message. It signals Due when it created
	// deliveries.
	Receive(ctx context.Context, src *Source, r *Received, msg *Message, window time.Duration) error
	// ListReceived lists a source's log, by id, with each entry's payload.
	ListReceived(ctx context.Context, src *Source, opts ListOptions) (Page[*Received], error)
}

// ActionScheme starts the URL of an ingest endpoint that runs an operator's
// action instead of receiving a POST: "action:NAME".
const ActionScheme = "action:"

// ActionName returns NAME when url is "action:NAME".
func ActionName(url string) (string, bool) {
	return strings.CutPrefix(url, ActionScheme)
}

// The errors of the Sources a Store returns.
var (
	ErrSourceNotFound = Errorf(ENOTFOUND, "Source not found.")
	ErrSourceConflict = Errorf(ECONFLICT, "A source with this uid already exists.")
)
