package portal

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serveGet(t *testing.T, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func newHandler(t *testing.T, cfg Config) http.Handler {
	t.Helper()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	h, err := Handler(api, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestPagesHeaders checks what every page and file is served with: the
// strict policy, no sniffing, no referrer, and framing only where allowed.
func TestPagesHeaders(t *testing.T) {
	h := newHandler(t, Config{FrameAncestors: []string{"https://app.example.com", "https://*.example.org:8443"}})
	for _, tc := range []struct {
		path, ctype, frame string
	}{
		{"/app-portal", "text/html", "frame-ancestors https://app.example.com https://*.example.org:8443;"},
		{"/dashboard", "text/html", "frame-ancestors 'none';"},
		{"/static/app-portal.js", "text/javascript", "frame-ancestors 'none';"},
		{"/static/hookline.css", "text/css", "frame-ancestors 'none';"},
	} {
		resp := serveGet(t, h, tc.path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none';", "script-src 'self';", "style-src 'self';", "connect-src 'self';",
			"require-trusted-types-for 'script';", "base-uri 'none';", tc.frame} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: the policy %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http:") && !strings.Contains(tc.frame, "http") {
			t.Errorf("%s: the policy %q allows too much", tc.path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", tc.path, resp.Header)
		}
		if xfo := resp.Header.Get("X-Frame-Options"); (xfo == "DENY") != strings.Contains(tc.frame, "'none'") {
			t.Errorf("%s: X-Frame-Options %q with %s", tc.path, xfo, tc.frame)
		}
		// An unchanged file is not sent again.
		if again := serveGet(t, h, tc.path, "If-None-Match", resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d", tc.path, again.StatusCode)
		}
	}
}

// TestPagesRoutes checks that the pages answer only their own paths, and
// that every other request goes to the API.
func TestPagesRoutes(t *testing.T) {
	h := newHandler(t, Config{})
	for path, want := range map[string]int{
		"/static/nothing.js":         http.StatusNotFound,
		"/static/app-portal.html":    http.StatusNotFound, // pages only at their own paths
		"/api/v1/app":                http.StatusTeapot,
		"/app-portal/x":              http.StatusTeapot,
		"/":                          http.StatusTeapot,
		"/app-portal?token=whatever": http.StatusOK,
	} {
		if got := serveGet(t, h, path).StatusCode; got != want {
			t.Errorf("GET %s: %d, want %d", path, got, want)
		}
	}
	req := httptest.NewRequest("POST", "/app-portal", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot {
		t.Errorf("POST /app-portal: %d, want the API's answer", rec.Code)
	}
}

// TestAssetsRenderText checks the rule the pages keep: nothing inline for
// the policy to refuse, nothing loaded from outside, and no HTML made from
// strings.
func TestAssetsRenderText(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`)
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setTimeout\("`)
	err := fs.WalkDir(assets, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, _ := assets.Open(name)
		b, _ := io.ReadAll(f)
		f.Close()
		s := string(b)
		if external.MatchString(s) || strings.Contains(s, "@import") || strings.Contains(s, "url(http") {
			t.Errorf("%s loads something from outside the server", name)
		}
		if strings.HasSuffix(name, ".js") && sinks.MatchString(s) {
			t.Errorf("%s uses a sink that parses HTML or runs strings: %s", name, sinks.FindString(s))
		}
		if strings.HasSuffix(name, ".html") {
			if regexp.MustCompile(`<script(\s+type="module")?>|<style|\sstyle=|\son[a-z]+=`).MatchString(s) {
				t.Errorf("%s has inline script or style", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseOrigin(t *testing.T) {
	for _, ok := range []string{"'self'", "https://app.example.com", "http://127.0.0.1:8080", "https://*.example.com", "https://example.com/"} {
		if err := ParseOrigin(ok); err != nil {
			t.Errorf("ParseOrigin(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "*", "example.com", "ftp://example.com", "https://", "https://example.com/path",
		"https://a b.com", "https://example.com:port", "https://*", "https://x.com; script-src *", "'none'", "https://*.*.com"} {
		if err := ParseOrigin(bad); err == nil {
			t.Errorf("ParseOrigin(%q) accepted it", bad)
		}
	}
	if _, err := New(Config{FrameAncestors: []string{"https://ok.example", "javascript:"}}); err == nil {
		t.Error("New accepted an origin that is not one")
	}
}
