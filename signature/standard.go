// Package signature signs and verifies webhooks.
//
// It implements Standard Webhooks (https://www.standardwebhooks.com), the
// scheme Hookline uses to sign what it sends: the symmetric "v1" scheme
// (HMAC-SHA256) and the asymmetric "v1a" scheme (ed25519), carried in the
// webhook-id, webhook-timestamp and webhook-signature headers over the
// content "<id>.<timestamp>.<body>". It also signs and verifies the schemes
// of common providers (GitHub, Stripe, Shopify, Slack, Svix) and a
// configurable generic HMAC scheme, all behind one small interface,
// Verifier, and offers net/http middleware that verifies a request, and
// optionally refuses replays, before the next handler sees it.
//
// The package depends only on the standard library, so a receiver can
// import it without pulling in the rest of Hookline.
//
// Every comparison of a secret-derived value is constant-time. Errors wrap
// sentinel values (ErrMissingHeader, ErrBadFormat, ErrNoMatch, ErrTooOld,
// ErrTooNew, ErrBadSecret) that callers tell apart with errors.Is; they are
// meant for logs, not for the sender.
package signature

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names used by Standard Webhooks. HTTP header names are
// case-insensitive; these are the lower-case spellings of the
// specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Canonical (net/http) forms of the header names, for map look-ups that
// do not allocate.
const (
	canonicalID        = "Webhook-Id"
	canonicalTimestamp = "Webhook-Timestamp"
	canonicalSignature = "Webhook-Signature"
)

// Signature version identifiers of Standard Webhooks.
const (
	VersionV1  = "v1"  // HMAC-SHA256, symmetric key
	VersionV1a = "v1a" // ed25519, key pair
)

// maxSignatureEntries bounds how many entries of a signature list are
// looked at. Senders put one per active key (two during a rotation, maybe
// one v1 and one v1a); a longer list is refused so that a hostile header
// cannot make the receiver run many ed25519 verifications.
const maxSignatureEntries = 32

// SignV1 returns "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" where
// timestamp is written as decimal Unix seconds. key is the raw HMAC key
// (for a "whsec_" secret, the Key of the Secret that ParseSecret returns).
// id should not contain '.', so that the signed content has one reading.
//
// SignV1 is safe for concurrent use and does not retain its arguments.
func SignV1(key []byte, id string, timestamp time.Time, body []byte) string {
	var sum [sha256.Size]byte
	macV1(key, id, timestamp.Unix(), body, &sum)
	var out [3 + 44]byte // "v1," + base64 of 32 bytes
	copy(out[:], "v1,")
	base64.StdEncoding.Encode(out[3:], sum[:])
	return string(out[:])
}

// SignV1a returns "v1a,<base64 ed25519 signature of id.timestamp.body>"
// made with priv, a 64-byte ed25519 private key. It panics if priv has the
// wrong length, as crypto/ed25519 does; Secret.Sign checks for you.
func SignV1a(priv ed25519.PrivateKey, id string, timestamp time.Time, body []byte) string {
	buf := contentPool.Get().(*[]byte)
	content := appendSignedContent((*buf)[:0], id, timestamp.Unix(), body)
	sig := ed25519.Sign(priv, content)
	putContent(buf, content)
	out := make([]byte, 0, 4+base64.StdEncoding.EncodedLen(ed25519.SignatureSize))
	out = append(out, "v1a,"...)
	out = base64.StdEncoding.AppendEncode(out, sig)
	return string(out)
}

// Sign returns the signature of id, timestamp and body under s: a "v1"
// entry for a Symmetric secret, a "v1a" entry for a PrivateKey secret. A
// PublicKey secret cannot sign and gives ErrBadSecret.
func (s Secret) Sign(id string, timestamp time.Time, body []byte) (string, error) {
	switch {
	case s.Kind == Symmetric && len(s.Key) > 0:
		return SignV1(s.Key, id, timestamp, body), nil
	case s.Kind == PrivateKey && len(s.Private) == ed25519.PrivateKeySize:
		return SignV1a(s.Private, id, timestamp, body), nil
	case s.Kind == PublicKey:
		return "", fmt.Errorf("%w: a public key (whpk_) can verify but not sign", ErrBadSecret)
	}
	return "", fmt.Errorf("%w: secret is not initialised", ErrBadSecret)
}

