package hookline

import (
	"context"
	"time"
)

// MaxListLimit bounds the page size of every list.
const MaxListLimit = 250

// ListOptions selects one page of a list. Items are ordered by their id (by
// name for event types), which for ids is the order they were created in.
type ListOptions struct {
	// Limit is the page size, 1 to MaxListLimit.
	Limit int
	// Iterator is exclusive: the page starts after the item with this id (or
	// before it, when Descending). Empty starts at the first item.
	Iterator   string
	Descending bool
}

// PageSize is the number of items a page of o holds at most: Limit within
// 1 to MaxListLimit, 50 when unset.
func (o ListOptions) PageSize() int {
	switch {
	case o.Limit <= 0:
		return 50
	case o.Limit > MaxListLimit:
		return MaxListLimit
	}
	return o.Limit
}

// Page is one page of a list. Done is true when no item follows the last one.
type Page[T any] struct {
	Items []T
	Done  bool
}

// MessageFilter narrows a list of messages.
type MessageFilter struct {
	ListOptions
	Channel    string   // only messages on this channel
	Tag        string   // only messages with this tag
	EventTypes []string // only messages of one of these types
	Before     *time.Time
	After      *time.Time
}

// AttemptFilter narrows a list of attempts.
type AttemptFilter struct {
	ListOptions
	Status *Status // StatusSuccess or StatusFail (attempts are never pending)
	// StatusCodeClass keeps attempts whose response status is in
	// [class, class+100); 0 keeps attempts that got no response.
	StatusCodeClass *int
	Channel         string
	Tag             string // only attempts of messages with this tag
	EventTypes      []string
	EndpointID      string // for ListAttemptsByMessage
	Before          *time.Time
	After           *time.Time
}

// EndpointMessageFilter narrows a list of the messages sent to an endpoint.
type EndpointMessageFilter struct {
	ListOptions
	Channel    string
	Tag        string // only messages with this tag
	Status     *Status
	EventTypes []string
	Before     *time.Time
	After      *time.Time
}

// IdempotentResponse is the first response to a request with an
// idempotency-key, replayed for later requests with the same key.
type IdempotentResponse struct {
	Key        string // scoped by the caller: token, method, path and header
	StatusCode int
	Body       []byte
	CreatedAt  time.Time
}

// IdempotencyTTL is how long a saved IdempotentResponse is replayed.
const IdempotencyTTL = 24 * time.Hour

// Prepare gives r what a Store sets when it saves it: a creation time when
// unset, at the precision it reads back with, and an empty body for none.
func (r *IdempotentResponse) Prepare(now time.Time) {
	stamp(nil, "", &r.CreatedAt, nil, now)
	if r.Body == nil {
		r.Body = []byte{}
	}
}

// ExpiresAt is when r stops being replayed.
func (r *IdempotentResponse) ExpiresAt() time.Time { return r.CreatedAt.Add(IdempotencyTTL) }

// Store keeps Hookline's state and is its delivery queue: the composition of
// the small interfaces below, each named for what it holds, so that a
// component depends on the part it uses (the dispatcher on Queue alone).
// Implementations (sqlite, postgres) pass the storetest conformance suite.
//
// Every method that takes an appID only sees rows of that application: an id
// of another application's endpoint, message or attempt is ENOTFOUND.
// Lookups by "idOrUID" accept the entity's id or its caller-chosen uid.
// Errors carry codes: ENOTFOUND, ECONFLICT (a taken uid, eventId or name),
// EUNAVAILABLE (the database cannot be reached). Methods that write are
// durable when they return nil.
type Store interface {
	Applications
	EventTypes
	Endpoints
	SealedSecrets
	Messages
	Log
	Queue
	Tokens
	IdempotentResponses
	Sources
	BackgroundTasks
	Cleaner
	DeliveryCounter
	Overview
	Statistics
	Health
	Close() error
}

// Applications holds the tenants.
type Applications interface {
	CreateApplication(ctx context.Context, app *Application) error
	Application(ctx context.Context, idOrUID string) (*Application, error)
	UpdateApplication(ctx context.Context, app *Application) error
	// DeleteApplication deletes the application with its endpoints, messages,
	// deliveries, attempts, tokens and background tasks.
	DeleteApplication(ctx context.Context, id string) error
	ListApplications(ctx context.Context, opts ListOptions) (Page[*Application], error)
}

