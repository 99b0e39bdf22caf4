package signature_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookline/hookline/signature"
)

// Benchmarks for signing (once per delivery attempt on the sender) and
// verifying (once per request on the receiver), v1 and v1a, at 1 KiB and
// 64 KiB.

var benchSizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}}

var benchNow = time.Unix(1_700_000_000, 0)

func benchBody(n int) []byte { return bytes.Repeat([]byte(`{"k":"v"},`), n/10+1)[:n] }

func BenchmarkSignV1(b *testing.B) {
	key := []byte("0123456789abcdef01234567")
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_ = signature.SignV1(key, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", benchNow, body)
			}
		})
	}
}

func BenchmarkSignV1a(b *testing.B) {
	pair, _ := signature.GenerateKeyPair()
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_ = signature.SignV1a(pair.Private, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", benchNow, body)
			}
		})
	}
}

func benchVerify(b *testing.B, signWith, verifyWith signature.Secret) {
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		sig, err := signWith.Sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", benchNow, body)
		if err != nil {
			b.Fatal(err)
		}
		h := http.Header{}
		h.Set(signature.HeaderID, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
		h.Set(signature.HeaderTimestamp, strconv.FormatInt(benchNow.Unix(), 10))
		h.Set(signature.HeaderSignature, sig)
		v := &signature.Standard{Secrets: []signature.Secret{verifyWith}, Now: func() time.Time { return benchNow }}
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(h, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyV1(b *testing.B) {
	key, _ := signature.NewHMACSecret([]byte("0123456789abcdef01234567"))
	benchVerify(b, key, key)
}

func BenchmarkVerifyV1a(b *testing.B) {
	pair, _ := signature.GenerateKeyPair()
	benchVerify(b, pair, pair.PublicSecret())
}
