package signature

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultMaxBodyBytes is the body size limit of a Middleware whose
// MaxBodyBytes is zero: 5 MiB, above what common providers send in one
// webhook (GitHub caps payloads at 25 MB; set MaxBodyBytes for it).
const DefaultMaxBodyBytes = 5 << 20

// DefaultReplayWindow is how long a Middleware's ReplayGuard remembers a
// request whose scheme sets no expiry of its own (GitHub, Shopify, a
// generic HMAC without timestamp): twice DefaultTolerance.
const DefaultReplayWindow = 2 * DefaultTolerance

// Middleware verifies requests before they reach the next handler.
//
// For each request it reads the body (refusing with 413 a body over
// MaxBodyBytes), checks it with Verifier, and, when Replay is set, refuses
// a request the guard has seen before. A request that fails gets 401 with
// the same short text whatever the reason, so a prober learns nothing about
// which check failed; the reason goes to OnError. A request that passes
// reaches the next handler with its body restored (same bytes, readable
// from the start, ContentLength and GetBody set).
//
// A Middleware must not be changed once Wrap has been called.
type Middleware struct {
	// Verifier checks each request. Required.
	Verifier Verifier
	// MaxBodyBytes limits the body read; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Replay, when set, refuses copies of accepted requests. The key comes
	// from Verifier's ReplayKey when it implements ReplayKeyer, and is
	// otherwise the SHA-256 of the body.
	Replay ReplayGuard
	// ReplayWindow is how long a key is remembered when the scheme gives no
	// expiry; zero means DefaultReplayWindow.
	ReplayWindow time.Duration
	// Now returns the current time for ReplayWindow; nil means time.Now.
	Now func() time.Time
	// OnError, when set, is called with every refused request and the
	// reason (an error wrapping one of this package's sentinels, including
	// ErrBodyTooLarge and ErrReplayed). Use it to log; never send err to
	// the client.
	OnError func(r *http.Request, err error)
}

// Handler returns next wrapped in a Middleware with the given verifier and
// default settings.
func Handler(v Verifier, next http.Handler) http.Handler {
	return (&Middleware{Verifier: v}).Wrap(next)
}

// Wrap returns a handler that verifies each request and then calls next.
// It panics if m.Verifier or next is nil.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	if m.Verifier == nil || next == nil {
		panic("signature: Middleware.Wrap needs a Verifier and a next handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serve(w, r, next)
	})
}

// unauthorizedText is the one answer a refused request gets.
const unauthorizedText = "webhook verification failed"

func (m *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	limit := m.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if r.ContentLength > limit {
		m.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: Content-Length %d over %d", ErrBodyTooLarge, r.ContentLength, limit))
		return
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			m.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit))
		} else {
			m.refuse(w, r, http.StatusBadRequest, fmt.Errorf("signature: reading body: %w", err))
		}
		return
	}
	if err := m.Verifier.Verify(r.Header, body); err != nil {
		m.refuse(w, r, http.StatusUnauthorized, err)
		return
	}
	if m.Replay != nil {
		key, expires := m.replayKey(r.Header, body)
		first, err := m.Replay.Remember(r.Context(), key, expires)
		if err != nil {
			m.refuse(w, r, http.StatusServiceUnavailable, fmt.Errorf("signature: replay guard: %w", err))
			return
		}
		if !first {
			m.refuse(w, r, http.StatusUnauthorized, ErrReplayed)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	next.ServeHTTP(w, r)
}

func (m *Middleware) replayKey(h http.Header, body []byte) (string, time.Time) {
	var key string
	var expires time.Time
	if k, ok := m.Verifier.(ReplayKeyer); ok {
		key, expires = k.ReplayKey(h, body)
	} else {
		key = bodyReplayKey("body", "", body)
	}
	if expires.IsZero() {
		window := m.ReplayWindow
		if window <= 0 {
			window = DefaultReplayWindow
		}
		expires = clock(m.Now).Add(window)
	}
	return key, expires
}

// readBody reads at most limit bytes of the body, preallocating from
// Content-Length when it is known.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	rd := http.MaxBytesReader(w, r.Body, limit)
	defer rd.Close()
	size := int64(512)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1 // +1 so that reading EOF needs no growth
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(rd)
	return buf.Bytes(), err
}

func (m *Middleware) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	if m.OnError != nil {
		m.OnError(r, err)
	}
	text := unauthorizedText
	switch status {
	case http.StatusRequestEntityTooLarge:
		text = "request body too large"
	case http.StatusBadRequest:
		text = "cannot read request body"
	case http.StatusServiceUnavailable:
		text = "try again later"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, text, status)
}
