package ingest

import (
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/jsonpointer"
	"github.com/hookline/hookline/signature"
)

// MaxReplayWindow bounds SourceConfig.ReplayWindowSeconds.
const MaxReplayWindow = 24 * time.Hour

// MaxDedupWindow bounds SourceConfig.DedupWindowSeconds.
const MaxDedupWindow = 90 * 24 * time.Hour

// verifier is what a source checks of each request: every check it holds
// must pass.
type verifier struct {
	networks  []netip.Prefix
	basic     *hookline.SourceBasicAuth
	header    *hookline.SourceHeaderAuth
	sigs      []signature.Verifier // the type's scheme, and the generic HMAC
	clientCAs *x509.CertPool
}

// field names a field of the config of a source in a request body.
func field(name ...string) []string { return append([]string{"body", "config"}, name...) }

// Check returns nil when src's config suits its type, else an EINVALID
// error that names the field: a missing or malformed secret, an unknown
// algorithm, a network that does not parse, a schedule that does not.
func Check(src *hookline.Source) error {
	if src.Type == hookline.SourceCron {
		return checkCron(&src.Config)
	}
	_, err := newVerifier(src, time.Now)
	return err
}

// Verifies reports whether src checks anything of the requests it
// receives: a signature, credentials, a client certificate or the sender's
// network. A source that checks nothing (a github source without secret,
// a generic-webhook source without any extension) accepts anyone who has
// its URL. A cron source receives no request; a config Check refuses is
// not this function's to report: for both it returns true.
func Verifies(src *hookline.Source) bool {
	if src.Type == hookline.SourceCron {
		return true
	}
	v, err := newVerifier(src, time.Now)
	return err != nil || len(v.networks) > 0 || v.basic != nil || v.header != nil || len(v.sigs) > 0 || v.clientCAs != nil
}

// Checks returns the names, as in a config, of the checks src's config
// holds: secret, allowedNetworks, basicAuth, headerAuth, hmac, clientCa.
func Checks(src *hookline.Source) []string {
	c := &src.Config
	var names []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"secret", c.Secret != ""}, {"allowedNetworks", len(c.AllowedNetworks) > 0}, {"basicAuth", c.BasicAuth != nil},
		{"headerAuth", c.HeaderAuth != nil}, {"hmac", c.HMAC != nil}, {"clientCa", c.ClientCA != ""},
	} {
		if k.set {
			names = append(names, k.name)
		}
	}
	return names
}

// CheckAction returns nil when src may deliver to an action, else an
// EINVALID error at path: an action endpoint needs a source that verifies
// its requests (see Verifies), or anyone who has the URL runs the command.
func CheckAction(src *hookline.Source, path ...string) error {
	if Verifies(src) {
		return nil
	}
	return hookline.Invalid(path, "an action needs a source that verifies its requests; this %s source verifies nothing "+
		"(give it a secret, or one of hmac, basicAuth, headerAuth, clientCa, allowedNetworks)", src.Type)
}

// checkCron checks the config of a cron source: its schedule, and none of
// the keys it has no use for. It receives no request to verify, and its
// ticks are de-duplicated with hookline.DefaultDedupWindow, whatever
// dedupWindowSeconds would say, so that with several nodes each tick
// fires once.
func checkCron(c *hookline.SourceConfig) error {
	rest := *c
	rest.Schedule, rest.Payload, rest.ContentType = "", "", nil
	b, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	if k := slices.Sorted(maps.Keys(keys)); len(k) > 0 {
		return hookline.Invalid(field(k[0]), "does not apply to a cron source")
	}
	_, err = parseSchedule(c.Schedule)
	return err
}

