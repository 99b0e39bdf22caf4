package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

const messageCols = `id, app_id, event_type, event_id, channels, tags, payload, created_at, deliver_at, expires_at,
	traceparent, content_type, headers`

// messageRow holds the scan targets of messageCols.
type messageRow struct {
	m                  hookline.Message
	eventID            sql.NullString
	channels, tags     sql.NullString
	payload            []byte
	created            int64
	deliverAt, expires sql.NullInt64
	traceParent        sql.NullString
	contentType        sql.NullString
	headers            sql.NullString
}

func (r *messageRow) dest() []any {
	return []any{&r.m.ID, &r.m.AppID, &r.m.EventType, &r.eventID, &r.channels, &r.tags, &r.payload,
		&r.created, &r.deliverAt, &r.expires, &r.traceParent, &r.contentType, &r.headers}
}

func (r *messageRow) message() (*hookline.Message, error) {
	m := r.m
	var err error
	m.EventID = stringPtrOf(r.eventID)
	if m.Channels, err = listOf(r.channels); err != nil {
		return nil, err
	}
	if m.Tags, err = listOf(r.tags); err != nil {
		return nil, err
	}
	if r.payload != nil {
		m.Payload = r.payload
	}
	m.CreatedAt = fromMicros(r.created)
	m.DeliverAt = timePtrOf(r.deliverAt)
	m.ExpiresAt = timeOf(r.expires)
	m.TraceParent = r.traceParent.String
	m.ContentType = r.contentType.String
	if m.Headers, err = headerOf(r.headers); err != nil {
		return nil, err
	}
	return &m, nil
}

func scanMessage(sc scanner) (*hookline.Message, error) {
	var r messageRow
	if err := sc.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.message()
}

const (
	msgInsertCols = `seq, ` + messageCols
	msgInsertN    = 14 // the columns of msgInsertCols
	delInsertCols = `seq, id, app_id, msg_seq, message_id, endpoint_id, status, trigger_type, attempts,
		next_attempt_at, due_at, msg_created_at, created_at, updated_at`
)

// msgOp is a CreateMessage queued to the writer. The writer takes the
// messages of a batch together and inserts them, and their deliveries, with
// a few multi-row statements.
type msgOp struct {
	m                       *hookline.Message
	channels, tags, payload any
	created, due            int64 // first attempt due at
	now                     int64
	// noFeed keeps the deliveries out of the feed: they wait in the queue
	// (a request a source received, which Receive stores in an op of its
	// own, outside the batch's CreateMessage ops the feed is settled for).
	noFeed bool
	n      int // deliveries made
	// fed are the deliveries leased to feed in the current run, handed over
	// once it commits.
	feed hookline.Feed
	fed  []*hookline.Task
}

// unfeed gives back the room reserved for mo's fed deliveries, which were
// not created after all.
func (mo *msgOp) unfeed() {
	for _, t := range mo.fed {
		mo.feed.Unreserve(t)
	}
	mo.feed, mo.fed = nil, nil
}

// feedOne reports whether the feed takes t, a new delivery of mo's, and
// keeps t in mo when it does.
func (w *writer) feedOne(mo *msgOp, t *hookline.Task) bool {
	if !w.feed.Reserve(t) {
		return false
	}
	mo.feed = w.feed
	mo.fed = append(mo.fed, t)
	return true
}

// CreateMessage stores msg and one pending delivery for every enabled
// endpoint of its application that matches it (or for msg.OnlyEndpoint), in
// one transaction. It gives msg an id and a creation time when unset.
func (s *Store) CreateMessage(ctx context.Context, msg *hookline.Message) (int, error) {
	t := hookline.Now()
	msg.Prepare(t)
	mo := &msgOp{m: msg, created: micros(msg.CreatedAt), due: micros(msg.DueAt()), now: micros(t)}
	mo.channels, mo.tags = jsonList(msg.Channels), jsonList(msg.Tags)
	if msg.Payload != nil {
		mo.payload = []byte(msg.Payload)
	}
	o := &op{ctx: ctx, msg: mo, done: make(chan error, 1)}
	o.fn = func(w *writer) error {
		var errs [1]error
		if err := w.createMessages([]*msgOp{mo}, errs[:]); err != nil {
			if isUnique(err) {
				return clean(hookline.ErrMessageConflict)
			}
			return err
		}
		return errs[0]
	}
	if err := s.submit(o); err != nil {
		return 0, err
	}
	return mo.n, nil
}

