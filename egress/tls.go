package egress

import (
	"container/list"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// parseIdentity parses a client certificate and its private key, both PEM.
// keyPEM may be empty when certPEM holds the key too (the "identity" of the
// Svix mTLS API: one PEM with the key and the certificate chain).
func parseIdentity(certPEM, keyPEM []byte, setting string) (tls.Certificate, error) {
	if len(certPEM) == 0 {
		return tls.Certificate{}, &AuthConfigError{Setting: setting, Err: errors.New("a private key without a certificate")}
	}
	if len(keyPEM) == 0 {
		keyPEM = certPEM
	}
	// X509KeyPair's errors name what is wrong, never the key's bytes.
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, &AuthConfigError{Setting: setting, Err: err}
	}
	return cert, nil
}

// parseCAs parses a PEM bundle of CA certificates. Unlike
// x509.CertPool.AppendCertsFromPEM, which skips what it cannot parse, any bad
// certificate, and a bundle with none, is an error.
func parseCAs(bundle []byte, setting string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for rest := bundle; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		n++
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, &AuthConfigError{Setting: setting, Err: fmt.Errorf("certificate %d: %w", n, err)}
		}
		pool.AddCert(c)
	}
	if n == 0 {
		return nil, &AuthConfigError{Setting: setting, Err: errors.New("no PEM CERTIFICATE block found")}
	}
	return pool, nil
}

// tlsKey is the key of the transport for auth's TLS material: a hash of the
// client certificate, key and CA bundle, so equal material shares one
// transport and its connections. ok is false when auth has no TLS material of
// its own (the default transport serves it).
func tlsKey(auth *EndpointAuth) (key [32]byte, ok bool) {
	if auth == nil || len(auth.ClientCert)+len(auth.ClientKey)+len(auth.CACerts) == 0 {
		return key, false
	}
	h := sha256.New()
	for _, b := range [][]byte{auth.ClientCert, auth.ClientKey, auth.CACerts} {
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
