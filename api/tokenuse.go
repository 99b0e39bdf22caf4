package api

import (
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// tokenUses decides when the use of a token is recorded in the store
// (Tokens.TokenUsed): at most once every hookline.TokenUseInterval per
// token and process, so that a token used without pause costs one write a
// minute, not one a request. It remembers when it last recorded each
// token's use; a token it does not remember is recorded unless its stored
// LastUsedAt is recent.
type tokenUses struct {
	last sync.Map // token id -> time.Time, the use last recorded

	mu    sync.Mutex // serialises recording and sweeping
	swept time.Time  // the last sweep of last
}

// due reports whether the use of t at now is to be recorded, and if so
// notes it as recorded: of requests made at once with one token, one is
// told to record.
func (u *tokenUses) due(t *hookline.Token, now time.Time) bool {
	if !u.unrecorded(t, now) {
		return false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.unrecorded(t, now) {
		return false
	}
	u.last.Store(t.ID, now)
	if now.Sub(u.swept) >= hookline.TokenUseInterval {
		// What is forgotten is recorded again, at worst, once: the map
		// holds the tokens used in the last interval, no more.
		u.swept = now
		u.last.Range(func(id, at any) bool {
			if hookline.UseDue(at.(time.Time), now) {
				u.last.Delete(id)
			}
			return true
		})
	}
	return true
}

// unrecorded reports whether no use of t within the interval before now is
// recorded, as far as u knows.
func (u *tokenUses) unrecorded(t *hookline.Token, now time.Time) bool {
	if at, ok := u.last.Load(t.ID); ok {
		return hookline.UseDue(at.(time.Time), now)
	}
	var stored time.Time
	if t.LastUsedAt != nil {
		stored = *t.LastUsedAt
	}
	return hookline.UseDue(stored, now)
}
