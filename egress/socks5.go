package egress

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
)

// SOCKS5 constants (RFC 1928, RFC 1929).
const (
	socksVersion      = 5
	socksNoAuth       = 0x00
	socksUserPass     = 0x02
	socksNoAcceptable = 0xff
	socksConnect      = 0x01
	socksAtypIPv4     = 0x01
	socksAtypDomain   = 0x03
	socksAtypIPv6     = 0x04
	socksUserPassVer  = 0x01
)

var socksReplies = [...]string{
	1: "general SOCKS server failure",
	2: "connection not allowed by ruleset",
	3: "network unreachable",
	4: "host unreachable",
	5: "connection refused",
	6: "TTL expired",
	7: "command not supported",
	8: "address type not supported",
}

// socks5 asks a SOCKS5 proxy (RFC 1928) to connect to target, an IP address,
// offering no authentication or, when the proxy URL has a user, user name and
// password (RFC 1929). Every read has a fixed size or a one-byte length, so
// nothing the proxy sends is unbounded; c's deadline bounds the exchange.
func (p *proxy) socks5(c net.Conn, target netip.AddrPort) (net.Conn, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("egress: SOCKS5 proxy %s: "+format, append([]any{p.addr}, args...)...)
	}
	method := byte(socksNoAuth)
	if p.hasAuth {
		method = socksUserPass
	}
	if _, err := c.Write([]byte{socksVersion, 1, method}); err != nil {
		return nil, fail("greeting: %w", err)
	}
	var reply [2]byte
	if _, err := io.ReadFull(c, reply[:]); err != nil {
		return nil, fail("greeting reply: %w", err)
	}
	if reply[0] != socksVersion {
		return nil, fail("not a SOCKS5 proxy (version %d)", reply[0])
	}
	switch reply[1] {
	case method:
	case socksNoAcceptable:
		if p.hasAuth {
			return nil, fail("does not accept user name and password authentication")
		}
		return nil, fail("requires authentication: put user:password in --egress-proxy")
	default:
		return nil, fail("chose authentication method %d, which was not offered", reply[1])
	}

	if p.hasAuth {
		msg := make([]byte, 0, 3+len(p.user)+len(p.password))
		msg = append(msg, socksUserPassVer, byte(len(p.user)))
		msg = append(msg, p.user...)
		msg = append(msg, byte(len(p.password)))
		msg = append(msg, p.password...)
		if _, err := c.Write(msg); err != nil {
			return nil, fail("authentication: %w", err)
		}
		if _, err := io.ReadFull(c, reply[:]); err != nil {
			return nil, fail("authentication reply: %w", err)
		}
		if reply[1] != 0 {
			return nil, fail("refused the credentials of --egress-proxy")
		}
	}

	addr := target.Addr()
	msg := []byte{socksVersion, socksConnect, 0}
	if addr.Is4() {
		b := addr.As4()
		msg = append(append(msg, socksAtypIPv4), b[:]...)
	} else {
		b := addr.As16()
		msg = append(append(msg, socksAtypIPv6), b[:]...)
	}
	msg = binary.BigEndian.AppendUint16(msg, target.Port())
	if _, err := c.Write(msg); err != nil {
		return nil, fail("CONNECT: %w", err)
	}
	var head [4]byte // VER REP RSV ATYP
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return nil, fail("CONNECT reply: %w", err)
	}
	if head[0] != socksVersion {
		return nil, fail("CONNECT reply has version %d", head[0])
	}
	if rep := head[1]; rep != 0 {
		reason := "error " + fmt.Sprint(rep)
		if int(rep) < len(socksReplies) {
			reason = socksReplies[rep]
		}
		return nil, fail("CONNECT %s: %s", target, reason)
	}
	// Skip the bound address and port.
	var n int
	switch head[3] {
	case socksAtypIPv4:
		n = 4
	case socksAtypIPv6:
		n = 16
	case socksAtypDomain:
		var l [1]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return nil, fail("CONNECT reply: %w", err)
		}
		n = int(l[0])
	default:
		return nil, fail("CONNECT reply: %w", errors.New("unknown address type"))
	}
	bound := make([]byte, n+2)
	if _, err := io.ReadFull(c, bound); err != nil {
		return nil, fail("CONNECT reply: %w", err)
	}
	return c, nil
}
