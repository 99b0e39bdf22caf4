// Package background runs Hookline's background tasks (hookline.BackgroundTask):
// the work an API call hands off (recover, replay-missing, bulk-replay,
// expunge-all-contents) and a Runner in every serve process does later,
// in bounded batches, under a lease on the task.
//
// With several processes on one database, each runs a Runner: a task is
// leased to one of them at a time (the store's ClaimBackgroundTask), and
// the runner renews the lease with each batch's progress. A task whose
// runner stopped (a crash, a lost database) is taken again by any runner
// once its lease ends, and resumes after the last batch recorded.
package background

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/hookline/hookline"
)

// Defaults of a Runner's settings.
const (
	// DefaultLease is how long a runner holds a task between two batches.
	DefaultLease = time.Minute
	// DefaultBatch is how many items (messages) a batch handles.
	DefaultBatch = 100
	// DefaultPoll is how often an idle runner looks for a task it was not
	// woken for (one created by another process).
	DefaultPoll = 5 * time.Second
)

// Runner claims background tasks and works each to its end. Set its fields
// before Run; the zero values take the defaults above.
type Runner struct {
	store hookline.Store
	owner string
	wake  chan struct{}

	// Lease, Batch and Poll: see DefaultLease, DefaultBatch, DefaultPoll.
	Lease time.Duration
	Batch int
	Poll  time.Duration
	// Log receives a line for each task that ends, and the errors that
	// leave a task to be taken again. nil discards.
	Log *slog.Logger
	// Now is the clock of leases and of a task's times; nil is time.Now.
	Now func() time.Time
}

// NewRunner returns a Runner of the tasks of s, which leases them as owner:
// a name no other runner on the same database has.
func NewRunner(s hookline.Store, owner string) *Runner {
	return &Runner{store: s, owner: owner, wake: make(chan struct{}, 1)}
}

// Wake tells the runner that a task was created, so that an idle Run looks
// at once rather than at its next poll. It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works tasks until ctx ends: it claims one, works it to its end, and
// claims the next; with none to claim it waits for Wake or Poll. A task it
// holds when ctx ends keeps its progress and is released, for the next
// runner (of this process's next run, or of another).
func (r *Runner) Run(ctx context.Context) {
	poll := r.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	t := time.NewTimer(poll)
	defer t.Stop()
	for ctx.Err() == nil {
		ran, err := r.RunOnce(ctx)
		switch {
		case errors.Is(err, hookline.ErrTaskLeaseLost):
			// Another runner took the task, or its application was
			// deleted: nothing for an operator to do.
			r.log().Info("background task: " + err.Error())
			err = nil
		case err != nil && ctx.Err() == nil:
			r.log().Warn("background task: " + err.Error())
		}
		if ran && err == nil {
			continue
		}
		t.Reset(poll)
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-t.C:
		}
	}
}

// RunOnce claims a task and works it until it ends, its lease is lost, or
// ctx ends. It reports whether it claimed one. An error is the store's: the
// task, when it holds one, is left to be taken again.
func (r *Runner) RunOnce(ctx context.Context) (bool, error) {
	task, err := r.store.ClaimBackgroundTask(ctx, r.owner, r.now(), r.lease())
	if err != nil || task == nil {
		return false, err
	}
	return true, r.work(ctx, task)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	return DefaultLease
}

func (r *Runner) batch() int {
	if r.Batch > 0 {
		return r.Batch
	}
	return DefaultBatch
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// work runs the batches of task, recording after each its progress and a
// renewed lease, until it ends.
func (r *Runner) work(ctx context.Context, task *hookline.BackgroundTask) error {
	var p hookline.TaskParams
	var data map[string]any
	err := json.Unmarshal(task.Params, &p)
	if err == nil {
		err = json.Unmarshal(task.Data, &data)
	}
	if err != nil {
		return r.end(ctx, task, data, hookline.Errorf(hookline.EINVALID, "The task's parameters cannot be read."))
	}
	if data == nil {
		data = map[string]any{}
	}
	step, ok := steps[task.Type]
	if !ok {
		return r.end(ctx, task, data, hookline.Errorf(hookline.EINVALID, "Hookline does not run tasks of type %s.", task.Type))
	}
	for {
		b := &batch{store: r.store, task: task, params: &p, data: data, limit: r.batch(), cursor: task.Cursor}
		done, err := step(ctx, b)
		switch {
		case ctx.Err() != nil:
			r.release(task)
			return ctx.Err()
		case err != nil && final(err):
			return r.end(ctx, task, data, err)
		case err != nil:
			// The database, most likely: the task is taken again when
			// its lease ends, and redoes this batch.
			return err
		}
		task.Cursor = b.cursor
		if done {
			return r.end(ctx, task, data, nil)
		}
		task.Data = encode(data)
		now := r.now()
		until := now.Add(r.lease())
		task.UpdatedAt, task.LeaseUntil = now, &until
		if err := r.store.SaveBackgroundTask(ctx, r.owner, task); err != nil {
			if ctx.Err() != nil {
				r.release(task)
			}
			return err
		}
	}
}

// final reports whether err ends a task as failed: an error of what the
// task works on (an endpoint or application deleted since), rather than of
// the database.
func final(err error) bool {
	switch hookline.ErrorCode(err) {
	case hookline.ENOTFOUND, hookline.EINVALID, hookline.ECONFLICT:
		return true
	}
	return false
}

// end records task as finished, or failed with err, and its data.
func (r *Runner) end(ctx context.Context, task *hookline.BackgroundTask, data map[string]any, err error) error {
	status := hookline.TaskFinished
	if err != nil {
		status = hookline.TaskFailed
		if data == nil {
			data = map[string]any{}
		}
		data["error"] = userMessage(err)
	}
	task.Data = encode(data)
	task.End(status, r.now())
	if serr := r.store.SaveBackgroundTask(ctx, r.owner, task); serr != nil {
		return serr
	}
	r.log().Info("background task ended", "task", task.ID, "type", string(task.Type), "status", string(status))
	return nil
}

// release gives back the lease of task, which keeps its recorded progress,
// so that a runner takes it at once.
func (r *Runner) release(task *hookline.BackgroundTask) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fresh, err := r.store.BackgroundTask(ctx, task.AppID, task.ID)
	if err != nil || fresh.LeaseOwner != r.owner {
		return
	}
	fresh.LeaseOwner, fresh.LeaseUntil = "", nil
	if err := r.store.SaveBackgroundTask(ctx, r.owner, fresh); err != nil {
		r.log().Warn("background task: release: "+err.Error(), "task", task.ID)
	}
}

// userMessage is what a task's data shows of err: the message of a
// hookline error, never an internal one.
func userMessage(err error) string {
	var he *hookline.Error
	if errors.As(err, &he) && he.Code != hookline.EINTERNAL {
		return he.Message
	}
	return "The task failed."
}

func encode(data map[string]any) json.RawMessage {
	b, err := json.Marshal(data)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}
