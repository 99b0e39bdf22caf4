package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// publication is a set of n messages being sent by concurrent publishers.
type publication struct {
	n        int
	ids      []atomic.Uint64 // hash of the message id the API returned, per seq; 0: not accepted; acceptedNoID: accepted without an id (baseline)
	respTime []atomic.Int64  // how long the API took to accept each message, ns

	sent       atomic.Int64 // attempted
	accepted   atomic.Int64
	failed     atomic.Int64
	firstErr   atomic.Pointer[string]
	firstStart atomic.Int64 // unix nanos of the first publish
	lastStart  atomic.Int64 // unix nanos of the last publish
	lastDone   atomic.Int64 // unix nanos of the last accepted answer

	done chan struct{} // closed when every publisher finished
}

func (p *publication) finished() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// err returns the first publish error, or "".
func (p *publication) err() string {
	if s := p.firstErr.Load(); s != nil {
		return *s
	}
	return ""
}

func storeMin(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if old != 0 && old <= v || a.CompareAndSwap(old, v) {
			return
		}
	}
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if old >= v || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// publish sends messages 0..n-1 with workers goroutines, each payload of
// size bytes carrying its publish time, and returns at once; the
// publication's done channel closes when all are sent. With rate > 0 the
// messages are paced to rate per second (message i is sent at
// start + i/rate, or as soon after as a worker is free); otherwise every
// worker sends as fast as answers come back.
func publish(ctx context.Context, n, workers, size int, rate float64, send sendFunc) *publication {
	p := &publication{n: n, ids: make([]atomic.Uint64, n), respTime: make([]atomic.Int64, n), done: make(chan struct{})}
	var next atomic.Int64
	var paced chan int
	if rate > 0 {
		paced = make(chan int, workers)
		go pace(ctx, n, rate, paced)
	}
	take := func() (int, bool) {
		if paced != nil {
			seq, ok := <-paced
			return seq, ok
		}
		seq := int(next.Add(1) - 1)
		return seq, seq < n && ctx.Err() == nil
	}
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := make([]byte, 0, size+64)
			resp := make([]byte, 0, size+1024)
			for {
				seq, ok := take()
				if !ok {
					return
				}
				start := time.Now()
				t := start.UnixNano()
				payload = appendPayload(payload[:0], t, seq, size)
				storeMin(&p.firstStart, t)
				storeMax(&p.lastStart, t)
				p.sent.Add(1)
				var id string
				var err error
				resp, id, err = send(ctx, resp, payload)
				end := time.Now()
				if err != nil {
					if p.failed.Add(1) == 1 {
						s := err.Error()
						p.firstErr.Store(&s)
					}
					continue
				}
				p.respTime[seq].Store(int64(end.Sub(start)))
				if id != "" {
					p.ids[seq].Store(hashID(id))
				} else {
					p.ids[seq].Store(acceptedNoID)
				}
				p.accepted.Add(1)
				storeMax(&p.lastDone, end.UnixNano())
			}
		}()
	}
	go func() {
		wg.Wait()
		close(p.done)
	}()
	return p
}

// pace hands out 0..n-1 at rate per second, then closes out. When the
// receivers of out fall behind, it hands out at once what is due.
func pace(ctx context.Context, n int, rate float64, out chan<- int) {
	defer close(out)
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for seq := 0; seq < n; seq++ {
		due := start.Add(time.Duration(seq) * interval)
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		select {
		case <-ctx.Done():
			return
		case out <- seq:
		}
	}
}
