package egress

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
)

// connect asks an HTTP proxy for a tunnel to target with CONNECT (RFC 9110,
// section 9.3.6), authenticating with Basic when the proxy URL has a user.
// c's deadline bounds it.
func (p *proxy) connect(c net.Conn, target netip.AddrPort) (net.Conn, error) {
	hostport := target.String() // [v6]:port for IPv6
	req := "CONNECT " + hostport + " HTTP/1.1\r\nHost: " + hostport + "\r\n"
	if p.hasAuth {
		cred := base64.StdEncoding.EncodeToString([]byte(p.user + ":" + p.password))
		req += "Proxy-Authorization: Basic " + cred + "\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return nil, fmt.Errorf("egress: proxy %s: sending CONNECT: %w", p.addr, err)
	}
	// The reply is read through a bounded reader; what the buffer holds past
	// the reply's header belongs to the tunnel.
	br := bufio.NewReader(io.LimitReader(c, maxProxyReply))
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, fmt.Errorf("egress: proxy %s: reading the reply to CONNECT: %w", p.addr, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		err := fmt.Errorf("egress: proxy %s refused CONNECT %s: %s", p.addr, hostport, resp.Status)
		if resp.StatusCode == http.StatusProxyAuthRequired {
			err = fmt.Errorf("egress: proxy %s refused the credentials of --egress-proxy (407)", p.addr)
		}
		return nil, &ProxyError{public: "the egress proxy refused the connection", err: err}
	}
	if n := br.Buffered(); n > 0 {
		early, _ := br.Peek(n)
		return &prefixConn{Conn: c, prefix: early}, nil
	}
	return c, nil
}

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
