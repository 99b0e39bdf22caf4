package hookline

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"testing"
)

// here and there are two cells.
var (
	here  = Cell{Table: "endpoints", Column: "secret", Row: "ep_1"}
	there = Cell{Table: "endpoints", Column: "secret", Row: "ep_2"}
)

func TestSecretBox(t *testing.T) {
	key := bytes.Repeat([]byte{1}, SecretKeyLen)
	box, err := NewSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("a signing secret of some length")
	sealed := box.Seal(secret, here)
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed form holds the secret in clear")
	}
	if sealed[0] != formBound {
		t.Fatalf("sealed in form %d, want %d", sealed[0], formBound)
	}
	if got, err := box.Open(sealed, here); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if bytes.Equal(box.Seal(secret, here), sealed) {
		t.Fatal("two seals of one secret are equal: the nonce is not random")
	}

	var none *SecretBox
	if _, err := none.Open(sealed, here); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("no box opened a sealed secret: %v", err)
	}
	other, _ := NewSecretBox(bytes.Repeat([]byte{2}, SecretKeyLen))
	if _, err := other.Open(sealed, here); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("the wrong key opened a sealed secret: %v", err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := box.Open(tampered, here); !errors.Is(err, ErrSecretAltered) {
		t.Fatalf("a tampered secret: %v, want ErrSecretAltered", err)
	}
	for _, bad := range [][]byte{nil, {9}, {formUnbound, 1, 2}, {formBound, 1, 2, 3, 4, 5}} {
		if _, err := box.Legacy().Open(bad, here); err == nil {
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

// TestSecretBoxCell: a sealed secret opens in its cell only: not in
// another row, column or table, and not if its form or key id is changed.
func TestSecretBoxCell(t *testing.T) {
	box, _ := NewSecretBox(bytes.Repeat([]byte{1}, SecretKeyLen))
	sealed := box.Seal([]byte("s3cret"), here)
	for name, at := range map[string]Cell{
		"another row":    there,
		"another column": {Table: "endpoints", Column: "oauth", Row: "ep_1"},
		"another table":  {Table: "applications", Column: "secret", Row: "ep_1"},
		// The parts are delimited: moving a byte from one to the next is
		// another cell.
		"shifted": {Table: "endpoint", Column: "ssecret", Row: "ep_1"},
	} {
		if _, err := box.Open(sealed, at); !errors.Is(err, ErrSecretAltered) {
			t.Errorf("opened in %s: %v, want ErrSecretAltered", name, err)
		}
	}
	// The form byte and the key id are bound too.
	asUnbound := append([]byte(nil), sealed...)
	asUnbound[0] = formUnbound
	if _, err := box.Legacy().Open(asUnbound, here); err == nil {
		t.Error("a bound secret relabelled as form 1 opened")
	}
	otherID := append([]byte(nil), sealed...)
	otherID[1] ^= 1
	if _, err := box.Open(otherID, here); !errors.Is(err, ErrSecretKey) {
		t.Errorf("a key id that names no key: %v, want ErrSecretKey", err)
	}
}

// sealUnbound seals secret in form 1, as versions before the cells did.
func sealUnbound(t *testing.T, key, secret []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 1+aead.NonceSize())
	out[0] = formUnbound
	rand.Read(out[1:])
	return aead.Seal(out, out[1:], secret, nil)
}

// TestSecretBoxLegacy: the forms earlier versions wrote (in clear, sealed
// without a cell) open with a Legacy box only; a box without a key opens
// secrets in clear, which a box with a key refuses.
func TestSecretBoxLegacy(t *testing.T) {
	key := bytes.Repeat([]byte{1}, SecretKeyLen)
	box, _ := NewSecretBox(key)
	legacy := box.Legacy()
	var none *SecretBox

	clear := none.Seal([]byte("in clear"), here)
	if clear[0] != formClear || string(clear[1:]) != "in clear" {
		t.Fatalf("a box without a key stores %q", clear)
	}
	if got, err := none.Open(clear, here); err != nil || string(got) != "in clear" {
		t.Fatalf("no key, in clear: %q, %v", got, err)
	}
	if _, err := box.Open(clear, here); !errors.Is(err, ErrSecretForm) {
		t.Fatalf("a box with a key opened a secret in clear: %v", err)
	}
	if got, err := legacy.Open(clear, there); err != nil || string(got) != "in clear" {
		t.Fatalf("legacy, in clear: %q, %v", got, err)
	}

	unbound := sealUnbound(t, key, []byte("unbound"))
	if _, err := box.Open(unbound, here); !errors.Is(err, ErrSecretForm) {
		t.Fatalf("a box opened form 1: %v", err)
	}
	if _, err := none.Open(unbound, here); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("no key opened form 1: %v", err)
	}
	if got, err := legacy.Open(unbound, here); err != nil || string(got) != "unbound" {
		t.Fatalf("legacy, form 1: %q, %v", got, err)
	}
	other, _ := NewSecretBox(bytes.Repeat([]byte{2}, SecretKeyLen))
	if _, err := other.Legacy().Open(unbound, here); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("form 1 under another key: %v", err)
	}
	// A Legacy box seals in the current form, and leaves b as it was.
	if s := legacy.Seal([]byte("x"), here); s[0] != formBound {
		t.Fatalf("a legacy box seals in form %d", s[0])
	}
	if box.legacy || none.Legacy() != nil {
		t.Fatal("Legacy changed its box, or made one from none")
	}
}

func TestSecretBoxPreviousKeys(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{7}, SecretKeyLen), bytes.Repeat([]byte{8}, SecretKeyLen)
	old, err := NewSecretBox(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealedOld := old.Seal([]byte("signing secret"), here)
	rotating, err := NewSecretBox(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotating.Open(sealedOld, here); err != nil || string(got) != "signing secret" {
		t.Fatalf("a previous key does not open: %q, %v", got, err)
	}
	if _, err := rotating.Open(sealedOld, there); !errors.Is(err, ErrSecretAltered) {
		t.Fatalf("a previous key opened a secret in another cell: %v", err)
	}
	unboundOld := sealUnbound(t, oldKey, []byte("unbound"))
	if got, err := rotating.Legacy().Open(unboundOld, here); err != nil || string(got) != "unbound" {
		t.Fatalf("a previous key does not open form 1: %q, %v", got, err)
	}
	sealedNew := rotating.Seal([]byte("signing secret"), here)
	if _, err := old.Open(sealedNew, here); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("a rotating box seals under the previous key: %v", err)
	}
	fresh, _ := NewSecretBox(newKey)
	if got, err := fresh.Open(sealedNew, here); err != nil || string(got) != "signing secret" {
		t.Fatalf("the new key does not open what the rotating box sealed: %q, %v", got, err)
	}
	if _, err := NewSecretBox(nil, oldKey); err == nil {
		t.Fatal("previous keys without a current one")
	}
	if _, err := NewSecretBox(newKey, []byte("short")); err == nil {
		t.Fatal("a previous key of the wrong size")
	}
}
