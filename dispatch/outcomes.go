package dispatch

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// lingerBelow is the batch of outcomes for which the outcome writer stops
// waiting (see Config.OutcomeLinger).
const lingerBelow = 32

// completeLoop writes outcomes back in batches: whatever arrived while the
// previous batch was being written goes into the next one, and, with
// OutcomeLinger, what arrives soon after the first one of a small batch.
func (d *Dispatcher) completeLoop(results <-chan hookline.Outcome) {
	const maxBatch = 512
	batch := make([]hookline.Outcome, 0, maxBatch)
	var linger *time.Timer
	for o := range results {
		batch = append(batch[:0], o)
		batch = gather(results, batch, maxBatch, nil)
		if len(batch) < lingerBelow && d.cfg.OutcomeLinger > 0 {
			if linger == nil {
				linger = time.NewTimer(d.cfg.OutcomeLinger)
			} else {
				linger.Reset(d.cfg.OutcomeLinger)
			}
			batch = gather(results, batch, lingerBelow, linger.C)
			linger.Stop()
		}
		d.writeOutcomes(batch)
	}
}

// gather appends outcomes from results to batch until it holds n, results
// is closed, or, with a nil until, none is waiting; with until, until
// fires.
func gather(results <-chan hookline.Outcome, batch []hookline.Outcome, n int, until <-chan time.Time) []hookline.Outcome {
	for len(batch) < n {
		var o hookline.Outcome
		var ok bool
		if until == nil {
			select {
			case o, ok = <-results:
			default:
				return batch
			}
		} else {
			select {
			case o, ok = <-results:
			case <-until:
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = append(batch, o)
	}
	return batch
}

// writeOutcomes retries a failed write a few times. If it never succeeds the
// leases expire and the deliveries are attempted again: at least once, never
// lost.
func (d *Dispatcher) writeOutcomes(batch []hookline.Outcome) {
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := d.store.Complete(ctx, d.cfg.Owner, batch)
		cancel()
		if err == nil {
			return
		}
		if try == 5 {
			d.log.Error("dispatch: giving up writing outcomes; their deliveries will be retried when the leases expire",
				"err", err, "outcomes", len(batch))
			return
		}
		d.log.Warn("dispatch: writing outcomes failed", "err", err, "try", try)
		time.Sleep(time.Duration(try) * 200 * time.Millisecond)
	}
}
