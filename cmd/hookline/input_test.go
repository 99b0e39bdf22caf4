package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/postgres/pgtest"
)

// TestBadInputRefused: input that a store could not keep, that could never
// be delivered, or that a careless client sends by mistake, gets a 422 in
// the Svix error shape from a real serve on either store, and changes
// nothing. (On PostgreSQL a NUL in a name was a 500.)
func TestBadInputRefused(t *testing.T) {
	onEachStore(t, func(t *testing.T, st testStore) {
		s := startServer(t, st.args()...)
		call := func(method, path, body string) (int, string) {
			t.Helper()
			return s.raw(t, method, path, body)
		}
		if code, body := call("POST", "/api/v1/app", `{"name": "Acme", "uid": "acme"}`); code != 201 {
			t.Fatalf("create app: %d %s", code, body)
		}
		code, body := call("POST", "/api/v1/app/acme/endpoint", `{"url": "http://127.0.0.1:9/", "uid": "ep"}`)
		if code != 201 {
			t.Fatalf("create endpoint: %d %s", code, body)
		}
		after := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
		for _, tc := range []struct{ name, method, path, body string }{
			{"NUL in a name", "POST", "/api/v1/app", `{"name": "a\u0000b"}`},
			{"NUL in metadata", "POST", "/api/v1/app", `{"name": "b", "metadata": {"k": "\u0000"}}`},
			{"NUL in a metadata key", "PATCH", "/api/v1/app/acme", `{"metadata": {"\u0000": "v"}}`},
			{"NUL in a description", "POST", "/api/v1/app/acme/endpoint", `{"url": "http://127.0.0.1:9/", "description": "x\u0000"}`},
			{"NUL in an event type", "POST", "/api/v1/event-type", `{"name": "e.x", "description": "\u0000"}`},
			{"a control character in a header", "POST", "/api/v1/app/acme/endpoint",
				`{"url": "http://127.0.0.1:9/", "headers": {"X-Key": "a\u0001b"}}`},
			{"DEL in a header", "PATCH", "/api/v1/app/acme/endpoint/ep/headers", `{"headers": {"X-Key": "a\u007fb"}}`},
			{"no headers field", "PUT", "/api/v1/app/acme/endpoint/ep/headers", `{}`},
			{"a payload that is not UTF-8", "POST", "/api/v1/app/acme/msg", "{\"eventType\": \"e.x\", \"payload\": {\"a\": \"\xff\"}}"},
			{"a payload that is not UTF-8, the slow way", "POST", "/api/v1/app/acme/msg",
				"{\"eventType\": \"e\\u002ex\", \"payload\": {\"a\": \"\xc3\"}}"},
			{"a lone surrogate in a payload", "POST", "/api/v1/app/acme/msg", `{"eventType": "e.x", "payload": {"a": "\ud800"}}`},
			{"a lone surrogate in a payload, the slow way", "POST", "/api/v1/app/acme/msg",
				`{"eventType": "e\u002ex", "payload": {"a": "\ude00\ud83d"}}`},
			{"a lone surrogate in a JSON rawPayload", "POST", "/api/v1/app/acme/msg",
				`{"eventType": "e.x", "payload": {}, "transformationsParams": {"rawPayload": "{\"a\": \"\\udfff\"}"}}`},
			{"a lone surrogate in a schema", "POST", "/api/v1/event-type", `{"name": "e.y", "schemas": {"1": {"description": "\ud800"}}}`},
			{"NUL in a schema", "POST", "/api/v1/event-type", `{"name": "e.z", "schemas": {"1": {"description": "a\u0000b"}}}`},
			{"deliverAt after the retention", "POST", "/api/v1/app/acme/msg",
				`{"eventType": "e.x", "payload": {}, "deliverAt": "` + after(365*24*time.Hour) + `"}`},
			// Within the longest retention, after the message's own.
			{"deliverAt after payloadRetentionHours", "POST", "/api/v1/app/acme/msg",
				`{"eventType": "e.x", "payload": {}, "payloadRetentionHours": 1, "deliverAt": "` + after(2*time.Hour) + `"}`},
			{"deliverAt after payloadRetentionPeriod", "POST", "/api/v1/app/acme/msg",
				`{"eventType": "e.x", "payload": {}, "payloadRetentionPeriod": 5, "deliverAt": "` + after(6*24*time.Hour) + `"}`},
			{"NUL in a source's name", "POST", "/ingest/api/v1/source", `{"name": "s\u0000x", "type": "generic-webhook"}`},
			{"NUL in a source's metadata", "POST", "/ingest/api/v1/source",
				`{"name": "sx", "type": "generic-webhook", "metadata": {"a": "\u0000"}}`},
		} {
			code, body := call(tc.method, tc.path, tc.body)
			var e struct {
				Detail []struct{ Loc []string }
			}
			if code != 422 || json.Unmarshal([]byte(body), &e) != nil || len(e.Detail) == 0 {
				t.Errorf("%s: %d %s, want 422 in the Svix shape", tc.name, code, body)
			} else if strings.Contains(tc.body, `"deliverAt"`) && !slices.Contains(e.Detail[0].Loc, "deliverAt") {
				t.Errorf("%s: %s, want a refusal of deliverAt", tc.name, body)
			}
		}

		// Nothing changed.
		for _, check := range []struct{ path, want string }{
			{"/api/v1/app", `"uid":"acme"`},
			{"/api/v1/app/acme", `"metadata":{}`},
			{"/api/v1/app/acme/endpoint/ep/headers", `"headers":{}`},
			{"/api/v1/app/acme/msg", `"data":[]`},
			{"/api/v1/event-type", `"data":[]`},
		} {
			if code, body := call("GET", check.path, ""); code != 200 || !strings.Contains(body, check.want) {
				t.Errorf("GET %s: %d %s, want %s", check.path, code, body, check.want)
			}
		}
		if _, body := call("GET", "/ingest/api/v1/source", ""); strings.Count(body, `"id":`) != 0 {
			t.Errorf("sources: %s, want none", body)
		}
		// An id in the path that no store can keep is not found, alike
		// on both stores.
		for _, path := range []string{"/api/v1/app/a%00b", "/api/v1/app/a%FFb", "/api/v1/app/acme/endpoint/e%00p",
			"/ingest/api/v1/source/s%00x", "/api/v1/event-type/e%00x"} {
			if code, body := call("GET", path, ""); code != 404 {
				t.Errorf("GET %s: %d %s, want 404", path, code, body)
			}
		}
		if _, body := call("GET", "/api/v1/app", ""); strings.Count(body, `"id":`) != 1 {
			t.Errorf("applications: %s, want the one made", body)
		}
		if _, body := call("GET", "/api/v1/app/acme/endpoint", ""); strings.Count(body, `"id":`) != 1 {
			t.Errorf("endpoints: %s, want the one made", body)
		}
	})
}