var errEventIDConflict = clean(hookline.ErrEventIDConflict)

// createMessages inserts the messages of ops and their deliveries. The
// failure of a message alone (an unknown application or endpoint, a taken
// eventId) is found before anything is written and goes to its errs entry;
// an error returned is the failure of a statement, after which the
// transaction must be rolled back.
func (w *writer) createMessages(ops []*msgOp, errs []error) error {
	var seen map[[2]string]bool
	msgArgs := make([]any, 0, len(ops)*msgInsertN)
	delArgs := make([]any, 0, len(ops)*16)
	var leaseOwner string
	var leaseUntil int64
	if w.feed != nil {
		leaseOwner = w.feed.Owner()
		leaseUntil = micros(hookline.Now().Add(max(w.feed.Lease(), time.Microsecond)))
	}
	for i, mo := range ops {
		mo.n = 0
		mo.unfeed() // what an earlier run of the batch reserved
		m := mo.m
		eps, err := w.endpoints(m.AppID)
		if err != nil {
			if hookline.ErrorCode(err) == hookline.ENOTFOUND {
				errs[i] = clean(err)
				continue
			}
			return err
		}
		var only *hookline.Endpoint
		if m.OnlyEndpoint != "" {
			if only = eps.byID[m.OnlyEndpoint]; only == nil {
				if only = eps.byUID[m.OnlyEndpoint]; only == nil {
					errs[i] = clean(hookline.ErrEndpointNotFound)
					continue
				}
			}
		}
		if m.EventID != nil {
			key := [2]string{m.AppID, *m.EventID}
			if seen[key] {
				errs[i] = errEventIDConflict
				continue
			}
			var one int
			err := w.queryRow(`SELECT 1 FROM messages WHERE app_id = ? AND event_id = ?`, m.AppID, *m.EventID).Scan(&one)
			if err == nil {
				errs[i] = errEventIDConflict
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if seen == nil {
				seen = map[[2]string]bool{}
			}
			seen[key] = true
		}
		w.msgSeq++
		seq := w.msgSeq
		msgArgs = append(msgArgs, seq, m.ID, m.AppID, m.EventType, nullString(m.EventID), mo.channels, mo.tags,
			mo.payload, mo.created, nullTimePtr(m.DeliverAt), nullTime(m.ExpiresAt), nullText(m.TraceParent),
			nullText(m.ContentType), jsonHeader(m.Headers))
		add := func(ep *hookline.Endpoint) {
			w.delSeq++
			id := deliveryID(mo.now/1000, w.delSeq)
			mo.n++
			if ep.Disabled {
				// Parked until the endpoint is enabled.
				delArgs = append(delArgs, w.delSeq, id, m.AppID, seq, m.ID, ep.ID,
					int64(hookline.StatusPending), int64(hookline.TriggerScheduled), 0, mo.due, nil, mo.created, mo.now, mo.now,
					nil, nil)
				return
			}
			if w.feed != nil && !mo.noFeed && mo.due <= mo.now && w.feedOne(mo, &hookline.Task{
				Delivery: hookline.Delivery{
					ID: id, AppID: m.AppID, MessageID: m.ID, EndpointID: ep.ID,
					Status: hookline.StatusSending, Trigger: hookline.TriggerScheduled,
					CreatedAt: fromMicros(mo.now), UpdatedAt: fromMicros(mo.now),
				},
				Message: *m, Endpoint: *ep, LeaseUntil: fromMicros(leaseUntil), AppThrottleRate: eps.throttle,
			}) {
				// Leased as ClaimDue would lease it, and sent without a claim.
				delArgs = append(delArgs, w.delSeq, id, m.AppID, seq, m.ID, ep.ID,
					int64(hookline.StatusSending), int64(hookline.TriggerScheduled), 0, nil, leaseUntil, mo.created, mo.now, mo.now,
					leaseOwner, leaseUntil)
				return
			}
			delArgs = append(delArgs, w.delSeq, id, m.AppID, seq, m.ID, ep.ID,
				int64(hookline.StatusPending), int64(hookline.TriggerScheduled), 0, mo.due, mo.due, mo.created, mo.now, mo.now,
				nil, nil)
			w.due = true
		}
		if only != nil {
			add(only)
		} else {
			for _, ep := range eps.list {
				if ep.Matches(m.EventType, m.Channels) {
					add(ep)
				}
			}
		}
	}
	if err := w.insertRows(`INSERT INTO messages (`+msgInsertCols+`) VALUES `, msgInsertN, msgArgs); err != nil {
		return err
	}
	return w.insertRows(`INSERT INTO deliveries (`+delInsertCols+`, lease_owner, lease_until) VALUES `, 16, delArgs)
}

// SetFeed makes the writer feed f the deliveries it creates due at once, or
// stop when f is nil. The change is made by the writer between two batches:
// once SetFeed returns, the previous feed gets no more calls.
func (s *Store) SetFeed(f hookline.Feed) {
	_ = s.submit(&op{ctx: context.Background(), early: true, done: make(chan error, 1), fn: func(w *writer) error {
		w.feed = f
		return nil
	}})
}

// settleFeed hands the fed tasks of the batch's messages that were created
// over to their feed, and gives back the room of those that were not.
func settleFeed(batch []*op, errs []error, committed bool) {
	for i, o := range batch {
		mo := o.msg
		if mo == nil || mo.feed == nil {
			continue
		}
		if committed && errs[i] == nil {
			mo.feed.Deliver(mo.fed)
			mo.feed, mo.fed = nil, nil
		} else {
			mo.unfeed()
		}
	}
}

// Message returns the application's message with this id or eventId.
func (s *Store) Message(ctx context.Context, appID, idOrEventID string) (*hookline.Message, error) {
	if strings.HasPrefix(idOrEventID, hookline.PrefixMessage) {
		m, err := scanMessage(s.queryRow(ctx,
			`SELECT `+messageCols+` FROM messages WHERE app_id = ? AND id = ?`, appID, idOrEventID))
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, dbErr(err)
		}
	}
	m, err := scanMessage(s.queryRow(ctx,
		`SELECT `+messageCols+` FROM messages WHERE app_id = ? AND event_id = ?`, appID, idOrEventID))
	if err != nil {
		return nil, notFound(err, hookline.ErrMessageNotFound)
	}
	return m, nil
}

// ListMessages lists the application's messages by id.
func (s *Store) ListMessages(ctx context.Context, appID string, f hookline.MessageFilter) (hookline.Page[*hookline.Message], error) {
	query, args, n := newQuery().ListMessages(`SELECT `+messageCols+` FROM messages`, appID, f)
	return list(ctx, s.rdb, query, args, n, scanMessage)
}

// ExpungeMessageContent removes the payload of the message for good.
func (s *Store) ExpungeMessageContent(ctx context.Context, appID, msgID string) error {
	return s.write(ctx, func(w *writer) error {
		return w.changeOne(hookline.ErrMessageNotFound, `UPDATE messages SET payload = NULL WHERE app_id = ? AND id = ?`, appID, msgID)
	})
}

// messageExists returns ENOTFOUND unless the application has the message.
// It returns the message's seq.
func (s *Store) messageExists(ctx context.Context, appID, id string) (int64, error) {
	var seq int64
	err := s.queryRow(ctx, `SELECT seq FROM messages WHERE app_id = ? AND id = ?`, appID, id).Scan(&seq)
	return seq, notFound(err, hookline.ErrMessageNotFound)
}
