// Package readcache keeps the reads that every API request makes and that
// change rarely, such as the caller's token and the application in the path,
// for the stores.
//
// A Cache is correct only if every change to what it holds is followed by
// Invalidate, after the change has committed. A read that raced with a
// change is not kept: Put stores a value only under the generation that
// Get, called before the read began, returned.
package readcache

import (
	"sync"
	"time"
)

// maxItems bounds a cache; past it the cache starts over.
const maxItems = 10000

// Cache maps keys to values. The zero value is an empty cache whose items
// never age; it is safe for concurrent use.
type Cache[V any] struct {
	// MaxAge, when positive, is how long an item is kept: the bound on how
	// stale an item can be should an invalidation be missed.
	MaxAge time.Duration

	mu    sync.Mutex
	gen   uint64
	items map[string]item[V]
}

type item[V any] struct {
	v  V
	at time.Time
}

// Get returns the value of key, whether there was one, and the generation
// to give Put for the value read now from the source.
func (c *Cache[V]) Get(key string) (v V, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if ok && c.MaxAge > 0 && time.Since(it.at) >= c.MaxAge {
		delete(c.items, key)
		ok = false
	}
	return it.v, c.gen, ok
}

// Put stores v under key unless the cache was invalidated since the Get
// that returned gen.
func (c *Cache[V]) Put(key string, v V, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.items == nil || len(c.items) >= maxItems {
		c.items = make(map[string]item[V])
	}
	c.items[key] = item[V]{v: v, at: time.Now()}
}

// Invalidate forgets everything, and makes every Put of a read that began
// before it a no-op.
func (c *Cache[V]) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.items = nil
}
