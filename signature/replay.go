package signature

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// ReplayGuard remembers which requests have been accepted, so that a copy
// of a captured request is refused while its signature is still valid.
//
// Remember records key until expires and reports whether this is the first
// time key is recorded: true for a new key (or one whose previous record
// has expired), false for a key recorded before and not yet expired. It
// must be atomic: of two concurrent calls with the same key, at most one
// returns true. An error means the guard could not decide; Middleware then
// refuses the request with 503 so that the sender tries again later.
//
// A guard shared by several processes (Redis SET NX with an expiry, a
// database table with a unique key) gives protection across all of them;
// MemoryReplayGuard protects one process.
type ReplayGuard interface {
	Remember(ctx context.Context, key string, expires time.Time) (first bool, err error)
}

// ReplayKeyer is implemented by verifiers that can name a request for a
// ReplayGuard. ReplayKey is called only after Verify accepted the request.
// key must be derived from signed parts of the request, so that an attacker
// cannot change it without breaking the signature, and must be the same for
// byte-identical copies; expires is the last instant at which such a copy
// would still pass Verify, or the zero Time when the scheme sets no limit.
// Every scheme in this package implements it.
type ReplayKeyer interface {
	ReplayKey(header http.Header, body []byte) (key string, expires time.Time)
}

// bodyReplayKey builds a key from a scheme name, an optional signed
// timestamp and the SHA-256 of the body.
func bodyReplayKey(scheme, ts string, body []byte) string {
	sum := sha256.Sum256(body)
	return scheme + ":" + ts + ":" + hex.EncodeToString(sum[:])
}

// DefaultReplayCapacity is the number of keys a MemoryReplayGuard made with
// a capacity of zero holds.
const DefaultReplayCapacity = 100_000

// MemoryReplayGuard is an in-memory ReplayGuard for one process. It holds
// at most its capacity of keys; expired keys are dropped as new ones
// arrive. When it is full of unexpired keys it forgets the key closest to
// expiry to make room, so a flood of accepted requests (which needs the
// secret) weakens the protection instead of exhausting memory. Size it for
// the number of requests you accept within the tolerance window.
//
// It is safe for concurrent use. Create it with NewMemoryReplayGuard.
type MemoryReplayGuard struct {
	// Now returns the current time; nil means time.Now. Set it before use.
	Now func() time.Time

	mu       sync.Mutex
	capacity int
	keys     map[string]time.Time
	order    expiryHeap
}

// NewMemoryReplayGuard returns an empty guard that holds at most capacity
// keys (DefaultReplayCapacity if capacity <= 0).
func NewMemoryReplayGuard(capacity int) *MemoryReplayGuard {
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	return &MemoryReplayGuard{capacity: capacity, keys: make(map[string]time.Time)}
}

// Remember implements ReplayGuard. It never returns an error. A key whose
// expires is not after Now is not recorded (a copy of it would fail
// verification anyway) but still reports whether it was already present.
func (g *MemoryReplayGuard) Remember(_ context.Context, key string, expires time.Time) (bool, error) {
	now := clock(g.Now)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dropExpired(now)
	if _, seen := g.keys[key]; seen {
		return false, nil
	}
	if !expires.After(now) {
		return true, nil
	}
	for len(g.keys) >= g.capacity {
		e := heap.Pop(&g.order).(expiryEntry)
		delete(g.keys, e.key)
	}
	g.keys[key] = expires
	heap.Push(&g.order, expiryEntry{key: key, expires: expires})
	return true, nil
}

// Len returns the number of keys held, expired ones included until the
// next Remember drops them.
func (g *MemoryReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.keys)
}

func (g *MemoryReplayGuard) dropExpired(now time.Time) {
	for len(g.order) > 0 && !g.order[0].expires.After(now) {
		e := heap.Pop(&g.order).(expiryEntry)
		delete(g.keys, e.key)
	}
}

type expiryEntry struct {
	key     string
	expires time.Time
}

// expiryHeap is a min-heap of keys by expiry time.
type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = expiryEntry{}
	*h = old[:len(old)-1]
	return e
}
