package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const sourceCols = `id, uid, app_id, name, type, config, token, previous_token_hash, previous_token_expires,
	metadata, created_at, updated_at`

func (s *Store) scanSource(r pgx.Row) (*hookline.Source, error) {
	var (
		src           hookline.Source
		config, token []byte
		meta          []byte
		c, u          time.Time
	)
	if err := r.Scan(&src.ID, &src.UID, &src.AppID, &src.Name, &src.Type, &config, &token, &src.PreviousTokenHash,
		&src.PreviousTokenExpires, &meta, &c, &u); err != nil {
		return nil, err
	}
	src.PreviousTokenExpires = utc(src.PreviousTokenExpires)
	src.CreatedAt, src.UpdatedAt = c.UTC(), u.UTC()
	var err error
	if src.Metadata, err = mapOf(meta); err != nil {
		return nil, err
	}
	if err := s.box.OpenSource(&src, config, token); err != nil {
		return nil, err
	}
	return &src, nil
}

// CreateSource stores src, its secrets sealed (in clear without a key,
// which marks the database so: see markClear).
func (s *Store) CreateSource(ctx context.Context, src *hookline.Source) error {
	sealed, err := s.box.SealNewSource(src)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO ingest_sources (`+sourceCols+`, token_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			src.ID, src.UID, src.AppID, src.Name, src.Type, sealed.Config, sealed.Token, src.PreviousTokenHash,
			src.PreviousTokenExpires, jsonMap(src.Metadata), src.CreatedAt, src.UpdatedAt, sealed.TokenHash)
		if err != nil {
			return err
		}
		return s.markClear(ctx, tx)
	})
	if hookline.ErrorCode(err) == hookline.ECONFLICT {
		return hookline.ErrSourceConflict
	}
	return err
}

// querySource returns the one source the query finds.
func (s *Store) querySource(ctx context.Context, sql string, args ...any) (*hookline.Source, error) {
	var src *hookline.Source
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		src, err = s.scanSource(s.pool.QueryRow(ctx, sql, args...))
		return err
	})
	if err != nil {
		return nil, notFound(ctx, err, hookline.ErrSourceNotFound)
	}
	return src, nil
}

// Source returns the source with this id or uid.
func (s *Store) Source(ctx context.Context, idOrUID string) (*hookline.Source, error) {
	return s.querySource(ctx, `SELECT `+sourceCols+` FROM ingest_sources WHERE id = $1 OR uid = $1 LIMIT 1`, idOrUID)
}

// SourceByToken returns the source whose current or unexpired previous
// token is token.
func (s *Store) SourceByToken(ctx context.Context, token string, now time.Time) (*hookline.Source, error) {
	return s.querySource(ctx, `SELECT `+sourceCols+` FROM ingest_sources
		WHERE token_hash = $1 OR (previous_token_hash = $1 AND previous_token_expires > $2)
		ORDER BY token_hash = $1 DESC LIMIT 1`, hookline.TokenHash(token), now)
}

// UpdateSource writes src, its secrets sealed as CreateSource does.
func (s *Store) UpdateSource(ctx context.Context, src *hookline.Source) error {
	if err := src.CheckStorable(); err != nil {
		return err
	}
	src.UpdatedAt = hookline.StoredTime(src.UpdatedAt)
	src.PreviousTokenExpires = hookline.StoredTimePtr(src.PreviousTokenExpires)
	sealed := s.box.SealSource(src)
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE ingest_sources SET uid = $1, name = $2, type = $3, config = $4, token = $5,
			token_hash = $6, previous_token_hash = $7, previous_token_expires = $8, metadata = $9, updated_at = $10
			WHERE id = $11`,
			src.UID, src.Name, src.Type, sealed.Config, sealed.Token, sealed.TokenHash, src.PreviousTokenHash,
			src.PreviousTokenExpires, jsonMap(src.Metadata), src.UpdatedAt, src.ID)
		switch {
		case err != nil:
			return err
		case tag.RowsAffected() == 0:
			return hookline.ErrSourceNotFound
		}
		return s.markClear(ctx, tx)
	})
	if hookline.ErrorCode(err) == hookline.ECONFLICT {
		return hookline.ErrSourceConflict
	}
	return err
}

// DeleteSource deletes the source and its log.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM ingest_sources WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return hookline.ErrSourceNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM ingest_log WHERE source_id = $1`, id)
		return err
	})
}

// ListSources lists the sources by id.
func (s *Store) ListSources(ctx context.Context, opts hookline.ListOptions) (hookline.Page[*hookline.Source], error) {
	query, args, n := newQuery().Page(`SELECT `+sourceCols+` FROM ingest_sources`, "id", opts)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.Source, error) { return s.scanSource(r) })
}

