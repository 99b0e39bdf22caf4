package sqlbuild

import (
	"time"

	"github.com/hookline/hookline"
)

// The statements of the Store's lists, on the tables of both drivers'
// schemas. Each takes sel, the driver's "SELECT ... FROM ..." with the
// aliases it names, and returns what Page returns.

// ListEndpoints is the statement of Store.ListEndpoints; sel selects from
// endpoints.
func (q *Query) ListEndpoints(sel, appID string, opts hookline.ListOptions) (string, []any, int) {
	q.Where("app_id = ?", appID)
	return q.Page(sel, "id", opts)
}

// ListAdminTokens is the statement of Store.ListAdminTokens; sel selects
// from tokens.
func (q *Query) ListAdminTokens(sel string, opts hookline.ListOptions) (string, []any, int) {
	q.Where("app_id = ?", "")
	return q.Page(sel, "id", opts)
}

// ListEventTypes is the statement of Store.ListEventTypes; sel selects
// from event_types.
func (q *Query) ListEventTypes(sel string, opts hookline.ListOptions, includeArchived bool) (string, []any, int) {
	if !includeArchived {
		q.Where("archived = ?", false)
	}
	return q.Page(sel, "name", opts)
}

// ListMessages is the statement of Store.ListMessages; sel selects from
// messages.
func (q *Query) ListMessages(sel, appID string, f hookline.MessageFilter) (string, []any, int) {
	q.Where("app_id = ?", appID)
	q.messages(f)
	return q.Page(sel, "id", f.ListOptions)
}

// ListAttemptsByEndpoint is the statement of Store.ListAttemptsByEndpoint;
// sel selects from attempts aliased a.
func (q *Query) ListAttemptsByEndpoint(sel, appID, endpointID string, f hookline.AttemptFilter) (string, []any, int) {
	q.attemptsByEndpoint(appID, endpointID, f)
	return q.Page(sel, "a.id", f.ListOptions)
}

// CountAttemptsByEndpoint is the statement of
// Store.CountAttemptsByEndpoint: the count of the attempts
// ListAttemptsByEndpoint lists with f, of at most max+1 of them, so that
// the caller tells a count past max and reads no more.
func (q *Query) CountAttemptsByEndpoint(appID, endpointID string, f hookline.AttemptFilter, max int) (string, []any) {
	q.attemptsByEndpoint(appID, endpointID, f)
	inner, _ := q.SQL(`SELECT 1 FROM attempts a`)
	return `SELECT count(*) FROM (` + inner + ` LIMIT ` + q.Arg(max+1) + `) c`, q.args
}

// attemptsByEndpoint adds the conditions of the attempts of an endpoint,
// aliased a, that f keeps.
func (q *Query) attemptsByEndpoint(appID, endpointID string, f hookline.AttemptFilter) {
	q.Where("a.endpoint_id = ?", endpointID)
	q.Where("a.app_id = ?", appID)
	q.attempts(f)
}

// ListAttemptsByMessage is the statement of Store.ListAttemptsByMessage;
// sel selects from attempts aliased a.
func (q *Query) ListAttemptsByMessage(sel, appID, msgID string, f hookline.AttemptFilter) (string, []any, int) {
	q.Where("a.message_id = ?", msgID)
	q.Where("a.app_id = ?", appID)
	if f.EndpointID != "" {
		q.Where("a.endpoint_id = ?", f.EndpointID)
	}
	q.attempts(f)
	return q.Page(sel, "a.id", f.ListOptions)
}

// ShownEndpointCols are the columns of an endpoint that the API shows, the
// ones deleted_endpoints keeps of a deleted endpoint.
const ShownEndpointCols = `id, app_id, uid, url, description, disabled, event_types, channels, throttle_rate, metadata,
	created_at, updated_at, disabled_reason, disabled_at`

// Destinations is a table of the endpoints a message can have been sent
// to, those of endpoints and of deleted_endpoints, with ShownEndpointCols.
const Destinations = `(SELECT ` + ShownEndpointCols + ` FROM endpoints UNION ALL
	SELECT ` + ShownEndpointCols + ` FROM deleted_endpoints)`

// KeepDeletedEndpoint is the statement, with placeholders spelt by ph, that
// copies the shown columns of the endpoint of application 2 with id 3 into
// deleted_endpoints, deleted at 1. The caller deletes it from endpoints in
// the same transaction.
func KeepDeletedEndpoint(ph func(n int) string) string {
	return `INSERT INTO deleted_endpoints (` + ShownEndpointCols + `, deleted_at)
	SELECT ` + ShownEndpointCols + `, ` + ph(1) + ` FROM endpoints WHERE app_id = ` + ph(2) + ` AND id = ` + ph(3)
}

