package background

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// batch is one batch of a task: what a step reads and what it leaves.
type batch struct {
	store  hookline.Store
	task   *hookline.BackgroundTask
	params *hookline.TaskParams
	data   map[string]any // the task's data; a step adds to its counts
	limit  int            // items to handle at most
	cursor string         // set by the step: the last item it handled
}

// count adds n to the count key of the task's data.
func (b *batch) count(key string, n int) {
	v, _ := b.data[key].(float64)
	b.data[key] = v + float64(n)
}

// step works one batch of a task after b.task.Cursor, sets b.cursor, and
// reports whether the task is done.
type step func(ctx context.Context, b *batch) (bool, error)

// steps are the steps of each type of task.
var steps = map[hookline.TaskType]step{
	hookline.TaskRecover:      recoverStep,
	hookline.TaskBulkReplay:   bulkReplayStep,
	hookline.TaskReplay:       replayStep,
	hookline.TaskPurgeContent: purgeStep,
}

// Counts of the tasks' data, as Svix names them.
const (
	messagesSent   = "messagesSent"
	messagesPurged = "messagesPurged"
)

// recoverStep sends again, with one manual attempt each (Resend), the
// messages with a failed attempt to the endpoint in the window and no
// successful one, as svix-server's recover picks them: by the attempts'
// time, and those waiting for a retry too. It goes through the failed
// attempts of the window and takes each message at its last attempt of the
// window, so that a message is sent once whatever the batches.
func recoverStep(ctx context.Context, b *batch) (bool, error) {
	p := b.params
	fail, success := hookline.StatusFail, hookline.StatusSuccess
	page, err := b.store.ListAttemptsByEndpoint(ctx, b.task.AppID, p.EndpointID, hookline.AttemptFilter{
		ListOptions: hookline.ListOptions{Limit: b.limit, Iterator: b.task.Cursor}, Status: &fail,
		After: p.Since, Before: p.Until})
	if err != nil {
		return false, err
	}
	// first returns the id of the newest of the message's attempts to the
	// endpoint in the window that status (nil: any) keeps, "" for none.
	first := func(ctx context.Context, msgID string, status *hookline.Status) (string, error) {
		got, err := b.store.ListAttemptsByMessage(ctx, b.task.AppID, msgID, hookline.AttemptFilter{
			ListOptions: hookline.ListOptions{Limit: 1, Descending: true}, EndpointID: p.EndpointID,
			Status: status, After: p.Since, Before: p.Until})
		if err != nil || len(got.Items) == 0 {
			return "", err
		}
		return got.Items[0].ID, nil
	}
	sent, err := each(ctx, page.Items, func(ctx context.Context, a *hookline.Attempt) (bool, error) {
		if last, err := first(ctx, a.MessageID, nil); err != nil || last != a.ID {
			return false, err
		}
		if ok, err := first(ctx, a.MessageID, &success); err != nil || ok != "" {
			return false, err
		}
		return true, b.store.Resend(ctx, b.task.AppID, a.MessageID, p.EndpointID)
	})
	if err != nil {
		return false, err
	}
	b.count(messagesSent, sent)
	return advance(b, page, func(x *hookline.Attempt) string { return x.ID }), nil
}

// bulkReplayStep sends again the deliveries to the endpoint that match the
// filters: the message's event type, channel and tag, the delivery's
// status, and the status code class of its last attempt.
func bulkReplayStep(ctx context.Context, b *batch) (bool, error) {
	p := b.params
	f := hookline.EndpointMessageFilter{Channel: p.Channel, EventTypes: p.EventTypes, Status: p.Status}
	keep := func(ctx context.Context, em *hookline.EndpointMessage) (bool, error) {
		if p.Tag != "" && !slices.Contains(em.Message.Tags, p.Tag) {
			return false, nil
		}
		if p.StatusCodeClass == nil {
			return true, nil
		}
		last, err := b.store.ListAttemptsByMessage(ctx, b.task.AppID, em.Message.ID, hookline.AttemptFilter{
			ListOptions: hookline.ListOptions{Limit: 1, Descending: true}, EndpointID: p.EndpointID})
		if err != nil || len(last.Items) == 0 {
			return false, err
		}
		code := last.Items[0].StatusCode
		if *p.StatusCodeClass == 0 {
			return code == 0, nil
		}
		return code/100*100 == *p.StatusCodeClass, nil
	}
	return resendStep(ctx, b, f, keep)
}

