package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres/pgtest"
)

// TestSecretsEncryptedAtRest creates an endpoint with a known secret and a
// known custom header and reads the raw database files: neither is in any
// of them, in any encoding; a restart with the same key reads them back,
// one with another key cannot.
func TestSecretsEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hookline.db")
	const token = "hk_secret_test_token_0123456789abcdef"
	raw := []byte("hookline-test-secret-bytes-0001") // 31 bytes, easy to spot
	secret := "whsec_" + base64.StdEncoding.EncodeToString(raw)
	const header = "Bearer hookline-test-header-0002"

	start := func(env map[string]string) (string, func() error) {
		env["HOOKLINE_ADMIN_TOKEN"] = token
		return startServe(t, db, env)
	}

	url, stop := start(map[string]string{})
	client := &http.Client{Timeout: 10 * time.Second}
	var app, ep struct{ ID string }
	if code, err := apiCall(client, "POST", url+"/api/v1/app", token, map[string]any{"name": "s"}, &app); err != nil || code != 201 {
		t.Fatalf("create app: %d %v", code, err)
	}
	if code, err := apiCall(client, "POST", url+"/api/v1/app/"+app.ID+"/endpoint", token,
		map[string]any{"url": "https://example.com/hook", "secret": secret, "headers": map[string]string{"X-Api-Key": header}}, &ep); err != nil || code != 201 {
		t.Fatalf("create endpoint: %d %v", code, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	keyFile, err := os.Stat(db + ".key")
	if err != nil {
		t.Fatalf("no key file beside the database: %v", err)
	}
	if keyFile.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", keyFile.Mode().Perm())
	}
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		if f == db+".key" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range [][]byte{raw, []byte(secret), []byte(base64.StdEncoding.EncodeToString(raw))} {
			if bytes.Contains(data, needle) {
				t.Fatalf("%s holds the endpoint secret in clear", f)
			}
		}
		if bytes.Contains(data, []byte("hookline-test-header-0002")) {
			t.Fatalf("%s holds the custom header in clear", f)
		}
	}

	// Same key (the file beside the database): the secret reads back.
	url, stop = start(map[string]string{})
	var got struct{ Key string }
	if code, err := apiCall(client, "GET", url+"/api/v1/app/"+app.ID+"/endpoint/"+ep.ID+"/secret", token, nil, &got); err != nil || code != 200 || got.Key != secret {
		t.Fatalf("secret after restart: %d %v %q", code, err, got.Key)
	}
	var headers struct{ Sensitive []string }
	if code, err := apiCall(client, "GET", url+"/api/v1/app/"+app.ID+"/endpoint/"+ep.ID+"/headers", token, nil, &headers); err != nil || code != 200 ||
		len(headers.Sensitive) != 1 || headers.Sensitive[0] != "X-Api-Key" {
		t.Fatalf("headers after restart: %d %v %+v", code, err, headers)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Another key: serve does not start (TestMasterKeyNeverReplaced).
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	if _, stop = start(map[string]string{"HOOKLINE_SECRET_KEY": other}); stop() == nil {
		t.Fatal("serve started with a master key that does not open the stored secrets")
	}
}