// testStore is a store a test runs serve on, with a master key.
type testStore struct {
	db    string   // what --db names: a SQLite file, or a PostgreSQL schema's URL
	flags []string // the other flags it needs: the master key's file on PostgreSQL (SQLite's is beside its file)
}

// args returns the flags of serve that choose the store.
func (st testStore) args() []string { return append([]string{"--db", st.db}, st.flags...) }

// onEachStore runs f on SQLite and on PostgreSQL (skipped without
// HOOKLINE_TEST_POSTGRES).
func onEachStore(t *testing.T, f func(t *testing.T, st testStore)) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			st := testStore{db: filepath.Join(t.TempDir(), "hookline.db")}
			if db == "postgres" {
				_, st.db = pgtest.Schema(t)
				key, err := base64.StdEncoding.DecodeString(testMasterKey)
				if err != nil {
					t.Fatal(err)
				}
				st.flags = []string{"--secret-key-file", writeKeyFile(t, key)}
			}
			f(t, st)
		})
	}
}

// raw sends body, as it is, to path of s with the admin token, and returns
// the status and the body of the answer.
func (s *server) raw(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// want sends body, in JSON, to path of s with the admin token, fails t
// unless the answer has the status want, and returns its body.
func (s *server) want(t *testing.T, want int, method, path string, body any) string {
	t.Helper()
	var in []byte
	if body != nil {
		var err error
		if in, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	code, out := s.raw(t, method, path, string(in))
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, code, out, want)
	}
	return out
}