// Receive records r and, unless it is a duplicate, msg and its deliveries,
// in one transaction. The message's eventId is claimed by the unique index
// on it: of two nodes inserting the same one at once, the second waits for
// the first to commit, inserts nothing (ON CONFLICT DO NOTHING), and finds
// the first's message.
func (s *Store) Receive(ctx context.Context, src *hookline.Source, r *hookline.Received, msg *hookline.Message, window time.Duration) error {
	now := hookline.Now()
	r.SourceID = src.ID
	r.Prepare(now)
	if msg != nil {
		msg.AppID = src.AppID
		msg.Prepare(now)
	}
	outcome, msgID := r.Outcome, r.MessageID
	created := 0
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		r.Outcome, r.MessageID, created = outcome, msgID, 0
		if msg != nil {
			dup, err := acceptedBody(ctx, tx, src.ID, r.BodyHash, now.Add(-window))
			n := 0
			if err == nil && dup == "" {
				dup, n, err = receiveMessage(ctx, tx, msg, now.Add(-window))
			}
			if err != nil {
				return err
			}
			created = n
			r.Outcome, r.MessageID = hookline.ReceivedAccepted, msg.ID
			if dup != "" {
				r.Outcome, r.MessageID = hookline.ReceivedDuplicate, dup
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO ingest_log (id, source_id, remote_addr, status_code, outcome, reason, headers,
			delivery_id, message_id, created_at, body_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.ID, r.SourceID, r.RemoteAddr, r.StatusCode, r.Outcome, r.Reason, jsonHeader(r.Headers),
			nullText(r.DeliveryID), nullText(r.MessageID), r.CreatedAt, nullText(r.BodyHash))
		return err
	})
	if err != nil {
		return err
	}
	if created > 0 {
		s.signalDue()
		s.announceDue()
	}
	return nil
}

// acceptedBody returns the message of the request with bodyHash that
// srcID accepted after since, if any: the request is a duplicate of it. A
// lock on the source and hash, held until the transaction ends, makes the
// claim atomic: of two nodes receiving the same body at once, the second
// waits for the first to commit, then finds its request.
func acceptedBody(ctx context.Context, tx pgx.Tx, srcID, bodyHash string, since time.Time) (string, error) {
	if bodyHash == "" {
		return "", nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, srcID+"/"+bodyHash); err != nil {
		return "", err
	}
	var id string
	err := tx.QueryRow(ctx, `SELECT message_id FROM ingest_log WHERE source_id = $1 AND body_hash = $2 AND outcome = $3
		AND created_at > $4 LIMIT 1`, srcID, bodyHash, hookline.ReceivedAccepted, since).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// receiveMessage inserts msg with its deliveries, and returns how many,
// unless a message of its application holds its EventID and was created
// after since: then it returns that message's id. An older one gives the
// EventID up.
func receiveMessage(ctx context.Context, tx pgx.Tx, msg *hookline.Message, since time.Time) (string, int, error) {
	for try := 0; ; try++ {
		if msg.EventID != nil {
			var id string
			var created time.Time
			err := tx.QueryRow(ctx, `SELECT id, created_at FROM messages WHERE app_id = $1 AND event_id = $2`,
				msg.AppID, *msg.EventID).Scan(&id, &created)
			switch {
			case err == nil && created.After(since):
				return id, 0, nil
			case err == nil:
				if _, err := tx.Exec(ctx, `UPDATE messages SET event_id = NULL WHERE id = $1 AND event_id = $2`, id, *msg.EventID); err != nil {
					return "", 0, err
				}
			case !errors.Is(err, pgx.ErrNoRows):
				return "", 0, err
			}
		}
		n, err := insertMessage(ctx, tx, "", "", "", msg, false, nil)
		if errors.Is(err, hookline.ErrMessageConflict) && msg.EventID != nil && try == 0 {
			// Another transaction stored the same delivery id since we
			// looked, and committed: its message is the one.
			continue
		}
		return "", n, err
	}
}

// ListReceived lists the source's log by id, each entry with the payload
// of its message.
func (s *Store) ListReceived(ctx context.Context, src *hookline.Source, opts hookline.ListOptions) (hookline.Page[*hookline.Received], error) {
	q := newQuery()
	app := q.Arg(src.AppID)
	q.Where("l.source_id = ?", src.ID)
	query, args, n := q.Page(`SELECT l.id, l.source_id, l.remote_addr, l.status_code, l.outcome, l.reason, l.headers,
		l.delivery_id, l.message_id, l.created_at, m.payload
		FROM ingest_log l LEFT JOIN messages m ON m.id = l.message_id AND m.app_id = `+app, "l.id", opts)
	return list(ctx, s, query, args, n, func(row sqlbuild.Scanner) (*hookline.Received, error) {
		var (
			r                 hookline.Received
			headers           []byte
			delivery, message *string
		)
		if err := row.Scan(&r.ID, &r.SourceID, &r.RemoteAddr, &r.StatusCode, &r.Outcome, &r.Reason, &headers,
			&delivery, &message, &r.CreatedAt, &r.Payload); err != nil {
			return nil, err
		}
		var err error
		if r.Headers, err = headerOf(headers); err != nil {
			return nil, err
		}
		if delivery != nil {
			r.DeliveryID = *delivery
		}
		if message != nil {
			r.MessageID = *message
		}
		r.CreatedAt = r.CreatedAt.UTC()
		return &r, nil
	})
}

// jsonHeader stores nil as NULL and other headers as a JSON object.
func jsonHeader(h http.Header) []byte {
	if h == nil {
		return nil
	}
	b, _ := json.Marshal(h)
	return b
}

func headerOf(b []byte) (http.Header, error) {
	if b == nil {
		return nil, nil
	}
	h := http.Header{}
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("postgres: bad headers: %w", err)
	}
	return h, nil
}
