package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// taskTypes are the values of Svix's BackgroundTaskType, which the list's
// task filter takes: Hookline runs those hookline.TaskType names, and has
// no task of the others.
var taskTypes = []string{"endpoint.replay", "endpoint.recover", "application.stats", "message.broadcast", "sdk.generate",
	"event-type.aggregate", "application.purge_content", "endpoint.bulk-replay"}

var taskTypeList = strings.Join(taskTypes, ", ")

// backgroundTaskOut is a background task as Svix shows it.
type backgroundTaskOut struct {
	Data      json.RawMessage `json:"data" doc:"The task's progress and result: messagesSent (recover, replays) or messagesPurged (expunge-all-contents); error, when it failed, says why."`
	ID        string          `json:"id"`
	Status    string          `json:"status" enum:"running,finished,failed"`
	Task      string          `json:"task" enum:"endpoint.replay,endpoint.recover,application.purge_content,endpoint.bulk-replay,application.stats,event-type.aggregate"`
	UpdatedAt jsonTime        `json:"updatedAt"`
}

func backgroundTaskOutOf(t *hookline.BackgroundTask) backgroundTaskOut {
	return backgroundTaskOut{Data: t.Data, ID: t.ID, Status: string(t.Status), Task: string(t.Type), UpdatedAt: jsonTime(t.UpdatedAt)}
}

// taskStarted is what the calls that start a task answer: the task, without
// its data.
type taskStarted struct {
	ID        string   `json:"id"`
	Status    string   `json:"status" enum:"running,finished,failed"`
	Task      string   `json:"task" enum:"endpoint.replay,endpoint.recover,application.purge_content,endpoint.bulk-replay,application.stats,event-type.aggregate"`
	UpdatedAt jsonTime `json:"updatedAt"`
}

// The answers of the calls that start a task, named as Svix names them.
type (
	recoverOut            taskStarted
	replayOut             taskStarted
	expungeAllContentsOut taskStarted
)

func taskStartedOf(t *hookline.BackgroundTask) taskStarted {
	return taskStarted{ID: t.ID, Status: string(t.Status), Task: string(t.Type), UpdatedAt: jsonTime(t.UpdatedAt)}
}

// taskApp is the application whose tasks the call's token sees: its own,
// or every one ("") for an admin token.
func (c *call) taskApp() string {
	if c.admin() {
		return ""
	}
	return c.tok.AppID
}