// EventTypes holds the catalogue of event types, shared by all applications.
type EventTypes interface {
	CreateEventType(ctx context.Context, et *EventType) error
	EventType(ctx context.Context, name string) (*EventType, error)
	UpdateEventType(ctx context.Context, et *EventType) error
	// DeleteEventType archives the event type, or removes it when expunge is set.
	DeleteEventType(ctx context.Context, name string, expunge bool) error
	ListEventTypes(ctx context.Context, opts ListOptions, includeArchived bool) (Page[*EventType], error)
}

// Endpoints holds the endpoints of applications.
type Endpoints interface {
	// CreateEndpoint stores ep in its application (ENOTFOUND when there is
	// no such application) unless, max being more than 0, the application
	// has max endpoints already (ErrTooManyEndpoints): the count and the
	// insert are atomic, so concurrent creates never pass max between them.
	CreateEndpoint(ctx context.Context, ep *Endpoint, max int) error
	Endpoint(ctx context.Context, appID, idOrUID string) (*Endpoint, error)
	// UpdateEndpoint writes ep over the stored endpoint (ENOTFOUND when
	// there is none), and sets in ep what Endpoint.PrepareUpdate does
	// given the endpoint as stored, read in the same transaction: its
	// UpdatedAt, and why and since when it is disabled. When the update
	// changes the URL or enables the endpoint (Endpoint.ReleasesHeld), the
	// endpoint's held deliveries are due at the time of the call, in the
	// same transaction, and Due is signalled.
	UpdateEndpoint(ctx context.Context, ep *Endpoint) error
	// DeleteEndpoint deletes the endpoint. Its deliveries waiting for an
	// attempt fail (one in flight ends as its attempt does; none is claimed
	// again) and stay, with what the API shows of the endpoint, in its
	// messages' destinations (ListDeliveriesByMessage); its attempts stay in
	// the log.
	DeleteEndpoint(ctx context.Context, appID, id string) error
	ListEndpoints(ctx context.Context, appID string, opts ListOptions) (Page[*Endpoint], error)
}

// SealedSecrets is what a store tells of the secrets it seals with its
// SecretBox (the master key it was opened with, and the previous ones):
// those of endpoints and of the inbound gateway's sources (see
// SealedKind), and how it seals them again.
//
// A store seals each secret bound to its cell (table, column, row id). It
// opens the forms of earlier versions (secrets in clear, or sealed without
// their cell) only while its database is marked as holding them: when it
// opens such a database with a key, it seals them all again first
// (UpgradeSeals), and refuses them from then on (ErrSecretForm). A store
// without a key writes secrets in clear, and marks its database so in the
// same transaction.
type SealedSecrets interface {
	// CheckSecretKey returns nil when the store's master keys open every
	// secret it holds sealed, or when it holds none; else an error that
	// wraps ErrSecretKey and names an endpoint or a source whose secrets
	// they do not open. A secret that does not open for another reason
	// (altered, or in a form no longer accepted) is not the keys' fault:
	// reading its row fails, this does not. It changes nothing: whoever
	// opened the store with a wrong or a missing key calls it before
	// anything else, and stops.
	CheckSecretKey(ctx context.Context) error
	// Reseal seals every secret again under the store's current master
	// key, bound to its cell, and returns how many rows (endpoints and
	// sources) it wrote (see SecretBox.Reseal: it writes nothing unless
	// the keys open every secret). A store whose files keep what a write
	// replaced then rewrites them, so that no secret sealed under an
	// earlier key is left in them (SQLite: its database file and WAL).
	// The rekey command runs it.
	Reseal(ctx context.Context) (int, error)
}

// Messages holds the messages applications send.
type Messages interface {
	// CreateMessage stores msg and, in the same transaction, one pending
	// delivery due at once for every endpoint of msg.AppID that Matches it.
	// It returns the number of deliveries. A taken EventID in the same
	// application is ECONFLICT. It signals Due when it created deliveries.
	CreateMessage(ctx context.Context, msg *Message) (int, error)
	// Message looks a message up by id or by eventId.
	Message(ctx context.Context, appID, idOrEventID string) (*Message, error)
	ListMessages(ctx context.Context, appID string, f MessageFilter) (Page[*Message], error)
	// ExpungeMessageContent removes the payload of a message for good.
	ExpungeMessageContent(ctx context.Context, appID, msgID string) error
}