// startServe runs serve on the database db, without dispatching, with the
// environment env. It returns serve's URL once it listens, and a stop that
// ends it and returns its error; when serve ends before it listens, the URL
// is "" and stop returns why.
func startServe(t *testing.T, db string, env map[string]string) (string, func() error) {
	t.Helper()
	cfg, err := parseServeFlags([]string{"--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, func(a string) { addr <- a }, io.Discard, io.Discard) }()
	select {
	case a := <-addr:
		return "http://" + a, func() error { cancel(); return <-done }
	case err := <-done:
		cancel()
		return "", func() error { return err }
	}
}

// TestSourceSecretsAtRest: a source's secrets and token are in none of the
// database's files; on a database whose only secrets are a source's, serve
// started with a wrong key, or without the key file, refuses to start,
// names the source, and changes no file; with the key, it starts. Through
// serve, on either store, a source created and its token rotated with an
// Idempotency-Key (as the Svix SDKs send on every POST) leave no token in
// clear: those answers are not kept for a replay.
func TestSourceSecretsAtRest(t *testing.T) {
	onEachStore(t, checkSourceTokensNotKept)
	dir := t.TempDir()
	db := filepath.Join(dir, "hookline.db")
	key := bytes.Repeat([]byte{5}, 32)
	s := openWithKey(t, db, key)
	src := newSecretSource(t, s, "check")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, data := range snapshot(t, dir) {
		for _, secret := range []string{src.Token, src.Config.HMAC.Secret, src.Config.BasicAuth.Password, src.Config.HeaderAuth.Value} {
			if strings.Contains(data, secret) {
				t.Errorf("%s holds the source's secret %q in clear", name, secret)
			}
		}
	}
	env := map[string]string{"HOOKLINE_ADMIN_TOKEN": "hk_source_check_token_0123456789abcdef"}
	before := snapshot(t, dir)
	for _, tc := range []struct {
		name, key string
	}{
		{"a wrong key", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, 32))},
		{"no key file", ""},
	} {
		env["HOOKLINE_SECRET_KEY"] = tc.key
		url, stop := startServe(t, db, env)
		err := stop()
		if url != "" || err == nil || !strings.Contains(err.Error(), src.ID) {
			t.Errorf("serve with %s: started %v, error %v; want a refusal naming %s", tc.name, url != "", err, src.ID)
		}
		if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
			t.Errorf("serve with %s changed the files of %s", tc.name, dir)
		}
	}
	env["HOOKLINE_SECRET_KEY"] = base64.StdEncoding.EncodeToString(key)
	url, stop := startServe(t, db, env)
	if err := stop(); url == "" || err != nil {
		t.Fatalf("serve with the key: started %v, %v", url != "", err)
	}
}

// checkSourceTokensNotKept creates a source with a secret and rotates its
// token through serve on st, each with an Idempotency-Key, and fails t if
// the secret or either token is in clear in the database.
func checkSourceTokensNotKept(t *testing.T, st testStore) {
	const token = "hk_source_check_token_0123456789abcdef"
	args := append([]string{"--listen", "127.0.0.1:0", "--no-dispatch"}, st.args()...)
	base, _, stop := runServer(t, args, map[string]string{"HOOKLINE_ADMIN_TOKEN": token})
	sx := (&server{url: base, token: token}).client(t)
	ctx := context.Background()
	const secret = "github-secret-at-rest-0123456789"
	src, err := sx.Ingest.Source.Create(ctx, models.IngestSourceIn{Name: "gh", Type: models.IngestSourceInTypeGithub,
		Config: models.GithubConfig{Secret: ptr(secret)}}, &svix.IngestSourceCreateOptions{IdempotencyKey: ptr("create-gh")})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := sx.Ingest.Source.RotateToken(ctx, src.Id, &svix.IngestSourceRotateTokenOptions{IdempotencyKey: ptr("rotate-gh")})
	if err != nil {
		t.Fatal(err)
	}
	stop()
	secrets := []string{secret, path.Base(*src.IngestUrl), path.Base(rotated.IngestUrl)}
	if where := storedInClear(t, st, secrets...); len(where) > 0 {
		t.Errorf("the source's secrets are in clear: %q", where)
	}
}

