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
