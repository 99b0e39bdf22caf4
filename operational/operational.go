// Package operational delivers Hookline's operational webhooks: the events
// of hookline.OperationalEvent (endpoint.created, message.attempt.exhausted...)
// sent to the endpoints the operator registers for them.
//
// They are delivered through Hookline itself. The operator's endpoints are
// the endpoints of one internal application, whose uid is AppUID, and each
// event is a message of that application whose event type is the event's
// type and whose payload is {"type": ..., "data": ...}, as Svix sends it.
// The store, the dispatcher, the signatures, the retries and the attempt log
// apply to them unchanged. The API hides the internal application from the
// tenant API (see IsInternal) and manages its endpoints under
// /api/v1/operational-webhook/endpoint.
package operational

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// AppUID is the uid of the internal application that holds the operational
// webhook endpoints. The API refuses it as the uid of any other application.
const AppUID = "hookline-operational"

// The metadata entry that marks the internal application as Hookline's own,
// so that an application that holds AppUID without it (one created before
// the uid was reserved) is never taken for it: its endpoints would receive
// every tenant's events.
const (
	markerKey   = "hookline.internal"
	markerValue = "operational-webhooks"
)

// EventTypes are the operational event types, which operational webhook
// endpoints may subscribe to.
var EventTypes = []string{
	hookline.EventEndpointCreated,
	hookline.EventEndpointUpdated,
	hookline.EventEndpointDeleted,
	hookline.EventEndpointDisabled,
	hookline.EventMessageAttemptExhausted,
	hookline.EventMessageAttemptFailing,
	hookline.EventMessageAttemptRecovered,
}

// IsEventType reports whether name is one of EventTypes.
func IsEventType(name string) bool { return slices.Contains(EventTypes, name) }

// IsInternal reports whether app is the internal application of the
// operational webhooks.
func IsInternal(app *hookline.Application) bool {
	return app != nil && app.UID != nil && *app.UID == AppUID && app.Metadata[markerKey] == markerValue
}

// Defaults of Config.
const (
	DefaultTimeout  = 2 * time.Second
	DefaultCacheTTL = 10 * time.Second
	// Retention is how long the payload of an operational message is kept.
	Retention = 90 * 24 * time.Hour
)

// Config configures a Notifier.
type Config struct {
	// Store holds the internal application, its endpoints and the messages.
	// Required.
	Store hookline.Store
	// Logger receives the events that could not be recorded (their type
	// and ids, never a secret). nil discards.
	Logger *slog.Logger
	// Timeout bounds the store work of one Notify. 0 means DefaultTimeout.
	Timeout time.Duration
	// CacheTTL is how long Notify trusts what it last read of the
	// subscriptions (which event types some enabled operational endpoint
	// takes). Invalidate forgets it at once; the TTL bounds how long a
	// change made by another process on the same database goes unseen.
	// 0 means DefaultCacheTTL.
	CacheTTL time.Duration
}

// Notifier is the hookline.Notifier of operational webhooks. Its methods
// are safe for concurrent use.
type Notifier struct {
	store   hookline.Store
	log     *slog.Logger
	timeout time.Duration
	ttl     time.Duration

	mu  sync.Mutex
	app *hookline.Application // the internal application, once found
	sub *subscriptions        // nil: to be read
}

// subscriptions is what the enabled operational endpoints take.
type subscriptions struct {
	appID string          // the internal application; "" when there is none
	all   bool            // an endpoint takes every event type
	types map[string]bool // the event types some endpoint takes
	read  time.Time
}

func (s *subscriptions) wants(typ string) bool {
	return s.appID != "" && (s.all || s.types[typ])
}

// New returns a Notifier on cfg.Store.
func New(cfg Config) *Notifier {
	n := &Notifier{store: cfg.Store, log: cfg.Logger, timeout: cfg.Timeout, ttl: cfg.CacheTTL}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.ttl <= 0 {
		n.ttl = DefaultCacheTTL
	}
	return n
}

// Application returns the internal application, creating it when it does
// not exist. It is ECONFLICT when an application that is not Hookline's
// holds AppUID.
func (n *Notifier) Application(ctx context.Context) (*hookline.Application, error) {
	n.mu.Lock()
	app := n.app
	n.mu.Unlock()
	if app != nil {
		return app, nil
	}
	app, err := n.lookup(ctx)
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		now := time.Now().UTC()
		uid := AppUID
		app = &hookline.Application{
			ID: hookline.NewID(hookline.PrefixApplication), UID: &uid, Name: "Hookline operational webhooks",
			Metadata: map[string]string{markerKey: markerValue}, CreatedAt: now, UpdatedAt: now,
		}
		err = n.store.CreateApplication(ctx, app)
		if hookline.ErrorCode(err) == hookline.ECONFLICT {
			// Another process created it meanwhile.
			app, err = n.lookup(ctx)
		}
	}
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.app = app
	n.sub = nil
	n.mu.Unlock()
	return app, nil
}

// lookup finds the internal application: ENOTFOUND when there is none.
func (n *Notifier) lookup(ctx context.Context) (*hookline.Application, error) {
	app, err := n.store.Application(ctx, AppUID)
	if err != nil {
		return nil, err
	}
	if !IsInternal(app) {
		return nil, hookline.Errorf(hookline.ECONFLICT,
			"An application that Hookline did not create has the uid %q, which operational webhooks need: give it another uid.", AppUID)
	}
	return app, nil
}

