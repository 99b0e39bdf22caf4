package sqlite

import (
	"encoding/binary"
	"math/bits"
	"strings"

	"github.com/hookline/hookline"
)

// Delivery ids look like every other Hookline id (a prefix, then 22 base-62
// characters of 48 bits of Unix milliseconds and 80 more bits) but their low
// 64 bits are the delivery's seq, its row key: Complete finds a delivery
// from its id without an index on the id.

const (
	idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	idLen      = 22
)

// deliveryID returns the id of the delivery seq, made at Unix millisecond ms.
func deliveryID(ms, seq int64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(ms)<<16)
	binary.BigEndian.PutUint64(b[8:], uint64(seq))
	return hookline.PrefixDelivery + encodeBase62(b)
}

// deliverySeq returns the seq a delivery id carries.
func deliverySeq(id string) (int64, bool) {
	s, ok := strings.CutPrefix(id, hookline.PrefixDelivery)
	if !ok || len(s) != idLen {
		return 0, false
	}
	var hi, lo uint64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(idAlphabet, s[i])
		if d < 0 {
			return 0, false
		}
		// hi:lo = hi:lo*62 + d, modulo 2^128: a garbled id decodes to some
		// seq, and the caller checks the row's id.
		h1, l := bits.Mul64(lo, 62)
		hi = hi*62 + h1
		var c uint64
		lo, c = bits.Add64(l, uint64(d), 0)
		hi += c
	}
	if hi&0xffff != 0 || int64(lo) < 0 {
		return 0, false
	}
	return int64(lo), true
}

func encodeBase62(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [idLen]byte
	for i := idLen - 1; i >= 0; i-- {
		var r uint64
		hi, r = bits.Div64(0, hi, 62)
		lo, r = bits.Div64(r, lo, 62)
		out[i] = idAlphabet[r]
	}
	return string(out[:])
}
