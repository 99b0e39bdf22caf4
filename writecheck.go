package hookline

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// WriteCheckEvery is how often at most a store writes to answer
// Health.CheckWrite: a health check polled often, or by anyone (it needs no
// token), costs one small write a second.
const WriteCheckEvery = time.Second

// WriteCheck answers Health.CheckWrite for a store: it runs the store's
// probe, a write that must reach the disk, at most once every
// WriteCheckEvery, and gives the callers in between the probe's answer;
// callers that come while a probe runs wait for it. The zero value is
// ready to use.
type WriteCheck struct {
	mu  sync.Mutex
	at  time.Time // when the last probe ended; zero: none yet
	err error     // its answer
}

// Check returns the answer of the probe that ended within WriteCheckEvery
// before now, or runs probe. A probe's error is EUNAVAILABLE ("The store
// cannot write."), wrapping what the probe said; one that only says ctx
// ended is not kept for others.
func (c *WriteCheck) Check(ctx context.Context, now time.Time, probe func(context.Context) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && now.Sub(c.at) < WriteCheckEvery {
		return c.err
	}
	err := probe(ctx)
	if err != nil {
		err = fmt.Errorf("%w: %w", Errorf(EUNAVAILABLE, "The store cannot write."), err)
		if ctx.Err() != nil {
			return err
		}
	}
	c.at, c.err = now, err
	return err
}
