package hookline

import (
	"encoding/json"
	"time"
)

// TaskType is the kind of work a BackgroundTask does, named as Svix's
// BackgroundTaskType.
type TaskType string

// The tasks Hookline runs.
const (
	// TaskRecover sends again the messages with a failed attempt to an
	// endpoint in a window and no successful one, those waiting for a retry
	// too (endpoint/{id}/recover).
	TaskRecover TaskType = "endpoint.recover"
	// TaskReplay creates a delivery to an endpoint for every message of a
	// window that it takes and was never sent to it (replay-missing).
	TaskReplay TaskType = "endpoint.replay"
	// TaskBulkReplay sends again the deliveries to an endpoint that match
	// a filter (bulk-replay).
	TaskBulkReplay TaskType = "endpoint.bulk-replay"
	// TaskPurgeContent expunges the payload of every message of an
	// application (msg/expunge-all-contents).
	TaskPurgeContent TaskType = "application.purge_content"
	// TaskAppStats counts the deliveries of each application's messages of
	// a range (stats/usage/app); it is computed when asked and stored
	// finished, on no application.
	TaskAppStats TaskType = "application.stats"
	// TaskEventTypeAggregate tells the event types each application's
	// endpoints subscribe to (stats/usage/event-types); computed when
	// asked and stored finished, on no application.
	TaskEventTypeAggregate TaskType = "event-type.aggregate"
)

// TaskStatus is where a BackgroundTask is.
type TaskStatus string

// The statuses of a task.
const (
	TaskRunning  TaskStatus = "running"  // created, or under way
	TaskFinished TaskStatus = "finished" // done
	TaskFailed   TaskStatus = "failed"   // stopped by an error, named in its data
)

// TaskRetention is how long a task that ended stays readable: the hosted
// API lists the tasks of the past 90 days. The retention sweep
// (Cleaner.Cleanup) deletes it after that.
const TaskRetention = 90 * 24 * time.Hour

// BackgroundTask is work on many rows that an API call asked for and a
// runner does later, in bounded batches, under a lease: a task whose runner
// died is taken again when its lease ends, and resumes after its Cursor.
type BackgroundTask struct {
	ID     string // PrefixTask
	AppID  string // the application it works on; "" for a task on the whole server (the usage statistics), which only admin tokens see
	Type   TaskType
	Status TaskStatus
	// Params is what the call asked for (a window, filters), as the task's
	// runner reads it.
	Params json.RawMessage
	// Cursor is where the work stands: the id of the last item done, empty
	// before the first batch.
	Cursor string
	// Data is what the API shows of the task's progress and result, a JSON
	// object ({"messagesSent": 2}).
	Data json.RawMessage
	// LeaseOwner and LeaseUntil name the runner working on it and until
	// when its lease lives; empty and nil when no runner holds it.
	LeaseOwner string
	LeaseUntil *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// ExpiresAt is when the retention sweep deletes a task that ended
	// (UpdatedAt plus TaskRetention); nil while it runs.
	ExpiresAt *time.Time
}

// Prepare gives t what a Store sets when it creates it: an id, a running
// status, an empty Data object, and times at the stored precision.
func (t *BackgroundTask) Prepare(now time.Time) {
	stamp(&t.ID, PrefixTask, &t.CreatedAt, &t.UpdatedAt, now)
	if t.Status == "" {
		t.Status = TaskRunning
	}
	if len(t.Data) == 0 {
		t.Data = json.RawMessage(`{}`)
	}
	if len(t.Params) == 0 {
		t.Params = json.RawMessage(`{}`)
	}
}

// End marks t ended with status at now: no lease, and readable until
// TaskRetention has passed.
func (t *BackgroundTask) End(status TaskStatus, now time.Time) {
	t.Status = status
	t.UpdatedAt = StoredTime(now)
	exp := t.UpdatedAt.Add(TaskRetention)
	t.ExpiresAt = &exp
	t.LeaseOwner, t.LeaseUntil = "", nil
}

// TaskFilter narrows a list of background tasks. The list is ordered by
// id, which is the order the tasks were created in.
type TaskFilter struct {
	ListOptions
	Status TaskStatus // only tasks in this status, when set
	Type   TaskType   // only tasks of this type, when set
}

// TaskParams is what a task was asked to do, stored as its Params: the
// endpoint and window of a recover or a replay, and a bulk replay's
// filters. The zero value of each field does not narrow.
type TaskParams struct {
	EndpointID      string     `json:"endpointId,omitempty"`
	Since           *time.Time `json:"since,omitempty"`
	Until           *time.Time `json:"until,omitempty"` // exclusive
	EventTypes      []string   `json:"eventTypes,omitempty"`
	Channel         string     `json:"channel,omitempty"`
	Tag             string     `json:"tag,omitempty"`
	Status          *Status    `json:"status,omitempty"`
	StatusCodeClass *int       `json:"statusCodeClass,omitempty"`
}