// newVerifier builds the checks of src, or says what is wrong with its
// config (EINVALID).
func newVerifier(src *hookline.Source, now func() time.Time) (*verifier, error) {
	c := &src.Config
	v := &verifier{basic: c.BasicAuth, header: c.HeaderAuth}
	tolerance := time.Duration(0) // the signature package's default
	if w := c.ReplayWindowSeconds; w != nil {
		if *w < 1 || time.Duration(*w)*time.Second > MaxReplayWindow {
			return nil, hookline.Invalid(field("replayWindowSeconds"), "must be between 1 and %d", int(MaxReplayWindow.Seconds()))
		}
		tolerance = time.Duration(*w) * time.Second
	}
	if w := c.DedupWindowSeconds; w != nil && (*w < 0 || time.Duration(*w)*time.Second > MaxDedupWindow) {
		return nil, hookline.Invalid(field("dedupWindowSeconds"), "must be between 0 and %d", int(MaxDedupWindow.Seconds()))
	}
	if c.DedupPointer != "" && !jsonpointer.Valid(c.DedupPointer) {
		return nil, hookline.Invalid(field("dedupPointer"), "must be a JSON pointer, such as /id")
	}
	for i, n := range c.AllowedNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			a, aerr := netip.ParseAddr(n)
			if aerr != nil {
				return nil, hookline.Invalid(field("allowedNetworks", fmt.Sprint(i)), "is not a CIDR network or an IP address")
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		v.networks = append(v.networks, p.Masked())
	}
	if b := c.BasicAuth; b != nil && (b.Username == "" || b.Password == "" || strings.Contains(b.Username, ":")) {
		return nil, hookline.Invalid(field("basicAuth"), "needs a username (without ':') and a password")
	}
	if h := c.HeaderAuth; h != nil && (h.Header == "" || h.Value == "") {
		return nil, hookline.Invalid(field("headerAuth"), "needs a header and a value")
	}
	if c.ClientCA != "" {
		v.clientCAs = x509.NewCertPool()
		if !v.clientCAs.AppendCertsFromPEM([]byte(c.ClientCA)) {
			return nil, hookline.Invalid(field("clientCa"), "holds no PEM certificate")
		}
	}
	secret := []byte(c.Secret)
	needSecret := func() error {
		if c.Secret == "" {
			return hookline.Invalid(field("secret"), "is required for a %s source", src.Type)
		}
		return nil
	}
	switch src.Type {
	case hookline.SourceGitHub:
		if c.Secret != "" {
			v.sigs = append(v.sigs, &signature.GitHub{Secret: secret})
		}
	case hookline.SourceStripe:
		if err := needSecret(); err != nil {
			return nil, err
		}
		v.sigs = append(v.sigs, &signature.Stripe{Secret: secret, Tolerance: tolerance, Now: now})
	case hookline.SourceShopify:
		if err := needSecret(); err != nil {
			return nil, err
		}
		v.sigs = append(v.sigs, &signature.Shopify{Secret: secret})
	case hookline.SourceSlack:
		if err := needSecret(); err != nil {
			return nil, err
		}
		v.sigs = append(v.sigs, &signature.Slack{Secret: secret, Tolerance: tolerance, Now: now})
	case hookline.SourceSvix:
		if err := needSecret(); err != nil {
			return nil, err
		}
		sv, err := signature.NewSvix(c.Secret)
		if err != nil || !strings.HasPrefix(c.Secret, "whsec_") && !strings.HasPrefix(c.Secret, "whpk_") {
			return nil, hookline.Invalid(field("secret"), "must be a whsec_ secret or a whpk_ public key")
		}
		sv.Tolerance, sv.Now = tolerance, now
		v.sigs = append(v.sigs, sv)
	case hookline.SourceGeneric:
		if c.Secret != "" {
			return nil, hookline.Invalid(field("secret"), "a generic-webhook source verifies no provider signature: use hmac")
		}
	default:
		return nil, hookline.Invalid([]string{"body", "type"}, "must be one of %s", strings.Join(hookline.SourceTypes, ", "))
	}
	if h := c.HMAC; h != nil {
		g, err := newHMAC(h, tolerance, now)
		if err != nil {
			return nil, err
		}
		v.sigs = append(v.sigs, g)
	}
	return v, nil
}

