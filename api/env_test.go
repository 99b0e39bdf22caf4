package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/internal/logtest"
	"github.com/hookline/hookline/sqlite"
)

// env is a Hookline API over a real SQLite store in a temporary directory,
// served on 127.0.0.1, with an admin token.
type env struct {
	t     *testing.T
	store hookline.Store
	srv   *httptest.Server
	admin string
	logs  *logtest.Buffer
}

// newEnv starts a server. wrap, when given, wraps the store (to inject faults);
// cfg, when given, edits the configuration.
func newEnv(t *testing.T, cfg func(*api.Config), wrap func(hookline.Store) hookline.Store) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger, logs := logtest.Logger()
	e := &env{t: t, store: st, logs: logs}
	if wrap != nil {
		e.store = wrap(st)
	}
	c := api.Config{
		Store:     e.store,
		Logger:    logger,
		PublicURL: "https://hooks.example.com",
	}
	if cfg != nil {
		cfg(&c)
	}
	e.srv = httptest.NewServer(api.New(c))
	t.Cleanup(e.srv.Close)
	e.admin = api.NewToken()
	if err := st.CreateToken(ctx, &hookline.Token{Hash: api.HashToken(e.admin)}); err != nil {
		t.Fatal(err)
	}
	return e
}

// sdk returns a Svix SDK client of the server with token.
func (e *env) sdk(token string) *svix.Svix {
	e.t.Helper()
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := svix.New(token, &svix.SvixOptions{ServerUrl: u})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// do sends a request with a raw body (a string or []byte) or a JSON-encoded
// value, and returns the status and body. Extra headers come in pairs.
func (e *env) do(method, path, token string, body any, headers ...string) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// must sends a request that must answer want, and decodes the body into out
// when out is not nil.
func (e *env) must(want int, method, path, token string, body, out any, headers ...string) []byte {
	e.t.Helper()
	st, b := e.do(method, path, token, body, headers...)
	if st != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, st, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return b
}

// sdkStatus returns the HTTP status of an error of the Svix SDK, or 0.
func sdkStatus(err error) int {
	if e, ok := err.(*svix.Error); ok {
		return e.Status()
	}
	return 0
}

func ptr[T any](v T) *T { return &v }