func (s *Server) listBackgroundTasks(c *call) (int, any, error) {
	q := c.query()
	p, err := q.page(false, true, hookline.PrefixTask)
	if err != nil {
		return 0, nil, err
	}
	f := hookline.TaskFilter{ListOptions: p.opts}
	switch st := hookline.TaskStatus(q.str("status")); st {
	case "", hookline.TaskRunning, hookline.TaskFinished, hookline.TaskFailed:
		f.Status = st
	default:
		return 0, nil, badQuery("status", "must be running, finished or failed")
	}
	if typ := q.str("task"); typ != "" {
		if !slices.Contains(taskTypes, typ) {
			return 0, nil, badQuery("task", "must be one of "+taskTypeList)
		}
		f.Type = hookline.TaskType(typ)
	}
	got, err := s.store.ListBackgroundTasks(c.ctx(), c.taskApp(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(t *hookline.BackgroundTask) string { return t.ID }, backgroundTaskOutOf), nil
}

func (s *Server) getBackgroundTask(c *call) (int, any, error) {
	id := c.r.PathValue("task_id")
	if !hookline.ValidID(id, hookline.PrefixTask) {
		return 0, nil, hookline.ErrTaskNotFound
	}
	t, err := s.store.BackgroundTask(c.ctx(), c.taskApp(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, backgroundTaskOutOf(t), nil
}

// startTask stores a task of typ with params p on the application appID,
// wakes the runner, and returns the task.
func (s *Server) startTask(c *call, appID string, typ hookline.TaskType, p hookline.TaskParams) (*hookline.BackgroundTask, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	t := &hookline.BackgroundTask{AppID: appID, Type: typ, Params: b}
	if err := s.store.CreateBackgroundTask(c.ctx(), t); err != nil {
		return nil, err
	}
	if s.taskCreated != nil {
		s.taskCreated()
	}
	return t, nil
}

// maxReplayRange bounds the window of recover and of the replays, as
// svix-server bounds recover's.
const maxReplayRange = 14 * 24 * time.Hour

// window reads the since (required) and until (now when absent) of a
// recover or a replay: until not before since.
func window(since, until *string) (time.Time, time.Time, error) {
	if since == nil {
		return time.Time{}, time.Time{}, badInput([]string{"body", "since"}, "value_error.missing", "field required")
	}
	from, err := parseTime([]string{"body", "since"}, *since)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to := time.Now().UTC()
	if until != nil {
		if to, err = parseTime([]string{"body", "until"}, *until); err != nil {
			return time.Time{}, time.Time{}, err
		}
		if to.Before(from) {
			return time.Time{}, time.Time{}, hookline.Invalid([]string{"body", "until"}, "'until' cannot be before 'since'")
		}
	}
	return from, to, nil
}

// checkRange refuses a window of more than 14 days (422, as svix-server
// answers for recover). It comes after the endpoint is found, as in
// svix-server.
func checkRange(since, until time.Time, what string) error {
	if since.Before(until.Add(-maxReplayRange - rangeSlack)) {
		return hookline.Invalid([]string{"body", "since"}, "Cannot %s more than 14 days of messages", what)
	}
	return nil
}

// recoverEndpoint starts a task that sends again, one manual attempt each,
// the failed deliveries to the endpoint of messages created in [since,
// until).
func (s *Server) recoverEndpoint(c *call) (int, any, error) {
	var in recoverIn
	return s.windowTask(c, &in.Since, &in.Until, &in, hookline.TaskRecover, "recover")
}

// replayIn is the window of replay-missing.
type replayIn struct {
	Since *string `json:"since" api:"required" format:"date-time" doc:"Messages created at or after this time; at most 14 days before until."`
	Until *string `json:"until,omitempty" format:"date-time" doc:"Messages created before this time; now when absent."`
}

func (s *Server) replayMissing(c *call) (int, any, error) {
	var in replayIn
	return s.windowTask(c, &in.Since, &in.Until, &in, hookline.TaskReplay, "replay")
}

// windowTask decodes the body into in, whose since and until fields are
// given, and starts a task of typ on the endpoint of the path over that
// window, at most maxReplayRange long (what names the task in the error).
func (s *Server) windowTask(c *call, since, until **string, in any, typ hookline.TaskType, what string) (int, any, error) {
	if _, err := c.decode(in); err != nil {
		return 0, nil, err
	}
	from, to, err := window(*since, *until)
	if err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	if err := checkRange(from, to, what); err != nil {
		return 0, nil, err
	}
	t, err := s.startTask(c, app.ID, typ, hookline.TaskParams{EndpointID: ep.ID, Since: &from, Until: &to})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, taskStartedOf(t), nil
}

// bulkReplayIn selects the messages sent to an endpoint to send again.
type bulkReplayIn struct {
	Since           *string  `json:"since" api:"required" format:"date-time" doc:"Messages created at or after this time; at most 14 days before until."`
	Until           *string  `json:"until,omitempty" format:"date-time" doc:"Messages created before this time; now when absent."`
	EventTypes      []string `json:"eventTypes,omitempty" doc:"Only messages of these event types."`
	Channel         *string  `json:"channel,omitempty" doc:"Only messages on this channel."`
	Tag             *string  `json:"tag,omitempty" doc:"Only messages with this tag."`
	Status          *int     `json:"status,omitempty" enum:"0,1,2,3,4" doc:"Only deliveries in this status (0 success, 1 pending, 2 fail, 3 sending)."`
	StatusCodeClass *int     `json:"statusCodeClass,omitempty" enum:"0,100,200,300,400,500" doc:"Only deliveries whose last attempt's response status is in this class (0: no response)."`
}

// maxReplayEventTypes bounds the eventTypes of a bulk replay.
const maxReplayEventTypes = 100

func (in *bulkReplayIn) params() (hookline.TaskParams, error) {
	var p hookline.TaskParams
	if len(in.EventTypes) > maxReplayEventTypes {
		return p, hookline.Invalid([]string{"body", "eventTypes"}, "at most %d event types", maxReplayEventTypes)
	}
	for _, n := range in.EventTypes {
		if !hookline.ValidName(n, hookline.MaxEventTypeLen) {
			return p, hookline.Invalid([]string{"body", "eventTypes"}, "%q is not a valid event type name", n)
		}
	}
	p.EventTypes = in.EventTypes
	if in.Channel != nil {
		if !hookline.ValidName(*in.Channel, hookline.MaxChannelLen) {
			return p, hookline.Invalid([]string{"body", "channel"}, "not a valid channel")
		}
		p.Channel = *in.Channel
	}
	if in.Tag != nil {
		if !hookline.ValidName(*in.Tag, hookline.MaxChannelLen) {
			return p, hookline.Invalid([]string{"body", "tag"}, "not a valid tag")
		}
		p.Tag = *in.Tag
	}
	if in.Status != nil {
		if *in.Status < 0 || *in.Status > 4 {
			return p, hookline.Invalid([]string{"body", "status"}, "must be one of 0, 1, 2, 3, 4")
		}
		st := hookline.Status(*in.Status)
		p.Status = &st
	}
	if c := in.StatusCodeClass; c != nil {
		if *c < 0 || *c > 500 || *c%100 != 0 {
			return p, hookline.Invalid([]string{"body", "statusCodeClass"}, "must be one of 0, 100, 200, 300, 400, 500")
		}
		p.StatusCodeClass = c
	}
	return p, nil
}

func (s *Server) bulkReplay(c *call) (int, any, error) {
	var in bulkReplayIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	since, until, err := window(in.Since, in.Until)
	if err != nil {
		return 0, nil, err
	}
	p, err := in.params()
	if err != nil {
		return 0, nil, err
	}
	app, ep, err := c.loadEndpoint()
	if err != nil {
		return 0, nil, err
	}
	if err := checkRange(since, until, "replay"); err != nil {
		return 0, nil, err
	}
	p.EndpointID, p.Since, p.Until = ep.ID, &since, &until
	t, err := s.startTask(c, app.ID, hookline.TaskBulkReplay, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, replayOut(taskStartedOf(t)), nil
}

func (s *Server) expungeAllContents(c *call) (int, any, error) {
	if _, err := c.decode(&struct{}{}); err != nil {
		return 0, nil, err
	}
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	t, err := s.startTask(c, app.ID, hookline.TaskPurgeContent, hookline.TaskParams{})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, expungeAllContentsOut(taskStartedOf(t)), nil
}

// bulkExpungeIn names the messages whose payloads to expunge.
type bulkExpungeIn struct {
	IDs []string `json:"ids,omitempty" doc:"The messages, by id or eventId; at most 250."`
}

// bulkExpungeOut tells what became of each message of a bulk expunge.
type bulkExpungeOut struct {
	Results map[string]string `json:"results" doc:"For each id of the request: expunged, or not-found."`
}

// maxBulkExpunge bounds the ids of a bulk expunge: each is a write.
const maxBulkExpunge = hookline.MaxListLimit

func (s *Server) bulkExpunge(c *call) (int, any, error) {
	var in bulkExpungeIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if len(in.IDs) > maxBulkExpunge {
		return 0, nil, hookline.Invalid([]string{"body", "ids"}, "at most %d ids", maxBulkExpunge)
	}
	for _, id := range in.IDs {
		if !hookline.ValidName(id, hookline.MaxUIDLen) {
			return 0, nil, hookline.Invalid([]string{"body", "ids"}, "%q is not a message id or eventId", id)
		}
	}
	app, err := c.loadApp()
	if err != nil {
		return 0, nil, err
	}
	out := bulkExpungeOut{Results: make(map[string]string, len(in.IDs))}
	for _, id := range in.IDs {
		msg, err := s.store.Message(c.ctx(), app.ID, id)
		if hookline.ErrorCode(err) == hookline.ENOTFOUND {
			out.Results[id] = "not-found"
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		if err := s.store.ExpungeMessageContent(c.ctx(), app.ID, msg.ID); err != nil {
			return 0, nil, err
		}
		out.Results[id] = "expunged"
	}
	return http.StatusOK, out, nil
}