// resendStep resends the next batch of the endpoint's messages of the
// window that f selects and keep (when set) keeps.
func resendStep(ctx context.Context, b *batch, f hookline.EndpointMessageFilter,
	keep func(context.Context, *hookline.EndpointMessage) (bool, error)) (bool, error) {
	p := b.params
	f.ListOptions = hookline.ListOptions{Limit: b.limit, Iterator: b.task.Cursor}
	f.After, f.Before = p.Since, p.Until
	page, err := b.store.ListMessagesByEndpoint(ctx, b.task.AppID, p.EndpointID, f)
	if err != nil {
		return false, err
	}
	if len(page.Items) == 0 {
		// The endpoint may be gone: a deleted endpoint has no deliveries
		// to list, and that is worth saying.
		if _, err := b.store.Endpoint(ctx, b.task.AppID, p.EndpointID); err != nil {
			return false, err
		}
	}
	sent, err := each(ctx, page.Items, func(ctx context.Context, em *hookline.EndpointMessage) (bool, error) {
		if keep != nil {
			if ok, err := keep(ctx, em); err != nil || !ok {
				return false, err
			}
		}
		return true, b.store.Resend(ctx, b.task.AppID, em.Message.ID, p.EndpointID)
	})
	if err != nil {
		return false, err
	}
	b.count(messagesSent, sent)
	return advance(b, page, func(x *hookline.EndpointMessage) string { return x.Message.ID }), nil
}

// replayStep creates a delivery to the endpoint for each message of the
// window that its event-type and channel filters take (whether or not it
// is enabled: it may not have been when the message came) and that has
// none. A message whose payload is gone cannot be sent and is skipped.
func replayStep(ctx context.Context, b *batch) (bool, error) {
	p := b.params
	ep, err := b.store.Endpoint(ctx, b.task.AppID, p.EndpointID)
	if err != nil {
		return false, err
	}
	filter := *ep
	filter.Disabled = false
	page, err := b.store.ListMessages(ctx, b.task.AppID, hookline.MessageFilter{
		ListOptions: hookline.ListOptions{Limit: b.limit, Iterator: b.task.Cursor}, After: p.Since, Before: p.Until})
	if err != nil {
		return false, err
	}
	var ids []string
	for _, m := range page.Items {
		if m.Payload != nil && filter.Matches(m.EventType, m.Channels) {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) > 0 {
		n, err := b.store.ReplayMissing(ctx, b.task.AppID, ep.ID, ids)
		if err != nil {
			return false, err
		}
		b.count(messagesSent, n)
	}
	return advance(b, page, func(x *hookline.Message) string { return x.ID }), nil
}

// purgeStep expunges the payloads of the next batch of the application's
// messages created before the task.
func purgeStep(ctx context.Context, b *batch) (bool, error) {
	before := b.task.CreatedAt.Add(time.Microsecond)
	page, err := b.store.ListMessages(ctx, b.task.AppID, hookline.MessageFilter{
		ListOptions: hookline.ListOptions{Limit: b.limit, Iterator: b.task.Cursor}, Before: &before})
	if err != nil {
		return false, err
	}
	purged, err := each(ctx, page.Items, func(ctx context.Context, m *hookline.Message) (bool, error) {
		if m.Payload == nil {
			return false, nil
		}
		return true, b.store.ExpungeMessageContent(ctx, b.task.AppID, m.ID)
	})
	if err != nil {
		return false, err
	}
	b.count(messagesPurged, purged)
	return advance(b, page, func(x *hookline.Message) string { return x.ID }), nil
}

// advance sets b's cursor to the id of the last item of page, when it has
// one, and reports whether the task is done.
func advance[T any](b *batch, page hookline.Page[T], id func(T) string) bool {
	if n := len(page.Items); n > 0 {
		b.cursor = id(page.Items[n-1])
	}
	return page.Done
}

// parallel is how many items of a batch each works on at once: their
// writes then share the store's commits (SQLite's writer groups them;
// PostgreSQL's pool runs them side by side).
const parallel = 16

// each runs fn on every item, parallel at a time, and returns how many it
// did (fn reports whether it did one) and the first error. After an error
// it starts no more items.
func each[T any](ctx context.Context, items []T, fn func(context.Context, T) (bool, error)) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		done  int
		first error
		wg    sync.WaitGroup
	)
	slots := make(chan struct{}, parallel)
	for _, item := range items {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			did, err := fn(ctx, item)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && first == nil:
				first = err
				cancel()
			case err == nil && did:
				done++
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return done, first
}
