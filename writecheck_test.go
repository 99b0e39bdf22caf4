package hookline

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWriteCheck: the probe runs at most once a WriteCheckEvery, callers in
// between get its answer, an error is EUNAVAILABLE, and an answer cut short
// by the caller's context is not kept.
func TestWriteCheck(t *testing.T) {
	var c WriteCheck
	var probes atomic.Int64
	full := errors.New("disk full")
	answer := error(nil)
	probe := func(context.Context) error { probes.Add(1); return answer }
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()

	if err := c.Check(ctx, t0, probe); err != nil || probes.Load() != 1 {
		t.Fatalf("first check: %v, %d probes", err, probes.Load())
	}
	answer = full
	if err := c.Check(ctx, t0.Add(WriteCheckEvery-time.Nanosecond), probe); err != nil || probes.Load() != 1 {
		t.Fatalf("within the interval: %v, %d probes; want the last answer, no probe", err, probes.Load())
	}
	err := c.Check(ctx, t0.Add(WriteCheckEvery), probe)
	if ErrorCode(err) != EUNAVAILABLE || !errors.Is(err, full) || probes.Load() != 2 {
		t.Fatalf("after the interval: %v (code %s), %d probes", err, ErrorCode(err), probes.Load())
	}
	if err := c.Check(ctx, t0.Add(WriteCheckEvery+time.Millisecond), probe); !errors.Is(err, full) || probes.Load() != 2 {
		t.Fatalf("the failure is not kept: %v, %d probes", err, probes.Load())
	}

	// Callers at once share one probe.
	t1 := t0.Add(10 * WriteCheckEvery)
	answer = nil
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Check(ctx, t1, probe); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if probes.Load() != 3 {
		t.Fatalf("16 callers at once ran %d probes, want 1", probes.Load()-2)
	}

	// A probe whose caller gave up: its answer is not kept.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	t2 := t1.Add(WriteCheckEvery)
	if err := c.Check(cancelled, t2, func(ctx context.Context) error { return ctx.Err() }); err == nil {
		t.Fatal("a cancelled probe answered nil")
	}
	if err := c.Check(ctx, t2, probe); err != nil || probes.Load() != 4 {
		t.Fatalf("after a cancelled probe: %v, %d probes; want a new probe", err, probes.Load())
	}
}
