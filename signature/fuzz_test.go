package signature_test

import (
	"crypto"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/signature"
)

// Fuzz targets for every header parser. Plain "go test" runs their seed
// corpus; "go test -fuzz=FuzzX" explores. Each asserts that no input
// panics, that every refusal wraps one of the package's sentinel errors,
// and that acceptance only happens for a genuine signature.

var sentinels = []error{
	signature.ErrMissingHeader, signature.ErrBadFormat, signature.ErrNoMatch,
	signature.ErrTooOld, signature.ErrTooNew, signature.ErrBadSecret,
}

func classified(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

var fuzzKey = []byte("fuzz key 0123456789abcdef")

const fuzzNow = 1_700_000_000

// FuzzStandardHeader fuzzes the webhook-id, webhook-timestamp and
// webhook-signature values. Accepting means the list held the one right
// v1 signature; and whatever the id and body, what SignV1 makes verifies.
func FuzzStandardHeader(f *testing.F) {
	good := signature.SignV1(fuzzKey, "msg_1", time.Unix(fuzzNow, 0), []byte(`{"a":1}`))
	f.Add("msg_1", "1700000000", good, []byte(`{"a":1}`))
	f.Add("msg_1", "1700000000", "v2,abc "+good+" v1,", []byte(`{"a":1}`))
	f.Add("msg_1", "1700000000", "v1,", []byte{})
	f.Add("msg_1", "1700000000", "v1a,"+strings.Repeat("A", 86)+"==", []byte{})
	f.Add("", "", "", []byte(nil))
	f.Add("a.b", "-1", "v1,,, ,v1 ,,", []byte("x"))
	f.Add("m", "99999999999999999999", strings.Repeat("v1,x ", 40), []byte("x"))
	f.Add("m", "1700000000", "v1,"+strings.Repeat("=", 44), []byte("x"))
	sec, _ := signature.NewHMACSecret(fuzzKey)
	s := &signature.Standard{Secrets: []signature.Secret{sec}, Now: at(time.Unix(fuzzNow, 0))}
	f.Fuzz(func(t *testing.T, id, ts, sigs string, body []byte) {
		err := s.VerifyValues(id, ts, sigs, body)
		if err != nil && !classified(err) {
			t.Fatalf("unclassified error %v", err)
		}
		if err == nil {
			n, _ := strconv.ParseInt(ts, 10, 64)
			want := signature.SignV1(fuzzKey, id, time.Unix(n, 0), body)
			wantRaw := strings.TrimRight(want, "=")
			found := false
			for _, e := range strings.Split(sigs, " ") {
				if e == want || e == wantRaw {
					found = true
				}
			}
			if !found {
				t.Fatalf("accepted %q without the right signature %q", sigs, want)
			}
		}
		if id != "" {
			signed := signature.SignV1(fuzzKey, id, time.Unix(fuzzNow, 0), body)
			if err := s.VerifyValues(id, strconv.Itoa(fuzzNow), signed, body); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		}
	})
}

// FuzzStripeHeader fuzzes the Stripe-Signature value.
func FuzzStripeHeader(f *testing.F) {
	good := signature.SignStripe(fuzzKey, time.Unix(fuzzNow, 0), []byte("{}"))
	f.Add(good, []byte("{}"))
	f.Add(good+",v1=zz,v0=00", []byte("{}"))
	f.Add("t=1700000000,t=1700000000", []byte{})
	f.Add("t=,v1=", []byte{})
	f.Add(",,,,=,=,==", []byte("x"))
	f.Add("v1="+strings.Repeat("a", 64)+",t=1700000000", []byte("x"))
	s := &signature.Stripe{Secret: fuzzKey, Now: at(time.Unix(fuzzNow, 0))}
	f.Fuzz(func(t *testing.T, value string, body []byte) {
		err := s.VerifyHeader(value, body)
		if err != nil && !classified(err) {
			t.Fatalf("unclassified error %v", err)
		}
		if err == nil {
			want := strings.Split(signature.SignStripe(fuzzKey, time.Unix(stripeT(value), 0), body), ",")[1]
			if !strings.Contains(strings.ToLower(value), want) {
				t.Fatalf("accepted %q without %q", value, want)
			}
		}
		if err := s.Verify(header("Stripe-Signature", signature.SignStripe(fuzzKey, time.Unix(fuzzNow, 0), body)), body); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
	})
}

func stripeT(v string) int64 {
	for _, p := range strings.Split(v, ",") {
		if k, val, _ := strings.Cut(strings.TrimSpace(p), "="); k == "t" {
			n, _ := strconv.ParseInt(val, 10, 64)
			return n
		}
	}
	return 0
}

// FuzzParseSecret fuzzes secret parsing: any secret that parses prints
// back (String) to a form that parses to the same key.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "", "whsk_", "whpk_",
		"whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=",
		"whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==",
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_a-b_c", "====", " whsec_AA== ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sec, err := signature.ParseSecret(s)
		if err != nil {
			if !errors.Is(err, signature.ErrBadSecret) {
				t.Fatalf("error %v does not wrap ErrBadSecret", err)
			}
			return
		}
		back, err := signature.ParseSecret(sec.String())
		if err != nil {
			t.Fatalf("String() %q does not parse: %v", sec.String(), err)
		}
		if back.Kind != sec.Kind || string(back.Key) != string(sec.Key) || string(back.Private) != string(sec.Private) || string(back.Public) != string(sec.Public) {
			t.Fatalf("round trip changed the key")
		}
		if sec.Kind != signature.PublicKey {
			if _, err := sec.Sign("msg", time.Unix(fuzzNow, 0), nil); err != nil {
				t.Fatalf("parsed secret cannot sign: %v", err)
			}
		}
	})
}

