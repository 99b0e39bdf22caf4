package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// CreateToken stores t, giving it an id and a creation time when unset. A
// hash already stored is ECONFLICT.
func (s *Store) CreateToken(ctx context.Context, t *hookline.Token) error {
	t.Prepare(hookline.Now())
	err := s.do(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			t.ID, t.Hash, t.AppID, t.Name, t.ExpiresAt, t.CreatedAt, t.LastUsedAt, t.Capabilities, t.FeatureFlags, t.SessionID)
		return err
	})
	if hookline.ErrorCode(err) == hookline.ECONFLICT {
		return hookline.ErrTokenConflict
	}
	return err
}

// adminTokenLock is the key of the transaction advisory lock under which
// CreateFirstAdminToken looks for an admin token and creates one: one per
// schema.
const adminTokenLock = `hashtextextended('hookline admin token ' || current_schema(), 0)`

// CreateFirstAdminToken stores t, as CreateToken does, unless an unexpired
// admin token (one without an AppID) exists already; it reports whether it
// stored t. Nodes that call it at once on one schema store one token between
// them: each looks and inserts under one advisory lock of the schema, held
// until its transaction ends.
func (s *Store) CreateFirstAdminToken(ctx context.Context, t *hookline.Token) (bool, error) {
	if t.AppID != "" {
		return false, hookline.ErrAdminTokenApp
	}
	t.Prepare(hookline.Now())
	var created bool
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+adminTokenLock+`)`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO tokens (id, hash, app_id, name, expires_at, created_at, last_used_at)
			SELECT $1, $2, '', $3, $4, $5, $6
			WHERE NOT EXISTS (SELECT 1 FROM tokens WHERE app_id = '' AND (expires_at IS NULL OR expires_at > $7))`,
			t.ID, t.Hash, t.Name, t.ExpiresAt, t.CreatedAt, t.LastUsedAt, time.Now())
		created = err == nil && tag.RowsAffected() == 1
		return err
	})
	if hookline.ErrorCode(err) == hookline.ECONFLICT {
		return false, hookline.ErrTokenConflict
	}
	return created, err
}

// tokenCols are the columns of a token, which scanToken reads.
const tokenCols = `id, hash, app_id, name, expires_at, created_at, last_used_at, capabilities, feature_flags, session_id`

func scanToken(row pgx.Row) (*hookline.Token, error) {
	var (
		t             hookline.Token
		expires, used *time.Time
		c             time.Time
	)
	if err := row.Scan(&t.ID, &t.Hash, &t.AppID, &t.Name, &expires, &c, &used, &t.Capabilities, &t.FeatureFlags, &t.SessionID); err != nil {
		return nil, err
	}
	t.ExpiresAt = utc(expires)
	t.CreatedAt = c.UTC()
	t.LastUsedAt = utc(used)
	return &t, nil
}

// TokenByHash returns the unexpired token with this hash. Its LastUsedAt
// may be older than the one stored: the cache keeps what it read until a
// token is deleted.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*hookline.Token, error) {
	caching := s.listening.Load()
	nowT := time.Now()
	cached, gen, ok := s.tokens.Get(string(hash))
	if caching && ok && cached.LiveAt(nowT) {
		return cached.Clone(), nil
	}
	var t *hookline.Token
	err := s.do(ctx, func(ctx context.Context) (err error) {
		t, err = scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens
			WHERE hash = $1 AND (expires_at IS NULL OR expires_at > $2)`, hash, nowT))
		return err
	})
	if err != nil {
		return nil, notFound(ctx, err, hookline.ErrTokenNotFound)
	}
	if caching {
		s.tokens.Put(string(hash), t.Clone(), gen)
	}
	return t, nil
}

// ListAdminTokens lists the tokens that have no AppID, by id.
func (s *Store) ListAdminTokens(ctx context.Context, opts hookline.ListOptions) (hookline.Page[*hookline.Token], error) {
	query, args, n := newQuery().ListAdminTokens(`SELECT `+tokenCols+` FROM tokens`, opts)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.Token, error) { return scanToken(r) })
}

// TokenUsed records the use of the token. Nodes record their uses each on
// their own; the latest wins.
func (s *Store) TokenUsed(ctx context.Context, id string, at time.Time) error {
	return s.do(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used_at = $2
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, id, hookline.StoredTime(at))
		return err
	})
}

// CountAdminTokens counts the unexpired tokens that have no AppID.
func (s *Store) CountAdminTokens(ctx context.Context) (int, error) {
	var n int
	err := s.do(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT count(*) FROM tokens WHERE app_id = ''
			AND (expires_at IS NULL OR expires_at > $1)`, time.Now()).Scan(&n)
	})
	return n, err
}

// DeleteToken deletes the token with this id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	var n int64
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id)
		if n = tag.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return s.forgetOnCommit(ctx, tx)
	})
	s.forget()
	if err != nil {
		return err
	}
	if n == 0 {
		return hookline.ErrTokenNotFound
	}
	return nil
}

// ExpireAppTokens makes the application's tokens live at at expire at at:
// all of them, or those of sessionIDs. Every Store of the schema forgets
// its cached tokens once it commits.
func (s *Store) ExpireAppTokens(ctx context.Context, appID string, at time.Time, sessionIDs []string) (int, error) {
	if appID == "" {
		return 0, hookline.ErrExpireAdminTokens
	}
	at = hookline.StoredTime(at)
	query := `UPDATE tokens SET expires_at = $1 WHERE app_id = $2 AND (expires_at IS NULL OR expires_at > $1)`
	args := []any{at, appID}
	if len(sessionIDs) > 0 {
		query += ` AND session_id = ANY($3)`
		args = append(args, sessionIDs)
	}
	var n int64
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, query, args...)
		if n = tag.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return s.forgetOnCommit(ctx, tx)
	})
	s.forget()
	return int(n), err
}

// IdempotentResponse returns the unexpired response saved under key.
func (s *Store) IdempotentResponse(ctx context.Context, key string) (*hookline.IdempotentResponse, error) {
	r := hookline.IdempotentResponse{Key: key}
	var c time.Time
	var code int32
	err := s.do(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT status_code, body, created_at FROM idempotency_keys
			WHERE key = $1 AND expires_at > $2`, key, time.Now()).Scan(&code, &r.Body, &c)
	})
	if err != nil {
		return nil, notFound(ctx, err, hookline.ErrIdempotentResponseNotFound)
	}
	r.StatusCode = int(code)
	r.CreatedAt = c.UTC()
	if r.Body == nil {
		r.Body = []byte{}
	}
	return &r, nil
}

// SaveIdempotentResponse saves r unless an unexpired response is saved under
// r.Key already; it expires a day after r.CreatedAt.
func (s *Store) SaveIdempotentResponse(ctx context.Context, r *hookline.IdempotentResponse) error {
	r.Prepare(hookline.Now())
	return s.do(ctx, func(ctx context.Context) error {
		// An expired response is as good as none: the new one replaces it.
		_, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys (key, status_code, body, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (key) DO UPDATE SET status_code = excluded.status_code, body = excluded.body,
				created_at = excluded.created_at, expires_at = excluded.expires_at
			WHERE idempotency_keys.expires_at <= $6`,
			r.Key, int32(r.StatusCode), r.Body, r.CreatedAt, r.ExpiresAt(), time.Now())
		return err
	})
}
