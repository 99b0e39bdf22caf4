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
