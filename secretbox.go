package hookline

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// SecretKeyLen is the length of the master key of a SecretBox (AES-256).
const SecretKeyLen = 32

// A stored secret starts with a byte that says its form:
//
//	0  in clear: 0 || secret. A store without a master key writes it.
//	1  sealed, not bound to its cell: 1 || nonce || AES-256-GCM(secret),
//	   without associated data. Versions before the cells wrote it; a box
//	   opens it only while it accepts the older forms (Legacy).
//	2  sealed and bound to its cell: 2 || key id || nonce ||
//	   AES-256-GCM(secret), whose associated data is the first five bytes
//	   (the form and the key id) followed by the cell's table, column and
//	   row id, each ended by a zero byte. The key id is the first four bytes
//	   of HMAC-SHA256(key, "hookline secret key id"): it says which key
//	   sealed the secret, so that a secret that does not open under that key
//	   is told apart (ErrSecretAltered) from one sealed under another
//	   (ErrSecretKey).
const (
	formClear   = 0
	formUnbound = 1
	formBound   = 2
)

// keyIDLen is the length of the key id of form 2.
const keyIDLen = 4

// boundHead is the length of what precedes the nonce in form 2.
const boundHead = 1 + keyIDLen

// A Cell is where a stored secret is kept: its table, its column and the id
// of its row. A SecretBox binds what it seals to its cell, so that it opens
// there only: a secret copied into another row, or another column, does not
// open. Cells' names are part of the stored form: a column renamed keeps the
// name of its cell.
type Cell struct {
	Table, Column, Row string
}

// associated returns the associated data of a secret of form 2 whose first
// bytes are head, stored in c.
func (c Cell) associated(head []byte) []byte {
	ad := make([]byte, 0, len(head)+len(c.Table)+len(c.Column)+len(c.Row)+3)
	ad = append(ad, head...)
	for _, s := range []string{c.Table, c.Column, c.Row} {
		ad = append(append(ad, s...), 0)
	}
	return ad
}

// SecretBox encrypts secrets (endpoint signing keys, current and previous,
// the Basic credentials of endpoint URLs, mTLS private keys, OAuth client
// settings and custom headers; sources' configs and ingest URL tokens)
// before a Store writes them, and decrypts them when it reads them. A nil
// *SecretBox stores secrets in clear, marked so that a box given later
// still reads them.
type SecretBox struct {
	// keys[0] seals; every key opens (keys[1:] are earlier master keys,
	// during a key rotation).
	keys []sealKey
	// legacy: the box opens the forms of earlier versions too.
	legacy bool
}

// sealKey is one master key of a box.
type sealKey struct {
	aead cipher.AEAD
	id   [keyIDLen]byte
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
	b := &SecretBox{}
	for _, k := range append([][]byte{key}, previous...) {
		sk, err := newSealKey(k)
		if err != nil {
			return nil, err
		}
		b.keys = append(b.keys, sk)
	}
	return b, nil
}

