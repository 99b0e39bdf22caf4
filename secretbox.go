package hookline

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// SecretKeyLen is the length of the master key of a SecretBox (AES-256).
const SecretKeyLen = 32

// Stored secrets start with a format byte: plain, or nonce || AES-256-GCM
// ciphertext.
const (
	secretPlain  = 0
	secretSealed = 1
)

// SecretBox encrypts secrets (endpoint signing keys, current and previous,
// the Basic credentials of endpoint URLs, mTLS private keys and OAuth client
// secrets) before a Store writes them, and decrypts them when it reads them.
// A nil *SecretBox stores secrets as they are, marked so that a box given
// later still reads them.
type SecretBox struct {
	aead cipher.AEAD
	// previous open what earlier master keys sealed, during a key rotation.
	previous []cipher.AEAD
}

// NewSecretBox returns a box that seals under key and opens what key or
// any of previous sealed (a master key rotation: see the rekey command).
// Keys must be SecretKeyLen bytes; a nil key returns a nil box (no
// encryption).
func NewSecretBox(key []byte, previous ...[]byte) (*SecretBox, error) {
	if key == nil {
		if len(previous) > 0 {
			return nil, Errorf(EINVALID, "previous secret keys need a current one")
		}
		return nil, nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	b := &SecretBox{aead: aead}
	for _, k := range previous {
		a, err := newAEAD(k)
		if err != nil {
			return nil, err
		}
		b.previous = append(b.previous, a)
	}
	return b, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != SecretKeyLen {
		return nil, Errorf(EINVALID, "the secret key must be %d bytes, not %d", SecretKeyLen, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal returns secret in its stored form.
func (b *SecretBox) Seal(secret []byte) []byte {
	if b == nil {
		return append([]byte{secretPlain}, secret...)
	}
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(secret)+b.aead.Overhead())
	out[0] = secretSealed
	if _, err := rand.Read(out[1:]); err != nil {
		panic("hookline: crypto/rand failed: " + err.Error())
	}
	return b.aead.Seal(out, out[1:1+ns], secret, nil)
}

// ErrSecretKey is the error of reading an encrypted secret without the
// right master key.
var ErrSecretKey = errors.New("cannot decrypt a stored secret: no master key, or not the one it was written with")

// Open returns the secret of a stored form made by Seal.
func (b *SecretBox) Open(stored []byte) ([]byte, error) {
	if len(stored) == 0 {
		return nil, errors.New("empty stored secret")
	}
	switch stored[0] {
	case secretPlain:
		return append([]byte(nil), stored[1:]...), nil
	case secretSealed:
		if b == nil {
			return nil, ErrSecretKey
		}
		ns := b.aead.NonceSize()
		if len(stored) < 1+ns {
			return nil, errors.New("truncated stored secret")
		}
		out, err := b.aead.Open(nil, stored[1:1+ns], stored[1+ns:], nil)
		for _, a := range b.previous {
			if err == nil {
				break
			}
			out, err = a.Open(nil, stored[1:1+ns], stored[1+ns:], nil)
		}
		if err != nil {
			return nil, ErrSecretKey
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown stored secret format %d", stored[0])
}