// Invalidate makes the next Notify read the subscriptions again. Call it
// after creating, changing or deleting an operational endpoint.
func (n *Notifier) Invalidate() {
	n.mu.Lock()
	n.sub = nil
	n.mu.Unlock()
}

// subscriptions returns what the operational endpoints take, read again
// when invalidated or older than the TTL.
func (n *Notifier) subscriptions(ctx context.Context) (*subscriptions, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sub != nil && time.Since(n.sub.read) < n.ttl {
		return n.sub, nil
	}
	// Reading under the lock makes concurrent callers wait for one read
	// instead of all reading; it is bounded by their timeouts.
	sub := &subscriptions{types: map[string]bool{}, read: time.Now()}
	app := n.app
	if app == nil {
		var err error
		app, err = n.lookup(ctx)
		switch hookline.ErrorCode(err) {
		case "":
			n.app = app
		case hookline.ENOTFOUND:
			n.sub = sub // no internal application: nobody subscribed
			return sub, nil
		case hookline.ECONFLICT:
			// Said once per TTL, not once per event.
			n.log.Error("operational webhooks are off", "error", err.Error())
			n.sub = sub
			return sub, nil
		default:
			return nil, err
		}
	}
	sub.appID = app.ID
	opts := hookline.ListOptions{Limit: hookline.MaxListLimit}
	for {
		page, err := n.store.ListEndpoints(ctx, app.ID, opts)
		if err != nil {
			return nil, err
		}
		for _, ep := range page.Items {
			if ep.Disabled {
				continue
			}
			if ep.EventTypes == nil {
				sub.all = true
			}
			for _, t := range ep.EventTypes {
				sub.types[t] = true
			}
		}
		if page.Done || len(page.Items) == 0 {
			break
		}
		opts.Iterator = page.Items[len(page.Items)-1].ID
	}
	n.sub = sub
	return sub, nil
}

// Notify records e as a message of the internal application, to be
// delivered to the operational endpoints that take its type. It does
// nothing when none does, and nothing for events about the internal
// application itself (its own endpoints and deliveries), which would loop.
// It fills in the application's uid, and for endpoint events the
// endpoint's, when e lacks them.
//
// Notify is bounded by the Notifier's timeout and never fails its caller:
// what goes wrong is logged. Its work is done even when ctx is canceled
// right after the operation e reports, since that operation happened.
func (n *Notifier) Notify(ctx context.Context, e hookline.OperationalEvent) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.timeout)
	defer cancel()
	sub, err := n.subscriptions(ctx)
	if err != nil {
		n.log.Error("operational webhook not sent: cannot read the operational endpoints", "type", e.Type, "error", err.Error())
		return
	}
	if !sub.wants(e.Type) {
		return
	}
	ev, appID, ok := n.complete(ctx, e, sub.appID)
	if !ok {
		return
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		n.log.Error("operational webhook not sent: cannot encode it", "type", e.Type, "app_id", appID, "error", err.Error())
		return
	}
	now := time.Now().UTC()
	msg := &hookline.Message{
		ID: hookline.NewID(hookline.PrefixMessage), AppID: sub.appID, EventType: e.Type,
		Payload: payload, CreatedAt: now, ExpiresAt: now.Add(Retention),
	}
	if _, err := n.store.CreateMessage(ctx, msg); err != nil {
		n.log.Error("operational webhook not sent: cannot store it", "type", e.Type, "app_id", appID, "error", err.Error())
	}
}

// complete returns e with the uids filled in, the id of the application it
// is about, and false when it must not be sent: it is about the internal
// application, or its data is of no known kind.
func (n *Notifier) complete(ctx context.Context, e hookline.OperationalEvent, internalID string) (hookline.OperationalEvent, string, bool) {
	switch d := e.Data.(type) {
	case *hookline.EndpointEventData:
		if d == nil {
			break
		}
		return n.complete(ctx, hookline.OperationalEvent{Type: e.Type, Data: *d}, internalID)
	case *hookline.AttemptEventData:
		if d == nil {
			break
		}
		return n.complete(ctx, hookline.OperationalEvent{Type: e.Type, Data: *d}, internalID)
	case hookline.EndpointEventData:
		if d.AppID == internalID {
			return e, d.AppID, false
		}
		if d.AppUID == nil {
			d.AppUID = n.appUID(ctx, d.AppID)
		}
		if d.EndpointUID == nil && e.Type != hookline.EventEndpointDeleted {
			if ep, err := n.store.Endpoint(ctx, d.AppID, d.EndpointID); err == nil {
				d.EndpointUID = ep.UID
			}
		}
		return hookline.OperationalEvent{Type: e.Type, Data: d}, d.AppID, true
	case hookline.AttemptEventData:
		if d.AppID == internalID {
			return e, d.AppID, false
		}
		if d.AppUID == nil {
			d.AppUID = n.appUID(ctx, d.AppID)
		}
		return hookline.OperationalEvent{Type: e.Type, Data: d}, d.AppID, true
	}
	n.log.Error("operational webhook not sent: unknown data", "type", e.Type)
	return e, "", false
}

// appUID returns the uid of the application, nil when it has none or
// cannot be read (it may have been deleted since).
func (n *Notifier) appUID(ctx context.Context, appID string) *string {
	app, err := n.store.Application(ctx, appID)
	if err != nil {
		return nil
	}
	return app.UID
}

var _ hookline.Notifier = (*Notifier)(nil)
