package signature_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/signature"
)

// vector is one known-good signature from testdata/vectors.json.
type vector struct {
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	PublicKey string `json:"public_key"`
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 3 {
		t.Fatalf("testdata/vectors.json holds %d vectors, want at least 3", len(file.Vectors))
	}
	return file.Vectors
}

func (v vector) time() time.Time { return time.Unix(v.Timestamp, 0) }

// at returns a clock stuck at t.
func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func (v vector) headers(sig string) http.Header {
	h := http.Header{}
	h.Set(signature.HeaderID, v.ID)
	h.Set(signature.HeaderTimestamp, strconv.FormatInt(v.Timestamp, 10))
	h.Set(signature.HeaderSignature, sig)
	return h
}

// verifier returns a Standard for the vector's verifying key (the public
// key for v1a), with the clock at the vector's timestamp.
func (v vector) verifier(t testing.TB) *signature.Standard {
	t.Helper()
	key := v.Secret
	if v.PublicKey != "" {
		key = v.PublicKey
	}
	s, err := signature.NewStandard(key)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = at(v.time())
	return s
}

// TestVectorsSign proves that our signers reproduce every known-good
// signature byte for byte (v1 through SignV1 and Secret.Sign, v1a through
// Secret.Sign with the whsk_ key).
func TestVectorsSign(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sec, err := signature.ParseSecret(v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sec.Sign(v.ID, v.time(), []byte(v.Payload))
			if err != nil {
				t.Fatal(err)
			}
			if got != v.Signature {
				t.Errorf("Sign = %q, want %q", got, v.Signature)
			}
			if sec.Kind == signature.Symmetric {
				if got := signature.SignV1(sec.Key, v.ID, v.time(), []byte(v.Payload)); got != v.Signature {
					t.Errorf("SignV1 = %q, want %q", got, v.Signature)
				}
			}
		})
	}
}

// TestVectorsVerify proves that every known-good signature verifies, by
// the secret and (for v1a) by the public key alone, including through an
// http.Header.
func TestVectorsVerify(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if err := v.verifier(t).Verify(v.headers(v.Signature), []byte(v.Payload)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// The private key verifies its own signatures too.
			s, _ := signature.NewStandard(v.Secret)
			s.Now = at(v.time())
			if err := s.VerifyValues(v.ID, strconv.FormatInt(v.Timestamp, 10), v.Signature, []byte(v.Payload)); err != nil {
				t.Fatalf("VerifyValues with signing secret: %v", err)
			}
		})
	}
}

