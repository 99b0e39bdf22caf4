package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const messageCols = `id, app_id, event_type, event_id, channels, tags, payload, created_at, deliver_at, expires_at,
	traceparent, content_type, headers`

// messageRow holds the scan targets of messageCols.
type messageRow struct {
	m                  hookline.Message
	payload            []byte
	created            time.Time
	deliverAt, expires *time.Time
	traceParent        *string
	contentType        *string
	headers            []byte
}

func (r *messageRow) dest() []any {
	return []any{&r.m.ID, &r.m.AppID, &r.m.EventType, &r.m.EventID, &r.m.Channels, &r.m.Tags, &r.payload,
		&r.created, &r.deliverAt, &r.expires, &r.traceParent, &r.contentType, &r.headers}
}

func (r *messageRow) message() (*hookline.Message, error) {
	m := r.m
	if r.payload != nil {
		m.Payload = r.payload
	}
	m.CreatedAt = r.created.UTC()
	m.DeliverAt = utc(r.deliverAt)
	m.ExpiresAt = timeOf(r.expires)
	if r.traceParent != nil {
		m.TraceParent = *r.traceParent
	}
	if r.contentType != nil {
		m.ContentType = *r.contentType
	}
	var err error
	if m.Headers, err = headerOf(r.headers); err != nil {
		return nil, err
	}
	return &m, nil
}

func scanMessage(sc pgx.Row) (*hookline.Message, error) {
	var r messageRow
	if err := sc.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.message()
}

// CreateMessage stores msg and one pending delivery for every endpoint of
// its application that matches it (or for msg.OnlyEndpoint) in one
// statement. The deliveries due at once that the store's feed takes (see
// SetFeed) are leased to it and handed over after the commit; for the
// others, it signals Due and has the other nodes notified (see
// announceLoop). It gives msg an id and a creation time when unset.
func (s *Store) CreateMessage(ctx context.Context, msg *hookline.Message) (int, error) {
	msg.Prepare(hookline.Now())
	// No transaction: the insert of the message and its deliveries is one
	// statement, atomic on its own. The endpoints come from appEndpoints,
	// cached or read just before; reading them in the insert's transaction
	// at READ COMMITTED would see nothing more.
	//
	// The feed, if any, is held (read-locked) until its tasks are handed
	// over, so that SetFeed returns only once no call uses the previous one.
	s.feedMu.RLock()
	defer s.feedMu.RUnlock()
	f := &feeding{s: s}
	if s.feed != nil && (msg.DeliverAt == nil || !msg.DeliverAt.After(hookline.Now())) {
		f.feed, f.until = s.feed, hookline.StoredTime(hookline.Now().Add(max(s.feed.Lease(), time.Microsecond)))
	}
	var n int
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		n, err = insertMessage(ctx, s.pool, "", "", "", msg, false, f)
		if hookline.ErrorCode(err) == hookline.EINTERNAL && mayHaveCommitted(err) {
			// Running the insert again would find its own message and
			// report a conflict.
			return fmt.Errorf("%w: %w", errCommitUnknown, err)
		}
		return err
	})
	if err != nil {
		// Should the insert have committed unanswered, its fed deliveries
		// go back to the queue when their lease ends.
		f.reset()
		return 0, err
	}
	fedN := 0
	if len(f.tasks) > 0 {
		fedN = len(f.tasks)
		f.feed.Deliver(f.tasks)
	}
	if n > fedN {
		// Deliveries in the queue: for this node's dispatcher, and any
		// node's.
		s.signalDue()
		s.announceDue()
	}
	return n, nil
}

// SetFeed makes CreateMessage lease the deliveries it creates due at once
// to f, as far as f takes them, and hand them over after the commit; nil
// stops it. Once SetFeed returns, the previous feed gets no more calls.
func (s *Store) SetFeed(f hookline.Feed) {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	s.feed = f
}

