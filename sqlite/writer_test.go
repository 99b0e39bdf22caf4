package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/wait"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "hookline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// inOneBatch runs the calls concurrently while the writer is held, so that
// the writer takes all of their ops in one batch, and returns their errors.
func inOneBatch(t *testing.T, s *Store, calls ...func() error) []error {
	t.Helper()
	gate := make(chan struct{})
	held := make(chan struct{})
	go s.write(context.Background(), func(w *writer) error {
		close(held)
		<-gate
		return nil
	})
	<-held
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = call()
		}()
	}
	wait.For(t, "every op to be queued behind the held one", func() bool { return len(s.ops) == len(calls) })
	before := s.Stats().Commits
	close(gate)
	wg.Wait()
	if c := s.Stats().Commits - before; c > 2 {
		t.Fatalf("the calls took %d commits, want them in one batch", c)
	}
	return errs
}

func TestBatchOpFailingAfterWriting(t *testing.T) {
	s := openTest(t)
	boom := errors.New("boom")
	a1 := &hookline.Application{Name: "kept-1"}
	a2 := &hookline.Application{Name: "kept-2"}
	var ghost = hookline.NewID(hookline.PrefixApplication)
	errs := inOneBatch(t, s,
		func() error { return s.CreateApplication(context.Background(), a1) },
		func() error {
			// Writes, then fails: its write must be undone, the others kept.
			return s.write(context.Background(), func(w *writer) error {
				if _, err := w.exec(`INSERT INTO applications (`+appCols+`) VALUES (?, NULL, 'ghost', NULL, NULL, 0, 0)`, ghost); err != nil {
					return err
				}
				return boom
			})
		},
		func() error { return s.CreateApplication(context.Background(), a2) },
	)
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], boom) {
		t.Fatalf("errors %v", errs)
	}
	for _, id := range []string{a1.ID, a2.ID} {
		if _, err := s.Application(t.Context(), id); err != nil {
			t.Fatalf("an op of the batch was lost: %v", err)
		}
	}
	if _, err := s.Application(t.Context(), ghost); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		t.Fatalf("the failed op's write survived: %v", err)
	}
}

func TestBatchMessagesWithAConflict(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	app := &hookline.Application{Name: "a"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "https://example.com"}, 0); err != nil {
		t.Fatal(err)
	}
	taken := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)}
	if _, err := s.CreateMessage(ctx, taken); err != nil {
		t.Fatal(err)
	}
	// In one batch: good messages, an eventId taken twice in the batch, a
	// message id already stored (only the insert finds that one out, which
	// fails the messages taken together and makes the writer run them one by
	// one), an unknown application.
	msgs := []*hookline.Message{
		{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)},
		{AppID: app.ID, EventType: "x", Payload: []byte(`{}`), EventID: ptr("dup")},
		{AppID: app.ID, EventType: "x", Payload: []byte(`{}`), EventID: ptr("dup")},
		{ID: taken.ID, AppID: app.ID, EventType: "x", Payload: []byte(`{}`)},
		{AppID: hookline.NewID(hookline.PrefixApplication), EventType: "x", Payload: []byte(`{}`)},
		{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)},
	}
	var calls []func() error
	counts := make([]int, len(msgs))
	for i, m := range msgs {
		calls = append(calls, func() error {
			n, err := s.CreateMessage(ctx, m)
			counts[i] = n
			return err
		})
	}
	errs := inOneBatch(t, s, calls...)
	codes := make([]string, len(errs))
	for i, err := range errs {
		codes[i] = hookline.ErrorCode(err)
	}
	dup := 0
	for _, i := range []int{1, 2} {
		if codes[i] == hookline.ECONFLICT {
			dup++
		} else if codes[i] != "" {
			t.Fatalf("message %d: %v", i, errs[i])
		}
	}
	if codes[0] != "" || codes[5] != "" || dup != 1 || codes[3] != hookline.ECONFLICT || codes[4] != hookline.ENOTFOUND {
		t.Fatalf("codes %q (%v)", codes, errs)
	}
	for _, i := range []int{0, 5} {
		if counts[i] != 1 {
			t.Fatalf("message %d: %d deliveries", i, counts[i])
		}
		if _, err := s.Message(ctx, app.ID, msgs[i].ID); err != nil {
			t.Fatal(err)
		}
	}
	tasks, err := s.ClaimDue(ctx, "w", time.Now().Add(time.Minute), time.Minute, 100)
	if err != nil || len(tasks) != 4 { // taken, 0, one of 1 and 2, 5
		t.Fatalf("%d deliveries due, want 4 (%v)", len(tasks), err)
	}
}

