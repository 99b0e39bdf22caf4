package api

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// idempotent serves a POST with an idempotency-key: the first response for
// the key (scoped by token, method and path) is saved, unless it is a 5xx,
// and replayed for every later request with the same key. Requests with the
// same key wait for each other in this process, so that two of them never
// both run.
func (s *Server) idempotent(c *call, rt *route, key string) (int, []byte, error) {
	scoped := idempotencyKey(c.tok.ID, c.r.Method, c.r.URL.EscapedPath(), key)
	unlock := s.keys.lock(scoped)
	defer unlock()

	saved, err := s.store.IdempotentResponse(c.ctx(), scoped)
	switch {
	case err == nil:
		return saved.StatusCode, saved.Body, nil
	case hookline.ErrorCode(err) != hookline.ENOTFOUND:
		return render(0, nil, err)
	}
	status, body, herr := s.run(c, rt)
	if status < 500 {
		resp := &hookline.IdempotentResponse{Key: scoped, StatusCode: status, Body: body, CreatedAt: time.Now().UTC()}
		if err := s.store.SaveIdempotentResponse(c.ctx(), resp); err != nil {
			// The request succeeded; only a later replay is lost.
			s.log.Warn("api: cannot save an idempotent response", "method", c.r.Method, "path", hookline.RedactedPath(c.r.URL.Path), "error", err.Error())
		}
	}
	return status, body, herr
}

// idempotencyKey scopes a caller's key. The result is a fixed-size hash, so
// that a long key costs no more to store than a short one.
func idempotencyKey(tokenID, method, path, key string) string {
	h := sha256.New()
	for _, part := range []string{tokenID, method, path, key} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "idem_" + hex.EncodeToString(h.Sum(nil))
}

// keyLocks is a mutex per key, alive while someone holds or waits for it.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int
}

// lock locks key and returns its unlock function.
func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyLock)
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.users++
	k.mu.Unlock()

	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.users--
		if l.users == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