// Log holds what happened to messages: the attempts, the state of each
// delivery, and the manual redeliveries.
type Log interface {
	Attempt(ctx context.Context, appID, msgID, attemptID string) (*Attempt, error)
	ListAttemptsByEndpoint(ctx context.Context, appID, endpointID string, f AttemptFilter) (Page[*Attempt], error)
	ListAttemptsByMessage(ctx context.Context, appID, msgID string, f AttemptFilter) (Page[*Attempt], error)
	// AttemptHeaders returns the headers an attempt of the application's
	// message sent (Attempt.Headers): empty for an attempt that kept none.
	// It is ErrAttemptNotFound when there is no such attempt.
	AttemptHeaders(ctx context.Context, appID, msgID, attemptID string) (SentHeaders, error)
	// ExpungeAttemptContent replaces the response body of an attempt with
	// ExpungedResponse, for good.
	ExpungeAttemptContent(ctx context.Context, appID, msgID, attemptID string) error
	// ListDeliveriesByMessage lists the endpoints a message was sent to,
	// deleted ones too (as they were, without secrets or headers), with the
	// state of each delivery, ordered by endpoint id.
	ListDeliveriesByMessage(ctx context.Context, appID, msgID string, opts ListOptions) (Page[*DeliveryView], error)
	// ListMessagesByEndpoint lists the messages sent to an endpoint with the
	// state of each delivery, ordered by message id.
	ListMessagesByEndpoint(ctx context.Context, appID, endpointID string, f EndpointMessageFilter) (Page[*EndpointMessage], error)
	// EndpointStats counts the endpoint's deliveries by status, for messages
	// created in [since, until) where those are set.
	EndpointStats(ctx context.Context, appID, endpointID string, since, until *time.Time) (*EndpointStats, error)

	// Resend makes the delivery of a message to an endpoint pending and due at
	// once for one manual attempt (TriggerManual, no attempts), creating the
	// delivery when there was none; the retry it may have waited for is gone.
	// The dispatcher does not retry a manual attempt (Trigger.Retries): its
	// outcome is final. It signals Due.
	Resend(ctx context.Context, appID, msgID, endpointID string) error
	// ReplayMissing creates, for each message of msgIDs that has no
	// delivery to the endpoint, a pending delivery due at once with a
	// manual trigger (parked while the endpoint is disabled), whatever
	// the endpoint's filters, and returns how many it created. An id that
	// is not a message of the application is skipped. A missing endpoint
	// is ErrEndpointNotFound. It signals Due when it created deliveries.
	ReplayMissing(ctx context.Context, appID, endpointID string, msgIDs []string) (int, error)
}

// BackgroundTasks holds the background tasks (BackgroundTask) and hands
// them to runners under a lease.
type BackgroundTasks interface {
	// CreateBackgroundTask stores t as Prepare makes it.
	CreateBackgroundTask(ctx context.Context, t *BackgroundTask) error
	// BackgroundTask returns the task with this id, of the application
	// appID, or of any when appID is "" (ErrTaskNotFound otherwise).
	BackgroundTask(ctx context.Context, appID, id string) (*BackgroundTask, error)
	// ListBackgroundTasks lists the tasks of the application appID, or of
	// every application when appID is "", by id.
	ListBackgroundTasks(ctx context.Context, appID string, f TaskFilter) (Page[*BackgroundTask], error)
	// ClaimBackgroundTask leases to owner, until now+lease, the oldest
	// running task that no other owner's lease holds at now (never
	// leased, its lease expired, or leased by owner already: a previous
	// run of a process that keeps its name), and returns it; nil when
	// there is none. A task is never held by two owners while a lease
	// lives.
	ClaimBackgroundTask(ctx context.Context, owner string, now time.Time, lease time.Duration) (*BackgroundTask, error)
	// SaveBackgroundTask writes the Status, Cursor, Data, UpdatedAt,
	// ExpiresAt and lease of t (LeaseOwner, LeaseUntil: a runner renews
	// its lease, or ends it with the task, as it records progress), only
	// while owner holds the task's lease: otherwise it writes nothing
	// and returns ErrTaskLeaseLost.
	SaveBackgroundTask(ctx context.Context, owner string, t *BackgroundTask) error
}

