package hookline_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

func TestSentHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Webhook-Id", "msg_1")
	h.Set("X-Api-Key", "k3y-value")
	h.Set("Authorization", "Basic dXNlcjpwYXNz")
	h.Set("X-Quote", `say "hi" <b> & \ é`)
	h["X-Many"] = []string{"a", "b"}
	s := hookline.EncodeSentHeaders(h, "Authorization", "Proxy-Authorization")
	if !json.Valid([]byte(s)) {
		t.Fatalf("not JSON: %s", s)
	}
	for _, secret := range []string{"k3y-value", "dXNlcjpwYXNz"} {
		if strings.Contains(string(s), secret) {
			t.Fatalf("a credential's value is kept: %s", s)
		}
	}
	headers, withheld, err := s.Decode()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Content-Type": "application/json", "Webhook-Id": "msg_1",
		"X-Quote": `say "hi" <b> & \ é`, "X-Many": "a, b"}
	if !reflect.DeepEqual(headers, want) {
		t.Fatalf("headers %v, want %v", headers, want)
	}
	if w := []string{"Authorization", "Proxy-Authorization", "X-Api-Key"}; !reflect.DeepEqual(withheld, w) {
		t.Fatalf("withheld %v, want %v", withheld, w)
	}

	// None kept (an attempt logged before, or that made no request).
	headers, withheld, err = hookline.SentHeaders("").Decode()
	if err != nil || headers == nil || len(headers) != 0 || withheld == nil || len(withheld) != 0 {
		t.Fatalf("none decodes to %v, %v, %v; want empty, not nil", headers, withheld, err)
	}
	if _, _, err := hookline.SentHeaders(`{"a":`).Decode(); err == nil {
		t.Fatal("a damaged value decodes")
	}
	if s := hookline.EncodeSentHeaders(http.Header{}); string(s) != "{}" {
		t.Fatalf("no headers: %s", s)
	}
}

func BenchmarkEncodeSentHeaders(b *testing.B) {
	h := http.Header{}
	for k, v := range map[string]string{
		"Content-Type": "application/json", "User-Agent": "Hookline/1.0",
		"Webhook-Id": "msg_2oGm3kQ8LqY1Lh3VbWm4QSpMPbL", "Webhook-Timestamp": "1733529600",
		"Webhook-Signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=", "X-Tenant": "acme",
	} {
		h.Set(k, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		hookline.EncodeSentHeaders(h)
	}
}

func TestSensitiveName(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "Cookie": true, "SET-COOKIE": true,
		"X-Api-Key": true, "X-Auth-Token": true, "x-client-secret": true, "Password": true, "X-Session-Id": true,
		"X-\u212Aey":   true, // the Kelvin sign folds to k
		"Content-Type": false, "Webhook-Id": false, "Webhook-Signature": false, "User-Agent": false,
		"X-Cookies-Policy": false, "X-Tenant": false, "": false,
	} {
		if got := hookline.SensitiveName(name); got != want {
			t.Errorf("SensitiveName(%q) = %v, want %v", name, got, want)
		}
	}
}