// CreateMessageTx does what Store.CreateMessage does, inside tx: a
// transaction of the caller's on the database of a Store. The message, its
// deliveries and the notification that wakes the dispatchers of every node
// take effect if and only if tx commits. Schema names the schema of
// Hookline's tables ("" for tx's search_path). msg.AppID may be the
// application's id or uid; it is set to the id. msg must be valid
// (hookline.Message.Validate); the outbox package checks it.
//
// A missing application or OnlyEndpoint (ENOTFOUND) and a taken id or
// eventId (ECONFLICT) are reported without failing tx; any other error is
// one of PostgreSQL's, after which tx can only be rolled back.
func CreateMessageTx(ctx context.Context, tx pgx.Tx, schema string, msg *hookline.Message) (int, error) {
	msg.Prepare(hookline.Now())
	prefix, chanExpr, channel := "", fmt.Sprintf(channelSQL, "current_schema()"), ""
	if schema != "" {
		prefix = pgx.Identifier{schema}.Sanitize() + "."
		chanExpr, channel = "$22", Channel(schema)
	}
	n, err := insertMessage(ctx, tx, prefix, chanExpr, channel, msg, true, nil)
	return n, dbErr(ctx, err)
}

// feeding is what a Store's CreateMessage gives insertMessage: the store,
// and its feed if the new deliveries may be fed, to which insertMessage
// leases each new delivery the feed takes, keeping its task.
type feeding struct {
	s           *Store
	feed        hookline.Feed
	until       time.Time // the end of the fed deliveries' lease
	appThrottle *int      // the application's throttleRate, as candidates read it
	tasks       []*hookline.Task
}

// reset gives back the room reserved for the tasks, which were not created
// after all (or may have been, and then wait in the store for their lease
// to end).
func (f *feeding) reset() {
	if f == nil {
		return
	}
	for _, t := range f.tasks {
		f.feed.Unreserve(t)
	}
	f.tasks = nil
}

