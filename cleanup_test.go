package hookline

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSweepRunsEachStepUntilItIsDone(t *testing.T) {
	var runs []int
	left := []int64{CleanupBatch + 5, 3}
	step := func(i int) CleanupStep {
		return func(context.Context, time.Time) (int64, error) {
			runs = append(runs, i)
			n := min(left[i], CleanupBatch)
			left[i] -= n
			return n, nil
		}
	}
	n, err := Sweep(t.Context(), step(0), step(1))
	if err != nil || n != CleanupBatch+8 {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	if want := []int{0, 0, 1}; len(runs) != len(want) || runs[0] != 0 || runs[1] != 0 || runs[2] != 1 {
		t.Errorf("runs %v, want %v", runs, want)
	}

	boom := errors.New("boom")
	n, err = Sweep(t.Context(), func(context.Context, time.Time) (int64, error) { return 2, nil },
		func(context.Context, time.Time) (int64, error) { return 0, boom },
		func(context.Context, time.Time) (int64, error) { t.Error("a step after a failure ran"); return 0, nil })
	if n != 2 || !errors.Is(err, boom) {
		t.Errorf("Sweep = %d, %v; want 2, boom", n, err)
	}
}
