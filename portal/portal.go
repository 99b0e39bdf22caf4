// Package portal serves Hookline's web pages: the App Portal, which an
// application's customers reach through the link that
// POST /api/v1/auth/app-portal-access/{app_id} returns (/app-portal), and
// the operator dashboard (/dashboard).
//
// The pages are static files embedded in the binary, hand-written HTML, CSS
// and JavaScript that need no build step. They talk to /api/v1 like any
// client, with the bearer token the page holds for the tab's session: the
// App Portal takes it from its link's fragment (#token=...), which no
// request carries to a server; the dashboard asks the operator for an admin
// token. No cookie carries authority, so there is nothing to forge across
// sites.
//
// Every page is served with a strict Content-Security-Policy: scripts,
// styles and everything else from this server only, nothing inline, and
// Trusted Types required, so that no value a tenant or a receiver sent
// (payloads, response bodies, headers, URLs) can become HTML: the pages
// render them as text.
package portal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// Config configures the pages.
type Config struct {
	// FrameAncestors are the origins allowed to show the App Portal in an
	// iframe (the CSP frame-ancestors directive): "'self'", or origins
	// such as "https://app.example.com" and "https://*.example.com", each
	// checked by ParseOrigin. Empty: no site may frame it. The dashboard is
	// never framed.
	FrameAncestors []string
}

// Pages serves the App Portal, the dashboard and their static files.
type Pages struct {
	files        map[string]*file
	portalPolicy string // the Content-Security-Policy of the App Portal
}

// file is an embedded asset, read once.
type file struct {
	name  string
	body  []byte
	etag  string
	ctype string
}

// New returns the pages of cfg, or an error when an origin of
// FrameAncestors is not one.
func New(cfg Config) (*Pages, error) {
	for _, o := range cfg.FrameAncestors {
		if err := ParseOrigin(o); err != nil {
			return nil, err
		}
	}
	p := &Pages{files: map[string]*file{}, portalPolicy: policy(cfg.FrameAncestors)}
	err := fs.WalkDir(assets, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		base := path.Base(name)
		p.files[base] = &file{name: base, body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
			ctype: mime.TypeByExtension(path.Ext(base))}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Handler returns a handler that serves the pages (see Register) and hands
// every other request to next: /api/v1.
func Handler(next http.Handler, cfg Config) (http.Handler, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	p.Register(mux)
	mux.Handle("/", next)
	return mux, nil
}

// Register adds the routes of the pages to mux: GET /app-portal,
// GET /dashboard and GET /static/{file}.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /app-portal", func(w http.ResponseWriter, r *http.Request) {
		p.serve(w, r, "app-portal.html", p.portalPolicy)
	})
	mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		p.serve(w, r, "dashboard.html", policy(nil))
	})
	mux.HandleFunc("GET /static/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if strings.HasSuffix(name, ".html") {
			http.NotFound(w, r)
			return
		}
		p.serve(w, r, name, policy(nil))
	})
}

// serve writes the asset name with the security headers, or a 404.
func (p *Pages) serve(w http.ResponseWriter, r *http.Request, name, csp string) {
	f := p.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.Contains(csp, "frame-ancestors 'none'") {
		// For browsers that predate frame-ancestors.
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	if f.ctype != "" {
		h.Set("Content-Type", f.ctype)
	}
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}

// policy returns the Content-Security-Policy of a page that the origins of
// ancestors may frame (none when empty). Everything comes from this server;
// nothing inline runs, and Trusted Types keep every string out of the
// sinks that parse HTML or run script.
func policy(ancestors []string) string {
	frame := "'none'"
	if len(ancestors) > 0 {
		frame = strings.Join(ancestors, " ")
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action 'none'; base-uri 'none'; frame-ancestors " + frame + "; " +
		"require-trusted-types-for 'script'; trusted-types 'none'"
}

// ParseOrigin checks an origin that may frame the App Portal: 'self', or a
// scheme (http or https), a host (whose first label may be *) and an
// optional port, with nothing after them but a slash.
func ParseOrigin(s string) error {
	if s == "'self'" {
		return nil
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme != "http" && scheme != "https" {
		return fmt.Errorf("%q is not an origin: it must start with https:// or http:// (or be 'self')", s)
	}
	rest = strings.TrimSuffix(rest, "/")
	host, port, hasPort := strings.Cut(rest, ":")
	if hasPort {
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return fmt.Errorf("%q is not an origin: its port is not a number", s)
		}
	}
	labels := strings.Split(host, ".")
	for i, l := range labels {
		if i == 0 && l == "*" && len(labels) > 1 {
			continue
		}
		if l == "" || len(l) > 63 || strings.Trim(strings.ToLower(l), "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return fmt.Errorf("%q is not an origin: scheme://host[:port], nothing else", s)
		}
	}
	return nil
}
