package hookline

import (
	"strings"
	"testing"
)

func TestURLCredentials(t *testing.T) {
	for raw, want := range map[string]string{
		"https://example.com/a@b":                "https://example.com/a@b",
		"https://user:pa%40ss@example.com:8443/": "https://user:xxxxx@example.com:8443/",
		"https://apikey@example.com/?x=@":        "https://xxxxx@example.com/?x=@",
		"http://u:@example.com#f@g":              "http://u:xxxxx@example.com#f@g",
		"https://a:b@c@example.com/":             "https://a:xxxxx@example.com/",
	} {
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
		if HasURLCredentials(raw) != (raw != want) {
			t.Errorf("HasURLCredentials(%q) wrong", raw)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"https://hooks.example.com/in", "https://hooks.example.com/in"},
		{"https://user:secret@hooks.example.com/in?a=1", "https://user:xxxxx@hooks.example.com/in?a=1"},
		{"https://sk_live_123@hooks.example.com/", "https://xxxxx@hooks.example.com/"},
		{"https://user:@hooks.example.com/", "https://user:xxxxx@hooks.example.com/"},
		{"http://a:b@[::1]:8080/x", "http://a:xxxxx@[::1]:8080/x"},
		{"socks5://hookline:s3cret%20pass@127.0.0.1:1080", "socks5://hookline:xxxxx@127.0.0.1:1080"},
		// What does not parse is not shown: where its credentials stand is unknown.
		{"https://user:secret@host/%zz", "(unparsable URL, redacted)"},
		{"https://user:secret@host:port/", "(unparsable URL, redacted)"},
		{"https://user:s3cret\nx@host/", "(unparsable URL, redacted)"},
		{"https://host/%zz", "(unparsable URL, redacted)"},
		{"//user:secret@host/", "(unparsable URL, redacted)"},
	} {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	e := &Endpoint{URL: "https://user:pa%40ss@example.com/hook"}
	if u, p, ok := e.BasicAuth(); !ok || u != "user" || p != "pa@ss" {
		t.Fatalf("BasicAuth = %q %q %v", u, p, ok)
	}
	if _, _, ok := (&Endpoint{URL: "https://example.com/"}).BasicAuth(); ok {
		t.Fatal("BasicAuth without credentials")
	}

	cur := "https://user:s3cret@example.com/hook"
	field := []string{"body", "url"}
	for _, tc := range []struct{ next, want string }{
		{"https://user:xxxxx@example.com/hook", cur},                                              // sent back as shown
		{"https://user:xxxxx@EXAMPLE.com/other?q=1", "https://user:s3cret@EXAMPLE.com/other?q=1"}, // same host, new path
		{"https://user:new@example.com/hook", "https://user:new@example.com/hook"},
		{"https://example.com/hook", "https://example.com/hook"},
		{"https://other:xxxxx@example.com/hook", ""}, // another user: the mask would be stored
		{"https://user:xxxxx@evil.example/hook", ""}, // the password must not follow to another host
		{"http://user:xxxxx@example.com/hook", ""},
	} {
		got, err := KeepURLCredentials(field, tc.next, cur)
		if tc.want == "" {
			if ErrorCode(err) != EINVALID || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("KeepURLCredentials(%q): %q, %v", tc.next, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("KeepURLCredentials(%q) = %q, %v; want %q", tc.next, got, err, tc.want)
		}
	}
	if got, err := KeepURLCredentials(field, "https://xxxxx@example.com/", "https://key@example.com/"); err != nil || got != "https://key@example.com/" {
		t.Errorf("user name alone: %q, %v", got, err)
	}
}

func TestURLHost(t *testing.T) {
	for raw, want := range map[string]string{
		"https://user:secret@hooks.example.com:8443/in?token=abc": "hooks.example.com:8443",
		"https://sk_live_123@hooks.example.com/":                  "hooks.example.com",
		"http://[::1]:8080/x":                                     "[::1]:8080",
		"://nope":                                                 "",
	} {
		if got := URLHost(raw); got != want {
			t.Errorf("URLHost(%q) = %q, want %q", raw, got, want)
		}
	}
}
