package egress

import (
	"container/list"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"net/http"
	"sync"

	"github.com/hookline/hookline"
)

// tlsMaterial returns the TLS settings of m: its client certificate (nil:
// the default one) and the CAs the receiver must chain to (nil: the
// default roots). Errors are *AuthConfigError.
func tlsMaterial(m *hookline.EndpointMTLS) (*tls.Certificate, *x509.CertPool, error) {
	var id *tls.Certificate
	if len(m.Certificate)+len(m.Key) > 0 {
		pair, err := m.KeyPair()
		if err != nil {
			return nil, nil, &AuthConfigError{Setting: "client certificate", Err: err}
		}
		id = &pair
	}
	roots, err := m.ServerCAs()
	if err != nil {
		return nil, nil, &AuthConfigError{Setting: "CA certificates", Err: err}
	}
	return id, roots, nil
}

// defaultIdentity returns the default client certificate of Config: certPEM
// and keyPEM, or certPEM alone when it holds the key too (one "identity"
// PEM). Errors are *AuthConfigError.
func defaultIdentity(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	if len(keyPEM) == 0 {
		keyPEM = certPEM
	}
	pair, err := (&hookline.EndpointMTLS{Certificate: certPEM, Key: keyPEM}).KeyPair()
	if err != nil {
		return nil, &AuthConfigError{Setting: "default client certificate", Err: err}
	}
	return &pair, nil
}

// tlsKey is the key of the transport for auth's TLS material: a hash of the
// client certificate, key and CA bundle, so equal material shares one
// transport and its connections. ok is false when auth has no TLS material of
// its own (the default transport serves it).
func tlsKey(auth *EndpointAuth) (key [32]byte, ok bool) {
	if auth == nil || auth.MTLS == nil {
		return key, false
	}
	m := auth.MTLS
	if len(m.Certificate)+len(m.Key)+len(m.ServerCACerts) == 0 {
		return key, false
	}
	h := sha256.New()
	for _, b := range [][]byte{m.Certificate, m.Key, m.ServerCACerts} {
		// Length-prefixed, so that moving bytes between fields changes the key.
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	h.Sum(key[:0])
	return key, true
}

// transportCache holds one client, with its own transport and connection
// pool, per distinct TLS material, evicting the least recently used beyond
// max.
type transportCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List // of *cachedClient, most recently used first
	m   map[[32]byte]*list.Element
}

type cachedClient struct {
	key    [32]byte
	client *http.Client
	tr     *http.Transport
}

func newTransportCache(max int) *transportCache {
	return &transportCache{max: max, ll: list.New(), m: make(map[[32]byte]*list.Element)}
}

// get returns the client for key, building it with build when absent. build
// runs without the lock; when two callers build the same key at once, one
// result is kept.
func (tc *transportCache) get(key [32]byte, build func() (*http.Client, *http.Transport, error)) (*http.Client, error) {
	tc.mu.Lock()
	if e, ok := tc.m[key]; ok {
		tc.ll.MoveToFront(e)
		c := e.Value.(*cachedClient).client
		tc.mu.Unlock()
		return c, nil
	}
	tc.mu.Unlock()

	client, tr, err := build()
	if err != nil {
		return nil, err
	}

	tc.mu.Lock()
	defer tc.mu.Unlock()
	if e, ok := tc.m[key]; ok {
		tc.ll.MoveToFront(e)
		tr.CloseIdleConnections()
		return e.Value.(*cachedClient).client, nil
	}
	tc.m[key] = tc.ll.PushFront(&cachedClient{key: key, client: client, tr: tr})
	for tc.ll.Len() > tc.max {
		old := tc.ll.Remove(tc.ll.Back()).(*cachedClient)
		delete(tc.m, old.key)
		// Requests in flight on it finish; its idle connections go now.
		old.tr.CloseIdleConnections()
	}
	return client, nil
}

// len returns the number of cached transports.
func (tc *transportCache) len() int {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.ll.Len()
}

func (tc *transportCache) closeIdleConnections() {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for e := tc.ll.Front(); e != nil; e = e.Next() {
		e.Value.(*cachedClient).tr.CloseIdleConnections()
	}
}
