package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlite"
	"github.com/hookline/hookline/storetest"
)

func open(t *testing.T, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hookline.Store {
		return open(t, filepath.Join(t.TempDir(), "hookline.db"))
	})
}

func TestStoreWithSecretKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	storetest.Run(t, func(t *testing.T) hookline.Store {
		return open(t, filepath.Join(t.TempDir(), "hookline.db"), sqlite.WithSecretKey(key))
	})
}

func TestStoreSecretKey(t *testing.T) { storetest.RunSecretKey(t, sealedDB) }

func TestMigrations(t *testing.T) { storetest.RunMigrations(t, sealedDB) }

// sealedDB is a new database file for the storetest runners that change
// and read it by hand.
func sealedDB(t *testing.T) storetest.SealedDB {
	path := filepath.Join(t.TempDir(), "hookline.db")
	return storetest.SealedDB{
		Open: func(t *testing.T, key []byte, previous ...[]byte) hookline.Store {
			return open(t, path, sqlite.WithSecretKey(key, previous...))
		},
		Exec: func(t *testing.T, query string, args ...any) {
			db := rawDB(t, path)
			defer db.Close()
			if _, err := db.Exec(numbered(query), args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
		Column: func(t *testing.T, query string, args ...any) [][]byte {
			db := rawDB(t, path)
			defer db.Close()
			rows, err := db.Query(numbered(query), args...)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			defer rows.Close()
			var col [][]byte
			for rows.Next() {
				var v []byte
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				col = append(col, v)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return col
		},
		Downgrade: func(t *testing.T, version int64) {
			db := rawDB(t, path)
			defer db.Close()
			if err := sqlite.MigrateDownTo(t.Context(), db, version); err != nil {
				t.Fatal(err)
			}
		},
		Tables: func(s hookline.Store) hookline.SealedTables { return sqlite.SealedTables(s.(*sqlite.Store)) },
	}
}

// rawDB opens the database file at path with database/sql, bypassing the
// Store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// numbered writes the parameters $1, $2... of query as SQLite's ?1, ?2...
func numbered(query string) string {
	return regexp.MustCompile(`\$([0-9]+)`).ReplaceAllString(query, "?$1")
}

func TestDurability(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hookline.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	app := &hookline.Application{Name: "durable"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	ep := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com"}
	if err := s.CreateEndpoint(ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	msg := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{"a":1}`)}
	if n, err := s.CreateMessage(ctx, msg); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.CreateMessage(ctx, msg); hookline.ErrorCode(err) != hookline.EUNAVAILABLE {
		t.Fatalf("CreateMessage after Close: %v", err)
	}

	s = open(t, path)
	got, err := s.Message(ctx, app.ID, msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Payload) != `{"a":1}` {
		t.Fatalf("payload %s", got.Payload)
	}
	tasks, err := s.ClaimDue(ctx, "w", time.Now().Add(time.Minute), time.Minute, 10)
	if err != nil || len(tasks) != 1 || tasks[0].Message.ID != msg.ID || string(tasks[0].Endpoint.Secret) != string(ep.Secret) {
		t.Fatalf("after reopen: %d tasks, %v", len(tasks), err)
	}
}

func TestSecretKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hookline.db")
	key := []byte("0123456789abcdef0123456789abcdef")
	s, err := sqlite.Open(ctx, path, sqlite.WithSecretKey(key))
	if err != nil {
		t.Fatal(err)
	}
	app := &hookline.Application{Name: "a"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	secret := []byte("a-very-recognisable-secret-value")
	ep := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com", Secret: secret}
	if err := s.CreateEndpoint(ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), string(secret)) {
		t.Fatal("the secret is stored in the clear")
	}
	if _, err := sqlite.Open(ctx, path, sqlite.WithSecretKey([]byte("short"))); err == nil {
		t.Fatal("a short key was accepted")
	}
	s = open(t, path)
	if _, err := s.Endpoint(ctx, app.ID, ep.ID); err == nil {
		t.Fatal("an encrypted secret was read without the key")
	}
	s.Close()
	s = open(t, path, sqlite.WithSecretKey(key))
	got, err := s.Endpoint(ctx, app.ID, ep.ID)
	if err != nil || string(got.Secret) != string(secret) {
		t.Fatalf("secret %q, %v", got.Secret, err)
	}
}

func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "hookline.db"))
	app := &hookline.Application{Name: "a"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "https://example.com"}, 0); err != nil {
		t.Fatal(err)
	}
	const workers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	ids := make(chan string, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)}
				if i%5 == 0 {
					// Some conflict with each other: exactly one of a pair wins,
					// and the loser does not fail its batch.
					m.EventID = ptrTo(fmt.Sprintf("evt-%d", (w/2)*each+i))
				}
				n, err := s.CreateMessage(ctx, m)
				if err != nil {
					if hookline.ErrorCode(err) != hookline.ECONFLICT {
						errs <- err
					}
					continue
				}
				if n != 1 {
					errs <- fmt.Errorf("%d deliveries", n)
				}
				ids <- m.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	conflicts := workers / 2 * (each / 5)
	if len(want) != workers*each-conflicts {
		t.Fatalf("%d messages accepted, want %d", len(want), workers*each-conflicts)
	}
	seen := 0
	it := ""
	for {
		p, err := s.ListMessages(ctx, app.ID, hookline.MessageFilter{ListOptions: hookline.ListOptions{Limit: 250, Iterator: it}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Items {
			if !want[m.ID] {
				t.Fatalf("unexpected message %s", m.ID)
			}
			seen++
		}
		if p.Done {
			break
		}
		it = p.Items[len(p.Items)-1].ID
	}
	if seen != len(want) {
		t.Fatalf("%d messages visible, want %d", seen, len(want))
	}
	tasks, err := s.ClaimDue(ctx, "w", time.Now().Add(time.Minute), time.Minute, 5000)
	if err != nil || len(tasks) != len(want) {
		t.Fatalf("%d deliveries due, want %d (%v)", len(tasks), len(want), err)
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookline.db")
	junk := []byte(strings.Repeat("this is not a database at all. ", 200))
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(context.Background(), path)
	if err == nil {
		t.Fatal("opened a file that is not a database")
	}
	if !strings.Contains(err.Error(), "not a Hookline database or is corrupt") || !strings.Contains(err.Error(), path) {
		t.Fatalf("unclear error: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := sqlite.Open(context.Background(), dir); err == nil {
		t.Fatal("opened a directory")
	}
	_, err := sqlite.Open(context.Background(), filepath.Join(dir, "no", "such", "dir", "x.db"))
	if err == nil {
		t.Fatal("opened a file in a missing directory")
	}
	if hookline.ErrorCode(err) != hookline.EUNAVAILABLE {
		t.Fatalf("missing directory: %v (code %s)", err, hookline.ErrorCode(err))
	}
}

// TestReadCacheSeesChanges checks the application and token caches never
// answer with what a later write changed or deleted.
func TestReadCacheSeesChanges(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	uid := "cached"
	app := &hookline.Application{ID: hookline.NewID(hookline.PrefixApplication), UID: &uid, Name: "one",
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	got, err := s.Application(ctx, "cached") // now cached
	if err != nil || got.Name != "one" {
		t.Fatalf("%+v %v", got, err)
	}
	got.Name = "changed by the caller" // must not reach the cache
	if again, _ := s.Application(ctx, "cached"); again.Name != "one" {
		t.Fatalf("the cache shares memory with callers: %q", again.Name)
	}
	app.Name = "two"
	if err := s.UpdateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Application(ctx, "cached"); got.Name != "two" {
		t.Fatalf("stale application after an update: %q", got.Name)
	}

	tok := &hookline.Token{ID: hookline.NewID(hookline.PrefixToken), Hash: []byte("0123456789abcdef0123456789abcdef"),
		AppID: app.ID, CreatedAt: time.Now()}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, tok.Hash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, tok.Hash); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		t.Fatalf("a deleted token is still found: %v", err)
	}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, tok.Hash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteApplication(ctx, app.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Application(ctx, "cached"); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		t.Fatalf("a deleted application is still found: %v", err)
	}
	if _, err := s.TokenByHash(ctx, tok.Hash); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		t.Fatalf("a token of a deleted application is still found: %v", err)
	}
}
