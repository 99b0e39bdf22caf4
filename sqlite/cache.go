package sqlite

import (
	"maps"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// maxCached bounds each read cache; past it the cache starts over.
const maxCached = 10000

// readCache remembers reads that every API request makes and that change
// rarely: the caller's token and the application in the path. This process
// is the only writer of the file, so every change goes through the Store,
// which invalidates the cache after committing. A read that raced with a
// change is not cached: put only stores under the generation the read began
// in.
type readCache[V any] struct {
	mu    sync.Mutex
	gen   uint64
	items map[string]V
}

func (c *readCache[V]) get(key string) (v V, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok = c.items[key]
	return v, c.gen, ok
}

func (c *readCache[V]) put(key string, v V, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.items == nil || len(c.items) >= maxCached {
		c.items = make(map[string]V)
	}
	c.items[key] = v
}

// invalidate forgets everything; call it after a change commits.
func (c *readCache[V]) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.items = nil
}

// cloneApp returns a copy of a that shares nothing with it, so that a
// caller may change what it got without changing the cache.
func cloneApp(a *hookline.Application) *hookline.Application {
	c := *a
	if a.UID != nil {
		uid := *a.UID
		c.UID = &uid
	}
	if a.ThrottleRate != nil {
		r := *a.ThrottleRate
		c.ThrottleRate = &r
	}
	c.Metadata = maps.Clone(a.Metadata)
	return &c
}

func cloneToken(t *hookline.Token) *hookline.Token {
	c := *t
	c.Hash = append([]byte(nil), t.Hash...)
	if t.ExpiresAt != nil {
		e := *t.ExpiresAt
		c.ExpiresAt = &e
	}
	return &c
}

func tokenLive(t *hookline.Token, now time.Time) bool {
	return t.ExpiresAt == nil || t.ExpiresAt.After(now)
}
