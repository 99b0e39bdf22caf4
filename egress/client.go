package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"time"
)

// Config configures the outbound client.
type Config struct {
	Policy Policy
	// Timeout bounds a whole attempt: connect, TLS, request and response
	// headers and body. Default 15 s.
	Timeout time.Duration
	// DialTimeout bounds connecting: resolving, every address tried, and the
	// proxy's handshake. Default 10 s.
	DialTimeout time.Duration
	// MaxConnsPerHost bounds the idle connections kept to one receiver.
	// Default 64.
	MaxConnsPerHost int
	// HTTPSOnly refuses plain-http URLs, token URLs included.
	HTTPSOnly bool

	// LookupNetIP resolves receivers' names. Default
	// net.DefaultResolver.LookupNetIP. Whatever it answers, the policy is
	// checked on each address before it is connected to.
	LookupNetIP LookupFunc

	// Proxy, when set, is the proxy every connection goes through, for
	// static egress IPs: http://[user:password@]host:port for HTTP CONNECT,
	// socks5://[user:password@]host:port for SOCKS5. The proxy is asked for
	// the receiver's address after the policy allowed it, never for its name.
	// The proxy's own address is not subject to the policy.
	Proxy string
	// EgressIPs are the addresses receivers see deliveries come from, as the
	// operator declares them (those of the proxy, or of the hosts). They are
	// not checked, only carried for the API and docs: see Client.EgressIPs.
	EgressIPs []netip.Addr

	// ClientCert and ClientKey are the PEM default client certificate and
	// key for mutual TLS, presented to receivers whose endpoint has none of
	// its own. ClientKey may be empty when ClientCert holds the key too.
	ClientCert, ClientKey []byte
	// RootCAs are the CAs trusted for receivers whose endpoint has no CA
	// bundle of its own. Default: the system's.
	RootCAs *x509.CertPool

	// TokenTimeout bounds one OAuth 2.0 token request. Default 10 s.
	TokenTimeout time.Duration
	// MaxTransports bounds the transports (each with its own connection
	// pool) kept for distinct per-endpoint TLS settings; the least recently
	// used goes beyond it. Default 256.
	MaxTransports int
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

// Client sends deliveries. It enforces the policy on every address it
// connects to, after name resolution (so a name that resolves to a denied
// address, or changes to one, is refused), goes through the proxy when one is
// configured, never follows redirects (a 3xx is the response), bounds every
// phase with a timeout, and authenticates to each receiver as its
// EndpointAuth says. A Client is safe for concurrent use; make one per
// process with New and reuse it, so connections are reused.
type Client struct {
	cfg        Config
	dialer     *dialer
	base       *http.Transport // the template of every transport
	def        *http.Client    // for requests without TLS settings of their own
	identity   *tls.Certificate
	transports *transportCache
	tokens     *tokenCache
}

// New returns a Client for cfg, with its defaults filled in. It fails when
// cfg.Proxy or the default client certificate cannot be used.
func New(cfg Config) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.MaxConnsPerHost <= 0 {
		cfg.MaxConnsPerHost = 64
	}
	if cfg.TokenTimeout <= 0 {
		cfg.TokenTimeout = 10 * time.Second
	}
	if cfg.MaxTransports <= 0 {
		cfg.MaxTransports = 256
	}
	cfg.EgressIPs = slices.Clone(cfg.EgressIPs)
	var px *proxy
	if cfg.Proxy != "" {
		var err error
		if px, err = parseProxy(cfg.Proxy); err != nil {
			return nil, err
		}
	}
	c := &Client{
		cfg:        cfg,
		dialer:     newDialer(cfg.Policy, cfg.LookupNetIP, cfg.DialTimeout, px),
		transports: newTransportCache(cfg.MaxTransports),
		tokens:     newTokenCache(),
	}
	if len(cfg.ClientCert)+len(cfg.ClientKey) > 0 {
		id, err := defaultIdentity(cfg.ClientCert, cfg.ClientKey)
		if err != nil {
			return nil, err
		}
		c.identity = id
	}
	c.base = &http.Transport{
		// No Proxy: the dialer goes through the proxy itself, after the
		// policy checked the address; the transport then does TLS over the
		// tunnel with the request's host name.
		Proxy:                  nil,
		DialContext:            c.dialer.dialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    cfg.MaxConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  cfg.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c.base.TLSClientConfig = c.tlsConfig(nil, nil)
	c.def = c.httpClient(c.base)
	return c, nil
}

// NewClient returns an *http.Client that sends requests as a Client made by
// New does for requests without EndpointAuth. It is for configurations known
// to be valid (no proxy, or one checked before) and panics when New would
// fail; prefer New, whose Do also authenticates per endpoint.
func NewClient(cfg Config) *http.Client {
	c, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return c.HTTPClient()
}

// HTTPClient returns the *http.Client used for requests without TLS settings
// of their own: the policy, the proxy, the default client certificate, no
// redirects. It does not do OAuth 2.0.
func (c *Client) HTTPClient() *http.Client { return c.def }

// EgressIPs returns the addresses the operator declared deliveries come
// from (Config.EgressIPs), for the API and docs to show. Hookline does not
// check them.
func (c *Client) EgressIPs() []netip.Addr { return slices.Clone(c.cfg.EgressIPs) }

// CloseIdleConnections closes the idle connections of every transport.
func (c *Client) CloseIdleConnections() {
	c.base.CloseIdleConnections()
	c.transports.closeIdleConnections()
}

// Do sends req as auth says (nil: the defaults) and returns the response,
// which the caller must close. With auth.OAuth it first gets a token (cached
// until shortly before it expires; concurrent requests share one fetch) and
// sends it as "Authorization: Bearer"; when the receiver answers 401, the
// token is dropped and req is sent once more with a fresh one, provided its
// body can be replayed (req.GetBody, which http.NewRequest sets for in-memory
// bodies; without it the 401 is returned). req is not modified.
//
// Errors are, besides the transport's: a *BlockedError or ErrHTTPSOnly
// (see Refused), an *AuthConfigError for unusable TLS or OAuth 2.0 settings,
// a *TokenError when no token could be had. None holds a secret or a token.
func (c *Client) Do(req *http.Request, auth *EndpointAuth) (*http.Response, error) {
	hc, tlsID, err := c.clientFor(auth)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if auth == nil || auth.OAuth == nil {
		return hc.Do(req)
	}
	o := auth.OAuth
	if err := o.Validate(); err != nil {
		closeBody(req)
		return nil, &AuthConfigError{Setting: "oauth2", Err: err}
	}
	key := tokenKey(o, tlsID)
	fetch := func(ctx context.Context) (string, time.Duration, error) {
		return fetchToken(ctx, hc, o, c.cfg.TokenTimeout)
	}
	tok, err := c.tokens.get(req.Context(), key, fetch)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	first := req.Clone(req.Context())
	first.Header.Set("Authorization", "Bearer "+tok)
	resp, err := hc.Do(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}

	// 401: the token may have been revoked or expired early.
	c.tokens.invalidate(key, tok)
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !replayable {
		return resp, nil
	}
	tok, err = c.tokens.get(req.Context(), key, fetch)
	if err != nil {
		return resp, nil // the receiver's 401 says more than the token error
	}
	retry := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		retry.Body = body
	}
	retry.Header.Set("Authorization", "Bearer "+tok)
	// Free the first connection for reuse before sending again.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return hc.Do(retry)
}

