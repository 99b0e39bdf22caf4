package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	xproxy "golang.org/x/net/proxy"
)

// proxy sends deliveries out through an HTTP CONNECT or SOCKS5 proxy, so that
// receivers see the proxy's fixed addresses. It is always asked to connect to
// an IP address the policy has already allowed, never to a name: the proxy
// cannot be used to reach a denied network, and what it connects to is what
// was checked. The proxy's own address is the operator's and is not subject to
// the policy.
type proxy struct {
	scheme   string // "http" or "socks5"
	addr     string // host:port of the proxy
	user     string
	password string
	hasAuth  bool
	dialer   proxyDialer
	socks    xproxy.ContextDialer // for "socks5"
}

// maxProxyReply bounds what is read of a proxy's answer to CONNECT.
const maxProxyReply = 16 << 10

// parseProxy parses a proxy URL: http://[user:password@]host[:port] for HTTP
// CONNECT (default port 8080), socks5://[user:password@]host[:port] for SOCKS5
// (default port 1080). Its errors never hold the password.
func parseProxy(raw string) (*proxy, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("egress: the proxy URL does not parse (see --egress-proxy)")
	}
	p := &proxy{scheme: strings.ToLower(u.Scheme)}
	defaultPort := ""
	switch p.scheme {
	case "http":
		defaultPort = "8080"
	case "socks5":
		defaultPort = "1080"
	case "socks5h":
		return nil, fmt.Errorf("egress: proxy scheme socks5h would let the proxy resolve names, which the IP policy must do; use socks5:// (see --egress-proxy)")
	default:
		return nil, fmt.Errorf("egress: proxy scheme %q is not supported: use http:// (CONNECT) or socks5:// (see --egress-proxy)", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("egress: the proxy URL has no host (see --egress-proxy)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("egress: the proxy URL must be scheme://[user:password@]host:port, with no path or query (see --egress-proxy)")
	}
	port := u.Port()
	if port == "" {
		port = defaultPort
	}
	p.addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		p.hasAuth = true
		p.user = u.User.Username()
		p.password, _ = u.User.Password()
		if p.scheme == "socks5" && (len(p.user) == 0 || len(p.user) > 255 || len(p.password) > 255) {
			return nil, fmt.Errorf("egress: a SOCKS5 proxy user name must have 1 to 255 bytes and its password at most 255 (RFC 1929)")
		}
	}
	p.dialer.addr = p.addr
	if p.scheme == "socks5" {
		if p.socks, err = newSOCKS5(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// proxyDialer connects to the proxy itself. The proxy's address is the
// operator's and is not subject to the policy. Its errors are
// *proxyDialError.
type proxyDialer struct {
	addr string
	net  net.Dialer
}

func (d *proxyDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.net.DialContext(ctx, network, address)
	if err != nil {
		return nil, &proxyDialError{addr: d.addr, err: err}
	}
	return c, nil
}

// Dial is DialContext without a context, for golang.org/x/net/proxy's
// Dialer interface; its SOCKS5 dialer calls DialContext.
func (d *proxyDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// proxyDialError is the error of a connection to the proxy itself that
// failed: trying the receiver's other addresses would not help.
type proxyDialError struct {
	addr string
	err  error
}

func (e *proxyDialError) Error() string {
	return fmt.Sprintf("egress: cannot connect to the proxy %s: %v", e.addr, e.err)
}

func (e *proxyDialError) Unwrap() error { return e.err }

// ProxyError is a failure of the egress proxy: it could not be reached, it
// refused the tunnel, or it failed otherwise. Its text names the proxy and
// its answer, which are the operator's; Hidden gives the tenant its kind.
type ProxyError struct {
	public string
	err    error
}

func (e *ProxyError) Error() string { return e.err.Error() }
func (e *ProxyError) Unwrap() error { return e.err }

// dial connects to the proxy and asks it for a tunnel to target. ctx bounds
// both: its deadline, and its cancellation. Its errors are *ProxyError.
func (p *proxy) dial(ctx context.Context, target netip.AddrPort) (net.Conn, error) {
	c, err := p.tunnel(ctx, target)
	if err == nil {
		return c, nil
	}
	var pe *ProxyError
	if errors.As(err, &pe) {
		return nil, err
	}
	public := "the egress proxy failed"
	var de *proxyDialError
	if errors.As(err, &de) {
		public = "the egress proxy could not be reached"
	}
	return nil, &ProxyError{public: public, err: err}
}

func (p *proxy) tunnel(ctx context.Context, target netip.AddrPort) (net.Conn, error) {
	// The proxy speaks IPv4 for IPv4-mapped addresses; a zone means nothing
	// to it.
	target = netip.AddrPortFrom(target.Addr().Unmap().WithZone(""), target.Port())
	if p.socks != nil {
		return p.socks5(ctx, target)
	}
	c, err := p.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	// The handshake obeys ctx: its deadline, and its cancellation.
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	tunnel, err := p.connect(c, target)
	if !stop() {
		// ctx ended during the handshake: its deadline may be set on c.
		err = fmt.Errorf("egress: proxy %s: %w", p.addr, context.Cause(ctx))
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return tunnel, nil
}
