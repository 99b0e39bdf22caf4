package signature

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Encoding is how a generic HMAC signature is written in its header.
type Encoding int

const (
	// EncodingHex is hexadecimal, either case on input, lower case on
	// output. It is the zero value.
	EncodingHex Encoding = iota
	// EncodingBase64 is standard base64, padded on output, padded or not on
	// input.
	EncodingBase64
)

// String returns "hex" or "base64".
func (e Encoding) String() string {
	switch e {
	case EncodingHex:
		return "hex"
	case EncodingBase64:
		return "base64"
	}
	return "Encoding(" + strconv.Itoa(int(e)) + ")"
}

// HMAC is a configurable HMAC scheme for providers that follow none of the
// named ones: the signature is HMAC(Hash, Secret, content), written with
// Encoding after Prefix in the header called Header. The signed content is
// the raw body or, when TimestampHeader is set, "<timestamp>.<body>" where
// timestamp is the value of that header in Unix seconds and must lie within
// Tolerance of Now.
//
// For example, a provider that sends "X-Signature: sha512=<hex>" over the
// body is HMAC{Secret: s, Header: "X-Signature", Prefix: "sha512=",
// Hash: crypto.SHA512}.
type HMAC struct {
	// Secret is the shared key, as bytes.
	Secret []byte
	// Header names the header that carries the signature. Required.
	Header string
	// Prefix is text that precedes the encoded signature in the header,
	// such as "sha256=". It must match exactly.
	Prefix string
	// Hash is crypto.SHA1, crypto.SHA256 or crypto.SHA512; zero means
	// SHA256.
	Hash crypto.Hash
	// Encoding of the signature: EncodingHex (the zero value) or
	// EncodingBase64.
	Encoding Encoding
	// TimestampHeader, when set, names a header holding the signing time in
	// Unix seconds; the signed content is then "<timestamp>.<body>".
	TimestampHeader string
	// Tolerance and Now work as in Standard; they matter only when
	// TimestampHeader is set.
	Tolerance time.Duration
	Now       func() time.Time
}

func (g *HMAC) newHash() (func() hash.Hash, error) {
	switch g.Hash {
	case 0, crypto.SHA256:
		return sha256.New, nil
	case crypto.SHA1:
		return sha1.New, nil
	case crypto.SHA512:
		return sha512.New, nil
	}
	return nil, fmt.Errorf("%w: unsupported hash %v (want SHA1, SHA256 or SHA512)", ErrBadSecret, g.Hash)
}

func (g *HMAC) check() (func() hash.Hash, error) {
	if err := requireSecret(g.Secret, "HMAC"); err != nil {
		return nil, err
	}
	if g.Header == "" {
		return nil, fmt.Errorf("%w: HMAC scheme without a header name", ErrBadSecret)
	}
	if g.Encoding != EncodingHex && g.Encoding != EncodingBase64 {
		return nil, fmt.Errorf("%w: unsupported encoding %v", ErrBadSecret, g.Encoding)
	}
	return g.newHash()
}

// SignValue returns the header value (Prefix and encoded signature) for
// body signed at timestamp; timestamp is ignored unless TimestampHeader is
// set.
func (g *HMAC) SignValue(timestamp time.Time, body []byte) (string, error) {
	h, err := g.check()
	if err != nil {
		return "", err
	}
	var prefix []byte
	if g.TimestampHeader != "" {
		prefix = strconv.AppendInt(nil, timestamp.Unix(), 10)
		prefix = append(prefix, '.')
	}
	return g.Prefix + encode(g.Encoding, hmacSum(h, g.Secret, prefix, body)), nil
}

// Sign sets Header (and TimestampHeader, to Now, when configured) for body.
func (g *HMAC) Sign(header http.Header, body []byte) error {
	t := clock(g.Now)
	v, err := g.SignValue(t, body)
	if err != nil {
		return err
	}
	if g.TimestampHeader != "" {
		header.Set(g.TimestampHeader, strconv.FormatInt(t.Unix(), 10))
	}
	header.Set(g.Header, v)
	return nil
}

