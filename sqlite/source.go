package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookline/hookline"
)

const sourceCols = `id, uid, app_id, name, type, config, token, previous_token_hash, previous_token_expires,
	metadata, created_at, updated_at`

func (s *Store) scanSource(sc scanner) (*hookline.Source, error) {
	var (
		src           hookline.Source
		uid, meta     sql.NullString
		config, token []byte
		prevExpires   sql.NullInt64
		c, u          int64
	)
	if err := sc.Scan(&src.ID, &uid, &src.AppID, &src.Name, &src.Type, &config, &token, &src.PreviousTokenHash,
		&prevExpires, &meta, &c, &u); err != nil {
		return nil, err
	}
	src.UID = stringPtrOf(uid)
	src.PreviousTokenExpires = timePtrOf(prevExpires)
	src.CreatedAt, src.UpdatedAt = fromMicros(c), fromMicros(u)
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
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`INSERT INTO ingest_sources (`+sourceCols+`, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			src.ID, nullString(src.UID), src.AppID, src.Name, src.Type, sealed.Config, sealed.Token,
			nullBytes(src.PreviousTokenHash), nullTimePtr(src.PreviousTokenExpires), jsonMap(src.Metadata),
			micros(src.CreatedAt), micros(src.UpdatedAt), sealed.TokenHash)
		if isUnique(err) {
			return clean(hookline.ErrSourceConflict)
		}
		if err != nil {
			return clean(err)
		}
		return s.markClear(w)
	})
}

// Source returns the source with this id or uid.
func (s *Store) Source(ctx context.Context, idOrUID string) (*hookline.Source, error) {
	src, err := s.scanSource(s.queryRow(ctx,
		`SELECT `+sourceCols+` FROM ingest_sources WHERE id = ? OR uid = ? LIMIT 1`, idOrUID, idOrUID))
	return src, notFound(err, hookline.ErrSourceNotFound)
}

// SourceByToken returns the source whose current or unexpired previous
// token is token.
func (s *Store) SourceByToken(ctx context.Context, token string, now time.Time) (*hookline.Source, error) {
	h := hookline.TokenHash(token)
	src, err := s.scanSource(s.queryRow(ctx, `SELECT `+sourceCols+` FROM ingest_sources WHERE token_hash = ?`, h))
	if errors.Is(err, sql.ErrNoRows) {
		src, err = s.scanSource(s.queryRow(ctx, `SELECT `+sourceCols+` FROM ingest_sources
			WHERE previous_token_hash = ? AND previous_token_expires > ?`, h, micros(now)))
	}
	return src, notFound(err, hookline.ErrSourceNotFound)
}

// UpdateSource writes src, its secrets sealed as CreateSource does.
func (s *Store) UpdateSource(ctx context.Context, src *hookline.Source) error {
	if err := src.CheckStorable(); err != nil {
		return err
	}
	src.UpdatedAt = hookline.StoredTime(src.UpdatedAt)
	src.PreviousTokenExpires = hookline.StoredTimePtr(src.PreviousTokenExpires)
	sealed := s.box.SealSource(src)
	return s.write(ctx, func(w *writer) error {
		err := w.changeOne(hookline.ErrSourceNotFound, `UPDATE ingest_sources SET uid = ?, name = ?, type = ?, config = ?,
			token = ?, token_hash = ?, previous_token_hash = ?, previous_token_expires = ?, metadata = ?, updated_at = ?
			WHERE id = ?`,
			nullString(src.UID), src.Name, src.Type, sealed.Config, sealed.Token, sealed.TokenHash,
			nullBytes(src.PreviousTokenHash), nullTimePtr(src.PreviousTokenExpires), jsonMap(src.Metadata),
			micros(src.UpdatedAt), src.ID)
		if isUnique(err) {
			return clean(hookline.ErrSourceConflict)
		}
		if err != nil {
			return err
		}
		return s.markClear(w)
	})
}

// DeleteSource deletes the source and its log.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	return s.write(ctx, func(w *writer) error {
		if err := w.changeOne(hookline.ErrSourceNotFound, `DELETE FROM ingest_sources WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := w.exec(`DELETE FROM ingest_log WHERE source_id = ?`, id)
		return err
	})
}

// ListSources lists the sources by id.
func (s *Store) ListSources(ctx context.Context, opts hookline.ListOptions) (hookline.Page[*hookline.Source], error) {
	query, args, n := newQuery().Page(`SELECT `+sourceCols+` FROM ingest_sources`, "id", opts)
	return list(ctx, s.rdb, query, args, n, s.scanSource)
}