// clientFor returns the client for auth's TLS settings and the key of those
// settings (zero for the default client).
func (c *Client) clientFor(auth *EndpointAuth) (*http.Client, [32]byte, error) {
	key, ok := tlsKey(auth)
	if !ok {
		return c.def, key, nil
	}
	hc, err := c.transports.get(key, func() (*http.Client, *http.Transport, error) {
		id, roots, err := tlsMaterial(auth.MTLS)
		if err != nil {
			return nil, nil, err
		}
		tr := c.base.Clone()
		tr.TLSClientConfig = c.tlsConfig(id, roots)
		// One endpoint, or a few, per transport: keep few idle connections.
		tr.MaxIdleConns = c.cfg.MaxConnsPerHost
		return c.httpClient(tr), tr, nil
	})
	return hc, key, err
}

// tlsConfig returns the TLS settings for an identity (nil: the default one)
// and roots (nil: Config.RootCAs or the system's). The transport verifies
// the receiver's certificate against the request's host name.
func (c *Client) tlsConfig(id *tls.Certificate, roots *x509.CertPool) *tls.Config {
	if id == nil {
		id = c.identity
	}
	if roots == nil {
		roots = c.cfg.RootCAs
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if id != nil {
		tc.Certificates = []tls.Certificate{*id}
	}
	return tc
}

func (c *Client) httpClient(tr *http.Transport) *http.Client {
	var rt http.RoundTripper = tr
	if c.cfg.HTTPSOnly {
		rt = httpsOnly{tr}
	}
	return &http.Client{
		Transport: rt,
		Timeout:   c.cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// Blocked reports whether err (from a request through a client of this
// package) is a refusal by the policy, and returns it.
func Blocked(err error) (*BlockedError, bool) {
	var b *BlockedError
	ok := errors.As(err, &b)
	return b, ok
}

// Refused reports whether err is any refusal of this package (a blocked
// address or port, or plain http when only https is allowed), and returns a
// description of it fit for the tenant: no URL, and no address (see
// BlockedError.Public). err's own text is the operator's.
func Refused(err error) (string, bool) {
	if b, ok := Blocked(err); ok {
		return b.Public(), true
	}
	if errors.Is(err, ErrHTTPSOnly) {
		return ErrHTTPSOnly.Error(), true
	}
	return "", false
}

// Hidden reports whether err's text names what the tenant must not see (the
// DNS server that answered, or the egress proxy and its answer), and returns
// the kind of failure, fit for the tenant. err's own text is the operator's.
func Hidden(err error) (string, bool) {
	var pe *ProxyError
	if errors.As(err, &pe) {
		return pe.public, true
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsNotFound {
			return "the endpoint's host name does not resolve", true
		}
		return "the endpoint's host name could not be looked up", true
	}
	return "", false
}