// candidates reads the endpoints of msg's application, by id or (byUID)
// also by uid, and the application's id; ENOTFOUND when there is no such
// application. With f (a Store's CreateMessage), it takes whole endpoints
// and the application's throttleRate from the store (see appEndpoints);
// without, only what matching needs. The endpoints are read-only.
func candidates(ctx context.Context, q querier, prefix string, msg *hookline.Message, byUID bool, f *feeding) (string, []hookline.Endpoint, error) {
	var list []hookline.Endpoint
	if f != nil {
		eps, err := f.s.appEndpoints(ctx, q, msg.AppID)
		if err != nil {
			return "", nil, err
		}
		f.appThrottle = eps.throttle
		return msg.AppID, eps.list, nil
	}
	appCond := `a.id = $1`
	if byUID {
		appCond = `a.id = (SELECT id FROM ` + prefix + `applications WHERE id = $1 OR uid = $1 LIMIT 1)`
	}
	rows, err := q.Query(ctx, `SELECT a.id, e.id, e.uid, e.disabled, e.event_types, e.channels
		FROM `+prefix+`applications a LEFT JOIN `+prefix+`endpoints e ON e.app_id = a.id
		WHERE `+appCond+` ORDER BY e.id`, msg.AppID)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	var appID string
	found := false
	for rows.Next() {
		var (
			epID     *string
			ep       hookline.Endpoint
			disabled *bool
		)
		if err := rows.Scan(&appID, &epID, &ep.UID, &disabled, &ep.EventTypes, &ep.Channels); err != nil {
			return "", nil, err
		}
		found = true
		if epID == nil {
			continue // an application without endpoints
		}
		ep.ID, ep.Disabled = *epID, *disabled
		list = append(list, ep)
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if !found {
		return "", nil, hookline.ErrApplicationNotFound
	}
	return appID, list, nil
}

// insertMessage inserts msg and its deliveries with q, into the tables of
// prefix ("" or a quoted schema and a dot), and notifies chanExpr (a SQL
// expression; "$22" is channel; "" notifies nobody) when it made
// deliveries. With byUID, msg.AppID may be a uid and is set to the
// application's id. With f, the deliveries due at once that the feed takes
// are leased to it, and their tasks kept in f. Failures of msg alone
// (ENOTFOUND, ECONFLICT) are found without a failed statement.
func insertMessage(ctx context.Context, q querier, prefix, chanExpr, channel string, msg *hookline.Message, byUID bool, f *feeding) (int, error) {
	f.reset() // what an earlier try reserved
	appID, list, err := candidates(ctx, q, prefix, msg, byUID, f)
	if err != nil {
		return 0, err
	}
	var (
		ids, epIDs  []string
		parked, fed []bool
		picked      bool
		t           = hookline.Now()
	)
	due := msg.CreatedAt
	if msg.DeliverAt != nil {
		due = *msg.DeliverAt
	}
	msg.AppID = appID
	for i := range list {
		ep := &list[i]
		switch {
		case msg.OnlyEndpoint != "":
			if picked || (ep.ID != msg.OnlyEndpoint && (ep.UID == nil || *ep.UID != msg.OnlyEndpoint)) {
				continue
			}
			picked = true
		case !ep.Matches(msg.EventType, msg.Channels):
			continue
		}
		id := hookline.NewID(hookline.PrefixDelivery)
		take := false
		if f != nil && f.feed != nil && !ep.Disabled && !due.After(t) {
			task := &hookline.Task{
				Delivery: hookline.Delivery{
					ID: id, AppID: appID, MessageID: msg.ID, EndpointID: ep.ID,
					Status: hookline.StatusSending, Trigger: hookline.TriggerScheduled,
					CreatedAt: t, UpdatedAt: t,
				},
				Message: *msg, Endpoint: *ep, LeaseUntil: f.until, AppThrottleRate: f.appThrottle,
			}
			if take = f.feed.Reserve(task); take {
				f.tasks = append(f.tasks, task)
			}
		}
		ids = append(ids, id)
		epIDs = append(epIDs, ep.ID)
		parked = append(parked, ep.Disabled) // only OnlyEndpoint picks a disabled one
		fed = append(fed, take)
	}
	if msg.OnlyEndpoint != "" && !picked {
		return 0, hookline.ErrEndpointNotFound
	}
	var payload []byte
	if msg.Payload != nil {
		payload = []byte(msg.Payload)
	}
	var until *time.Time
	var owner *string
	if f != nil && f.feed != nil {
		o := f.feed.Owner()
		until, owner = &f.until, &o
	}
	args := []any{msg.ID, msg.AppID, msg.EventType, msg.EventID, msg.Channels, msg.Tags, payload,
		msg.CreatedAt, msg.DeliverAt, nullTime(msg.ExpiresAt), nullText(msg.TraceParent), due, t, ids, epIDs, parked, fed, until, owner,
		nullText(msg.ContentType), jsonHeader(msg.Headers)}
	if chanExpr == "$22" {
		args = append(args, channel)
	}
	notify := `0`
	if chanExpr != "" {
		notify = `(SELECT count(*) FROM (SELECT pg_notify(` + chanExpr + `, '') WHERE EXISTS (SELECT 1 FROM d)) AS n)`
	}
	// A fed delivery is leased as ClaimDue would lease it: sending, due at
	// the end of its lease.
	var msgs, dels int
	err = q.QueryRow(ctx, `WITH m AS (
			INSERT INTO `+prefix+`messages (`+messageCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $20, $21)
			ON CONFLICT DO NOTHING RETURNING id
		), d AS (
			INSERT INTO `+prefix+`deliveries (id, app_id, message_id, endpoint_id, status, trigger_type, attempts,
				next_attempt_at, due_at, msg_created_at, created_at, updated_at, lease_owner, lease_until)
			SELECT u.id, $2, m.id, u.ep, CASE WHEN u.fed THEN 3 ELSE 1 END, 0, 0,
				CASE WHEN u.fed THEN NULL ELSE $12::timestamptz END,
				CASE WHEN u.parked THEN NULL WHEN u.fed THEN $18::timestamptz ELSE $12::timestamptz END,
				$8, $13::timestamptz, $13,
				CASE WHEN u.fed THEN $19::text END, CASE WHEN u.fed THEN $18::timestamptz END
			FROM m, unnest($14::text[], $15::text[], $16::boolean[], $17::boolean[]) AS u(id, ep, parked, fed)
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM d), `+notify,
		args...).Scan(&msgs, &dels, new(int))
	if err != nil {
		return 0, err
	}
	if msgs == 0 {
		return 0, hookline.ErrMessageConflict
	}
	return dels, nil
}

// Message returns the application's message with this id or eventId.
func (s *Store) Message(ctx context.Context, appID, idOrEventID string) (*hookline.Message, error) {
	var m *hookline.Message
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		if strings.HasPrefix(idOrEventID, hookline.PrefixMessage) {
			m, err = scanMessage(s.pool.QueryRow(ctx,
				`SELECT `+messageCols+` FROM messages WHERE id = $1 AND app_id = $2`, idOrEventID, appID))
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		m, err = scanMessage(s.pool.QueryRow(ctx,
			`SELECT `+messageCols+` FROM messages WHERE app_id = $1 AND event_id = $2`, appID, idOrEventID))
		return err
	})
	if err != nil {
		return nil, notFound(ctx, err, hookline.ErrMessageNotFound)
	}
	return m, nil
}

// ListMessages lists the application's messages by id.
func (s *Store) ListMessages(ctx context.Context, appID string, f hookline.MessageFilter) (hookline.Page[*hookline.Message], error) {
	query, args, n := newQuery().ListMessages(`SELECT `+messageCols+` FROM messages`, appID, f)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.Message, error) { return scanMessage(r) })
}

// ExpungeMessageContent removes the payload of the message for good.
func (s *Store) ExpungeMessageContent(ctx context.Context, appID, msgID string) error {
	return s.changeOne(ctx, hookline.ErrMessageNotFound,
		`UPDATE messages SET payload = NULL WHERE id = $1 AND app_id = $2`, msgID, appID)
}

// messageExists returns ENOTFOUND unless the application has the message.
func (s *Store) messageExists(ctx context.Context, appID, id string) error {
	return s.exists(ctx, hookline.ErrMessageNotFound, `SELECT 1 FROM messages WHERE id = $1 AND app_id = $2`, id, appID)
}

// appEndpoints is an application's endpoints, whole, and its throttleRate,
// as a Store's CreateMessage needs them. It is shared: read-only.
type appEndpoints struct {
	throttle *int
	list     []hookline.Endpoint
}

// appEndpoints returns the endpoints of the application appID and its
// throttleRate, read with q, or ENOTFOUND when there is no such
// application. They are cached while the store listens, and forgotten with
// the tokens and applications (see the package documentation): every
// change of an endpoint notifies.
func (s *Store) appEndpoints(ctx context.Context, q querier, appID string) (*appEndpoints, error) {
	caching := s.listening.Load()
	cached, gen, ok := s.endpoints.Get(appID)
	if caching && ok {
		return cached, nil
	}
	rows, err := q.Query(ctx, `SELECT (SELECT throttle_rate FROM applications WHERE id = $1), `+
		endpointAllCols+` FROM endpoints WHERE app_id = $1 ORDER BY id`, appID)
	if err != nil {
		return nil, err
	}
	c := &appEndpoints{}
	for rows.Next() {
		var r endpointRow
		var throttle *int32
		if err := rows.Scan(append([]any{&throttle}, r.allDest()...)...); err != nil {
			rows.Close()
			return nil, err
		}
		ep, err := s.endpointOf(&r)
		if err != nil {
			rows.Close()
			return nil, err
		}
		c.throttle = intPtr(throttle)
		c.list = append(c.list, *ep)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(c.list) == 0 {
		var throttle *int32
		err := q.QueryRow(ctx, `SELECT throttle_rate FROM applications WHERE id = $1`, appID).Scan(&throttle)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, hookline.ErrApplicationNotFound
		}
		if err != nil {
			return nil, err
		}
		c.throttle = intPtr(throttle)
	}
	if caching {
		s.endpoints.Put(appID, c, gen)
	}
	return c, nil
}
