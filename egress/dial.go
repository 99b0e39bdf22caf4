package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// LookupFunc resolves host to its addresses. network is "ip", "ip4" or
// "ip6". It has the signature of (*net.Resolver).LookupNetIP.
type LookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// dialer connects to receivers. It resolves the host itself, checks every
// address with the policy, and connects only to addresses the policy allows:
// directly, or through the proxy, which is then asked for the checked address
// and never for a name. A DNS answer therefore cannot lead a delivery to a
// denied address, neither on the first lookup nor on a later one (rebinding):
// each new connection resolves and checks again.
type dialer struct {
	policy  Policy
	lookup  LookupFunc
	timeout time.Duration
	direct  net.Dialer // Control re-checks the address actually connected to
	proxy   *proxy     // nil: connect directly

	// trace, when set (tests), is called with each address about to be
	// connected to, after the policy allowed it.
	trace func(netip.AddrPort)
}

func newDialer(policy Policy, lookup LookupFunc, timeout time.Duration, px *proxy) *dialer {
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	d := &dialer{policy: policy, lookup: lookup, timeout: timeout, proxy: px}
	d.direct = net.Dialer{
		KeepAlive: 30 * time.Second,
		// Control runs for the address the socket is about to connect to.
		// dialContext only ever passes checked IP addresses, so this is a
		// second lock on the same door, kept so that no future path around
		// dialContext can connect unchecked.
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("egress refused: unparsable address %q", address)
			}
			return d.policy.Check(ap.Addr(), int(ap.Port()))
		},
	}
	return d
}

// dialContext is the DialContext of the transports. address is the
// receiver's host:port, host being a name or an IP address.
func (d *dialer) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("egress: bad address %q: %w", address, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("egress: bad port %q", portStr)
	}
	if !d.policy.portAllowed(int(port)) {
		return nil, &BlockedError{Port: int(port)}
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()

	addrs, err := d.resolve(ctx, network, host)
	if err != nil {
		return nil, err
	}
	var allowed []netip.AddrPort
	var blocked error
	for _, a := range addrs {
		if err := d.policy.Check(a, int(port)); err != nil {
			if blocked == nil {
				blocked = err
			}
			continue
		}
		allowed = append(allowed, netip.AddrPortFrom(a, uint16(port)))
	}
	if len(allowed) == 0 {
		if blocked == nil {
			blocked = &net.DNSError{Err: "no suitable address", Name: host, IsNotFound: true}
		}
		return nil, blocked
	}

	var first error
	for i, ap := range allowed {
		actx, acancel := partialDeadline(ctx, len(allowed)-i)
		if d.trace != nil {
			d.trace(ap)
		}
		var c net.Conn
		if d.proxy != nil {
			c, err = d.proxy.dial(actx, ap)
		} else {
			c, err = d.direct.DialContext(actx, network, ap.String())
		}
		acancel()
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		var pe *proxyDialError
		if ctx.Err() != nil || errors.As(err, &pe) {
			break // out of time, or the proxy itself is unreachable
		}
	}
	return nil, first
}

// resolve returns the addresses of host for network ("tcp", "tcp4", "tcp6").
func (d *dialer) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	ipNet := "ip"
	switch network {
	case "tcp4":
		ipNet = "ip4"
	case "tcp6":
		ipNet = "ip6"
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := d.lookup(ctx, ipNet, host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// partialDeadline gives one of n remaining addresses its share of the time
// left, at least 2 s (as net.Dialer does), so one address that never answers
// does not use up the time of the others.
func partialDeadline(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || n <= 1 {
		return context.WithCancel(ctx)
	}
	share := time.Until(deadline) / time.Duration(n)
	if share < 2*time.Second {
		share = 2 * time.Second
	}
	return context.WithTimeout(ctx, share)
}