// Receive records r and, unless it is a duplicate, msg and its deliveries,
// in one op of the writer: the one writer makes the claim of the delivery
// id atomic.
func (s *Store) Receive(ctx context.Context, src *hookline.Source, r *hookline.Received, msg *hookline.Message, window time.Duration) error {
	now := hookline.Now()
	r.SourceID = src.ID
	r.Prepare(now)
	var mo *msgOp
	if msg != nil {
		msg.AppID = src.AppID
		msg.Prepare(now)
		mo = &msgOp{m: msg, created: micros(msg.CreatedAt), due: micros(msg.DueAt()), now: micros(now), noFeed: true}
		mo.channels, mo.tags, mo.payload = jsonList(msg.Channels), jsonList(msg.Tags), []byte(msg.Payload)
	}
	outcome, msgID := r.Outcome, r.MessageID
	return s.write(ctx, func(w *writer) error {
		r.Outcome, r.MessageID = outcome, msgID // as before an earlier run of the batch
		if mo != nil {
			dup, err := w.acceptedBody(src.ID, r.BodyHash, now.Add(-window))
			if err == nil && dup == "" {
				dup, err = w.claimDeliveryID(src.AppID, msg, now.Add(-window))
			}
			if err != nil {
				return err
			}
			if dup != "" {
				r.Outcome, r.MessageID = hookline.ReceivedDuplicate, dup
			} else {
				var errs [1]error
				if err := w.createMessages([]*msgOp{mo}, errs[:]); err != nil {
					return err
				}
				if errs[0] != nil {
					return errs[0]
				}
				r.Outcome, r.MessageID = hookline.ReceivedAccepted, msg.ID
			}
		}
		_, err := w.exec(`INSERT INTO ingest_log (id, source_id, remote_addr, status_code, outcome, reason, headers,
			delivery_id, message_id, created_at, body_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.SourceID, r.RemoteAddr, r.StatusCode, r.Outcome, r.Reason, jsonHeader(r.Headers),
			nullText(r.DeliveryID), nullText(r.MessageID), micros(r.CreatedAt), nullText(r.BodyHash))
		return err
	})
}

// acceptedBody returns the message of the request with bodyHash that
// srcID accepted after since, if any: the request is a duplicate of it.
// The one writer makes the claim atomic.
func (w *writer) acceptedBody(srcID, bodyHash string, since time.Time) (string, error) {
	if bodyHash == "" {
		return "", nil
	}
	var id string
	err := w.queryRow(`SELECT message_id FROM ingest_log WHERE source_id = ? AND body_hash = ? AND outcome = ?
		AND created_at > ? LIMIT 1`, srcID, bodyHash, hookline.ReceivedAccepted, micros(since)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// claimDeliveryID returns the id of the message of appID that holds
// msg.EventID and was created after since: msg is a duplicate of it. An
// older message with that EventID gives it up.
func (w *writer) claimDeliveryID(appID string, msg *hookline.Message, since time.Time) (string, error) {
	if msg.EventID == nil {
		return "", nil
	}
	var id string
	var created int64
	err := w.queryRow(`SELECT id, created_at FROM messages WHERE app_id = ? AND event_id = ?`, appID, *msg.EventID).Scan(&id, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", err
	case created > micros(since):
		return id, nil
	}
	_, err = w.exec(`UPDATE messages SET event_id = NULL WHERE app_id = ? AND id = ?`, appID, id)
	return "", err
}

// ListReceived lists the source's log by id, each entry with the payload
// of its message.
func (s *Store) ListReceived(ctx context.Context, src *hookline.Source, opts hookline.ListOptions) (hookline.Page[*hookline.Received], error) {
	q := newQuery()
	app := q.Arg(src.AppID)
	q.Where("l.source_id = ?", src.ID)
	query, args, n := q.Page(`SELECT l.id, l.source_id, l.remote_addr, l.status_code, l.outcome, l.reason, l.headers,
		l.delivery_id, l.message_id, l.created_at, m.payload
		FROM ingest_log l LEFT JOIN messages m ON m.app_id = `+app+` AND m.id = l.message_id`, "l.id", opts)
	return list(ctx, s.rdb, query, args, n, scanReceived)
}

func scanReceived(sc scanner) (*hookline.Received, error) {
	var (
		r                 hookline.Received
		headers, delivery sql.NullString
		message           sql.NullString
		created           int64
	)
	if err := sc.Scan(&r.ID, &r.SourceID, &r.RemoteAddr, &r.StatusCode, &r.Outcome, &r.Reason, &headers,
		&delivery, &message, &created, &r.Payload); err != nil {
		return nil, err
	}
	var err error
	if r.Headers, err = headerOf(headers); err != nil {
		return nil, err
	}
	r.DeliveryID, r.MessageID, r.CreatedAt = delivery.String, message.String, fromMicros(created)
	return &r, nil
}

// jsonHeader stores nil as NULL and other headers as a JSON object.
func jsonHeader(h http.Header) any {
	if h == nil {
		return nil
	}
	b, _ := json.Marshal(h)
	return string(b)
}

func headerOf(v sql.NullString) (http.Header, error) {
	if !v.Valid {
		return nil, nil
	}
	h := http.Header{}
	if err := json.Unmarshal([]byte(v.String), &h); err != nil {
		return nil, fmt.Errorf("sqlite: bad headers: %w", err)
	}
	return h, nil
}