// SignatureHeader returns the value of the webhook-signature header for
// the given message: the signatures under every secret that can sign,
// separated by spaces (the form used during key rotation). Public keys are
// skipped; if no secret can sign, the error wraps ErrBadSecret.
func SignatureHeader(id string, timestamp time.Time, body []byte, secrets ...Secret) (string, error) {
	var b strings.Builder
	for _, s := range secrets {
		if s.Kind == PublicKey {
			continue
		}
		sig, err := s.Sign(id, timestamp, body)
		if err != nil {
			return "", err
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sig)
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("%w: no secret that can sign", ErrBadSecret)
	}
	return b.String(), nil
}

// Standard verifies and signs Standard Webhooks, the scheme Hookline sends.
//
// Verify reads the webhook-id, webhook-timestamp and webhook-signature
// headers. A request is accepted when its timestamp lies within Tolerance
// of Now and at least one entry of the space-separated signature list is a
// valid "v1" signature under one of the Symmetric secrets or a valid "v1a"
// signature under one of the ed25519 keys. Entries of other versions are
// ignored.
//
// The zero value has no secrets and rejects everything; fill Secrets, or
// use NewStandard. Fields must not change while the Standard is in use.
type Standard struct {
	// Secrets to try, in order. Several secrets let a receiver accept both
	// the old and the new key during a rotation. Sign signs with every
	// secret that can sign.
	Secrets []Secret
	// Tolerance is how far the signed timestamp may lie from Now, in
	// either direction. Zero means DefaultTolerance (5 minutes). A negative
	// value disables the check, which lets captured requests be replayed
	// forever: only for inspecting old requests.
	Tolerance time.Duration
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// NewStandard returns a Standard that accepts signatures made with any of
// the given secrets, each in a form ParseSecret reads ("whsec_...",
// "whpk_...", "whsk_..."), with the default tolerance. At least one secret
// is required.
func NewStandard(secrets ...string) (*Standard, error) {
	parsed, err := parseSecrets(secrets)
	if err != nil {
		return nil, err
	}
	return &Standard{Secrets: parsed}, nil
}

func parseSecrets(secrets []string) ([]Secret, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: no secret given", ErrBadSecret)
	}
	parsed := make([]Secret, len(secrets))
	for i, s := range secrets {
		var err error
		if parsed[i], err = ParseSecret(s); err != nil {
			return nil, err
		}
	}
	return parsed, nil
}

// Verify checks the Standard Webhooks headers of a request against body.
// See the type documentation for what is accepted.
func (s *Standard) Verify(header http.Header, body []byte) error {
	id, ts, sigs, err := standardHeaders(header, canonicalID, canonicalTimestamp, canonicalSignature)
	if err != nil {
		return err
	}
	return s.VerifyValues(id, ts, sigs, body)
}

// VerifyValues is Verify for callers that hold the three header values
// already (id, timestamp and the signature list) rather than an
// http.Header.
func (s *Standard) VerifyValues(id, timestamp, signatures string, body []byte) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderID)
	case timestamp == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderTimestamp)
	case strings.TrimSpace(signatures) == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderSignature)
	case len(s.Secrets) == 0:
		return fmt.Errorf("%w: no secret configured", ErrBadSecret)
	case !slices.ContainsFunc(s.Secrets, canVerify):
		return fmt.Errorf("%w: none of the %d configured secrets can verify (zero or truncated keys)", ErrBadSecret, len(s.Secrets))
	}
	ts, err := checkTimestamp(timestamp, HeaderTimestamp, s.Now, s.Tolerance)
	if err != nil {
		return err
	}
	return s.matchSignatures(id, ts, signatures, body)
}