// leasedSuccess makes an application with one endpoint and one message,
// claims its delivery for "w", and returns the outcome of a successful
// attempt of it.
func leasedSuccess(t *testing.T, s *Store) (*hookline.Application, *hookline.Message, []hookline.Outcome) {
	t.Helper()
	ctx := context.Background()
	app := &hookline.Application{Name: "a"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "https://example.com"}, 0); err != nil {
		t.Fatal(err)
	}
	m := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)}
	if _, err := s.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	tasks, err := s.ClaimDue(ctx, "w", time.Now().Add(time.Minute), time.Minute, 10)
	if err != nil || len(tasks) != 1 {
		t.Fatal(len(tasks), err)
	}
	tk := tasks[0]
	outs := []hookline.Outcome{{
		DeliveryID: tk.Delivery.ID,
		Attempt: hookline.Attempt{AppID: app.ID, MessageID: m.ID, EndpointID: tk.Endpoint.ID,
			DeliveryID: tk.Delivery.ID, URL: tk.Endpoint.URL, Status: hookline.StatusSuccess, StatusCode: 200},
		Status: hookline.StatusSuccess, Attempts: 1,
	}}
	return app, m, outs
}

func TestCompleteIsIdempotent(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	app, m, outs := leasedSuccess(t, s)
	for range 2 { // the second as if the first commit had not been acknowledged
		if err := s.Complete(ctx, "w", outs); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.ListAttemptsByMessage(ctx, app.ID, m.ID, hookline.AttemptFilter{})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("%d attempts (%v), want 1", len(p.Items), err)
	}
	// An outcome with a made-up delivery id logs its attempt and moves nothing.
	bad := outs[0]
	bad.Attempt.ID = ""
	bad.DeliveryID = "msgep_not-a-real-id"
	if err := s.Complete(ctx, "w", []hookline.Outcome{bad}); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestEveryWriteIsSynced(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	before := s.Stats().Syncs
	for i := range 20 {
		if err := s.CreateApplication(ctx, &hookline.Application{Name: "a"}); err != nil {
			t.Fatal(i, err)
		}
		if got := s.Stats().Syncs - before; got < int64(i+1) {
			t.Fatalf("after %d sequential writes, %d syncs", i+1, got)
		}
	}
}

func TestSyncFailureStopsWrites(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	s.walPath = filepath.Join(t.TempDir(), "missing", "wal") // the syncer cannot open it
	err := s.CreateApplication(ctx, &hookline.Application{Name: "a"})
	if hookline.ErrorCode(err) != hookline.EUNAVAILABLE {
		t.Fatalf("write with a failing sync: %v", err)
	}
	err = s.CreateApplication(ctx, &hookline.Application{Name: "b"})
	if hookline.ErrorCode(err) != hookline.EUNAVAILABLE {
		t.Fatalf("write after a failed sync: %v", err)
	}
	// Reads still work.
	if _, err := s.ListApplications(ctx, hookline.ListOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestCompleteWaitsForCompany checks that outcomes alone do not make a
// commit of their own: Complete waits for the next write and commits with
// it. It runs in a testing/synctest bubble, whose clock moves only when
// every goroutine of the bubble is blocked: once they all are, a Complete
// that has not returned is waiting for company, and waits until another op
// comes or the clock reaches lazyWait (a minute here, which no step of the
// test lets pass).
func TestCompleteWaitsForCompany(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := openTest(t)
		s.lazyWait = time.Minute
		ctx := context.Background()
		app, m, outs := leasedSuccess(t, s)
		before := s.Stats().Commits
		done := make(chan error, 1)
		go func() { done <- s.Complete(ctx, "w", outs) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Complete returned (%v) before any other write came", err)
		default:
		}
		if _, err := s.CreateMessage(ctx, &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatal("Complete still waiting after a message was written")
		}
		if got := s.Stats().Commits - before; got != 1 {
			t.Errorf("%d commits for the outcomes and the message, want 1", got)
		}
		p, err := s.ListAttemptsByMessage(ctx, app.ID, m.ID, hookline.AttemptFilter{})
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("%d attempts (%v), want 1", len(p.Items), err)
		}
	})
}