func newSealKey(key []byte) (sealKey, error) {
	if len(key) != SecretKeyLen {
		return sealKey{}, Errorf(EINVALID, "the secret key must be %d bytes, not %d", SecretKeyLen, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealKey{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealKey{}, err
	}
	sk := sealKey{aead: aead}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("hookline secret key id"))
	copy(sk.id[:], mac.Sum(nil))
	return sk, nil
}

// Legacy returns a box like b that also opens the forms earlier versions
// wrote: secrets in clear, and secrets sealed without being bound to their
// cell. A store reads with it only until it has sealed every secret it
// holds in the current form (UpgradeSeals); a nil box, which reads secrets
// in clear anyway, stays nil.
func (b *SecretBox) Legacy() *SecretBox {
	if b == nil {
		return nil
	}
	l := *b
	l.legacy = true
	return &l
}

// Seal returns secret in its stored form, bound to the cell at: sealed
// under the box's current key, or in clear for a nil box.
func (b *SecretBox) Seal(secret []byte, at Cell) []byte {
	if b == nil {
		return append([]byte{formClear}, secret...)
	}
	k := b.keys[0]
	ns := k.aead.NonceSize()
	out := make([]byte, boundHead+ns, boundHead+ns+len(secret)+k.aead.Overhead())
	out[0] = formBound
	copy(out[1:boundHead], k.id[:])
	if _, err := rand.Read(out[boundHead:]); err != nil {
		panic("hookline: crypto/rand failed: " + err.Error())
	}
	return k.aead.Seal(out, out[boundHead:], secret, at.associated(out[:boundHead]))
}

// storedOrClear returns the stored form of a secret kept in a column that
// versions before it kept in another column, in clear: sealed, the value of
// the column, or else clear, the value of the earlier one, as a secret in
// clear (which only a Legacy box opens); nil when neither holds it.
func storedOrClear(sealed, clear []byte) []byte {
	if sealed == nil && clear != nil {
		return append([]byte{formClear}, clear...)
	}
	return sealed
}

// ErrSecretKey is the error of reading a sealed secret without the right
// master key.
var ErrSecretKey = errors.New("cannot decrypt a stored secret: no master key, or not the one it was written with")

// ErrSecretAltered is the error of reading a sealed secret that the key it
// names does not open where it is: it was sealed for another cell (copied
// from another row or column), or changed.
var ErrSecretAltered = errors.New("a stored secret does not open where it is: it was sealed for another row or column, or changed")

// ErrSecretForm is the error of reading, with a master key, a secret in a
// form that earlier versions wrote (in clear, or sealed without its cell)
// once the store no longer accepts them (see SecretBox.Legacy).
var ErrSecretForm = errors.New("a stored secret is in clear or not bound to its row, a form this store no longer accepts")

// UnreadableSecret returns which of ErrSecretKey, ErrSecretAltered and
// ErrSecretForm err wraps: why a stored secret could not be read; nil when
// it wraps none.
func UnreadableSecret(err error) error {
	for _, e := range []error{ErrSecretKey, ErrSecretAltered, ErrSecretForm} {
		if errors.Is(err, e) {
			return e
		}
	}
	return nil
}

// Open returns the secret of a stored form made by Seal for the cell at.
// A box opens the form 2 a key of it sealed; a nil box opens secrets in
// clear only; a Legacy box opens those and the form 1 too.
func (b *SecretBox) Open(stored []byte, at Cell) ([]byte, error) {
	if len(stored) == 0 {
		return nil, errors.New("empty stored secret")
	}
	switch stored[0] {
	case formClear:
		if b != nil && !b.legacy {
			return nil, ErrSecretForm
		}
		return append([]byte(nil), stored[1:]...), nil
	case formUnbound:
		switch {
		case b == nil:
			return nil, ErrSecretKey
		case !b.legacy:
			return nil, ErrSecretForm
		}
		ns := b.keys[0].aead.NonceSize()
		if len(stored) < 1+ns {
			return nil, errors.New("truncated stored secret")
		}
		for _, k := range b.keys {
			if out, err := k.aead.Open(nil, stored[1:1+ns], stored[1+ns:], nil); err == nil {
				return out, nil
			}
		}
		return nil, ErrSecretKey
	case formBound:
		if b == nil {
			return nil, ErrSecretKey
		}
		ns := b.keys[0].aead.NonceSize()
		if len(stored) < boundHead+ns {
			return nil, errors.New("truncated stored secret")
		}
		ad := at.associated(stored[:boundHead])
		named := false
		for _, k := range b.keys {
			if string(k.id[:]) != string(stored[1:boundHead]) {
				continue
			}
			named = true
			if out, err := k.aead.Open(nil, stored[boundHead:boundHead+ns], stored[boundHead+ns:], ad); err == nil {
				return out, nil
			}
		}
		if named {
			return nil, ErrSecretAltered
		}
		return nil, ErrSecretKey
	}
	return nil, fmt.Errorf("unknown stored secret format %d", stored[0])
}
