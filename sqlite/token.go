package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/hookline/hookline"
)

// CreateToken stores t, giving it an id and a creation time when unset. A
// hash already stored is ECONFLICT.
func (s *Store) CreateToken(ctx context.Context, t *hookline.Token) error {
	defer s.tokens.Invalidate()
	t.Prepare(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Hash, t.AppID, t.Name, nullTimePtr(t.ExpiresAt), micros(t.CreatedAt), nullTimePtr(t.LastUsedAt),
			jsonList(t.Capabilities), jsonList(t.FeatureFlags), t.SessionID)
		if isUnique(err) {
			return clean(hookline.ErrTokenConflict)
		}
		return clean(err)
	})
}

// CreateFirstAdminToken stores t, as CreateToken does, unless an unexpired
// admin token (one without an AppID) exists already; it reports whether it
// stored t. The writer looks and inserts in one statement.
func (s *Store) CreateFirstAdminToken(ctx context.Context, t *hookline.Token) (bool, error) {
	if t.AppID != "" {
		return false, hookline.ErrAdminTokenApp
	}
	defer s.tokens.Invalidate()
	t.Prepare(hookline.Now())
	var created bool
	err := s.write(ctx, func(w *writer) error {
		n, err := w.affected(`INSERT INTO tokens (id, hash, app_id, name, expires_at, created_at, last_used_at)
			SELECT ?, ?, '', ?, ?, ?, ? WHERE NOT EXISTS
				(SELECT 1 FROM tokens WHERE app_id = '' AND (expires_at IS NULL OR expires_at > ?))`,
			t.ID, t.Hash, t.Name, nullTimePtr(t.ExpiresAt), micros(t.CreatedAt), nullTimePtr(t.LastUsedAt), micros(time.Now()))
		if isUnique(err) {
			return clean(hookline.ErrTokenConflict)
		}
		created = n == 1
		return clean(err)
	})
	return created, err
}

// tokenCols are the columns of a token, which scanToken reads.
const tokenCols = `id, hash, app_id, name, expires_at, created_at, last_used_at, capabilities, feature_flags, session_id`

func scanToken(sc scanner) (*hookline.Token, error) {
	var (
		t             hookline.Token
		expires, used sql.NullInt64
		c             int64
		caps, flags   sql.NullString
	)
	err := sc.Scan(&t.ID, &t.Hash, &t.AppID, &t.Name, &expires, &c, &used, &caps, &flags, &t.SessionID)
	if err != nil {
		return nil, err
	}
	if t.Capabilities, err = listOfT[hookline.Capability](caps); err != nil {
		return nil, err
	}
	if t.FeatureFlags, err = listOf(flags); err != nil {
		return nil, err
	}
	t.ExpiresAt = timePtrOf(expires)
	t.CreatedAt = fromMicros(c)
	t.LastUsedAt = timePtrOf(used)
	return &t, nil
}

// TokenByHash returns the unexpired token with this hash. Its LastUsedAt
// may be older than the one stored: the cache keeps what it read until a
// write of a token (but TokenUsed) changes the tokens.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*hookline.Token, error) {
	now := time.Now()
	cached, gen, ok := s.tokens.Get(string(hash))
	if ok && cached.LiveAt(now) {
		return cached.Clone(), nil
	}
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenCols+` FROM tokens
		WHERE hash = ? AND (expires_at IS NULL OR expires_at > ?)`, hash, micros(now)))
	if err != nil {
		return nil, notFound(err, hookline.ErrTokenNotFound)
	}
	s.tokens.Put(string(hash), t.Clone(), gen)
	return t, nil
}

// ListAdminTokens lists the tokens that have no AppID, by id.
func (s *Store) ListAdminTokens(ctx context.Context, opts hookline.ListOptions) (hookline.Page[*hookline.Token], error) {
	query, args, n := newQuery().ListAdminTokens(`SELECT `+tokenCols+` FROM tokens`, opts)
	return list(ctx, s.rdb, query, args, n, scanToken)
}

// TokenUsed records the use of the token through the writer, as an op that
// is answered once committed and may wait a little for others to commit
// with (early and lazy, as outcomes are): losing a last-used time to a
// power failure loses nothing that matters.
func (s *Store) TokenUsed(ctx context.Context, id string, at time.Time) error {
	return s.submit(&op{ctx: ctx, early: true, lazy: true, done: make(chan error, 1), fn: func(w *writer) error {
		_, err := w.exec(`UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
			micros(at), id, micros(at))
		return clean(err)
	}})
}

// CountAdminTokens counts the unexpired tokens that have no AppID.
func (s *Store) CountAdminTokens(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM tokens WHERE app_id = ''
		AND (expires_at IS NULL OR expires_at > ?)`, micros(time.Now())).Scan(&n)
	return n, dbErr(err)
}

// DeleteToken deletes the token with this id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	defer s.tokens.Invalidate()
	return s.write(ctx, func(w *writer) error {
		return w.changeOne(hookline.ErrTokenNotFound, `DELETE FROM tokens WHERE id = ?`, id)
	})
}

// ExpireAppTokens makes the application's tokens live at at expire at at:
// all of them, or those of sessionIDs.
func (s *Store) ExpireAppTokens(ctx context.Context, appID string, at time.Time, sessionIDs []string) (int, error) {
	if appID == "" {
		return 0, hookline.ErrExpireAdminTokens
	}
	defer s.tokens.Invalidate()
	at = hookline.StoredTime(at)
	query := `UPDATE tokens SET expires_at = ? WHERE app_id = ? AND (expires_at IS NULL OR expires_at > ?)`
	args := []any{micros(at), appID, micros(at)}
	if len(sessionIDs) > 0 {
		query += ` AND session_id IN (SELECT value FROM json_each(?))`
		args = append(args, jsonList(sessionIDs))
	}
	var n int64
	err := s.write(ctx, func(w *writer) error {
		var err error
		n, err = w.affected(query, args...)
		return clean(err)
	})
	return int(n), err
}

// IdempotentResponse returns the unexpired response saved under key.
func (s *Store) IdempotentResponse(ctx context.Context, key string) (*hookline.IdempotentResponse, error) {
	r := hookline.IdempotentResponse{Key: key}
	var c int64
	err := s.queryRow(ctx, `SELECT status_code, body, created_at FROM idempotency_keys
		WHERE key = ? AND expires_at > ?`, key, micros(time.Now())).Scan(&r.StatusCode, &r.Body, &c)
	if err != nil {
		return nil, notFound(err, hookline.ErrIdempotentResponseNotFound)
	}
	r.CreatedAt = fromMicros(c)
	if r.Body == nil {
		r.Body = []byte{}
	}
	return &r, nil
}

// SaveIdempotentResponse saves r unless an unexpired response is saved under
// r.Key already; it expires a day after r.CreatedAt.
func (s *Store) SaveIdempotentResponse(ctx context.Context, r *hookline.IdempotentResponse) error {
	r.Prepare(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		// An expired response is as good as none: the new one replaces it.
		_, err := w.exec(`INSERT INTO idempotency_keys (key, status_code, body, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET status_code = excluded.status_code, body = excluded.body,
				created_at = excluded.created_at, expires_at = excluded.expires_at
			WHERE idempotency_keys.expires_at <= ?`,
			r.Key, r.StatusCode, r.Body, micros(r.CreatedAt), micros(r.ExpiresAt()), micros(time.Now()))
		return clean(err)
	})
}
