package signature_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
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

// fuzzPair is a fixed ed25519 key pair, so that fuzz runs are
// reproducible and v1a signatures (deterministic in ed25519) can be
// predicted.
var fuzzPair = func() signature.Secret {
	sec, err := signature.NewPrivateKeySecret(ed25519.NewKeyFromSeed(bytes.Repeat([]byte("fuzz seed "), 4)[:ed25519.SeedSize]))
	if err != nil {
		panic(err)
	}
	return sec
}()

// fuzzStandard returns the verifier the Standard Webhooks fuzz targets
// use: the HMAC key fuzzKey for v1 and the public half of fuzzPair for v1a,
// so that both versions run with a key.
func fuzzStandard() signature.Standard {
	hmacKey, err := signature.NewHMACSecret(fuzzKey)
	if err != nil {
		panic(err)
	}
	return signature.Standard{Secrets: []signature.Secret{hmacKey, fuzzPair.PublicSecret()}, Now: at(time.Unix(fuzzNow, 0))}
}

// fuzzSigned reports whether the space-separated list holds the v1 or the
// v1a signature of id, ts and body (padded or not), which is what
// acceptance must mean. ts must be the canonical decimal form of the
// signed number.
func fuzzSigned(list, id, ts string, body []byte) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != ts {
		return false
	}
	v1 := signature.SignV1(fuzzKey, id, time.Unix(n, 0), body)
	v1a := signature.SignV1a(fuzzPair.Private, id, time.Unix(n, 0), body)
	for _, e := range strings.Split(list, " ") {
		if e == v1 || e == strings.TrimRight(v1, "=") || e == v1a || e == strings.TrimRight(v1a, "=") {
			return true
		}
	}
	return false
}

// FuzzStandardHeader fuzzes the webhook-id, webhook-timestamp and
// webhook-signature values against a verifier that holds an HMAC key and
// an ed25519 public key. Accepting means the list held the one right v1 or
// v1a signature under the one spelling of the timestamp; whatever the id
// and body, what SignV1 and SignV1a make verifies; a verifier whose only
// secrets are unusable never accepts and blames the configuration.
func FuzzStandardHeader(f *testing.F) {
	body := []byte(`{"a":1}`)
	good := signature.SignV1(fuzzKey, "msg_1", time.Unix(fuzzNow, 0), body)
	goodA := signature.SignV1a(fuzzPair.Private, "msg_1", time.Unix(fuzzNow, 0), body)
	f.Add("msg_1", "1700000000", good, body)
	f.Add("msg_1", "1700000000", goodA, body)
	f.Add("msg_1", "1700000000", strings.TrimRight(goodA, "="), body)
	f.Add("msg_1", "1700000000", "v1a,"+goodA[4:]+" "+good, body)
	f.Add("msg_1", "01700000000", good, body)
	f.Add("msg_1", "01700000000", goodA, body)
	f.Add("msg_1", "1700000000", "v2,abc "+good+" v1,", body)
	f.Add("msg_1", "1700000000", "v1,", []byte{})
	f.Add("msg_1", "1700000000", "v1a,"+strings.Repeat("A", 86)+"==", []byte{})
	f.Add("msg_1", "1700000000", "v1a,"+strings.Repeat("/", 86), []byte{})
	f.Add("msg_1", "1700000000", "v1a,"+goodA[4:len(goodA)-4]+"AA==", body)
	f.Add("", "", "", []byte(nil))
	f.Add("a.b", "-1", "v1,,, ,v1 ,,", []byte("x"))
	f.Add("m", "99999999999999999999", strings.Repeat("v1,x ", 40), []byte("x"))
	f.Add("m", "1700000000", "v1,"+strings.Repeat("=", 44), []byte("x"))
	f.Add("m", "0", "v1a,", []byte("x"))
	s := fuzzStandard()
	unusable := &signature.Standard{
		Secrets: []signature.Secret{{}, {Kind: signature.Symmetric}, {Kind: signature.PublicKey, Public: fuzzPair.Public[:16]}},
		Now:     s.Now,
	}
	f.Fuzz(func(t *testing.T, id, ts, sigs string, body []byte) {
		err := s.VerifyValues(id, ts, sigs, body)
		if err != nil && !classified(err) {
			t.Fatalf("unclassified error %v", err)
		}
		if err == nil && !fuzzSigned(sigs, id, ts, body) {
			t.Fatalf("accepted %q at %q without the right signature", sigs, ts)
		}
		if err := unusable.VerifyValues(id, ts, sigs, body); err == nil || errors.Is(err, signature.ErrNoMatch) || !classified(err) {
			t.Fatalf("verifier without a usable secret: %v", err)
		}
		if id != "" {
			for _, signed := range []string{
				signature.SignV1(fuzzKey, id, time.Unix(fuzzNow, 0), body),
				signature.SignV1a(fuzzPair.Private, id, time.Unix(fuzzNow, 0), body),
			} {
				if err := s.VerifyValues(id, strconv.Itoa(fuzzNow), signed, body); err != nil {
					t.Fatalf("own signature %.4s refused: %v", signed, err)
				}
			}
		}
	})
}

