// Package hookline holds the domain of the Hookline webhook server: applications,
// event types, endpoints, messages, deliveries and attempts, the errors they
// raise, and the Store interface that the storage drivers (sqlite, postgres)
// implement. It imports none of Hookline's other packages.
package hookline

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"
	"strings"
	"sync"
	"time"
)

// Version is the Hookline release. It appears in the User-Agent of every delivery.
var Version = "0.1.0"

// UserAgent is the User-Agent header of every delivery.
func UserAgent() string { return "Hookline/" + Version }

// Prefixes of the identifiers Hookline generates, as the Svix API uses them.
const (
	PrefixApplication = "app_"
	PrefixEndpoint    = "ep_"
	PrefixMessage     = "msg_"
	PrefixDelivery    = "msgep_"
	PrefixAttempt     = "atmpt_"
	PrefixToken       = "tok_"
	PrefixTask        = "qtask_"
)

// idAlphabet is in ASCII order, so that identifiers sort like the time they
// were made in.
const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idLen is the length of the encoded part of an identifier: 128 bits in base 62.
const idLen = 22

var idState struct {
	sync.Mutex
	lastMS uint64
	seq    [10]byte
}

// NewID returns prefix followed by 22 base-62 characters: 48 bits of Unix
// milliseconds and 80 bits that are random for the first id of a millisecond
// and incremented for the next ones. Identifiers made by one process therefore
// sort in the order they were made; across processes they sort by millisecond.
func NewID(prefix string) string {
	ms := uint64(time.Now().UnixMilli())
	var b [16]byte
	idState.Lock()
	if ms <= idState.lastMS {
		ms = idState.lastMS
		increment(idState.seq[:])
	} else {
		idState.lastMS = ms
		if _, err := rand.Read(idState.seq[:]); err != nil {
			panic("hookline: crypto/rand failed: " + err.Error())
		}
		idState.seq[0] &= 0x7f // leave room to increment without overflowing
	}
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	copy(b[6:], idState.seq[:])
	idState.Unlock()
	return prefix + encodeBase62(b)
}

// ValidID reports whether s is an identifier NewID(prefix) could have
// made: prefix and idLen characters of idAlphabet.
func ValidID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != idLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(idAlphabet, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// IDTime returns the Unix millisecond an identifier NewID(prefix) made
// carries, the time it was made at, and false when id is not one
// (ValidID).
func IDTime(id, prefix string) (time.Time, bool) {
	if !ValidID(id, prefix) {
		return time.Time{}, false
	}
	var hi, lo uint64
	for _, c := range []byte(id[len(prefix):]) {
		// hi:lo = hi:lo*62 + digit, modulo 2^128.
		h, l := bits.Mul64(lo, 62)
		var carry uint64
		lo, carry = bits.Add64(l, uint64(strings.IndexByte(idAlphabet, c)), 0)
		hi = hi*62 + h + carry
	}
	return time.UnixMilli(int64(hi >> 16)), true
}

func increment(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
}

// encodeBase62 encodes a 128-bit big-endian number into idLen characters.
func encodeBase62(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [idLen]byte
	for i := idLen - 1; i >= 0; i-- {
		// Divide the 128-bit number hi:lo by 62.
		qhi := hi / 62
		r := hi % 62
		// (r<<64 + lo) / 62, done in two 32-bit halves to stay in 64 bits.
		mid := r<<32 | lo>>32
		qmid := mid / 62
		r = mid % 62
		low := r<<32 | lo&0xffffffff
		qlow := low / 62
		r = low % 62
		hi, lo = qhi, qmid<<32|qlow
		out[i] = idAlphabet[r]
	}
	return string(out[:])
}
