package hookline

import (
	"context"
	"errors"
	"log/slog"
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

// pruneRecorder is a Cleaner that records the times Prune is given and
// ends ctx after the first.
type pruneRecorder struct {
	before []time.Time
	stop   context.CancelFunc
}

func (p *pruneRecorder) Cleanup(context.Context) (int, error) { return 0, nil }
func (p *pruneRecorder) Prune(_ context.Context, before time.Time) (int, error) {
	p.before = append(p.before, before)
	p.stop()
	return 1, nil
}

func TestRunPruneDeletesWhatOutlivedRetention(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p := &pruneRecorder{stop: cancel}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	RunPrune(ctx, p, 48*time.Hour, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	if len(p.before) != 1 || !p.before[0].Equal(now.Add(-48*time.Hour)) {
		t.Fatalf("Prune given %v, want once %v", p.before, now.Add(-48*time.Hour))
	}

	// Retention 0 keeps everything: RunPrune returns without pruning.
	p = &pruneRecorder{stop: func() {}}
	RunPrune(t.Context(), p, 0, time.Now, slog.New(slog.DiscardHandler))
	if len(p.before) != 0 {
		t.Fatalf("Prune ran with retention 0: %v", p.before)
	}
}
