package hookline

import (
	"context"
	"log/slog"
	"time"
)

const (
	// CleanupEvery is how often a Store runs its Cleanup.
	CleanupEvery = 10 * time.Minute
	// CleanupBatch bounds the rows one statement of a Cleanup changes.
	CleanupBatch = 1000
)

// Sweep runs each of a Cleanup's statements through exec, which runs stmt
// with two arguments, now and CleanupBatch, and returns how many rows it
// changed: at most CleanupBatch rows whose time has come at now. Sweep runs
// each statement again and again while it changes a full batch (more may
// be left), and returns how many rows they changed in all. It stops at the
// first error.
func Sweep(ctx context.Context, exec func(ctx context.Context, stmt string, now time.Time) (int64, error), stmts ...string) (int, error) {
	total := 0
	for _, stmt := range stmts {
		for {
			n, err := exec(ctx, stmt, Now())
			if err != nil {
				return total, err
			}
			total += int(n)
			if n < CleanupBatch {
				break
			}
		}
	}
	return total, nil
}

// RunCleanup runs c.Cleanup every CleanupEvery until ctx ends, and logs a
// failure (as a warning) and what it removed (at debug level), each message
// prefixed with name. A Store runs it in a goroutine of its own.
func RunCleanup(ctx context.Context, c Cleaner, log *slog.Logger, name string) {
	t := time.NewTicker(CleanupEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := c.Cleanup(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn(name+": cleanup failed", "err", err)
		} else if n > 0 {
			log.Debug(name+": cleanup", "deleted", n)
		}
	}
}

// PruneBatch bounds the messages one transaction of a Prune looks at.
const PruneBatch = 500

// DefaultRetention is how long Hookline keeps messages, their deliveries
// and attempts, and the inbound gateway's log, unless told otherwise
// (--retention).
const DefaultRetention = 90 * 24 * time.Hour

// RunPrune runs c.Prune with what was made more than retention before now
// every CleanupEvery, the first time at once, until ctx ends; retention 0
// (or less) keeps everything, and RunPrune returns at once. now is the
// clock (time.Now in serve). It logs a failure as a warning and what it
// deleted at debug level. Every process of a shared database may run it:
// the stores' batches skip what another is deleting.
func RunPrune(ctx context.Context, c Cleaner, retention time.Duration, now func() time.Time, log *slog.Logger) {
	if retention <= 0 {
		return
	}
	t := time.NewTicker(CleanupEvery)
	defer t.Stop()
	for {
		n, err := c.Prune(ctx, now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Warn("retention: prune failed", "err", err)
		} else if n > 0 {
			log.Debug("retention: pruned", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