// FuzzSlackHeader fuzzes X-Slack-Signature and X-Slack-Request-Timestamp.
func FuzzSlackHeader(f *testing.F) {
	good := signature.SignSlack(fuzzKey, time.Unix(fuzzNow, 0), []byte("a=b"))
	f.Add(good, "1700000000", []byte("a=b"))
	f.Add("v0=", "", []byte{})
	f.Add("v1="+good[3:], "1700000000", []byte("a=b"))
	f.Add(strings.ToUpper(good), "01700000000", []byte("a=b"))
	f.Add("=", "1e9", []byte{})
	s := &signature.Slack{Secret: fuzzKey, Now: at(time.Unix(fuzzNow, 0))}
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		err := s.Verify(header("X-Slack-Signature", sig, "X-Slack-Request-Timestamp", ts), body)
		if err != nil && !classified(err) {
			t.Fatalf("unclassified error %v", err)
		}
		if err == nil {
			n, _ := strconv.ParseInt(ts, 10, 64)
			if want := signature.SignSlack(fuzzKey, time.Unix(n, 0), body); !strings.EqualFold(strings.TrimSpace(sig), want) || strconv.FormatInt(n, 10) != strings.TrimLeft(ts, "0") {
				t.Fatalf("accepted %q at %q, want %q", sig, ts, want)
			}
		}
	})
}

// FuzzGenericHeader fuzzes the generic HMAC scheme, and through it the
// prefix/hex/base64 decoding shared with GitHub and Shopify.
func FuzzGenericHeader(f *testing.F) {
	f.Add("sha256="+strings.Repeat("0", 64), "1700000000", []byte("x"), false, uint8(5))
	f.Add("sha256=", "", []byte{}, true, uint8(7))
	f.Add("sha1=abc", "x", []byte("x"), false, uint8(3))
	f.Add("sha256="+strings.Repeat("A", 43), "1700000000", []byte("x"), true, uint8(5))
	f.Add("md5=x=y=z", "1700000000", []byte("x"), true, uint8(2))
	f.Fuzz(func(t *testing.T, value, ts string, body []byte, b64 bool, hashSel uint8) {
		hashes := []crypto.Hash{0, crypto.SHA1, crypto.SHA256, crypto.SHA512, crypto.MD5}
		enc := signature.EncodingHex
		if b64 {
			enc = signature.EncodingBase64
		}
		g := &signature.HMAC{
			Secret: fuzzKey, Header: "X-Sig", Prefix: "sha256=", Hash: hashes[int(hashSel)%len(hashes)],
			Encoding: enc, Now: at(time.Unix(fuzzNow, 0)),
		}
		if hashSel%2 == 0 {
			g.TimestampHeader = "X-Ts"
		}
		h := header("X-Sig", value, "X-Ts", ts)
		if err := g.Verify(h, body); err != nil && !classified(err) {
			t.Fatalf("unclassified error %v", err)
		} else if err == nil {
			want, _ := g.SignValue(time.Unix(stripeTOf(ts), 0), body)
			if !strings.EqualFold(strings.TrimRight(strings.TrimSpace(value), "="), strings.TrimRight(want, "=")) {
				t.Fatalf("accepted %q, want %q", value, want)
			}
		}
		gh := &signature.GitHub{Secret: fuzzKey, AllowSHA1: b64}
		if err := gh.Verify(header("X-Hub-Signature-256", value, "X-Hub-Signature", value), body); err != nil && !classified(err) {
			t.Fatalf("GitHub: unclassified error %v", err)
		}
		if err := (&signature.Shopify{Secret: fuzzKey}).Verify(header("X-Shopify-Hmac-Sha256", value), body); err != nil && !classified(err) {
			t.Fatalf("Shopify: unclassified error %v", err)
		}
		// What the scheme signs, it verifies.
		out := http.Header{}
		if err := g.Sign(out, body); err == nil {
			if err := g.Verify(out, body); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		} else if !errors.Is(err, signature.ErrBadSecret) {
			t.Fatalf("Sign: %v", err)
		}
	})
}

func stripeTOf(ts string) int64 {
	n, _ := strconv.ParseInt(ts, 10, 64)
	return n
}