// storedInClear returns where the database of st holds any of secrets in
// clear: the SQLite files, or the PostgreSQL tables (a bytea column as
// text is hex).
func storedInClear(t *testing.T, st testStore, secrets ...string) []string {
	t.Helper()
	var where []string
	if !strings.HasPrefix(st.db, "postgres") {
		for name, data := range snapshot(t, filepath.Dir(st.db)) {
			for _, s := range secrets {
				if strings.Contains(data, s) {
					where = append(where, name+" holds "+s)
				}
			}
		}
		return where
	}
	tables := queryPairs(t, st.db, `SELECT table_name::text, '' FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	for table := range tables {
		for _, s := range secrets {
			if queryInt(t, st.db, `SELECT count(*) FROM `+table+` r WHERE strpos(r::text, $1) > 0 OR strpos(r::text, $2) > 0`,
				s, hex.EncodeToString([]byte(s))) > 0 {
				where = append(where, table+" holds "+s)
			}
		}
	}
	return where
}

// snapshot returns the files of dir, but the lock file, with their
// contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".lock") {
			continue // holds the pid of its last holder
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

// TestMasterKeyNeverReplaced: on a database that holds sealed secrets, a
// missing key file, a wrong key in it and a wrong $HOOKLINE_SECRET_KEY each
// stop serve with exit 1 and a message that names the key file and the
// ways to give the key; no key is generated, no token printed, and no file
// changes. With the key back, serve starts and reads the secrets.
func TestMasterKeyNeverReplaced(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hookline.db")
	keyFile := db + ".key"
	url, out, stop := runServer(t, []string{"--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"}, nil)
	token := tokenRE.FindString(out.String())
	client := &http.Client{Timeout: 10 * time.Second}
	var app, ep struct{ ID string }
	if code, err := apiCall(client, "POST", url+"/api/v1/app", token, map[string]any{"name": "k"}, &app); err != nil || code != 201 {
		t.Fatalf("create app: %d %v", code, err)
	}
	if code, err := apiCall(client, "POST", url+"/api/v1/app/"+app.ID+"/endpoint", token,
		map[string]any{"url": "https://example.com/hook"}, &ep); err != nil || code != 201 {
		t.Fatalf("create endpoint: %d %v", code, err)
	}
	if code, err := apiCall(client, "POST", url+"/api/v1/app/"+app.ID+"/msg", token,
		map[string]any{"eventType": "a.b", "payload": map[string]any{}}, nil); err != nil || code != 202 {
		t.Fatalf("create message: %d %v", code, err)
	}
	stop()
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	wrong := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))

	for _, tc := range []struct {
		name    string
		keyFile string // the key file's content; "" for none
		env     map[string]string
		want    []string
	}{
		{"no key file", "", nil, []string{keyFile + " does not exist", "$HOOKLINE_SECRET_KEY", "--secret-key-file", "no new key is made"}},
		{"a wrong key file", wrong, nil, []string{"the master key from " + keyFile + " does not open", "$HOOKLINE_SECRET_KEY", "--secret-key-file"}},
		{"a wrong $HOOKLINE_SECRET_KEY", string(key), map[string]string{"HOOKLINE_SECRET_KEY": wrong},
			[]string{"the master key from $HOOKLINE_SECRET_KEY does not open", "--secret-key-file", "$HOOKLINE_PREVIOUS_SECRET_KEYS"}},
	} {
		os.Remove(keyFile)
		if tc.keyFile != "" {
			if err := os.WriteFile(keyFile, []byte(tc.keyFile), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		before := snapshot(t, dir)
		code, stdout, stderr := runCommand(t, tc.env, "serve", "--listen", "127.0.0.1:0", "--db", db)
		if code != 1 || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q; want 1 and nothing", tc.name, code, stdout)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: the error does not say %q: %s", tc.name, w, stderr)
			}
		}
		if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
			t.Errorf("%s: the refused start changed the files of %s", tc.name, dir)
		}
	}

	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	url, _, stop = runServer(t, []string{"--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"}, nil)
	defer stop()
	if code, err := apiCall(client, "GET", url+"/api/v1/app/"+app.ID+"/endpoint/"+ep.ID+"/secret", token, nil, nil); err != nil || code != 200 {
		t.Fatalf("the secret with the key back: %d %v", code, err)
	}
}

func TestBadSecretKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookline.db")
	for _, env := range []map[string]string{
		{"HOOKLINE_SECRET_KEY": "too-short"},
		{"HOOKLINE_SECRET_KEY_FILE": filepath.Join(t.TempDir(), "missing.key")},
	} {
		cfg, err := parseServeFlags([]string{"--listen", "127.0.0.1:0", "--db", db}, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if err := serve(context.Background(), cfg, nil, io.Discard, io.Discard); err == nil {
			t.Errorf("serve with %v started", env)
		}
	}
}

// exec runs query, with $1, $2... for its args, on the database of st, as
// someone with access to the database would, behind serve's back.
func (st testStore) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if strings.HasPrefix(st.db, "postgres") {
		pgtest.Exec(t, st.db, query, args...)
		return
	}
	db, err := sql.Open("sqlite", st.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(strings.ReplaceAll(query, "$", "?"), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestSealedSecretsThroughServe: through serve with a master key, on either
// store, an endpoint's custom headers and signing secret are in the
// database only sealed. A sealed secret copied by SQL into another
// tenant's endpoint does not open there, and a secret written there in
// clear once everything is sealed is refused: the API answers a 500 that
// names the problem, never the secret; no delivery is made with either,
// and the other tenants' deliveries go on (a due delivery to such an
// endpoint once stopped every delivery).
func TestSealedSecretsThroughServe(t *testing.T) {
	onEachStore(t, func(t *testing.T, st testStore) {
		const token = "hk_test_admin_token_0123456789abcdef"
		args := append([]string{"--listen", "127.0.0.1:0", "--log-level", "warn"}, st.args()...)
		base, _, stop := runServer(t, args, map[string]string{"HOOKLINE_ADMIN_TOKEN": token})
		s := &server{url: base, token: token}
		rc := newHookReceiver(t, nil)
		key := []byte("hookline-test-secret-bytes-0003") // 31 bytes, easy to spot
		secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
		const header = "Bearer hookline-test-header-0003"
		// An application with an endpoint to rc, made with body, and a
		// message to it due a little later (after the restart, below).
		tenant := func(app string, body map[string]any) (ep, msg string) {
			t.Helper()
			s.want(t, 201, "POST", "/api/v1/app", map[string]any{"name": app, "uid": app})
			body["url"] = rc.URL
			var out struct{ ID string }
			if err := json.Unmarshal([]byte(s.want(t, 201, "POST", "/api/v1/app/"+app+"/endpoint", body)), &out); err != nil {
				t.Fatal(err)
			}
			ep = out.ID
			later := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339)
			if err := json.Unmarshal([]byte(s.want(t, 202, "POST", "/api/v1/app/"+app+"/msg",
				map[string]any{"eventType": "e.x", "payload": map[string]any{}, "deliverAt": later})), &out); err != nil {
				t.Fatal(err)
			}
			return ep, out.ID
		}
		mine, mineMsg := tenant("mine", map[string]any{"secret": secret, "headers": map[string]string{"X-Api-Key": header}})
		copied, _ := tenant("theirs", map[string]any{})
		clear, _ := tenant("clear", map[string]any{})
		stop()
		if rc.count() != 0 {
			t.Fatal("a message was delivered before its deliverAt")
		}

		if where := storedInClear(t, st, header, secret, string(key)); len(where) > 0 {
			t.Errorf("in clear in the database: %q", where)
		}
		st.exec(t, `UPDATE endpoints SET secret = (SELECT secret FROM endpoints WHERE id = $1) WHERE id = $2`, mine, copied)
		st.exec(t, `UPDATE endpoints SET secret = $1 WHERE id = $2`, append([]byte{0}, key...), clear)

		o := startObserved(t, nil, st.args()...)
		s = o.server
		for app, ep := range map[string]string{"theirs": copied, "clear": clear} {
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/endpoint/" + ep + "/secret", ""},
				{"GET", "/endpoint/" + ep, ""},
				{"GET", "/endpoint", ""},
				{"POST", "/msg", `{"eventType": "e.x", "payload": {}}`},
			} {
				code, body := s.raw(t, req.method, "/api/v1/app/"+app+req.path, req.body)
				var e httpErrorBody
				if code != 500 || json.Unmarshal([]byte(body), &e) != nil || e.Code != "internal" ||
					!strings.Contains(e.Detail, "A secret stored for this entity cannot be read") {
					t.Errorf("%s %s of %s: %d %s, want 500 naming the unreadable secret", req.method, req.path, app, code, body)
				}
				if strings.Contains(body, secret) || strings.Contains(body, base64.StdEncoding.EncodeToString(key)) {
					t.Errorf("%s %s of %s shows the secret: %s", req.method, req.path, app, body)
				}
			}
			if len(o.logs.Lines("level=ERROR", "api request", "endpoint "+ep+", its secret")) == 0 {
				t.Errorf("no ERROR line of a request names %s's endpoint %s and its secret:\n%s", app, ep, o.logs)
			}
			// Its due message is left, not delivered, and not in the way.
			wait.For(t, "the claim of "+app+"'s message to be refused", func() bool {
				return len(o.logs.Lines("level=ERROR", "cannot be read; it waits for its lease to end", "endpoint_id="+ep)) > 0
			})
		}
		wait.For(t, "mine's message", func() bool { return rc.count() >= 1 })
		var next struct{ ID string }
		if err := json.Unmarshal([]byte(s.want(t, 202, "POST", "/api/v1/app/mine/msg",
			map[string]any{"eventType": "e.x", "payload": map[string]any{}})), &next); err != nil {
			t.Fatal(err)
		}
		wait.For(t, "mine's message sent after", func() bool { return rc.count() >= 2 })
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for i, id := range rc.ids {
			if id != mineMsg && id != next.ID {
				t.Errorf("delivered %s, not a message of mine, signed %s", id, rc.headers[i].Get("webhook-signature"))
			}
		}
	})
}

// httpErrorBody is the Svix error body of every status but 422.
type httpErrorBody struct{ Code, Detail string }
