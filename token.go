package hookline

import (
	"slices"
	"time"
)

// Token is an API token. Only a hash of its secret is stored. A token with an
// AppID is scoped to that application (app-portal access); one without is an
// admin token.
type Token struct {
	ID    string
	Hash  []byte // SHA-256 of the token string
	AppID string
	// Capabilities is what a token scoped to an application may do in it,
	// as GrantCapabilities makes the list. nil grants the whole application:
	// every capability, and what no capability grants alone (deleting the
	// content of messages and attempts). A stored empty list stays empty: it
	// grants nothing, never everything. An admin token has none (nil).
	Capabilities []Capability
	// FeatureFlags are the feature flags of a token scoped to an
	// application: it sees an event type that has feature flags only when
	// one of them is among these (Sees). An admin token sees every event type.
	FeatureFlags []string
	// SessionID is the session an application's token was created for
	// (app-portal-access's sessionId), so that the tokens of a session can
	// be expired together (Tokens.ExpireAppTokens); empty for none. At most
	// MaxSessionIDLen characters of a-z, A-Z, 0-9, '@', '_' and '-'.
	SessionID string
	// Name says what the token is for ("ci", "HOOKLINE_ADMIN_TOKEN"), at
	// most MaxTokenNameLen bytes; empty when unnamed.
	Name      string
	ExpiresAt *time.Time
	CreatedAt time.Time
	// LastUsedAt is when the token last authenticated a request, as
	// recorded: at most once every TokenUseInterval (Tokens.TokenUsed), so
	// it may lag by that much. nil: never.
	LastUsedAt *time.Time
}

// MaxTokenNameLen bounds Token.Name.
const MaxTokenNameLen = 100

// TokenUseInterval is how often at most a token's use is recorded: a
// token's LastUsedAt is within this of its last use, and a token used
// without pause costs one write this often, not one a request.
const TokenUseInterval = time.Minute

// UseDue reports whether a token's use at now is to be recorded, given
// that the last use recorded was at last (zero: none).
func UseDue(last, now time.Time) bool {
	return last.IsZero() || now.Sub(last) >= TokenUseInterval
}

// Prepare gives t what a Store sets when it creates it: an id and a creation
// time when unset, and times at the precision they read back with.
func (t *Token) Prepare(now time.Time) {
	stamp(&t.ID, PrefixToken, &t.CreatedAt, nil, now)
	t.ExpiresAt = StoredTimePtr(t.ExpiresAt)
	t.LastUsedAt = StoredTimePtr(t.LastUsedAt)
}

// Clone returns a copy of t that shares nothing with it.
func (t *Token) Clone() *Token {
	c := *t
	c.Hash = append([]byte(nil), t.Hash...)
	if t.ExpiresAt != nil {
		e := *t.ExpiresAt
		c.ExpiresAt = &e
	}
	if t.LastUsedAt != nil {
		u := *t.LastUsedAt
		c.LastUsedAt = &u
	}
	c.Capabilities = slices.Clone(t.Capabilities)
	c.FeatureFlags = slices.Clone(t.FeatureFlags)
	return &c
}

// Can reports whether t may do what c names: an admin token and an
// application token without a list of capabilities may do everything.
func (t *Token) Can(c Capability) bool {
	return t.Capabilities == nil || slices.Contains(t.Capabilities, c)
}

// WholeApp reports whether t may do everything in its scope: an admin
// token, or an application token without a list of capabilities.
func (t *Token) WholeApp() bool { return t.Capabilities == nil }

// LiveAt reports whether t has not expired at now.
func (t *Token) LiveAt(now time.Time) bool {
	return t.ExpiresAt == nil || t.ExpiresAt.After(now)
}

// ErrAdminTokenApp is the error of CreateFirstAdminToken given a token with
// an AppID.
var ErrAdminTokenApp = Invalid([]string{"appId"}, "an admin token has no application")

// MaxTokenFeatureFlags bounds Token.FeatureFlags.
const MaxTokenFeatureFlags = 100

// CheckFeatureFlags checks the feature flags asked for a token: at most
// MaxTokenFeatureFlags distinct names of event-type feature flags. An empty
// list is none.
func CheckFeatureFlags(flags []string) error {
	if len(flags) == 0 {
		return nil
	}
	return checkNames("featureFlags", flags, MaxEventTypeLen, MaxTokenFeatureFlags)
}

// Sees reports whether the token may see the event type et, as svix-server
// decides: an admin token sees every one; an application's token those
// without a feature flag, and those of which it holds any one flag.
func (t *Token) Sees(et *EventType) bool {
	if t.AppID == "" || len(et.FeatureFlags) == 0 {
		return true
	}
	return slices.ContainsFunc(et.FeatureFlags, func(f string) bool { return slices.Contains(t.FeatureFlags, f) })
}

// Bounds of the expiry of an application's tokens (expire-all): the
// length of a session id, the sessions named at once, and how long the
// tokens may stay valid.
const (
	MaxSessionIDLen     = 64
	MaxExpireSessions   = 1000
	MaxTokenExpiryDelay = 72 * time.Hour
)

// CheckSessionID checks a session id at field: 1 to MaxSessionIDLen
// characters of a-z, A-Z, 0-9, '@', '_' and '-', as the hosted Svix API
// takes them.
func CheckSessionID(field []string, id string) error {
	ok := id != "" && len(id) <= MaxSessionIDLen
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '@' || r == '_' || r == '-') {
			ok = false
			break
		}
	}
	if !ok {
		return Invalid(field, "must be 1 to %d characters of a-z, A-Z, 0-9, '@', '_' and '-'", MaxSessionIDLen)
	}
	return nil
}

// ErrExpireAdminTokens is the error of ExpireAppTokens given no
// application: admin tokens are not expired that way.
var ErrExpireAdminTokens = Invalid([]string{"appId"}, "only the tokens of an application are expired together")