// Queue is the store as the dispatcher sees it: deliveries to claim under a
// lease, outcomes to record, and the health of endpoints.
type Queue interface {
	// ClaimDue leases up to limit deliveries that are pending, due at now, of
	// an enabled endpoint, and not leased (or whose lease expired), oldest
	// NextAttemptAt first. Each becomes StatusSending, leased by owner until
	// now+lease. A delivery is never handed to two claimers while its lease
	// lives. A delivery whose endpoint's secrets cannot be read
	// (UnreadableSecret; on SQLite, those of any endpoint of its
	// application) is leased too, but not returned, and logged: it is due
	// again when its lease ends, and the others are claimed as ever.
	ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*Task, error)
	// Complete records the attempts of outcomes and moves each delivery to its
	// new state, releasing the lease. An outcome whose delivery is no longer
	// leased by owner only records its attempt. It fills in the outcomes as
	// PrepareOutcomes does.
	Complete(ctx context.Context, owner string, outcomes []Outcome) error
	// Release gives back every lease owner holds: the deliveries become
	// pending and due at once. It signals Due.
	Release(ctx context.Context, owner string) error
	// NextDue returns the earliest time a delivery becomes claimable (a
	// pending delivery's NextAttemptAt, or an expired lease's end), and false
	// when nothing is pending or sending.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// Due receives a value (coalesced) when deliveries may have become due
	// sooner than NextDue last said. With several processes on one database,
	// the driver relays the signal between them.
	Due() <-chan struct{}

	// MarkFailing records that the endpoint's attempts have been failing
	// since at, unless an earlier time is recorded, and returns the time
	// recorded. ClearFailing records that its last attempt succeeded. The
	// dispatcher disables an endpoint that has been failing for too long.
	MarkFailing(ctx context.Context, appID, endpointID string, at time.Time) (time.Time, error)
	ClearFailing(ctx context.Context, appID, endpointID string) error

	// Traits says how this store's queue differs from others'.
	Traits() QueueTraits
}

// QueueTraits is what a Queue declares about itself, for whoever runs a
// dispatcher on it.
type QueueTraits struct {
	// SoleOwner, when set, says that one process alone uses the store (its
	// writer assumes it), and names the lease owner that process's
	// dispatcher takes. Leases held under it when the process starts are
	// left from a previous run: it releases them at once instead of waiting
	// for them to expire. Empty: several processes share the queue, and each
	// dispatcher keeps a name of its own.
	SoleOwner string
	// GathersOutcomes says that Complete already shares commits with other
	// writes, so a dispatcher need not hold outcomes back to write several
	// at once (dispatch.Config.OutcomeLinger).
	GathersOutcomes bool
}

// DeliveryCounter counts the deliveries a store holds, for metrics
// (hookline_deliveries).
type DeliveryCounter interface {
	// CountDeliveries counts the deliveries in each state of
	// DeliveryCounts. It reads the deliveries that are not done (pending,
	// sending, held, failed), never those that succeeded, yet its cost grows
	// with a backlog: callers run it every few seconds, not per request.
	CountDeliveries(ctx context.Context) (DeliveryCounts, error)
}

// Overview is what the operator's dashboard reads across applications.
// Its lists are short (limit is 1 to MaxOverviewLimit) and read on
// demand, never on the hot path.
type Overview interface {
	// CountAttempts counts the attempts made in [since, until), in steps
	// of step (see AttemptCounts). Its cost grows with the attempts of
	// the range: callers ask for an hour or so.
	CountAttempts(ctx context.Context, since, until time.Time, step time.Duration) ([]AttemptCount, error)
	// FailingEndpoints lists up to limit endpoints that are failing now
	// (MarkFailing recorded since when, ClearFailing did not clear it),
	// of the application appID, or of every application when appID is
	// "", longest failing first.
	FailingEndpoints(ctx context.Context, appID string, limit int) ([]*FailingEndpoint, error)
	// HeldDeliveries counts the held deliveries (DeliveryCounts.Held: an
	// open circuit breaker or a limit deferred them) of each of
	// endpointIDs that has some.
	HeldDeliveries(ctx context.Context, endpointIDs []string) (map[string]int64, error)
	// ExhaustedDeliveries lists up to limit deliveries that failed for
	// good (StatusFail: their schedule ran out, or the endpoint answered
	// 410 Gone) and were not resent since, with their endpoint, the last
	// to fail first.
	ExhaustedDeliveries(ctx context.Context, limit int) ([]*DeliveryView, error)
	// FindApplications lists up to limit applications, by id: the one
	// whose id is query, and those whose uid or name holds it (in any
	// case).
	FindApplications(ctx context.Context, query string, limit int) ([]*Application, error)
}