// matchSignatures walks the space-separated signature list. It returns nil
// on the first entry that verifies, ErrNoMatch when well-formed entries
// exist but none verifies, and ErrBadFormat when no entry is well formed.
func (s *Standard) matchSignatures(id string, ts int64, list string, body []byte) error {
	var (
		wellFormed bool
		entries    int
		sumsBuf    [4][sha256.Size]byte
		sums       [][sha256.Size]byte // v1 MACs, one per secret, computed once
		content    []byte              // id.ts.body, built once for v1a
		pooled     *[]byte
	)
	defer func() {
		if pooled != nil {
			putContent(pooled, content)
		}
	}()
	for rest := list; rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(rest, " ")
		if entry == "" {
			continue
		}
		if entries++; entries > maxSignatureEntries {
			return fmt.Errorf("%w: %s has more than %d entries", ErrBadFormat, HeaderSignature, maxSignatureEntries)
		}
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version == "" || encoded == "" {
			continue
		}
		size := signatureSize(version)
		if size == 0 {
			// A version this package does not know: well formed, but it
			// can never match.
			wellFormed = true
			continue
		}
		var got [ed25519.SignatureSize]byte
		if !decodeBase64Exact(got[:size], encoded) {
			continue
		}
		wellFormed = true
		switch version {
		case VersionV1:
			if sums == nil {
				if len(s.Secrets) <= len(sumsBuf) {
					sums = sumsBuf[:len(s.Secrets)]
				} else {
					sums = make([][sha256.Size]byte, len(s.Secrets))
				}
				for i, sec := range s.Secrets {
					if canVerifyV1(sec) {
						macV1(sec.Key, id, ts, body, &sums[i])
					}
				}
			}
			for i, sec := range s.Secrets {
				if canVerifyV1(sec) && hmac.Equal(sums[i][:], got[:size]) {
					return nil
				}
			}
		case VersionV1a:
			if pooled == nil {
				pooled = contentPool.Get().(*[]byte)
				content = appendSignedContent((*pooled)[:0], id, ts, body)
			}
			for _, sec := range s.Secrets {
				if canVerifyV1a(sec) && ed25519.Verify(sec.Public, content, got[:size]) {
					return nil
				}
			}
		}
	}
	if !wellFormed {
		return fmt.Errorf("%w: %s has no well-formed entry", ErrBadFormat, HeaderSignature)
	}
	return fmt.Errorf("%w: %s", ErrNoMatch, HeaderSignature)
}

// signatureSize is the decoded size of a signature of version, or 0 for a
// version this package does not know.
func signatureSize(version string) int {
	switch version {
	case VersionV1:
		return sha256.Size
	case VersionV1a:
		return ed25519.SignatureSize
	}
	return 0
}

// canVerifyV1 reports whether sec can check "v1" signatures.
func canVerifyV1(sec Secret) bool { return sec.Kind == Symmetric && len(sec.Key) > 0 }

// canVerifyV1a reports whether sec can check "v1a" signatures.
func canVerifyV1a(sec Secret) bool {
	return (sec.Kind == PublicKey || sec.Kind == PrivateKey) && len(sec.Public) == ed25519.PublicKeySize
}

// canVerify reports whether sec can check signatures of some version.
func canVerify(sec Secret) bool { return canVerifyV1(sec) || canVerifyV1a(sec) }

// Sign sets the webhook-id, webhook-timestamp and webhook-signature headers
// of header for body. The id is taken from header when it already holds a
// webhook-id (a retry keeps its id) and is generated otherwise; the
// timestamp is Now. Every secret that can sign contributes one signature.
func (s *Standard) Sign(header http.Header, body []byte) error {
	return signStandard(header, body, s.Secrets, s.Now, canonicalID, canonicalTimestamp, canonicalSignature)
}

// ReplayKey names a verified request for a ReplayGuard: its webhook-id and
// webhook-timestamp, both covered by the signature. A byte-for-byte replay
// repeats them; a sender's retry of the same message carries a new
// timestamp and is not mistaken for a replay. expires is when the
// timestamp leaves the tolerance window (zero if the check is disabled).
//
// The key holds the timestamp as the number it denotes, not as the text
// received, and Standard and Svix (whichever headers carried the values)
// share one key space: the signed content is the same in every case, so a
// copy must not get a second key by being spelt or labelled differently.
func (s *Standard) ReplayKey(header http.Header, _ []byte) (key string, expires time.Time) {
	return standardReplayKey(header, s.Tolerance, canonicalID, canonicalTimestamp)
}

func standardHeaders(h http.Header, idName, tsName, sigName string) (id, ts, sigs string, err error) {
	if id, err = singleHeader(h, idName); err != nil {
		return
	}
	if ts, err = singleHeader(h, tsName); err != nil {
		return
	}
	sigs, err = listHeader(h, sigName, " ")
	return
}

