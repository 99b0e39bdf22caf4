package hookline

import (
	"strings"
	"testing"
)

func TestValidHeaderName(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Api-Key": true, "x_custom.1~!#$%&'*+^`|": true, strings.Repeat("a", 256): true,
		"": false, strings.Repeat("a", 257): false, "X Key": false, "X:Key": false, "X\tKey": false,
		"Ké": false, "X\x7fKey": false, "X(Key)": false, "\xff": false,
	} {
		if got := validHeaderName(name); got != want {
			t.Errorf("validHeaderName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestReservedHeaders(t *testing.T) {
	for _, name := range []string{"Content-Type", "webhook-id", "Svix-Anything", "X-Svix-Key", "x-amzn-trace-id",
		"X-Amz-Date", "X-Google-Foo", "X-Goog-Bar", "X-GFE-x", "X-Azure-Ref", "X-FD-HealthProbe", "Cache-Control", "Age"} {
		if err := ValidateHeaders(map[string]string{name: "v"}); ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	for _, name := range []string{"Authorization", "X-Api-Key", "X-Amazing", "X-Svixy"} {
		if err := ValidateHeaders(map[string]string{name: "v"}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNormalizeURL(t *testing.T) {
	for raw, want := range map[string]string{
		"HTTPS://Example.COM":            "https://example.com/",
		"https://example.com":            "https://example.com/",
		"https://example.com?x=1":        "https://example.com/?x=1",
		"https://Ex.com:8443/Path?Q=A#F": "https://ex.com:8443/Path?Q=A#F",
		"https://User:PaSs@Ex.COM/in":    "https://User:PaSs@ex.com/in",
		"https://u:p%40ss@Host.example/": "https://u:p%40ss@host.example/",
		"http://[2001:DB8::1]:80":        "http://[2001:db8::1]:80/",
		"not a url":                      "not a url",
	} {
		if got := NormalizeURL(raw); got != want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
