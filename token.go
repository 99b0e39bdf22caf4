package hookline

import (
	"time"
)

// Token is an API token. Only a hash of its secret is stored. A token with an
// AppID is scoped to that application (app-portal access); one without is an
// admin token.
type Token struct {
	ID        string
	Hash      []byte // SHA-256 of the token string
	AppID     string
	ExpiresAt *time.Time
	CreatedAt time.Time
}

// Prepare gives t what a Store sets when it creates it: an id and a creation
// time when unset, and times at the precision they read back with.
func (t *Token) Prepare(now time.Time) {
	stamp(&t.ID, PrefixToken, &t.CreatedAt, nil, now)
	t.ExpiresAt = StoredTimePtr(t.ExpiresAt)
}

// Clone returns a copy of t that shares nothing with it.
func (t *Token) Clone() *Token {
	c := *t
	c.Hash = append([]byte(nil), t.Hash...)
	if t.ExpiresAt != nil {
		e := *t.ExpiresAt
		c.ExpiresAt = &e
	}
	return &c
}

// LiveAt reports whether t has not expired at now.
func (t *Token) LiveAt(now time.Time) bool {
	return t.ExpiresAt == nil || t.ExpiresAt.After(now)
}

// ErrAdminTokenApp is the error of CreateFirstAdminToken given a token with
// an AppID.
var ErrAdminTokenApp = Invalid([]string{"appId"}, "an admin token has no application")