// ListDeliveriesByMessage is the statement of
// Store.ListDeliveriesByMessage; sel selects from Destinations aliased e
// joined with deliveries aliased d. It goes through the application's
// endpoints, deleted ones too, in id order: one probe of the deliveries of
// each.
func (q *Query) ListDeliveriesByMessage(sel, appID, msgID string, opts hookline.ListOptions) (string, []any, int) {
	q.Where("e.app_id = ?", appID)
	q.Where("d.message_id = ?", msgID)
	return q.Page(sel, "e.id", opts)
}

// ListMessagesByEndpoint is the statement of Store.ListMessagesByEndpoint;
// sel selects from deliveries aliased d joined with messages aliased m.
func (q *Query) ListMessagesByEndpoint(sel, appID, endpointID string, f hookline.EndpointMessageFilter) (string, []any, int) {
	q.Where("d.endpoint_id = ?", endpointID)
	q.Where("d.app_id = ?", appID)
	if f.Status != nil {
		q.Where(shownStatusIs("d.", *f.Status), int(*f.Status))
	}
	q.messageFields("m.", f.Channel, f.Tag, f.EventTypes)
	q.Between("d.msg_created_at", f.After, f.Before)
	return q.Page(sel, "d.message_id", f.ListOptions)
}

// AppAttemptStats is the statement of Store.AppAttemptStats: the step of
// step (counted from since), event type, status and count of the
// application's attempts made in [since, until) of those event types (of
// every one when eventTypes is empty), grouped. It reads the index
// attempts_app_created, and a message of the application by id per
// attempt.
func (q *Query) AppAttemptStats(appID string, since, until time.Time, step time.Duration, eventTypes []string) (string, []any) {
	n := q.d.Micros("a.created_at", q.Arg(q.d.Time(since))) + ` / ` + q.Arg(hookline.StatsStep(step).Microseconds())
	q.Where("a.app_id = ?", appID)
	q.Between("a.created_at", &since, &until)
	if len(eventTypes) > 0 {
		q.Where(q.In("m.event_type", eventTypes))
	}
	query, args := q.SQL(`SELECT ` + n + `, m.event_type, a.status, count(*)
	FROM attempts a JOIN messages m ON m.app_id = a.app_id AND m.id = a.message_id`)
	return query + ` GROUP BY 1, 2, 3`, args
}

// UsageMessages is the first statement of Store.AppUsage: the application
// id and the count of the messages of each application of appIDs created
// in [since, until), through the index of messages by application.
func (q *Query) UsageMessages(appIDs []string, since, until time.Time) (string, []any) {
	q.Where(q.In("app_id", appIDs))
	q.Between("created_at", &since, &until)
	query, args := q.SQL(`SELECT app_id, count(*) FROM messages`)
	return query + ` GROUP BY app_id`, args
}

// UsageDeliveries is the second statement of Store.AppUsage: the
// application id and the count of the deliveries of messages created in
// [since, until) to the endpoints, deleted ones too, of each application
// of appIDs, through the index of deliveries by endpoint.
func (q *Query) UsageDeliveries(appIDs []string, since, until time.Time) (string, []any) {
	q.Where(`d.endpoint_id IN (SELECT id FROM endpoints WHERE ` + q.In("app_id", appIDs) +
		` UNION ALL SELECT id FROM deleted_endpoints WHERE ` + q.In("app_id", appIDs) + `)`)
	q.Between("d.msg_created_at", &since, &until)
	query, args := q.SQL(`SELECT d.app_id, count(*) FROM deliveries d`)
	return query + ` GROUP BY d.app_id`, args
}

// EndpointStats is the statement of Store.EndpointStats: the status and
// count of the endpoint's deliveries of each status, for messages created
// in [since, until) where those are set.
func (q *Query) EndpointStats(endpointID string, since, until *time.Time) (string, []any) {
	q.Where("endpoint_id = ?", endpointID)
	q.Between("msg_created_at", since, until)
	query, args := q.SQL(`SELECT ` + shownStatus("") + `, count(*) FROM deliveries`)
	return query + ` GROUP BY 1`, args
}

// shownStatus is the status of a delivery of the deliveries table (its
// columns prefixed by p) as hookline.Delivery.ShownStatus shows it: a
// pending delivery that was attempted is sending.
func shownStatus(p string) string {
	return "CASE WHEN " + p + "status = 1 AND " + p + "attempts > 0 THEN 3 ELSE " + p + "status END"
}