// Verify checks Header (and TimestampHeader, when configured) against
// body.
func (g *HMAC) Verify(header http.Header, body []byte) error {
	h, err := g.check()
	if err != nil {
		return err
	}
	name := http.CanonicalHeaderKey(g.Header)
	v, err := singleHeader(header, name)
	if err != nil {
		return err
	}
	var prefix []byte
	if g.TimestampHeader != "" {
		tsName := http.CanonicalHeaderKey(g.TimestampHeader)
		tsText, err := singleHeader(header, tsName)
		if err != nil {
			return err
		}
		if _, err := checkTimestamp(tsText, tsName, g.Now, g.Tolerance); err != nil {
			return err
		}
		prefix = append([]byte(tsText), '.')
	}
	return checkEncoded(v, g.Prefix, name, g.Encoding, hmacSum(h, g.Secret, prefix, body))
}

// ReplayKey names a verified request by its timestamp (when the scheme has
// one) and a hash of its body.
func (g *HMAC) ReplayKey(header http.Header, body []byte) (string, time.Time) {
	if g.TimestampHeader == "" {
		return bodyReplayKey("hmac", "", body), time.Time{}
	}
	tsText, _ := singleHeader(header, http.CanonicalHeaderKey(g.TimestampHeader))
	ts, _ := parseUnix(tsText)
	return bodyReplayKey("hmac", strconv.FormatInt(ts, 10), body), expiry(ts, g.Tolerance)
}

// requireSecret returns an ErrBadSecret error naming scheme when secret is
// empty: an HMAC under an empty key proves nothing.
func requireSecret(secret []byte, scheme string) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: empty %s secret", ErrBadSecret, scheme)
	}
	return nil
}

// signatureValue returns the single value of the header name, which
// carries the signature, once requireSecret has found a secret to check it
// with.
func signatureValue(secret []byte, scheme string, header http.Header, name string) (string, error) {
	if err := requireSecret(secret, scheme); err != nil {
		return "", err
	}
	return singleHeader(header, name)
}

// hmacSum returns HMAC(newHash, key, prefix || body).
func hmacSum(newHash func() hash.Hash, key, prefix, body []byte) []byte {
	mac := hmac.New(newHash, key)
	mac.Write(prefix)
	mac.Write(body)
	return mac.Sum(nil)
}

func encode(e Encoding, b []byte) string {
	if e == EncodingBase64 {
		return base64.StdEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

// maxDigest is the largest digest handled here (SHA-512).
const maxDigest = sha512.Size

// checkEncoded checks that value is prefix followed by want encoded with
// enc, comparing the decoded bytes in constant time. The header name is
// used in errors only. A value that starts with another "algo=" prefix is
// reported as ErrNoMatch (well formed, not ours); other mismatches of
// shape are ErrBadFormat.
func checkEncoded(value, prefix, name string, enc Encoding, want []byte) error {
	value = strings.TrimSpace(value)
	encoded, ok := strings.CutPrefix(value, prefix)
	if !ok {
		if algo, rest, found := strings.Cut(value, "="); found && rest != "" && strings.HasSuffix(prefix, "=") && isAlgoName(algo) {
			return fmt.Errorf("%w: %s uses %q, want %q", ErrNoMatch, name, algo+"=", prefix)
		}
		return fmt.Errorf("%w: %s does not start with %q", ErrBadFormat, name, prefix)
	}
	var got [maxDigest]byte
	if !decodeExact(got[:len(want)], encoded, enc) {
		return fmt.Errorf("%w: %s is not a %d-byte %s value", ErrBadFormat, name, len(want), enc)
	}
	if !hmac.Equal(got[:len(want)], want) {
		return fmt.Errorf("%w: %s", ErrNoMatch, name)
	}
	return nil
}

// isAlgoName reports whether s looks like an algorithm or version tag
// ("sha1", "v0"): 1 to 16 letters, digits, '-' or '_'.
func isAlgoName(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// decodeExact decodes s with enc into dst and reports whether it filled dst
// exactly.
func decodeExact(dst []byte, s string, enc Encoding) bool {
	switch enc {
	case EncodingHex:
		if len(s) != 2*len(dst) {
			return false
		}
		var src [2 * maxDigest]byte
		n := copy(src[:], s)
		_, err := hex.Decode(dst, src[:n])
		return err == nil
	case EncodingBase64:
		return decodeBase64Exact(dst, s)
	}
	return false
}
