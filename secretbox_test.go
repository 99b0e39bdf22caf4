package hookline

import (
	"bytes"
	"errors"
	"testing"
)

func TestSecretBox(t *testing.T) {
	key := bytes.Repeat([]byte{1}, SecretKeyLen)
	box, err := NewSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("a signing secret of some length")
	sealed := box.Seal(secret)
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed form holds the secret in clear")
	}
	if got, err := box.Open(sealed); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if bytes.Equal(box.Seal(secret), sealed) {
		t.Fatal("two seals of one secret are equal: the nonce is not random")
	}

	var none *SecretBox
	plain := none.Seal(secret)
	if got, err := box.Open(plain); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("a box cannot read a secret stored before it: %q, %v", got, err)
	}
	if _, err := none.Open(sealed); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("no box opened a sealed secret: %v", err)
	}
	other, _ := NewSecretBox(bytes.Repeat([]byte{2}, SecretKeyLen))
	if _, err := other.Open(sealed); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("the wrong key opened a sealed secret: %v", err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := box.Open(tampered); err == nil {
		t.Fatal("a tampered secret opened")
	}
	for _, bad := range [][]byte{nil, {9}, {secretSealed, 1, 2}} {
		if _, err := box.Open(bad); err == nil {
			t.Errorf("Open(%v) succeeded", bad)
		}
	}
	if _, err := NewSecretBox([]byte("short")); ErrorCode(err) != EINVALID {
		t.Fatalf("short key: %v", err)
	}
	if b, err := NewSecretBox(nil); b != nil || err != nil {
		t.Fatalf("nil key: %v, %v", b, err)
	}
}

func TestSecretBoxPreviousKeys(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{7}, SecretKeyLen), bytes.Repeat([]byte{8}, SecretKeyLen)
	old, err := NewSecretBox(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealedOld := old.Seal([]byte("signing secret"))
	rotating, err := NewSecretBox(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotating.Open(sealedOld); err != nil || string(got) != "signing secret" {
		t.Fatalf("a previous key does not open: %q, %v", got, err)
	}
	sealedNew := rotating.Seal([]byte("signing secret"))
	if _, err := old.Open(sealedNew); err == nil {
		t.Fatal("a rotating box seals under the previous key")
	}
	fresh, _ := NewSecretBox(newKey)
	if got, err := fresh.Open(sealedNew); err != nil || string(got) != "signing secret" {
		t.Fatalf("the new key does not open what the rotating box sealed: %q, %v", got, err)
	}
	if _, err := NewSecretBox(nil, oldKey); err == nil {
		t.Fatal("previous keys without a current one")
	}
	if _, err := NewSecretBox(newKey, []byte("short")); err == nil {
		t.Fatal("a previous key of the wrong size")
	}
}
