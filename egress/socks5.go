package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	xproxy "golang.org/x/net/proxy"
)

// newSOCKS5 returns golang.org/x/net/proxy's SOCKS5 dialer (RFC 1928) for
// p: it connects to the proxy through p.dialer and offers no
// authentication or, when the proxy URL has a user, user name and password
// too (RFC 1929).
func newSOCKS5(p *proxy) (xproxy.ContextDialer, error) {
	var auth *xproxy.Auth
	if p.hasAuth {
		auth = &xproxy.Auth{User: p.user, Password: p.password}
	}
	d, err := xproxy.SOCKS5("tcp", p.addr, auth, &p.dialer)
	if err != nil {
		return nil, fmt.Errorf("egress: SOCKS5 proxy %s: %w", p.addr, err)
	}
	cd, ok := d.(xproxy.ContextDialer)
	if !ok {
		return nil, errors.New("egress: the SOCKS5 dialer of golang.org/x/net/proxy takes no context")
	}
	return cd, nil
}

// socks5 asks the SOCKS5 proxy for a connection to target. target is an IP
// address, which the dialer sends as one (address type IPv4 or IPv6), never
// as a name the proxy would resolve. ctx bounds the whole exchange: its
// deadline, and its cancellation.
func (p *proxy) socks5(ctx context.Context, target netip.AddrPort) (net.Conn, error) {
	c, err := p.socks.DialContext(ctx, "tcp", target.String())
	if err == nil {
		return c, nil
	}
	var pe *proxyDialError
	if errors.As(err, &pe) {
		return nil, pe
	}
	// The dialer's *net.OpError names the proxy and the target: say it once.
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return nil, fmt.Errorf("egress: SOCKS5 proxy %s: CONNECT %s: %w", p.addr, target, err)
}