// FuzzSvixHeaders fuzzes whole header maps, written as "name: value"
// lines, through the http.Header path of Svix (and so of Standard): names
// in any case, each line added as its own value so that a header can be
// repeated, with the same or different values, and the svix-* and
// webhook-* families mixed. canonical says whether names are canonicalised
// as net/http does for a received request, or kept as written, as in a
// map built by hand. Besides no panic and classified errors, it checks
// that an accepted request carried a right signature, that its replay key
// does not depend on map order, and that moving its values to the other
// family's header names verifies with the same replay key (a copy relabelled
// is still the same message).
func FuzzSvixHeaders(f *testing.F) {
	body := []byte(`{"a":1}`)
	good := signature.SignV1(fuzzKey, "msg_1", time.Unix(fuzzNow, 0), body)
	goodA := signature.SignV1a(fuzzPair.Private, "msg_1", time.Unix(fuzzNow, 0), body)
	lines := func(family string, extra ...string) string {
		return strings.Join(append([]string{family + "-id: msg_1", family + "-timestamp: 1700000000", family + "-signature: " + good}, extra...), "\n")
	}
	f.Add(lines("svix"), body, true)
	f.Add(lines("webhook"), body, true)
	f.Add(lines("svix"), body, false)
	f.Add(lines("SVIX", "svix-id: msg_1"), body, false)
	f.Add(lines("svix", "Svix-Id: msg_2"), body, false)
	f.Add(lines("svix", "svix-id: msg_2"), body, true)
	f.Add(lines("svix", "svix-id: msg_1", "svix-timestamp: 1700000000"), body, true)
	f.Add(lines("svix", "svix-signature: v1,bad", "svix-signature: "+goodA), body, true)
	f.Add(lines("webhook", "svix-id: "), body, true)
	f.Add(lines("webhook", "Svix-Id: msg_1"), body, false)
	f.Add(lines("svix", "webhook-id: msg_1", "webhook-timestamp: 1700000000", "webhook-signature: "+good), body, false)
	f.Add("svix-id: msg_1\nsvix-timestamp: 01700000000\nsvix-signature: "+good, body, true)
	f.Add("\u017fvix-id: msg_1\nwebhook-id: msg_1\nwebhook-timestamp: 1700000000\nwebhook-signature: "+goodA, body, false)
	f.Add("svix-signature:\nsvix-signature: \nsvix-id:x", []byte{}, false)
	f.Add(":\n:::\n\n", []byte(nil), false)
	sx := &signature.Svix{Standard: fuzzStandard()}
	f.Fuzz(func(t *testing.T, text string, body []byte, canonical bool) {
		h := http.Header{}
		for _, line := range strings.Split(text, "\n") {
			name, value, _ := strings.Cut(line, ":")
			if canonical {
				name = http.CanonicalHeaderKey(name)
			}
			h[name] = append(h[name], strings.TrimSpace(value))
		}
		err := sx.Verify(h, body)
		if err != nil && !classified(err) {
			t.Fatalf("unclassified error %v", err)
		}
		if err != nil {
			return
		}
		family := "webhook"
		if len(valuesFold(h, "svix-id")) > 0 {
			family = "svix"
		}
		if !fuzzAccepted(h, family, body) {
			t.Fatalf("accepted %v without a right signature", h)
		}
		key, exp := sx.ReplayKey(h, body)
		for range 3 { // map order changes between iterations
			if k, e := sx.ReplayKey(h.Clone(), body); k != key || !e.Equal(exp) {
				t.Fatalf("replay key %q then %q for one request", key, k)
			}
		}
		other := "svix"
		if family == "svix" {
			other = "webhook"
		}
		moved := relabel(h, family, other)
		if err := sx.Verify(moved, body); err != nil {
			t.Fatalf("accepted under %s-*, refused under %s-*: %v", family, other, err)
		}
		if k, _ := sx.ReplayKey(moved, body); k != key {
			t.Fatalf("replay key %q under %s-*, %q under %s-*", key, family, k, other)
		}
		if family == "webhook" {
			std := fuzzStandard()
			if k, _ := std.ReplayKey(h, body); k != key {
				t.Fatalf("Standard replay key %q, Svix %q", k, key)
			}
		}
	})
}

// valuesFold returns the values of every key of h equal to name in ASCII
// case.
func valuesFold(h http.Header, name string) []string {
	var vs []string
	for k, v := range h {
		if len(k) == len(name) && strings.EqualFold(k, name) && isASCII(k) {
			vs = append(vs, v...)
		}
	}
	return vs
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// fuzzAccepted reports whether some id and timestamp among the values of
// family's headers, with some entry of its signature headers, is a right
// signature of body.
func fuzzAccepted(h http.Header, family string, body []byte) bool {
	sigs := strings.Join(valuesFold(h, family+"-signature"), " ")
	for _, id := range valuesFold(h, family+"-id") {
		for _, ts := range valuesFold(h, family+"-timestamp") {
			if fuzzSigned(sigs, id, ts, body) {
				return true
			}
		}
	}
	return false
}

// relabel returns h with the headers of family from renamed to family to
// and the previous headers of family to dropped. The rest of each name
// keeps its case, and the new prefix is canonical ("Webhook-") where the
// old one was ("Svix-") and lower-case otherwise, so a canonical key stays
// canonical and a key written by hand stays one. Hand-written keys that
// differ only in the prefix's case merge; the package reads such keys as
// one header anyway.
func relabel(h http.Header, from, to string) http.Header {
	hasPrefix := func(k, family string) bool {
		return len(k) > len(family) && strings.EqualFold(k[:len(family)+1], family+"-")
	}
	out := http.Header{}
	for k, v := range h {
		switch {
		case hasPrefix(k, to):
			continue
		case hasPrefix(k, from):
			prefix := to
			if k[:len(from)] == http.CanonicalHeaderKey(from) {
				prefix = http.CanonicalHeaderKey(to)
			}
			k = prefix + k[len(from):]
		}
		out[k] = append(out[k], v...)
	}
	return out
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
			if want := signature.SignSlack(fuzzKey, time.Unix(n, 0), body); !strings.EqualFold(strings.TrimSpace(sig), want) || strconv.FormatInt(n, 10) != ts {
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
