package signature_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/signature"
)

func at0() time.Time { return time.Unix(1_700_000_000, 0) }

func mustParse(t testing.TB, s string) signature.Secret {
	t.Helper()
	sec, err := signature.ParseSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

// TestStandardSignVerifyRoundTrip proves that what Standard.Sign writes,
// Standard.Verify accepts, for v1, v1a and both at once, and that the
// verifier holding only the public key accepts the v1a entry.
func TestStandardSignVerifyRoundTrip(t *testing.T) {
	hmacKey, _ := signature.GenerateSecret()
	pair, _ := signature.GenerateKeyPair()
	body := []byte(`{"type":"invoice.paid","data":{"id":"in_1"}}`)
	for name, signWith := range map[string][]signature.Secret{
		"v1":      {hmacKey},
		"v1a":     {pair},
		"v1+v1a":  {hmacKey, pair},
		"skip pk": {pair.PublicSecret(), hmacKey},
	} {
		t.Run(name, func(t *testing.T) {
			signer := &signature.Standard{Secrets: signWith, Now: at(at0())}
			h := http.Header{}
			h.Set(signature.HeaderID, "msg_fixed")
			if err := signer.Sign(h, body); err != nil {
				t.Fatal(err)
			}
			if h.Get(signature.HeaderID) != "msg_fixed" || h.Get(signature.HeaderTimestamp) != "1700000000" {
				t.Fatalf("headers: %v", h)
			}
			if n := len(strings.Fields(h.Get(signature.HeaderSignature))); n != len(signWith) && name != "skip pk" {
				t.Fatalf("%d signatures for %d secrets", n, len(signWith))
			}
			for _, verifyWith := range signWith {
				if verifyWith.Kind == signature.PublicKey {
					continue // it did not sign
				}
				v := &signature.Standard{Secrets: []signature.Secret{verifyWith.PublicSecret()}, Now: at(at0().Add(time.Minute))}
				if err := v.Verify(h, body); err != nil {
					t.Fatalf("verify with %v: %v", verifyWith.Kind, err)
				}
			}
			tampered := append([]byte{}, body...)
			tampered[len(tampered)-2] = ' '
			if err := signer.Verify(h, tampered); !errors.Is(err, signature.ErrNoMatch) {
				t.Fatalf("tampered body: %v", err)
			}
		})
	}
}

// TestStandardSignGeneratesID proves a missing id is generated (fresh,
// prefixed, without '.') and an existing one is kept.
func TestStandardSignGeneratesID(t *testing.T) {
	s, _ := signature.NewStandard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	h1, h2 := http.Header{}, http.Header{}
	if err := s.Sign(h1, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Sign(h2, nil); err != nil {
		t.Fatal(err)
	}
	id1, id2 := h1.Get(signature.HeaderID), h2.Get(signature.HeaderID)
	if !strings.HasPrefix(id1, "msg_") || strings.Contains(id1, ".") || id1 == id2 || len(id1) != 30 {
		t.Fatalf("generated ids %q %q", id1, id2)
	}
	if err := s.Verify(h1, nil); err != nil {
		t.Fatalf("empty body round trip: %v", err)
	}
}

// TestStandardRotation proves key rotation on the receiving side: a
// verifier holding the old and the new secret accepts a message signed by
// either, and a verifier holding only the new one refuses the old.
func TestStandardRotation(t *testing.T) {
	old, _ := signature.GenerateSecret()
	cur, _ := signature.GenerateSecret()
	body := []byte("x")
	both := &signature.Standard{Secrets: []signature.Secret{cur, old}, Now: at(at0())}
	onlyNew := &signature.Standard{Secrets: []signature.Secret{cur}, Now: at(at0())}
	for _, s := range []signature.Secret{old, cur} {
		h := http.Header{}
		if err := (&signature.Standard{Secrets: []signature.Secret{s}, Now: at(at0())}).Sign(h, body); err != nil {
			t.Fatal(err)
		}
		if err := both.Verify(h, body); err != nil {
			t.Fatalf("rotation verifier: %v", err)
		}
		err := onlyNew.Verify(h, body)
		if isCur := string(s.Key) == string(cur.Key); isCur != (err == nil) {
			t.Fatalf("only-new verifier with %x: %v", s.Key[:4], err)
		}
	}
}

// TestStandardTolerance proves the configurable window (both directions,
// edges included) and that a negative tolerance turns the check off.
func TestStandardTolerance(t *testing.T) {
	key, _ := signature.GenerateSecret()
	h := http.Header{}
	signer := &signature.Standard{Secrets: []signature.Secret{key}, Now: at(at0())}
	if err := signer.Sign(h, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		tolerance time.Duration
		skew      time.Duration
		want      error
	}{
		{time.Minute, time.Minute, nil},
		{time.Minute, -time.Minute, nil},
		{time.Minute, time.Minute + time.Second, signature.ErrTooOld},
		{time.Minute, -time.Minute - time.Second, signature.ErrTooNew},
		{0, 5 * time.Minute, nil},
		{0, 5*time.Minute + time.Second, signature.ErrTooOld},
		{time.Hour, 59 * time.Minute, nil},
		{-1, 10 * 365 * 24 * time.Hour, nil},
		{-1, -10 * 365 * 24 * time.Hour, nil},
	}
	for _, c := range cases {
		v := &signature.Standard{Secrets: []signature.Secret{key}, Tolerance: c.tolerance, Now: at(at0().Add(c.skew))}
		if err := v.Verify(h, nil); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("tolerance %s skew %s: %v, want %v", c.tolerance, c.skew, err, c.want)
		}
	}
}

// TestStandardHeaderSpelling proves that header names are matched without
// regard to case, also in maps built by hand with lower-case keys.
func TestStandardHeaderSpelling(t *testing.T) {
	v := loadVectors(t)[0]
	h := http.Header{
		"webhook-id":        {v.ID},
		"WEBHOOK-TIMESTAMP": {"1614265330"},
		"Webhook-Signature": {v.Signature},
	}
	if err := v.verifier(t).Verify(h, []byte(v.Payload)); err != nil {
		t.Fatal(err)
	}
}

// TestSvix proves the Svix scheme reads svix-* headers, falls back to
// webhook-* ones, and signs with svix-* names.
func TestSvix(t *testing.T) {
	v := loadVectors(t)[0]
	s, err := signature.NewSvix(v.Secret)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = at(v.time())
	h := http.Header{}
	h.Set("svix-id", v.ID)
	h.Set("svix-timestamp", "1614265330")
	h.Set("svix-signature", v.Signature)
	if err := s.Verify(h, []byte(v.Payload)); err != nil {
		t.Fatalf("svix headers: %v", err)
	}
	if err := s.Verify(v.headers(v.Signature), []byte(v.Payload)); err != nil {
		t.Fatalf("webhook-* fallback: %v", err)
	}
	h.Set("svix-signature", loadVectors(t)[1].Signature)
	if err := s.Verify(h, []byte(v.Payload)); !errors.Is(err, signature.ErrNoMatch) {
		t.Fatalf("wrong svix signature: %v", err)
	}
	h.Del("svix-timestamp")
	if err := s.Verify(h, []byte(v.Payload)); !errors.Is(err, signature.ErrMissingHeader) {
		t.Fatalf("missing svix-timestamp: %v", err)
	}
	out := http.Header{}
	if err := s.Sign(out, []byte(v.Payload)); err != nil {
		t.Fatal(err)
	}
	if out.Get("svix-id") == "" || out.Get("svix-signature") == "" || out.Get(signature.HeaderID) != "" {
		t.Fatalf("Svix.Sign headers: %v", out)
	}
	if err := s.Verify(out, []byte(v.Payload)); err != nil {
		t.Fatalf("Svix round trip: %v", err)
	}
}

// TestSignatureHeaderNeedsSigner proves that public keys alone cannot sign.
func TestSignatureHeaderNeedsSigner(t *testing.T) {
	pair, _ := signature.GenerateKeyPair()
	if _, err := signature.SignatureHeader("msg", at0(), nil, pair.PublicSecret()); !errors.Is(err, signature.ErrBadSecret) {
		t.Fatalf("public key only: %v", err)
	}
	if _, err := pair.PublicSecret().Sign("msg", at0(), nil); !errors.Is(err, signature.ErrBadSecret) {
		t.Fatalf("public key Sign: %v", err)
	}
	if _, err := signature.SignatureHeader("msg", at0(), nil); !errors.Is(err, signature.ErrBadSecret) {
		t.Fatalf("no secrets: %v", err)
	}
}

// TestAny proves the combinator: any member accepting is enough, and the
// first member's error is returned otherwise.
func TestAny(t *testing.T) {
	body := []byte("payload")
	oldGH := &signature.GitHub{Secret: []byte("old")}
	newGH := &signature.GitHub{Secret: []byte("new")}
	v := signature.Any(newGH, oldGH)
	for _, signer := range []*signature.GitHub{oldGH, newGH} {
		h := http.Header{}
		signer.Sign(h, body)
		if err := v.Verify(h, body); err != nil {
			t.Fatalf("secret %q: %v", signer.Secret, err)
		}
	}
	h := http.Header{}
	(&signature.GitHub{Secret: []byte("other")}).Sign(h, body)
	if err := v.Verify(h, body); !errors.Is(err, signature.ErrNoMatch) {
		t.Fatalf("unknown secret: %v", err)
	}
	if err := signature.Any().Verify(h, body); err == nil {
		t.Fatal("Any() accepted a request")
	}
}

// TestStandardTimestampSpelling proves that a timestamp has one spelling:
// leading zeros, signs and white space are refused even though they parse
// to the signed number, and the replay key does not depend on the spelling.
func TestStandardTimestampSpelling(t *testing.T) {
	v := loadVectors(t)[0]
	s := v.verifier(t)
	for _, ts := range []string{"01614265330", "001614265330", "+1614265330", " 1614265330", "1614265330 ", "-0"} {
		if err := s.VerifyValues(v.ID, ts, v.Signature, []byte(v.Payload)); !errors.Is(err, signature.ErrBadFormat) {
			t.Errorf("timestamp %q: %v, want ErrBadFormat", ts, err)
		}
	}
	if err := s.VerifyValues(v.ID, "1614265330", v.Signature, []byte(v.Payload)); err != nil {
		t.Fatalf("canonical timestamp: %v", err)
	}
	// "0" alone is a valid (if very old) time, not a leading zero.
	s.Tolerance = -1
	sig := signature.SignV1(mustParse(t, v.Secret).Key, v.ID, time.Unix(0, 0), []byte(v.Payload))
	if err := s.VerifyValues(v.ID, "0", sig, []byte(v.Payload)); err != nil {
		t.Fatalf("timestamp 0: %v", err)
	}
	// The replay key holds the number, whatever text carried it.
	if k, _ := s.ReplayKey(v.headers(v.Signature), nil); !strings.HasSuffix(k, ":1614265330") {
		t.Fatalf("replay key %q", k)
	}
}

// TestStandardNoUsableSecret proves that a Standard whose secrets cannot
// verify anything (zero values, empty keys, truncated public keys) reports
// ErrBadSecret, a configuration error, rather than ErrNoMatch, which would
// blame the sender.
func TestStandardNoUsableSecret(t *testing.T) {
	good, _ := signature.GenerateSecret()
	pair, _ := signature.GenerateKeyPair()
	body := []byte("{}")
	h := http.Header{}
	signer := &signature.Standard{Secrets: []signature.Secret{good, pair}, Now: at(at0())}
	if err := signer.Sign(h, body); err != nil {
		t.Fatal(err)
	}
	for name, secrets := range map[string][]signature.Secret{
		"zero":            {{}},
		"empty HMAC key":  {{Kind: signature.Symmetric}},
		"empty public":    {{Kind: signature.PublicKey}},
		"short public":    {{Kind: signature.PublicKey, Public: pair.Public[:31]}},
		"private, no pub": {{Kind: signature.PrivateKey}},
		"unknown kind":    {{Kind: 99, Key: good.Key}},
		"all unusable":    {{}, {Kind: signature.Symmetric}, {Kind: signature.PublicKey}},
	} {
		s := &signature.Standard{Secrets: secrets, Now: at(at0())}
		if err := s.Verify(h, body); !errors.Is(err, signature.ErrBadSecret) {
			t.Errorf("%s: %v, want ErrBadSecret", name, err)
		}
		sv := &signature.Svix{Standard: *s}
		if err := sv.Verify(h, body); !errors.Is(err, signature.ErrBadSecret) {
			t.Errorf("%s (Svix): %v, want ErrBadSecret", name, err)
		}
	}
	// One usable secret among unusable ones: a wrong signature is the
	// sender's problem again.
	other, _ := signature.GenerateSecret()
	s := &signature.Standard{Secrets: []signature.Secret{{}, other}, Now: at(at0())}
	if err := s.Verify(h, body); !errors.Is(err, signature.ErrNoMatch) {
		t.Fatalf("usable but wrong secret: %v, want ErrNoMatch", err)
	}
}

// TestHeaderLookupHandBuiltMaps proves that, in maps built by hand, a
// header spelt in several cases is read as one header (the same one by
// Verify and ReplayKey, whatever the map order), and that only ASCII case
// is folded, as in HTTP.
func TestHeaderLookupHandBuiltMaps(t *testing.T) {
	v := loadVectors(t)[0]
	s := v.verifier(t)
	h := http.Header{
		"webhook-id":        {v.ID},
		"WEBHOOK-ID":        {"msg_other"},
		"webhook-timestamp": {"1614265330"},
		"webhook-signature": {v.Signature},
	}
	for i := 0; i < 20; i++ { // map order varies from run to run
		if err := s.Verify(h, []byte(v.Payload)); !errors.Is(err, signature.ErrBadFormat) {
			t.Fatalf("two spellings with different ids: %v, want ErrBadFormat", err)
		}
	}
	h["WEBHOOK-ID"] = []string{v.ID}
	if err := s.Verify(h, []byte(v.Payload)); err != nil {
		t.Fatalf("two spellings with one id: %v", err)
	}
	// U+017F (long s) folds to "s" in Unicode, but not in HTTP.
	sv, _ := signature.NewSvix(v.Secret)
	sv.Now = s.Now
	odd := http.Header{
		"\u017fvix-id":      {"x"},
		"webhook-id":        {v.ID},
		"webhook-timestamp": {"1614265330"},
		"webhook-signature": {v.Signature},
	}
	if err := sv.Verify(odd, []byte(v.Payload)); err != nil {
		t.Fatalf("non-ASCII look-alike of svix-id was taken for it: %v", err)
	}
}
