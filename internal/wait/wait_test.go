package wait

import (
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is a testing.TB whose Fatalf records the failure and ends the
// goroutine, as testing's does.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a recorder in a goroutine of its own, and returns what
// it failed with ("" for nothing).
func run(fn func(tb testing.TB)) string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.failure
}

func TestForReturnsOnceTheConditionHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		calls := 0
		failure := run(func(tb testing.TB) {
			For(tb, "the third call", func() bool { calls++; return calls == 3 })
		})
		if failure != "" || calls != 3 {
			t.Fatalf("For failed with %q after %d calls, want success after 3", failure, calls)
		}
		if waited := time.Since(start); waited > 10*time.Millisecond {
			t.Fatalf("For waited %v for a condition true at the third call", waited)
		}
	})
}

func TestWithinFailsAtItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		failure := run(func(tb testing.TB) {
			Within(tb, time.Minute, "the impossible", func() bool { return false })
		})
		if failure != "gave up after 1m0s waiting for the impossible" {
			t.Fatalf("failure %q", failure)
		}
		if waited := time.Since(start); waited < time.Minute || waited > time.Minute+maxPause {
			t.Fatalf("Within gave up after %v, want its deadline of a minute", waited)
		}
	})
}

func TestForWaitsForDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		run(func(tb testing.TB) { For(tb, "nothing", func() bool { return false }) })
		if waited := time.Since(start); waited < Deadline {
			t.Fatalf("For gave up after %v, before Deadline (%v)", waited, Deadline)
		}
	})
}
