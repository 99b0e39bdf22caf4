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
