package hookline

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSweepRunsEachStepUntilItIsDone(t *testing.T) {
	var runs []string
	left := map[string]int64{"a": CleanupBatch + 5, "b": 3}
	exec := func(_ context.Context, stmt string, _ time.Time) (int64, error) {
		runs = append(runs, stmt)
		n := min(left[stmt], CleanupBatch)
		left[stmt] -= n
		return n, nil
	}
	n, err := Sweep(t.Context(), exec, "a", "b")
	if err != nil || n != CleanupBatch+8 {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	if got, want := strings.Join(runs, ""), "aab"; got != want {
		t.Errorf("ran %q, want %q", got, want)
	}

	boom := errors.New("boom")
	exec = func(_ context.Context, stmt string, _ time.Time) (int64, error) {
		switch stmt {
		case "ok":
			return 2, nil
		case "fails":
			return 0, boom
		}
		t.Errorf("%s ran after a failure", stmt)
		return 0, nil
	}
	n, err = Sweep(t.Context(), exec, "ok", "fails", "after")
	if n != 2 || !errors.Is(err, boom) {
		t.Errorf("Sweep = %d, %v; want 2, boom", n, err)
	}
}
