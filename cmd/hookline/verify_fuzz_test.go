package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// Fuzz targets for what "hookline verify" parses itself: --header values
// and, with --request, a raw HTTP request. Plain "go test" runs the seed
// corpus; "go test -fuzz=FuzzX ./cmd/hookline/" explores.

// FuzzParseHeaderFlag checks that parseHeaderFlag never panics, that what
// it accepts is a usable header (a name without ':' or white space, a
// trimmed value), and that writing the result back as "Name: value" parses
// to the same pair.
func FuzzParseHeaderFlag(f *testing.F) {
	for _, s := range []string{
		"webhook-id: msg_1", "Webhook-Signature:v1,abc= v1,def=", "X-Url: https://example.com:8443/x",
		":", ": v", "name", "na me: v", "\tname\t:\tvalue\t", "a:b:c", "", " : ", "x:\r\n", "k\x00: v\x00",
		"\u017fvix-id: x", "name:" + strings.Repeat(" ", 100) + "v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, err := parseHeaderFlag(s)
		if err != nil {
			if name != "" || value != "" {
				t.Fatalf("error %v with a result %q %q", err, name, value)
			}
			return
		}
		if name == "" || strings.ContainsAny(name, ": \t\r\n") {
			t.Fatalf("accepted name %q", name)
		}
		if value != strings.TrimSpace(value) {
			t.Fatalf("value %q not trimmed", value)
		}
		n2, v2, err := parseHeaderFlag(name + ": " + value)
		if err != nil || n2 != name || v2 != value {
			t.Fatalf("%q -> %q %q -> %q %q %v", s, name, value, n2, v2, err)
		}
		http.Header{}.Add(name, value)
	})
}

// FuzzVerifyRequest feeds raw input to "hookline verify --request". It
// checks that readRawRequest never panics and returns a body no larger
// than its input, that with a Content-Length body the body is a part of
// the input, and that the whole command exits 0, 1 or 2, and 0 only for
// input that carries the reference signature.
func FuzzVerifyRequest(f *testing.F) {
	head := "POST /webhook HTTP/1.1\r\nHost: example.com\r\n" +
		"Webhook-Id: " + vecID + "\r\nWebhook-Timestamp: " + vecTS + "\r\nWebhook-Signature: " + vecSig + "\r\n"
	cl := "Content-Length: " + itoa(len(vecBody)) + "\r\n"
	for _, s := range []string{
		head + cl + "\r\n" + vecBody,
		head + cl + "\r\n" + vecBody + "\r\nPOST / HTTP/1.1\r\n\r\n",
		head + "\r\n" + vecBody,
		head + "\r\n",
		head + "Content-Length: 5\r\n\r\n" + vecBody,
		head + "Content-Length: 99\r\n\r\n" + vecBody,
		head + "Content-Length: -1\r\n\r\n" + vecBody,
		head + cl + cl + "\r\n" + vecBody,
		head + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n" + vecBody,
		head + "Transfer-Encoding: chunked\r\n\r\n5\r\n" + vecBody[:5] + "\r\n" + itoa16(len(vecBody)-5) + "\r\n" + vecBody[5:] + "\r\n0\r\n\r\nextra",
		head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
		head + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		strings.ReplaceAll(head+cl+"\r\n"+vecBody, "\r\n", "\n"),
		"GET / HTTP/1.0\r\n\r\n",
		"POST / HTTP/2.0\r\n\r\n",
		"not http at all",
		"",
	} {
		f.Add(s)
	}
	args := []string{"--secret", vecSecret, "--now", vecTS, "--request"}
	f.Fuzz(func(t *testing.T, raw string) {
		var notes bytes.Buffer
		h, body, err := readRawRequest(strings.NewReader(raw), &notes)
		if err == nil {
			if len(body) > len(raw) {
				t.Fatalf("body of %d bytes from %d bytes of input", len(body), len(raw))
			}
			if len(h.Values("Content-Length")) > 0 && !strings.Contains(raw, string(body)) {
				t.Fatalf("Content-Length body %q is not in the input", body)
			}
		}
		var out, errOut bytes.Buffer
		code := runVerify(context.Background(), args, strings.NewReader(raw), &out, &errOut)
		switch code {
		case 0:
			if !strings.Contains(raw, strings.TrimRight(vecSig[3:], "=")) {
				t.Fatalf("valid without the reference signature in the input: %s", out.String())
			}
		case 1, 2:
		default:
			t.Fatalf("exit %d", code)
		}
	})
}
