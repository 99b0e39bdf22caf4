package signature_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/signature"
)

// TestParseSecretForms proves that every accepted spelling of a key decodes
// to the same raw bytes: prefixed or bare, padded or not, standard or
// URL-safe alphabet, with surrounding white space.
func TestParseSecretForms(t *testing.T) {
	raw := []byte("\xfb\xef\xbe\x00 hookline test key \xff\xfe") // exercises + and / in base64
	std := base64.StdEncoding.EncodeToString(raw)
	forms := []string{
		"whsec_" + std,
		"whsec_" + base64.RawStdEncoding.EncodeToString(raw),
		"whsec_" + base64.URLEncoding.EncodeToString(raw),
		"whsec_" + base64.RawURLEncoding.EncodeToString(raw),
		std,
		base64.RawStdEncoding.EncodeToString(raw),
		"  whsec_" + std + "\n",
	}
	if !strings.ContainsAny(std, "+/=") {
		t.Fatalf("test key %q does not exercise the alphabet", std)
	}
	for _, f := range forms {
		s, err := signature.ParseSecret(f)
		if err != nil {
			t.Fatalf("ParseSecret(%q): %v", f, err)
		}
		if s.Kind != signature.Symmetric || !bytes.Equal(s.Key, raw) {
			t.Fatalf("ParseSecret(%q) = kind %v key %x, want whsec %x", f, s.Kind, s.Key, raw)
		}
		if s.String() != "whsec_"+std {
			t.Fatalf("String() = %q", s.String())
		}
	}
}

// TestParseSecretKeyPair proves the whsk_/whpk_ forms: a 64-byte private
// key, a 32-byte seed, and a public key; a private key whose halves do not
// belong together, and keys of the wrong length, are refused.
func TestParseSecretKeyPair(t *testing.T) {
	pair, err := signature.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	priv := pair.Private
	b64 := base64.StdEncoding.EncodeToString

	full, err := signature.ParseSecret("whsk_" + b64(priv))
	if err != nil || full.Kind != signature.PrivateKey || !bytes.Equal(full.Private, priv) || !bytes.Equal(full.Public, priv.Public().(ed25519.PublicKey)) {
		t.Fatalf("whsk_ 64 bytes: %+v, %v", full.Kind, err)
	}
	seed, err := signature.ParseSecret("whsk_" + base64.RawStdEncoding.EncodeToString(priv.Seed()))
	if err != nil || !bytes.Equal(seed.Private, priv) {
		t.Fatalf("whsk_ seed: %v", err)
	}
	pub, err := signature.ParseSecret("whpk_" + b64(pair.Public))
	if err != nil || pub.Kind != signature.PublicKey || !bytes.Equal(pub.Public, pair.Public) || pub.Private != nil {
		t.Fatalf("whpk_: %+v %v", pub, err)
	}
	if got := pair.PublicSecret(); got.Kind != signature.PublicKey || got.String() != "whpk_"+b64(pair.Public) {
		t.Fatalf("PublicSecret = %v %q", got.Kind, got.String())
	}
	if back, err := signature.ParseSecret(full.String()); err != nil || !bytes.Equal(back.Private, priv) {
		t.Fatalf("String round trip: %v", err)
	}

	other, _ := signature.GenerateKeyPair()
	mixed := append(append([]byte{}, priv.Seed()...), other.Public...)
	bad := map[string]string{
		"halves of two keys":  "whsk_" + b64(mixed),
		"private key 63":      "whsk_" + b64(priv[:63]),
		"public key 31":       "whpk_" + b64(pair.Public[:31]),
		"public key 64":       "whpk_" + b64(priv),
		"public key not b64":  "whpk_$$$$",
		"private key nothing": "whsk_",
	}
	for name, s := range bad {
		if _, err := signature.ParseSecret(s); !errors.Is(err, signature.ErrBadSecret) {
			t.Errorf("%s: ParseSecret = %v, want ErrBadSecret", name, err)
		}
	}
}

// TestSecretErrorsHideKey proves that a parse error never echoes the text
// it was given (it may be a real secret with a typo).
func TestSecretErrorsHideKey(t *testing.T) {
	for _, s := range []string{"whsec_sUpErSeCrEt!", "whpk_sUpErSeCrEtAAAA", "sUpErSeCrEt!"} {
		_, err := signature.ParseSecret(s)
		if err == nil {
			t.Fatalf("ParseSecret(%q) succeeded", s)
		}
		if strings.Contains(err.Error(), "sUpErSeCrEt") {
			t.Fatalf("error %q leaks the secret", err)
		}
	}
}

// TestRawSecrets proves the raw-bytes constructors and their refusals.
func TestRawSecrets(t *testing.T) {
	if _, err := signature.NewHMACSecret(nil); !errors.Is(err, signature.ErrBadSecret) {
		t.Fatalf("empty HMAC key: %v", err)
	}
	key := []byte("raw key")
	s, err := signature.NewHMACSecret(key)
	if err != nil {
		t.Fatal(err)
	}
	key[0] = 'X'
	if string(s.Key) != "raw key" {
		t.Fatal("NewHMACSecret did not copy its key")
	}
	if _, err := signature.NewPublicKeySecret(make([]byte, 31)); !errors.Is(err, signature.ErrBadSecret) {
		t.Fatalf("short public key: %v", err)
	}
	if _, err := signature.NewPrivateKeySecret(make([]byte, 40)); !errors.Is(err, signature.ErrBadSecret) {
		t.Fatalf("40-byte private key: %v", err)
	}
	g1, _ := signature.GenerateSecret()
	g2, _ := signature.GenerateSecret()
	if len(g1.Key) != 32 || bytes.Equal(g1.Key, g2.Key) {
		t.Fatal("GenerateSecret: wrong length or not random")
	}
	var zero signature.Secret
	if _, err := zero.Sign("msg", at0(), nil); !errors.Is(err, signature.ErrBadSecret) {
		t.Fatalf("zero Secret Sign: %v", err)
	}
	if zero.String() != "" || zero.Kind.String() != "invalid" {
		t.Fatal("zero Secret must print as nothing")
	}
}