func signStandard(h http.Header, body []byte, secrets []Secret, now func() time.Time, idName, tsName, sigName string) error {
	id := ""
	if vs := headerValues(h, idName); len(vs) > 0 {
		id = vs[0]
	}
	if id == "" {
		var err error
		if id, err = NewMessageID(); err != nil {
			return err
		}
	}
	t := clock(now)
	sig, err := SignatureHeader(id, t, body, secrets...)
	if err != nil {
		return err
	}
	h.Set(idName, id)
	h.Set(tsName, strconv.FormatInt(t.Unix(), 10))
	h.Set(sigName, sig)
	return nil
}

// standardReplayKey is the replay key of Standard and Svix, whose header
// names are given: "webhook:<len(id)>:<id>:<ts>" with ts the canonical
// decimal form of the signed timestamp.
func standardReplayKey(h http.Header, tolerance time.Duration, idName, tsName string) (string, time.Time) {
	id, _ := singleHeader(h, idName)
	tsText, _ := singleHeader(h, tsName)
	ts, _ := parseUnix(tsText)
	return "webhook:" + strconv.Itoa(len(id)) + ":" + id + ":" + strconv.FormatInt(ts, 10), expiry(ts, tolerance)
}

// NewMessageID returns a fresh random message id, "msg_" followed by 26
// base32 characters (128 random bits). It contains no '.'.
func NewMessageID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "msg_" + idEncoding.EncodeToString(b[:]), nil
}

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// macV1 computes HMAC-SHA256(key, id "." ts "." body) into sum without
// building the concatenation. Scratch space comes from a pool, so that
// sum can stay on the caller's stack.
func macV1(key []byte, id string, ts int64, body []byte, sum *[sha256.Size]byte) {
	mac := hmac.New(sha256.New, key)
	sc := macScratchPool.Get().(*macScratch)
	p := sc.prefix[:0]
	if len(id) > len(sc.prefix)-maxTimestampDigits-2 {
		mac.Write([]byte(id))
	} else {
		p = append(p, id...)
	}
	p = append(p, '.')
	p = strconv.AppendInt(p, ts, 10)
	p = append(p, '.')
	mac.Write(p)
	mac.Write(body)
	*sum = [sha256.Size]byte(mac.Sum(sc.sum[:0]))
	macScratchPool.Put(sc)
}

// macScratch is the buffer space macV1 hands to the hash.
type macScratch struct {
	prefix [96]byte
	sum    [sha256.Size]byte
}

var macScratchPool = sync.Pool{New: func() any { return new(macScratch) }}

// appendSignedContent appends id "." ts "." body to dst.
func appendSignedContent(dst []byte, id string, ts int64, body []byte) []byte {
	dst = append(dst, id...)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, '.')
	return append(dst, body...)
}

// contentPool recycles the buffers that hold the signed content for
// ed25519, which needs it in one piece.
var contentPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledContent keeps very large buffers out of the pool.
const maxPooledContent = 1 << 20

func putContent(buf *[]byte, content []byte) {
	if cap(content) > maxPooledContent {
		return
	}
	*buf = content[:0]
	contentPool.Put(buf)
}

// Strict decoders refuse unused bits that are not zero, so each signature
// has exactly one spelling, as with the reference libraries, which compare
// the base64 text.
var (
	strictPadded = base64.StdEncoding.Strict()
	strictRaw    = base64.RawStdEncoding.Strict()
)

// decodeBase64Exact decodes s (standard alphabet, padded or not, canonical)
// into dst and reports whether it decoded to exactly len(dst) bytes. It
// does not allocate.
func decodeBase64Exact(dst []byte, s string) bool {
	var src [128]byte
	var out [96]byte
	if len(s) > len(src) {
		return false
	}
	n := copy(src[:], s)
	enc := strictPadded
	if n%4 != 0 {
		enc = strictRaw
	}
	if enc.DecodedLen(n) > len(out) {
		return false
	}
	m, err := enc.Decode(out[:], src[:n])
	if err != nil || m != len(dst) {
		return false
	}
	copy(dst, out[:m])
	return true
}
