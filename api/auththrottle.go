package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Clients that keep failing to authenticate are slowed down, per client
// address: each failure takes a place of a bucket that holds
// authFailureBurst and frees one every authFailureEvery; a client whose
// bucket is full is answered 429, without its token being looked at, until
// a place frees. A valid token never takes a place, so clients that
// authenticate are never slowed by their own requests; a client that shares
// an address with a guesser (behind one NAT) is.
const (
	authFailureBurst = 20
	authFailureEvery = time.Second
	// maxThrottledClients bounds the clients remembered; past it those
	// whose bucket is empty again are forgotten, then others, at random,
	// down to half.
	maxThrottledClients = 1 << 16
)

// authThrottle counts the failed authentications of each client, which K
// names: the API counts by address (netip.Prefix), the ingest URLs by
// source and address (ingestClient). Its zero value is not usable: make one
// with newAuthThrottle.
type authThrottle[K comparable] struct {
	now     func() time.Time
	trusted []netip.Prefix // proxies whose X-Forwarded-For is believed

	mu sync.Mutex
	// tat is each client's theoretical arrival time (GCRA): it may fail
	// again once tat - (authFailureBurst-1)*authFailureEvery <= now.
	tat map[K]time.Time
}

func newAuthThrottle[K comparable](trusted []netip.Prefix, now func() time.Time) *authThrottle[K] {
	return &authThrottle[K]{now: now, trusted: trusted, tat: map[K]time.Time{}}
}

// wait returns how long client must wait before its token is looked at
// again; 0 when it need not.
func (a *authThrottle[K]) wait(client K) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	allowAt := a.tat[client].Add(-(authFailureBurst - 1) * authFailureEvery)
	return max(0, allowAt.Sub(a.now()))
}

// failed counts a failed authentication of client.
func (a *authThrottle[K]) failed(client K) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.tat) >= maxThrottledClients {
		a.forget(now)
	}
	a.tat[client] = later(a.tat[client], now).Add(authFailureEvery)
}

// forget drops the clients whose bucket is empty again and, if that frees
// too little, others at random down to half the bound.
func (a *authThrottle[K]) forget(now time.Time) {
	for c, tat := range a.tat {
		if !tat.After(now) {
			delete(a.tat, c)
		}
	}
	for c := range a.tat {
		if len(a.tat) < maxThrottledClients/2 {
			break
		}
		delete(a.tat, c)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// client returns the address r comes from, as the throttle counts it: an
// IPv6 client by its /64, as one host usually holds a whole /64. When the
// peer is a trusted proxy, the address is the last one of X-Forwarded-For
// that is not a trusted proxy too.
func (a *authThrottle[K]) client(r *http.Request) netip.Prefix {
	addr := a.clientAddr(r)
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// clientAddr returns the address r comes from: the peer's or, when the
// peer is a trusted proxy, the last address of X-Forwarded-For that is not
// a trusted proxy too.
func (a *authThrottle[K]) clientAddr(r *http.Request) netip.Addr {
	addr := remoteAddr(r.RemoteAddr)
	if a.isTrusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			addr = hop.Unmap()
			if !a.isTrusted(addr) {
				break
			}
		}
	}
	return addr
}

func (a *authThrottle[K]) isTrusted(addr netip.Addr) bool {
	for _, p := range a.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// remoteAddr parses an http.Request's RemoteAddr; an unparsable one is the
// invalid address, which all such requests share.
func remoteAddr(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	addr, _ := netip.ParseAddr(host)
	return addr.Unmap()
}
