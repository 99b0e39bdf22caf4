package signature_test

// Cross-checks against implementations no one at Hookline wrote: the
// Standard Webhooks Go library, Svix's Go library, go-github and
// stripe-go. Each is checked in both directions (what we sign, they
// accept; what they sign, we accept) and differentially (on tampered
// input, both refuse).

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v75/github"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/hookline/hookline/signature"
)

// crossCase is a random message for a cross-check, from a fixed seed so
// failures reproduce.
type crossCase struct {
	secret signature.Secret
	id     string
	ts     time.Time
	body   []byte
}

func crossCases(t *testing.T, n int) []crossCase {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 2026))
	var out []crossCase
	for i := 0; i < n; i++ {
		key := make([]byte, 24+r.IntN(41)) // 24 to 64 bytes, as the spec advises
		for j := range key {
			key[j] = byte(r.Uint32())
		}
		body := make([]byte, r.IntN(3000))
		for j := range body {
			body[j] = byte(r.Uint32()) // arbitrary bytes, not only JSON
		}
		if i == 0 {
			body = nil
		}
		sec, err := signature.NewHMACSecret(key)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, crossCase{
			secret: sec,
			id:     "msg_" + strconv.FormatUint(r.Uint64(), 36),
			ts:     time.Unix(1_600_000_000+r.Int64N(200_000_000), 0),
			body:   body,
		})
	}
	return out
}

// mutations returns tampered versions of a signed request; every one must
// be refused by every implementation.
func mutations(id, ts, sig string, body []byte) map[string][4]string {
	flipped := append([]byte{}, body...)
	if len(flipped) > 0 {
		flipped[len(flipped)/2] ^= 0x01
	} else {
		flipped = []byte{'x'}
	}
	tsN, _ := strconv.ParseInt(ts, 10, 64)
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sig, "v1,"))
	raw[0] ^= 0x80
	return map[string][4]string{
		"body flipped":      {id, ts, sig, string(flipped)},
		"body extended":     {id, ts, sig, string(body) + " "},
		"id changed":        {id + "0", ts, sig, string(body)},
		"timestamp +1":      {id, strconv.FormatInt(tsN+1, 10), sig, string(body)},
		"signature flipped": {id, ts, "v1," + base64.StdEncoding.EncodeToString(raw), string(body)},
		"other version":     {id, ts, "v2," + strings.TrimPrefix(sig, "v1,"), string(body)},
		"truncated":         {id, ts, sig[:len(sig)-4], string(body)},
	}
}

func stdHeader(id, ts, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", sig)
	return h
}