// shownStatusIs is the condition, with one argument (the status), that
// ShownStatus of a delivery (its columns prefixed by p) is s.
func shownStatusIs(p string, s hookline.Status) string {
	switch s {
	case hookline.StatusPending:
		return p + "status = ? AND " + p + "attempts = 0"
	case hookline.StatusSending:
		return "(" + p + "status = ? OR " + p + "status = 1 AND " + p + "attempts > 0)"
	}
	return p + "status = ?"
}

// CountDeliveries is the statement of Store.CountDeliveries: the status,
// held flag and count of the deliveries in the queue (deliveries_due) and of
// those out of it but not done (deliveries_idle: failed, or parked), so that
// no delivery that succeeded is read. Each part's condition is its partial
// index's.
const CountDeliveries = `SELECT status, held, count(*) FROM deliveries WHERE due_at IS NOT NULL GROUP BY status, held
	UNION ALL
	SELECT status, held, count(*) FROM deliveries WHERE due_at IS NULL AND status <> 0 GROUP BY status, held`

// HeldDeliveries is the statement of Store.HeldDeliveries: the endpoint id
// and the count of its held deliveries, of those of endpointIDs (not
// empty) that have some. A held delivery is pending, so in the queue: the
// index deliveries_due.
func (q *Query) HeldDeliveries(endpointIDs []string) (string, []any) {
	q.Where("due_at IS NOT NULL")
	q.Where("held")
	q.Where(q.In("endpoint_id", endpointIDs))
	query, args := q.SQL(`SELECT endpoint_id, count(*) FROM deliveries`)
	return query + ` GROUP BY endpoint_id`, args
}

// messages adds the conditions of f on the messages table (unaliased).
func (q *Query) messages(f hookline.MessageFilter) {
	q.messageFields("", f.Channel, f.Tag, f.EventTypes)
	q.Between("created_at", f.After, f.Before)
}

// messageFields adds the conditions on the columns of the messages table,
// whose names m prefixes ("" or an alias and a dot): holds the channel,
// holds the tag, is of one of the event types; each only when set.
func (q *Query) messageFields(m, channel, tag string, eventTypes []string) {
	if channel != "" {
		q.Where(q.Has(m+"channels", channel))
	}
	if tag != "" {
		q.Where(q.Has(m+"tags", tag))
	}
	if len(eventTypes) > 0 {
		q.Where(q.In(m+"event_type", eventTypes))
	}
}

// attempts adds the conditions of f on the attempts table aliased a.
func (q *Query) attempts(f hookline.AttemptFilter) {
	if f.Status != nil {
		q.Where("a.status = ?", int(*f.Status))
	}
	if f.StatusCodeClass != nil {
		if c := *f.StatusCodeClass; c == 0 {
			q.Where("a.status_code = 0")
		} else {
			q.Where("a.status_code >= ? AND a.status_code < ?", c, c+100)
		}
	}
	q.Between("a.created_at", f.After, f.Before)
	if f.Channel != "" || f.Tag != "" || len(f.EventTypes) > 0 {
		msg := "m.id = a.message_id AND m.app_id = a.app_id"
		if f.Channel != "" {
			msg += " AND " + q.Has("m.channels", f.Channel)
		}
		if f.Tag != "" {
			msg += " AND " + q.Has("m.tags", f.Tag)
		}
		if len(f.EventTypes) > 0 {
			msg += " AND " + q.In("m.event_type", f.EventTypes)
		}
		q.Where("EXISTS (SELECT 1 FROM messages m WHERE " + msg + ")")
	}
}

// Between adds "col >= after" and "col < before" for the bounds that are
// set: an item created at after is in, as svix-server has it, one created
// at before is not.
func (q *Query) Between(col string, after, before *time.Time) {
	if after != nil {
		q.Where(col + " >= " + q.Arg(q.d.Time(*after)))
	}
	if before != nil {
		q.Where(col + " < " + q.Arg(q.d.Time(*before)))
	}
}

// ListBackgroundTasks is the statement of Store.ListBackgroundTasks; sel
// selects from background_tasks. appID "" lists every application's.
func (q *Query) ListBackgroundTasks(sel, appID string, f hookline.TaskFilter) (string, []any, int) {
	if appID != "" {
		q.Where("app_id = ?", appID)
	}
	if f.Status != "" {
		q.Where("status = ?", string(f.Status))
	}
	if f.Type != "" {
		q.Where("task = ?", string(f.Type))
	}
	return q.Page(sel, "id", f.ListOptions)
}