// Tokens holds the API tokens.
type Tokens interface {
	// CreateToken stores t. Its Capabilities read back as they were stored:
	// nil as nil (the whole application), an empty list as an empty list.
	CreateToken(ctx context.Context, t *Token) error
	// CreateFirstAdminToken stores t, an admin token, only when there is no
	// admin token yet, and reports whether it did: of several processes
	// starting at once on one database, one creates it.
	CreateFirstAdminToken(ctx context.Context, t *Token) (bool, error)
	// TokenByHash returns the unexpired token with this hash, or ENOTFOUND.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// CountAdminTokens counts tokens that have no AppID.
	CountAdminTokens(ctx context.Context) (int, error)
	// ListAdminTokens lists the tokens that have no AppID, by id.
	ListAdminTokens(ctx context.Context, opts ListOptions) (Page[*Token], error)
	// TokenUsed records that the token was used at at (its LastUsedAt),
	// unless a later use is recorded. A token that is gone is not an
	// error. Callers record a token's use at most once every
	// TokenUseInterval (UseDue): it is a write.
	TokenUsed(ctx context.Context, id string, at time.Time) error
	// DeleteToken deletes a token (logout, revocation).
	DeleteToken(ctx context.Context, id string) error
	// ExpireAppTokens makes the tokens of the application appID (its id)
	// that would be live at at expire at at, and returns how many it
	// changed: every one, or, when sessionIDs is not empty, those whose
	// SessionID is among them. A token that expires sooner keeps its
	// expiry. appID "" is ErrExpireAdminTokens: admin tokens are never
	// expired this way. A token read from a store's cache reads the new
	// expiry at once on the store that expired it, and within the cache's
	// bound on others.
	ExpireAppTokens(ctx context.Context, appID string, at time.Time, sessionIDs []string) (int, error)
}

// IdempotentResponses holds the first response to each idempotent request.
type IdempotentResponses interface {
	// IdempotentResponse returns the response saved under key, or ENOTFOUND.
	IdempotentResponse(ctx context.Context, key string) (*IdempotentResponse, error)
	// SaveIdempotentResponse saves r unless a response is already saved under
	// r.Key (the first one wins). Saved responses expire after a day.
	SaveIdempotentResponse(ctx context.Context, r *IdempotentResponse) error
}

// Health is what a store tells of its own state, for health checks.
type Health interface {
	// CheckWrite returns nil when the store can take writes now; else an
	// EUNAVAILABLE error that says why (the disk is full or read-only, the
	// database refuses writes, a failed sync). It writes to find out, a
	// row of its own, at most once every WriteCheckEvery: the callers in
	// between get the last answer (see WriteCheck).
	CheckWrite(ctx context.Context) error
}

// Cleaner removes what has outlived its retention.
type Cleaner interface {
	// Cleanup expunges the payloads of messages whose retention has ended
	// and deletes expired idempotent responses, tokens and background
	// tasks, and what it kept of deleted endpoints no delivery refers to
	// any more, at most
	// CleanupBatch rows a transaction so that it never holds the database
	// long, and returns how many rows it changed. A store runs it every
	// CleanupEvery on its own (RunCleanup).
	Cleanup(ctx context.Context) (int, error)
	// Prune deletes for good what was made before before: the messages
	// whose deliveries are all done (succeeded, or failed for good: none
	// pending, parked or in flight) or that have none, with their
	// deliveries and attempts, and the inbound gateway's log of what
	// sources received. A message with a delivery not done stays, all its
	// deliveries too. It works in batches of at most PruneBatch messages
	// a transaction, returns how many messages and log entries it
	// deleted, and gives the space they took back as its database allows
	// (SQLite: the free pages of a database in incremental auto-vacuum
	// mode, which new databases are; PostgreSQL: autovacuum). Messages are
	// taken in the order they were stored, and the first made at or after
	// before ends the walk. The retention setting runs it (RunPrune).
	Prune(ctx context.Context, before time.Time) (int, error)
}