// TestVectorsMustFail covers every must-fail case of the reference vectors,
// and checks that each fails with the error a caller can recognise.
func TestVectorsMustFail(t *testing.T) {
	vs := loadVectors(t)
	v := vs[0] // v1
	va := vs[2]
	if !strings.HasPrefix(va.Signature, "v1a,") {
		t.Fatalf("vector 2 is not v1a: %q", va.Signature)
	}
	body := []byte(v.Payload)
	ts := strconv.FormatInt(v.Timestamp, 10)
	sigB64 := strings.TrimPrefix(v.Signature, "v1,")
	// A v1 signature that is well formed but wrong: the signature of the
	// second vector.
	wrong := vs[1].Signature

	cases := []struct {
		name      string
		mutate    func(h http.Header)
		body      []byte
		clockSkew time.Duration
		want      error
	}{
		{name: "no webhook-id", mutate: func(h http.Header) { h.Del(signature.HeaderID) }, want: signature.ErrMissingHeader},
		{name: "no webhook-timestamp", mutate: func(h http.Header) { h.Del(signature.HeaderTimestamp) }, want: signature.ErrMissingHeader},
		{name: "no webhook-signature", mutate: func(h http.Header) { h.Del(signature.HeaderSignature) }, want: signature.ErrMissingHeader},
		{name: "empty webhook-id", mutate: func(h http.Header) { h.Set(signature.HeaderID, "") }, want: signature.ErrMissingHeader},
		{name: "blank webhook-signature", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, "   ") }, want: signature.ErrMissingHeader},
		{name: "bare v1,", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, "v1,") }, want: signature.ErrBadFormat},
		{name: "truncated v1", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, v.Signature[:len(v.Signature)-8]) }, want: signature.ErrBadFormat},
		{name: "v1 one byte short", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, "v1,"+sigB64[:40]) }, want: signature.ErrBadFormat},
		{name: "non-canonical base64 (unused bits set)", mutate: func(h http.Header) {
			h.Set(signature.HeaderSignature, strings.Replace(v.Signature, "OE=", "OF=", 1))
		}, want: signature.ErrBadFormat},
		{name: "no comma", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, sigB64) }, want: signature.ErrBadFormat},
		{name: "not base64", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, "v1,!!!!"+sigB64[4:]) }, want: signature.ErrBadFormat},
		{name: "timestamp not a number", mutate: func(h http.Header) { h.Set(signature.HeaderTimestamp, "yesterday") }, want: signature.ErrBadFormat},
		{name: "timestamp with sign", mutate: func(h http.Header) { h.Set(signature.HeaderTimestamp, "+"+ts) }, want: signature.ErrBadFormat},
		{name: "timestamp with fraction", mutate: func(h http.Header) { h.Set(signature.HeaderTimestamp, ts+".0") }, want: signature.ErrBadFormat},
		{name: "timestamp overflow", mutate: func(h http.Header) { h.Set(signature.HeaderTimestamp, "99999999999999999999") }, want: signature.ErrBadFormat},
		{name: "301s too old", clockSkew: 301 * time.Second, want: signature.ErrTooOld},
		{name: "301s too new", clockSkew: -301 * time.Second, want: signature.ErrTooNew},
		{name: "a year too old", clockSkew: 365 * 24 * time.Hour, want: signature.ErrTooOld},
		{name: "only other versions", mutate: func(h http.Header) {
			h.Set(signature.HeaderSignature, "v2,"+sigB64+" v0,"+sigB64+" v1b,"+sigB64)
		}, want: signature.ErrNoMatch},
		{name: "only wrong v1", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, wrong+" "+wrong) }, want: signature.ErrNoMatch},
		{name: "right signature, other version", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, "v1a,"+sigB64) }, want: signature.ErrBadFormat},
		{name: "body changed", body: []byte(`{"test": 2432232315}`), want: signature.ErrNoMatch},
		{name: "body with trailing newline", body: append([]byte(v.Payload), '\n'), want: signature.ErrNoMatch},
		{name: "id changed", mutate: func(h http.Header) { h.Set(signature.HeaderID, v.ID+"x") }, want: signature.ErrNoMatch},
		{name: "timestamp changed by one second", mutate: func(h http.Header) {
			h.Set(signature.HeaderTimestamp, strconv.FormatInt(v.Timestamp+1, 10))
		}, want: signature.ErrNoMatch},
		{name: "two different ids", mutate: func(h http.Header) { h.Add(signature.HeaderID, "msg_other") }, want: signature.ErrBadFormat},
		{name: "v1a signature against HMAC secret", mutate: func(h http.Header) { h.Set(signature.HeaderSignature, va.Signature) }, want: signature.ErrNoMatch},
		{name: "too many entries", mutate: func(h http.Header) {
			h.Set(signature.HeaderSignature, strings.Repeat(wrong+" ", 40)+v.Signature)
		}, want: signature.ErrBadFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := v.headers(v.Signature)
			if c.mutate != nil {
				c.mutate(h)
			}
			b := body
			if c.body != nil {
				b = c.body
			}
			s := v.verifier(t)
			s.Now = at(v.time().Add(c.clockSkew))
			err := s.Verify(h, b)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}

	t.Run("v1a signature changed", func(t *testing.T) {
		sig := []byte(va.Signature)
		sig[10] ^= 1 // a different base64 letter
		if err := va.verifier(t).Verify(va.headers(string(sig)), []byte(va.Payload)); !errors.Is(err, signature.ErrNoMatch) {
			t.Fatalf("Verify = %v, want ErrNoMatch", err)
		}
	})
	t.Run("v1a under another public key", func(t *testing.T) {
		other, err := signature.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		s := &signature.Standard{Secrets: []signature.Secret{other.PublicSecret()}, Now: at(va.time())}
		if err := s.Verify(va.headers(va.Signature), []byte(va.Payload)); !errors.Is(err, signature.ErrNoMatch) {
			t.Fatalf("Verify = %v, want ErrNoMatch", err)
		}
	})
	for _, secret := range []string{"", "whsec_", "  whsec_  ", "whsk_", "whpk_", "whsec_!!!!", "whpk_" + strings.Repeat("A", 10)} {
		t.Run("bad secret "+strconvQuote(secret), func(t *testing.T) {
			if _, err := signature.NewStandard(secret); !errors.Is(err, signature.ErrBadSecret) {
				t.Fatalf("NewStandard(%q) = %v, want ErrBadSecret", secret, err)
			}
			if _, err := signature.ParseSecret(secret); !errors.Is(err, signature.ErrBadSecret) {
				t.Fatalf("ParseSecret(%q) = %v, want ErrBadSecret", secret, err)
			}
		})
	}
	t.Run("no secret at all", func(t *testing.T) {
		if _, err := signature.NewStandard(); !errors.Is(err, signature.ErrBadSecret) {
			t.Fatalf("NewStandard() = %v, want ErrBadSecret", err)
		}
		var zero signature.Standard
		if err := zero.Verify(v.headers(v.Signature), body); !errors.Is(err, signature.ErrBadSecret) {
			t.Fatalf("zero Standard Verify = %v, want ErrBadSecret", err)
		}
	})
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// TestVectorsMustPass covers the must-pass case: a header listing other
// versions, wrong v1 values and one right signature passes, wherever the
// right one sits, for v1 and for v1a.
func TestVectorsMustPass(t *testing.T) {
	vs := loadVectors(t)
	for _, v := range []vector{vs[0], vs[2]} {
		sigB64 := v.Signature[strings.Index(v.Signature, ",")+1:]
		noise := []string{"v2," + sigB64, vs[1].Signature, "v1,", "garbage", "v1a,AAAA"}
		for pos := 0; pos <= len(noise); pos++ {
			entries := append(append(append([]string{}, noise[:pos]...), v.Signature), noise[pos:]...)
			header := strings.Join(entries, " ")
			t.Run(v.Name+"/at "+strconv.Itoa(pos), func(t *testing.T) {
				if err := v.verifier(t).Verify(v.headers(header), []byte(v.Payload)); err != nil {
					t.Fatalf("Verify(%q) = %v", header, err)
				}
			})
		}
		t.Run(v.Name+"/several header lines", func(t *testing.T) {
			h := v.headers(noise[1])
			h.Add(signature.HeaderSignature, v.Signature)
			if err := v.verifier(t).Verify(h, []byte(v.Payload)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
		t.Run(v.Name+"/tolerance edges", func(t *testing.T) {
			for _, skew := range []time.Duration{-300 * time.Second, 300 * time.Second, 0} {
				s := v.verifier(t)
				s.Now = at(v.time().Add(skew))
				if err := s.Verify(v.headers(v.Signature), []byte(v.Payload)); err != nil {
					t.Fatalf("skew %s: %v", skew, err)
				}
			}
		})
	}
}
