package hookline

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"
)

func TestSigningSecretsAndRotation(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b, c := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	e := &Endpoint{Secret: a}
	if got := e.SigningSecrets(now); len(got) != 1 || !bytes.Equal(got[0].Key, a) || got[0].Kind != SecretHMAC {
		t.Fatalf("SigningSecrets = %+v", got)
	}

	e.RotateSecret(SecretHMAC, b, now, time.Hour)
	copyOfE := *e
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	e.RotateSecret(SecretEd25519, priv, now.Add(time.Minute), 0) // b stops at once
	got := e.SigningSecrets(now.Add(2 * time.Minute))
	if len(got) != 2 || got[0].Kind != SecretEd25519 || got[0].Kind.Scheme() != "v1a" ||
		!bytes.Equal(got[1].Key, a) || got[1].Kind.Scheme() != "v1" {
		t.Fatalf("after two rotations: %+v", got)
	}
	if !got[1].Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("previous secret expires %v", got[1].Expires)
	}
	if len(copyOfE.PreviousSecrets) != 1 || !bytes.Equal(copyOfE.Secret, b) {
		t.Fatal("rotating changed a copy of the endpoint")
	}
	// Past its expiry the previous secret no longer signs.
	if got := e.SigningSecrets(now.Add(time.Hour)); len(got) != 1 {
		t.Fatalf("at expiry: %d secrets", len(got))
	}

	// At most MaxPreviousSecrets are kept: a rotation past them is
	// refused and changes nothing; once they expire, rotating drops them.
	e = &Endpoint{Secret: a}
	for i := range MaxPreviousSecrets {
		if err := e.RotateSecret(SecretHMAC, bytes.Repeat([]byte{byte(10 + i)}, 32), now, 24*time.Hour); err != nil {
			t.Fatalf("rotation %d: %v", i+1, err)
		}
	}
	newest := 10 + MaxPreviousSecrets - 1
	if len(e.PreviousSecrets) != MaxPreviousSecrets || int(e.PreviousSecrets[0].Key[0]) != newest-1 {
		t.Fatalf("%d previous secrets, newest %d", len(e.PreviousSecrets), e.PreviousSecrets[0].Key[0])
	}
	if err := e.RotateSecret(SecretHMAC, c, now, time.Hour); ErrorCode(err) != ELIMIT || int(e.Secret[0]) != newest {
		t.Fatalf("a rotation past the bound: %v, secret %d", err, e.Secret[0])
	}
	if err := e.RotateSecret(SecretHMAC, c, now.Add(25*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(e.PreviousSecrets) != 1 || int(e.PreviousSecrets[0].Key[0]) != newest {
		t.Fatalf("expired secrets kept: %+v", e.PreviousSecrets)
	}
	e.PruneSecrets(now.Add(30 * time.Hour))
	if e.PreviousSecrets != nil {
		t.Fatal("PruneSecrets left an empty list")
	}
}

func TestValidateSecrets(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	bad := bytes.Clone(priv)
	bad[63] ^= 1
	for _, tc := range []struct {
		name string
		ep   Endpoint
		ok   bool
	}{
		{"hmac", Endpoint{Secret: make([]byte, 24)}, true},
		{"short hmac", Endpoint{Secret: make([]byte, 23)}, false},
		{"ed25519", Endpoint{Secret: priv, SecretKind: SecretEd25519}, true},
		{"ed25519 seed only", Endpoint{Secret: priv[:32], SecretKind: SecretEd25519}, false},
		{"ed25519 halves apart", Endpoint{Secret: bad, SecretKind: SecretEd25519}, false},
		{"unknown kind", Endpoint{Secret: priv, SecretKind: 7}, false},
		{"previous", Endpoint{Secret: priv, SecretKind: SecretEd25519,
			PreviousSecrets: []EndpointSecret{{Key: make([]byte, 32), Expires: time.Now()}}}, true},
		{"bad previous", Endpoint{PreviousSecrets: []EndpointSecret{{Key: make([]byte, 3)}}}, false},
	} {
		tc.ep.URL = "https://example.com/"
		err := tc.ep.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("%s: code %s", tc.name, ErrorCode(err))
		}
	}
}
