package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Config configures the outbound client.
type Config struct {
	Policy Policy
	// Timeout bounds a whole attempt: connect, TLS, request and response
	// headers and body. Default 15 s.
	Timeout time.Duration
	// DialTimeout bounds connecting. Default 10 s.
	DialTimeout time.Duration
	// MaxConnsPerHost bounds the connections kept to one receiver. Default 64.
	MaxConnsPerHost int
	// HTTPSOnly refuses plain-http URLs.
	HTTPSOnly bool
}

// ErrHTTPSOnly is the error of a plain-http request when only https is allowed.
var ErrHTTPSOnly = errors.New("egress refused: only https endpoints are allowed (see --https-only)")

// httpsOnly refuses requests that are not https before any connection is made.
type httpsOnly struct{ next http.RoundTripper }

func (t httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, ErrHTTPSOnly
	}
	return t.next.RoundTrip(req)
}

// NewClient returns an *http.Client that enforces cfg.Policy on every address
// it connects to, after name resolution (so a name that resolves to a denied
// address, or changes to one, is refused), never follows redirects (a 3xx is
// the response), and bounds every phase with a timeout.
func NewClient(cfg Config) *http.Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.MaxConnsPerHost <= 0 {
		cfg.MaxConnsPerHost = 64
	}
	policy := cfg.Policy
	dialer := &net.Dialer{
		Timeout:   cfg.DialTimeout,
		KeepAlive: 30 * time.Second,
		// Control runs for each address the dialer is about to connect to,
		// after resolution: the one place a DNS answer cannot slip past.
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("egress refused: unparsable address %q", address)
			}
			return policy.Check(ap.Addr(), int(ap.Port()))
		},
	}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would dial on our behalf; see issue on static egress
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    cfg.MaxConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  cfg.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	var rt http.RoundTripper = transport
	if cfg.HTTPSOnly {
		rt = httpsOnly{transport}
	}
	return &http.Client{
		Transport: rt,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Blocked reports whether err (from a request through a client made by
// NewClient) is a refusal by the policy, and returns it.
func Blocked(err error) (*BlockedError, bool) {
	var b *BlockedError
	ok := errors.As(err, &b)
	return b, ok
}

// Refused reports whether err is any refusal of this package (a blocked
// address or port, or plain http when only https is allowed), and returns a
// description of it that holds no URL.
func Refused(err error) (string, bool) {
	if b, ok := Blocked(err); ok {
		return b.Error(), true
	}
	if errors.Is(err, ErrHTTPSOnly) {
		return ErrHTTPSOnly.Error(), true
	}
	return "", false
}