// TestCrossStandardWebhooksGo checks against
// github.com/standard-webhooks/standard-webhooks/libraries/go.
func TestCrossStandardWebhooksGo(t *testing.T) {
	for i, c := range crossCases(t, 40) {
		theirs, err := standardwebhooks.NewWebhook(c.secret.String())
		if err != nil {
			t.Fatal(err)
		}
		ours := &signature.Standard{Secrets: []signature.Secret{c.secret}, Now: at(c.ts)}
		ts := strconv.FormatInt(c.ts.Unix(), 10)

		ourSig := signature.SignV1(c.secret.Key, c.id, c.ts, c.body)
		theirSig, err := theirs.Sign(c.id, c.ts, c.body)
		if err != nil {
			t.Fatal(err)
		}
		if ourSig != theirSig {
			t.Fatalf("case %d: SignV1 = %s, library signs %s", i, ourSig, theirSig)
		}
		// Ours -> theirs, through our Sign (which builds the headers).
		h := http.Header{}
		h.Set(signature.HeaderID, c.id)
		if err := ours.Sign(h, c.body); err != nil {
			t.Fatal(err)
		}
		if err := theirs.VerifyIgnoringTimestamp(c.body, h); err != nil {
			t.Fatalf("case %d: library refuses our headers: %v", i, err)
		}
		// Theirs -> ours.
		if err := ours.Verify(stdHeader(c.id, ts, theirSig), c.body); err != nil {
			t.Fatalf("case %d: we refuse the library's signature: %v", i, err)
		}
		// A header with our v1a entry beside the v1 one: the library,
		// which knows only v1, must still accept it.
		pair, _ := signature.GenerateKeyPair()
		mixed, err := signature.SignatureHeader(c.id, c.ts, c.body, pair, c.secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := theirs.VerifyIgnoringTimestamp(c.body, stdHeader(c.id, ts, mixed)); err != nil {
			t.Fatalf("case %d: library refuses v1a+v1 header: %v", i, err)
		}
		for name, m := range mutations(c.id, ts, ourSig, c.body) {
			errOurs := ours.VerifyValues(m[0], m[1], m[2], []byte(m[3]))
			errTheirs := theirs.VerifyIgnoringTimestamp([]byte(m[3]), stdHeader(m[0], m[1], m[2]))
			if errOurs == nil || errTheirs == nil {
				t.Fatalf("case %d %s: ours %v, library %v; both must refuse", i, name, errOurs, errTheirs)
			}
		}
	}
	// The reference v1 vectors verify with the library too.
	for _, v := range loadVectors(t) {
		if !strings.HasPrefix(v.Signature, "v1,") {
			continue
		}
		wh, _ := standardwebhooks.NewWebhook(v.Secret)
		if err := wh.VerifyIgnoringTimestamp([]byte(v.Payload), v.headers(v.Signature)); err != nil {
			t.Fatalf("%s: library refuses vector: %v", v.Name, err)
		}
	}
}

// TestCrossStandardWebhooksGoTolerance checks that both implementations
// agree about fresh and stale timestamps on the real clock (the library
// has no clock to inject). Margins are minutes wide: this asserts no
// timing.
func TestCrossStandardWebhooksGoTolerance(t *testing.T) {
	sec, _ := signature.GenerateSecret()
	theirs, _ := standardwebhooks.NewWebhook(sec.String())
	ours := &signature.Standard{Secrets: []signature.Secret{sec}}
	for _, c := range []struct {
		skew  time.Duration
		valid bool
	}{{0, true}, {-2 * time.Minute, true}, {2 * time.Minute, true}, {-time.Hour, false}, {time.Hour, false}} {
		when := time.Now().Add(c.skew)
		h := http.Header{}
		signer := &signature.Standard{Secrets: ours.Secrets, Now: at(when)}
		signer.Sign(h, []byte("x"))
		errOurs, errTheirs := ours.Verify(h, []byte("x")), theirs.Verify([]byte("x"), h)
		if (errOurs == nil) != c.valid || (errTheirs == nil) != c.valid {
			t.Fatalf("skew %s: ours %v, library %v, want valid=%v", c.skew, errOurs, errTheirs, c.valid)
		}
	}
}

// TestCrossSvixGo checks against Svix's Go library (svix.NewWebhook).
func TestCrossSvixGo(t *testing.T) {
	for i, c := range crossCases(t, 40) {
		theirs, err := svix.NewWebhook(c.secret.String())
		if err != nil {
			t.Fatal(err)
		}
		ours := &signature.Svix{Standard: signature.Standard{Secrets: []signature.Secret{c.secret}, Now: at(c.ts)}}
		ts := strconv.FormatInt(c.ts.Unix(), 10)

		theirSig, err := theirs.Sign(c.id, c.ts, c.body)
		if err != nil {
			t.Fatal(err)
		}
		if ourSig := signature.SignV1(c.secret.Key, c.id, c.ts, c.body); ourSig != theirSig {
			t.Fatalf("case %d: SignV1 = %s, svix signs %s", i, ourSig, theirSig)
		}
		h := http.Header{}
		if err := ours.Sign(h, c.body); err != nil {
			t.Fatal(err)
		}
		if h.Get("svix-id") == "" {
			t.Fatal("Svix.Sign wrote no svix-id")
		}
		if err := theirs.VerifyIgnoringTimestamp(c.body, h); err != nil {
			t.Fatalf("case %d: svix refuses our svix-* headers: %v", i, err)
		}
		sh := http.Header{}
		sh.Set("svix-id", c.id)
		sh.Set("svix-timestamp", ts)
		sh.Set("svix-signature", theirSig)
		if err := ours.Verify(sh, c.body); err != nil {
			t.Fatalf("case %d: we refuse svix's signature: %v", i, err)
		}
		for name, m := range mutations(c.id, ts, theirSig, c.body) {
			errOurs := ours.VerifyValues(m[0], m[1], m[2], []byte(m[3]))
			errTheirs := theirs.VerifyIgnoringTimestamp([]byte(m[3]), stdHeader(m[0], m[1], m[2]))
			if errOurs == nil || errTheirs == nil {
				t.Fatalf("case %d %s: ours %v, svix %v; both must refuse", i, name, errOurs, errTheirs)
			}
		}
	}
	// Fresh messages on the real clock: svix's Verify (with tolerance).
	sec, _ := signature.GenerateSecret()
	theirs, _ := svix.NewWebhook(sec.String())
	h := http.Header{}
	(&signature.Svix{Standard: signature.Standard{Secrets: []signature.Secret{sec}}}).Sign(h, []byte(`{}`))
	if err := theirs.Verify([]byte(`{}`), h); err != nil {
		t.Fatalf("svix Verify of a fresh message: %v", err)
	}
}

// TestCrossGoGitHub checks the GitHub scheme against go-github's
// ValidatePayload/ValidateSignature. go-github only verifies (GitHub is
// the signer), so the reverse direction is differential: on the same
// requests, go-github and we accept and refuse alike.
func TestCrossGoGitHub(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 40; i++ {
		secret := []byte(fmt.Sprintf("secret-%d-%x", i, r.Uint64()))
		body := []byte(fmt.Sprintf(`{"zen":"Keep it logically awesome.","hook_id":%d,"pad":"%s"}`, r.Uint32(), strings.Repeat("x", r.IntN(2000))))
		ours := &signature.GitHub{Secret: secret, AllowSHA1: true} // go-github falls back to SHA-1 too

		h := http.Header{}
		if err := ours.Sign(h, body); err != nil {
			t.Fatal(err)
		}
		if err := github.ValidateSignature(h.Get(github.SHA256SignatureHeader), body, secret); err != nil {
			t.Fatalf("go-github refuses our sha256 signature: %v", err)
		}
		if err := github.ValidateSignature(h.Get(github.SHA1SignatureHeader), body, secret); err != nil {
			t.Fatalf("go-github refuses our sha1 signature: %v", err)
		}

		good256 := signature.SignGitHub(secret, body)
		good1 := signature.SignGitHubSHA1(secret, body)
		otherBody := append(append([]byte{}, body...), '\n')
		cases := []struct {
			name   string
			h      http.Header
			body   []byte
			secret []byte
		}{
			{"sha256", header("X-Hub-Signature-256", good256), body, secret},
			{"sha1 only", header("X-Hub-Signature", good1), body, secret},
			{"both", header("X-Hub-Signature-256", good256, "X-Hub-Signature", good1), body, secret},
			{"upper-case hex", header("X-Hub-Signature-256", "sha256="+strings.ToUpper(good256[7:])), body, secret},
			{"body changed", header("X-Hub-Signature-256", good256), otherBody, secret},
			{"wrong secret", header("X-Hub-Signature-256", good256), body, append(secret, '!')},
			{"sha1 wrong, sha256 right", header("X-Hub-Signature-256", good256, "X-Hub-Signature", "sha1="+strings.Repeat("0", 40)), body, secret},
			{"sha256 wrong, sha1 right", header("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64), "X-Hub-Signature", good1), body, secret},
			{"no prefix", header("X-Hub-Signature-256", good256[7:]), body, secret},
			{"truncated", header("X-Hub-Signature-256", good256[:40]), body, secret},
			{"odd hex", header("X-Hub-Signature-256", good256[:70]), body, secret},
			{"unsigned", header(), body, secret},
		}
		for _, c := range cases {
			req, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(c.body))
			for k, v := range c.h {
				req.Header[k] = v
			}
			req.Header.Set("Content-Type", "application/json")
			_, errTheirs := github.ValidatePayload(req, c.secret)
			errOurs := (&signature.GitHub{Secret: c.secret, AllowSHA1: true}).Verify(c.h, c.body)
			if (errOurs == nil) != (errTheirs == nil) {
				t.Fatalf("%s: ours %v, go-github %v", c.name, errOurs, errTheirs)
			}
		}
	}
	// Known, deliberate difference: go-github accepts "sha1=" or
	// "sha512=" signatures inside X-Hub-Signature-256; we hold that
	// header to SHA-256, as GitHub sends it.
	body := []byte("x")
	h := header("X-Hub-Signature-256", signature.SignGitHubSHA1([]byte("k"), body))
	if err := (&signature.GitHub{Secret: []byte("k"), AllowSHA1: true}).Verify(h, body); err == nil {
		t.Fatal("sha1 value accepted in X-Hub-Signature-256")
	}
}

// TestCrossStripeGo checks the Stripe scheme against stripe-go's webhook
// package: its GenerateTestSignedPayload output verifies with ours, ours
// verifies with its ValidatePayload, and tampering is refused by both.
func TestCrossStripeGo(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	for i := 0; i < 40; i++ {
		secret := fmt.Sprintf("whsec_%x", r.Uint64())
		body := []byte(fmt.Sprintf(`{"id":"evt_%x","object":"event","type":"invoice.paid","pad":"%s"}`, r.Uint64(), strings.Repeat("y", r.IntN(3000))))
		when := time.Unix(1_600_000_000+r.Int64N(200_000_000), 0)
		ours := &signature.Stripe{Secret: []byte(secret), Now: at(when)}

		signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: when})
		if err := ours.VerifyHeader(signed.Header, body); err != nil {
			t.Fatalf("we refuse stripe-go's header %q: %v", signed.Header, err)
		}
		ourHeader := signature.SignStripe([]byte(secret), when, body)
		if ourHeader != signed.Header {
			t.Fatalf("SignStripe = %q, stripe-go = %q", ourHeader, signed.Header)
		}
		if err := stripewebhook.ValidatePayloadIgnoringTolerance(body, ourHeader, secret); err != nil {
			t.Fatalf("stripe-go refuses our header: %v", err)
		}
		// During a secret roll Stripe sends two v1 entries.
		rolled := ourHeader + ",v1=" + strings.Repeat("e", 64)
		rolledFirst := "t=" + strconv.FormatInt(when.Unix(), 10) + ",v1=" + strings.Repeat("e", 64) + "," + strings.Split(ourHeader, ",")[1]
		for _, hv := range []string{rolled, rolledFirst} {
			if err := stripewebhook.ValidatePayloadIgnoringTolerance(body, hv, secret); err != nil {
				t.Fatalf("stripe-go refuses %q: %v", hv, err)
			}
			if err := ours.VerifyHeader(hv, body); err != nil {
				t.Fatalf("we refuse %q: %v", hv, err)
			}
		}
		tsPlus := "t=" + strconv.FormatInt(when.Unix()+1, 10) + "," + strings.Split(ourHeader, ",")[1]
		for name, m := range map[string]struct {
			header string
			body   []byte
		}{
			"body changed":      {ourHeader, append(append([]byte{}, body...), ' ')},
			"timestamp moved":   {tsPlus, body},
			"other scheme only": {strings.Replace(ourHeader, "v1=", "v0=", 1), body},
			"wrong signature":   {"t=" + strconv.FormatInt(when.Unix(), 10) + ",v1=" + strings.Repeat("0", 64), body},
		} {
			errOurs := ours.VerifyHeader(m.header, m.body)
			errTheirs := stripewebhook.ValidatePayloadIgnoringTolerance(m.body, m.header, secret)
			if errOurs == nil || errTheirs == nil {
				t.Fatalf("%s: ours %v, stripe-go %v; both must refuse", name, errOurs, errTheirs)
			}
		}
	}
	// Tolerance on the real clock (stripe-go has no clock to inject;
	// margins are minutes wide).
	secret := "whsec_tolerance"
	ours := &signature.Stripe{Secret: []byte(secret)}
	fresh := signature.SignStripe([]byte(secret), time.Now().Add(-time.Minute), []byte("{}"))
	stale := signature.SignStripe([]byte(secret), time.Now().Add(-time.Hour), []byte("{}"))
	if stripewebhook.ValidatePayload([]byte("{}"), fresh, secret) != nil || ours.VerifyHeader(fresh, []byte("{}")) != nil {
		t.Fatal("fresh Stripe header refused")
	}
	if stripewebhook.ValidatePayload([]byte("{}"), stale, secret) == nil || ours.VerifyHeader(stale, []byte("{}")) == nil {
		t.Fatal("stale Stripe header accepted")
	}
}