// newHMAC builds the generic HMAC scheme of a config.
func newHMAC(h *hookline.SourceHMAC, tolerance time.Duration, now func() time.Time) (*signature.HMAC, error) {
	g := &signature.HMAC{Secret: []byte(h.Secret), Header: h.Header, Prefix: h.Prefix, Tolerance: tolerance, Now: now}
	if h.Secret == "" || h.Header == "" {
		return nil, hookline.Invalid(field("hmac"), "needs a secret and a header")
	}
	switch strings.ToLower(h.Algorithm) {
	case "", "sha256":
		g.Hash = crypto.SHA256
	case "sha1":
		g.Hash = crypto.SHA1
	case "sha512":
		g.Hash = crypto.SHA512
	default:
		return nil, hookline.Invalid(field("hmac", "algorithm"), "must be sha1, sha256 or sha512")
	}
	switch strings.ToLower(h.Encoding) {
	case "", "hex":
		g.Encoding = signature.EncodingHex
	case "base64":
		g.Encoding = signature.EncodingBase64
	default:
		return nil, hookline.Invalid(field("hmac", "encoding"), "must be hex or base64")
	}
	switch h.SignedContent {
	case "", "body":
		if h.TimestampHeader != "" {
			return nil, hookline.Invalid(field("hmac", "timestampHeader"), "is for signedContent timestamp.body")
		}
	case "timestamp.body":
		if h.TimestampHeader == "" {
			return nil, hookline.Invalid(field("hmac", "timestampHeader"), "is required with signedContent timestamp.body")
		}
		g.TimestampHeader = h.TimestampHeader
	default:
		return nil, hookline.Invalid(field("hmac", "signedContent"), "must be body or timestamp.body")
	}
	return g, nil
}

// Errors of verify, for the operator: the sender learns only that it was
// refused.
var (
	errNetwork    = errors.New("the sender's address is not in allowedNetworks")
	errClientCert = errors.New("no client certificate signed by clientCa")
	errBasicAuth  = errors.New("wrong or missing basic auth credentials")
	errHeaderAuth = errors.New("wrong or missing header credentials")
)

// verify checks a request from client with this body; the error says which
// check failed.
func (v *verifier) verify(r *http.Request, client netip.Addr, body []byte) error {
	if len(v.networks) > 0 && !contains(v.networks, client) {
		return errNetwork
	}
	if v.clientCAs != nil && !verifiedClient(r, v.clientCAs) {
		return errClientCert
	}
	if b := v.basic; b != nil {
		user, pass, ok := r.BasicAuth()
		if !ok || !equal(user, b.Username) || !equal(pass, b.Password) {
			return errBasicAuth
		}
	}
	if h := v.header; h != nil {
		vals := r.Header.Values(h.Header)
		if len(vals) != 1 || !equal(vals[0], h.Value) {
			return errHeaderAuth
		}
	}
	for _, s := range v.sigs {
		if err := s.Verify(r.Header, body); err != nil {
			return err // its text starts with "signature: "
		}
	}
	return nil
}

// signsNoTimestamp reports whether v verifies a signature and none of its
// signatures covers a timestamp (GitHub, Shopify, an HMAC of the body
// alone): a signed request may then be replayed at any time, under any
// delivery id its unsigned headers claim.
func (v *verifier) signsNoTimestamp() bool {
	for _, s := range v.sigs {
		switch s := s.(type) {
		case *signature.GitHub, *signature.Shopify:
		case *signature.HMAC:
			if s.TimestampHeader != "" {
				return false
			}
		default:
			return false
		}
	}
	return len(v.sigs) > 0
}

// equal compares a credential in constant time.
func equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func contains(networks []netip.Prefix, a netip.Addr) bool {
	for _, p := range networks {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// verifiedClient reports whether the TLS connection of r presented a
// client certificate that chains to one of cas.
func verifiedClient(r *http.Request, cas *x509.CertPool) bool {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := r.TLS.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots: cas, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err == nil
}
