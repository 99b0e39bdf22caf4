// Package egress is Hookline's outbound HTTP client: every delivery goes
// through it. It refuses, at dial time and for every address a name resolves
// to, the networks a webhook must not reach (loopback, private, link-local and
// cloud-metadata addresses...) unless the operator allowed them, and it never
// follows redirects.
package egress

import (
	"fmt"
	"net/netip"
	"slices"
)

// deniedNetworks are refused unless an allowed network covers the address.
// Each entry names why, for the error a refused attempt records.
var deniedNetworks = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a 'this network' address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local or cloud metadata address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved or broadcast address"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("fc00::/7"), "a unique local (private) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// Embedded-IPv4 forms of IPv6: the IPv4 address inside is what gets reached,
// so it is checked too.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	nat64Loc  = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour = netip.MustParsePrefix("2002::/16")
	teredo    = netip.MustParsePrefix("2001::/32")
)

// Policy decides which addresses deliveries may connect to. The zero Policy
// refuses every denied network and allows every port.
type Policy struct {
	// Allow lists networks that are reachable even though they are denied by
	// default (e.g. 127.0.0.0/8 for local testing, 10.1.2.0/24 for a VPC).
	Allow []netip.Prefix
	// Ports, when not empty, is the only set of ports deliveries may use.
	Ports []int
}

// BlockedError is the error of a connection the policy refused.
type BlockedError struct {
	Addr   netip.Addr
	Port   int
	Reason string
}

// Error describes the refusal for the operator: the address the host
// resolved to, and the flag that allows it.
func (e *BlockedError) Error() string {
	if e.Port != 0 && e.Reason == "" {
		return fmt.Sprintf("egress refused: port %d is not allowed (see --allow-port)", e.Port)
	}
	return fmt.Sprintf("egress refused: %s is %s (allow it with --allow-network)", e.Addr, e.Reason)
}

// Public describes the refusal for the tenant whose endpoint it was: the
// class of the address, not the address, which would tell what an internal
// host name resolves to.
func (e *BlockedError) Public() string {
	if e.Port != 0 && e.Reason == "" {
		return fmt.Sprintf("egress refused: port %d is not allowed", e.Port)
	}
	return "egress refused: the endpoint's host is " + e.Reason
}

// Check returns a *BlockedError when addr:port may not be reached, nil otherwise.
func (p *Policy) Check(addr netip.Addr, port int) error {
	if !p.portAllowed(port) {
		return &BlockedError{Addr: addr, Port: port}
	}
	addr = addr.WithZone("")
	for _, a := range p.Allow {
		if a.Contains(addr) || (addr.Is4In6() && a.Contains(addr.Unmap())) {
			return nil
		}
	}
	if reason := deniedReason(addr); reason != "" {
		return &BlockedError{Addr: addr, Port: port, Reason: reason}
	}
	return nil
}

// portAllowed reports whether deliveries may use port.
func (p *Policy) portAllowed(port int) bool {
	return len(p.Ports) == 0 || slices.Contains(p.Ports, port)
}

// deniedReason says why addr is denied by default, or "" when it is not.
func deniedReason(addr netip.Addr) string {
	if !addr.IsValid() {
		return "not a valid address"
	}
	if addr.Is4In6() {
		return deniedReason(addr.Unmap())
	}
	if addr.Is6() {
		if v4, ok := embeddedIPv4(addr); ok {
			if r := deniedReason(v4); r != "" {
				return r + " (embedded in IPv6)"
			}
		}
	}
	for _, d := range deniedNetworks {
		if d.prefix.Contains(addr) {
			return d.reason
		}
	}
	return ""
}

// embeddedIPv4 extracts the IPv4 address carried by NAT64, 6to4 and IPv4-
// compatible IPv6 forms.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a), nat64Loc.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	case teredo.Contains(a):
		// Teredo carries the client's IPv4 address inverted in the last 32 bits.
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), true
	}
	// IPv4-compatible (deprecated) ::a.b.c.d, other than :: and ::1.
	var zero [12]byte
	if [12]byte(b[:12]) == zero && (b[12]|b[13]) != 0 {
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	}
	return netip.Addr{}, false
}

// ParseNetworks parses a list of CIDRs or bare addresses (a bare address
// allows just itself).
func ParseNetworks(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("egress: %q is neither a CIDR nor an IP address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
