package storetest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// Opener opens a Store on one database, the same one at every call, with
// the master key key (nil: none) and the previous keys. The caller closes
// each Store it gets before it asks for the next.
type Opener func(t *testing.T, key []byte, previous ...[]byte) hookline.Store

// A SealedDB is one database, new and empty, for RunSecretKey: Open opens
// stores on it; Exec and Column change and read it by hand, as someone who
// can write to the database, but has not the master key, could. Exec and
// Column are called while no Store of the database is open; their
// statements number their parameters $1, $2...
type SealedDB struct {
	Open Opener
	// Exec runs query with args.
	Exec func(t *testing.T, query string, args ...any)
	// Column returns the first column of the rows query selects, each
	// value as its bytes (nil for NULL).
	Column func(t *testing.T, query string, args ...any) [][]byte
	// Downgrade undoes the migrations the database had after version
	// (goose down), so that it is as that version left it.
	Downgrade func(t *testing.T, version int64)
	// Tables returns the SealedTables of s, a store Open returned: what
	// its CheckSecretKey, Reseal and Open give hookline's CheckSeals,
	// Reseal and UpgradeSeals.
	Tables func(s hookline.Store) hookline.SealedTables
}

// RunSecretKey checks how stores seal secrets under a master key, those of
// endpoints and of sources, each test on a database of its own that newDB
// makes: CheckSecretKey, which keys open what (current or previous); that
// each secret opens only in its cell and a secret in clear is refused once
// a store with a key sealed everything, and that a claim sets aside a
// delivery to an endpoint whose secret does not open; that a store opened with a key
// seals the secrets of earlier forms (in clear, or sealed without their
// cell) first, and writes nothing when its key does not open them; that a
// store without a key marks the database when it writes secrets in clear;
// and Reseal.
func RunSecretKey(t *testing.T, newDB func(t *testing.T) SealedDB) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, db SealedDB)
	}{
		{"Check", testCheckSecretKey},
		{"CheckSource", testCheckSourceKey},
		{"Cell", testSecretCell},
		{"Clear", testSecretInClear},
		{"Claim", testSecretClaim},
		{"Upgrade", testSealUpgrade},
		{"UpgradeWrongKey", testSealUpgradeWrongKey},
		{"WithoutKey", testSealWithoutKey},
		{"SourceWithoutKey", testSourceWithoutKey},
		{"SourcesMarked", testSourcesMarked},
		{"Reseal", testReseal},
		{"ResealRace", testResealRace},
	} {
		t.Run("SecretKey/"+tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newDB(t))
		})
	}
}

var (
	key1 = bytes.Repeat([]byte{1}, hookline.SecretKeyLen)
	key2 = bytes.Repeat([]byte{2}, hookline.SecretKeyLen)
)

func testCheckSecretKey(t *testing.T, db SealedDB) {
	open := db.Open
	check := func(key []byte, previous [][]byte, wantErr bool, what string) {
		t.Helper()
		s := open(t, key, previous...)
		defer s.Close()
		err := s.CheckSecretKey(ctx(t))
		switch {
		case wantErr && !errors.Is(err, hookline.ErrSecretKey):
			t.Fatalf("%s: CheckSecretKey = %v, want ErrSecretKey", what, err)
		case !wantErr && err != nil:
			t.Fatalf("%s: CheckSecretKey = %v, want nil", what, err)
		}
	}
	check(nil, nil, false, "an empty store, no key")
	check(key1, nil, false, "an empty store, a key")

	s := open(t, nil)
	a := newApp(t, s)
	must(t, s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: a.ID, URL: "https://plain.example.com/hook"}, 0), "CreateEndpoint without a key")
	must(t, s.Close(), "Close")
	check(nil, nil, false, "plain secrets, no key")
	check(key1, nil, false, "plain secrets, a key")

	s = open(t, key1)
	sealed := &hookline.Endpoint{AppID: a.ID, URL: "https://user:pass@sealed.example.com/hook"}
	must(t, s.CreateEndpoint(ctx(t), sealed, 0), "CreateEndpoint under key1")
	must(t, s.Close(), "Close")
	check(key1, nil, false, "secrets sealed under key1, key1")
	check(nil, nil, true, "secrets sealed under key1, no key")
	check(key2, nil, true, "secrets sealed under key1, key2")
	check(key2, [][]byte{key1}, false, "secrets sealed under key1, key2 with key1 as the previous key")

	s = open(t, key1)
	defer s.Close()
	got, err := s.Endpoint(ctx(t), a.ID, sealed.ID)
	must(t, err, "Endpoint after the checks")
	if !bytes.Equal(got.Secret, sealed.Secret) || got.URL != sealed.URL {
		t.Fatal("the checks changed the sealed endpoint")
	}
}

// testCheckSourceKey: CheckSecretKey opens sources' secrets too; in a
// database where only a source holds secrets sealed under key1, a store
// with another key, or none, is told so and changes nothing.
func testCheckSourceKey(t *testing.T, db SealedDB) {
	s := db.Open(t, key1)
	src := newSource(t, s)
	must(t, s.Close(), "Close")
	before := db.Column(t, `SELECT config FROM ingest_sources`)
	for _, tc := range []struct {
		key      []byte
		previous [][]byte
		wantErr  bool
		what     string
	}{
		{key1, nil, false, "key1"},
		{nil, nil, true, "no key"},
		{key2, nil, true, "key2"},
		{key2, [][]byte{key1}, false, "key2 with key1 as the previous key"},
	} {
		s := db.Open(t, tc.key, tc.previous...)
		err := s.CheckSecretKey(ctx(t))
		switch {
		case tc.wantErr && (!errors.Is(err, hookline.ErrSecretKey) || !strings.Contains(err.Error(), src.ID)):
			t.Errorf("a source sealed under key1, %s: CheckSecretKey = %v, want ErrSecretKey naming %s", tc.what, err, src.ID)
		case !tc.wantErr && err != nil:
			t.Errorf("a source sealed under key1, %s: CheckSecretKey = %v, want nil", tc.what, err)
		}
		must(t, s.Close(), "Close")
	}
	if after := db.Column(t, `SELECT config FROM ingest_sources`); !equalBytes(after, before) {
		t.Fatal("the checks changed the source")
	}
}

// sealedColumns are the columns of endpoints that hold sealed secrets;
// sourceColumns those of ingest_sources.
var (
	sealedColumns = []string{"secret", "previous_secrets", "url_sealed", "mtls", "oauth", "headers_sealed"}
	sourceColumns = []string{"config", "token"}
)

// secretSource creates a source whose config holds every kind of secret a
// source has.
func secretSource(t *testing.T, s hookline.Store) *hookline.Source {
	t.Helper()
	return newSource(t, s, func(src *hookline.Source) {
		src.Type = hookline.SourceGeneric
		src.Config = hookline.SourceConfig{
			BasicAuth:  &hookline.SourceBasicAuth{Username: "u", Password: uniq("pass-")},
			HeaderAuth: &hookline.SourceHeaderAuth{Header: "X-API-Key", Value: uniq("key-")},
			HMAC:       &hookline.SourceHMAC{Secret: uniq("hmac-"), Header: "X-Sig"},
		}
	})
}

// wantSources fails t unless a store with key reads each source as it was
// written.
func wantSources(t *testing.T, db SealedDB, sources []*hookline.Source, what string, key []byte, previous ...[]byte) {
	t.Helper()
	s := db.Open(t, key, previous...)
	defer s.Close()
	for _, src := range sources {
		got, err := s.Source(ctx(t), src.ID)
		must(t, err, what+": Source")
		same(t, got, src, what+": source")
	}
}

// twoTenants makes two applications with an endpoint each, every secret
// set, under key1, and returns the endpoints.
func twoTenants(t *testing.T, db SealedDB) (mine, theirs *hookline.Endpoint) {
	t.Helper()
	s := db.Open(t, key1)
	defer s.Close()
	mine = FullAuthEndpoint(t, newApp(t, s).ID, "mine")
	theirs = FullAuthEndpoint(t, newApp(t, s).ID, "theirs")
	must(t, s.CreateEndpoint(ctx(t), mine, 0), "CreateEndpoint")
	must(t, s.CreateEndpoint(ctx(t), theirs, 0), "CreateEndpoint")
	return mine, theirs
}

// wantUnreadable fails t unless reading ep, and listing its application's
// endpoints, fails with want, while CheckSecretKey passes (the key is
// right) and other reads as other was written.
func wantUnreadable(t *testing.T, db SealedDB, ep, other *hookline.Endpoint, want error, what string) {
	t.Helper()
	s := db.Open(t, key1)
	defer s.Close()
	if _, err := s.Endpoint(ctx(t), ep.AppID, ep.ID); !errors.Is(err, want) {
		t.Errorf("%s: Endpoint = %v, want %v", what, err, want)
	}
	if _, err := s.ListEndpoints(ctx(t), ep.AppID, hookline.ListOptions{Limit: 10}); !errors.Is(err, want) {
		t.Errorf("%s: ListEndpoints = %v, want %v", what, err, want)
	}
	if err := s.CheckSecretKey(ctx(t)); err != nil {
		t.Errorf("%s: CheckSecretKey = %v, want nil: the key is right", what, err)
	}
	got, err := s.Endpoint(ctx(t), other.AppID, other.ID)
	must(t, err, what+": Endpoint of the other")
	same(t, got, other, what+": the other endpoint")
}

// testSecretCell copies each sealed secret of one tenant's endpoint into
// another tenant's, and across columns: none opens there.
func testSecretCell(t *testing.T, db SealedDB) {
	mine, theirs := twoTenants(t, db)
	for _, col := range sealedColumns {
		before := db.Column(t, `SELECT `+col+` FROM endpoints WHERE id = $1`, mine.ID)[0]
		db.Exec(t, `UPDATE endpoints SET `+col+` = (SELECT `+col+` FROM endpoints WHERE id = $1) WHERE id = $2`, theirs.ID, mine.ID)
		wantUnreadable(t, db, mine, theirs, hookline.ErrSecretAltered, "their "+col+" in my row")
		db.Exec(t, `UPDATE endpoints SET `+col+` = $1 WHERE id = $2`, before, mine.ID)
	}
	// From one column into another of the same row.
	db.Exec(t, `UPDATE endpoints SET mtls = oauth WHERE id = $1`, mine.ID)
	wantUnreadable(t, db, mine, theirs, hookline.ErrSecretAltered, "oauth as mtls")
}

// testSecretInClear writes secrets in clear, by hand, into a database
// whose secrets a store with a key sealed: they are refused.
func testSecretInClear(t *testing.T, db SealedDB) {
	mine, theirs := twoTenants(t, db)
	for _, col := range sealedColumns {
		before := db.Column(t, `SELECT `+col+` FROM endpoints WHERE id = $1`, mine.ID)[0]
		db.Exec(t, `UPDATE endpoints SET `+col+` = $1 WHERE id = $2`, append([]byte{0}, `{"a":"b"}`...), mine.ID)
		wantUnreadable(t, db, mine, theirs, hookline.ErrSecretForm, col+" in clear")
		db.Exec(t, `UPDATE endpoints SET `+col+` = $1 WHERE id = $2`, before, mine.ID)
	}
	db.Exec(t, `UPDATE endpoints SET headers_sealed = NULL, headers = $1 WHERE id = $2`, `{"X-Planted":"v"}`, mine.ID)
	wantUnreadable(t, db, mine, theirs, hookline.ErrSecretForm, "headers in the column of clear headers")
}

// testSecretClaim: a due delivery to an endpoint whose secret does not open
// is set aside by a claim, which returns the others: it neither fails the
// claim (it once stopped every delivery) nor comes back before its lease
// ends.
func testSecretClaim(t *testing.T, db SealedDB) {
	mine, theirs := twoTenants(t, db)
	s := db.Open(t, key1)
	newMessage(t, s, mine.AppID, "x")
	newMessage(t, s, theirs.AppID, "x")
	s.Close()
	db.Exec(t, `UPDATE endpoints SET secret = (SELECT secret FROM endpoints WHERE id = $1) WHERE id = $2`, theirs.ID, mine.ID)
	s = db.Open(t, key1)
	defer s.Close()
	at := later()
	tasks := claim(t, s, "w", at)
	if len(tasks) != 1 || tasks[0].Endpoint.ID != theirs.ID {
		t.Fatalf("claimed %d tasks, want the one to %s alone", len(tasks), theirs.ID)
	}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(tasks[0], hookline.StatusSuccess, 200)}), "Complete")
	for _, now := range []time.Time{at, at.Add(2 * time.Minute)} { // within the lease, and after it
		if tasks := claim(t, s, "w", now); len(tasks) != 0 {
			t.Fatalf("claimed %d tasks at %v, want none: the one left cannot be read", len(tasks), now)
		}
	}
}

// SealUnbound seals secret under key in the form versions before cells
// wrote: 1 || nonce || AES-256-GCM(secret), without associated data. Tests
// of databases of earlier versions write it.
func SealUnbound(t *testing.T, key, secret []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 1+aead.NonceSize())
	out[0] = 1
	if _, err := rand.Read(out[1:]); err != nil {
		t.Fatal(err)
	}
	return aead.Seal(out, out[1:], secret, nil)
}

// legacyDB writes, by hand, endpoints and sources in the forms earlier
// versions left: an endpoint all in clear with its headers in the column of
// clear headers, and one sealed without cells under key1 with its headers
// in clear too; a source in clear and one sealed without cells under key1;
// and marks the database as holding them, as the migration does. It
// returns them as they read.
func legacyDB(t *testing.T, db SealedDB) (plain, unbound *hookline.Endpoint, sources []*hookline.Source) {
	t.Helper()
	s := db.Open(t, nil)
	plain = FullAuthEndpoint(t, newApp(t, s).ID, "plain")
	unbound = FullAuthEndpoint(t, newApp(t, s).ID, "unbound")
	must(t, s.CreateEndpoint(ctx(t), plain, 0), "CreateEndpoint")
	must(t, s.CreateEndpoint(ctx(t), unbound, 0), "CreateEndpoint")
	sources = []*hookline.Source{secretSource(t, s), secretSource(t, s)}
	must(t, s.Close(), "Close")
	for _, col := range sourceColumns {
		v := db.Column(t, `SELECT `+col+` FROM ingest_sources WHERE id = $1`, sources[1].ID)[0]
		if v[0] != 0 {
			t.Fatalf("a store without a key wrote the source's %s in form %d", col, v[0])
		}
		db.Exec(t, `UPDATE ingest_sources SET `+col+` = $1 WHERE id = $2`, SealUnbound(t, key1, v[1:]), sources[1].ID)
	}
	for _, ep := range []*hookline.Endpoint{plain, unbound} {
		headers, err := json.Marshal(ep.Headers)
		must(t, err, "headers")
		db.Exec(t, `UPDATE endpoints SET headers = $1, headers_sealed = NULL WHERE id = $2`, string(headers), ep.ID)
	}
	for _, col := range sealedColumns[:5] {
		v := db.Column(t, `SELECT `+col+` FROM endpoints WHERE id = $1`, unbound.ID)[0]
		if v == nil {
			continue
		}
		if v[0] != 0 {
			t.Fatalf("a store without a key wrote %s in form %d", col, v[0])
		}
		db.Exec(t, `UPDATE endpoints SET `+col+` = $1 WHERE id = $2`, SealUnbound(t, key1, v[1:]), unbound.ID)
	}
	db.Exec(t, `UPDATE sealed_format SET legacy = true`)
	return plain, unbound, sources
}

// wantBound fails t unless every secret of the database, endpoints' and
// sources', is sealed bound to its cell (form 2), no headers are left in clear, and the database is no
// longer marked as holding older forms.
func wantBound(t *testing.T, db SealedDB, what string) {
	t.Helper()
	for _, col := range sealedColumns {
		for _, v := range db.Column(t, `SELECT `+col+` FROM endpoints`) {
			if v != nil && v[0] != 2 {
				t.Errorf("%s: a value of %s is in form %d", what, col, v[0])
			}
		}
	}
	for _, col := range sourceColumns {
		for _, v := range db.Column(t, `SELECT `+col+` FROM ingest_sources`) {
			if v[0] != 2 {
				t.Errorf("%s: a source's %s is in form %d", what, col, v[0])
			}
		}
	}
	for _, v := range db.Column(t, `SELECT headers FROM endpoints WHERE headers IS NOT NULL`) {
		t.Errorf("%s: headers left in clear: %s", what, v)
	}
	if mark := db.Column(t, `SELECT CASE WHEN legacy THEN 'legacy' ELSE 'bound' END FROM sealed_format`); string(mark[0]) != "bound" {
		t.Errorf("%s: the database is still marked %s", what, mark[0])
	}
}

// testSealUpgrade: a store opened with its key on a database of earlier
// forms reads them, having sealed them all bound to their cells; from then
// on a secret in clear, or sealed without its cell, is refused.
func testSealUpgrade(t *testing.T, db SealedDB) {
	plain, unbound, sources := legacyDB(t, db)
	s := db.Open(t, key1)
	for _, ep := range []*hookline.Endpoint{plain, unbound} {
		got, err := s.Endpoint(ctx(t), ep.AppID, ep.ID)
		must(t, err, "Endpoint after the upgrade")
		same(t, got, ep, "endpoint after the upgrade")
	}
	must(t, s.Close(), "Close")
	wantBound(t, db, "after the upgrade")
	wantSources(t, db, sources, "after the upgrade", key1)

	// What earlier versions wrote is refused now.
	db.Exec(t, `UPDATE endpoints SET oauth = $1 WHERE id = $2`, SealUnbound(t, key1, []byte(`{}`)), unbound.ID)
	wantUnreadable(t, db, unbound, plain, hookline.ErrSecretForm, "a setting sealed without its cell, after the upgrade")
	config := db.Column(t, `SELECT config FROM ingest_sources WHERE id = $1`, sources[0].ID)[0]
	db.Exec(t, `UPDATE ingest_sources SET config = $1 WHERE id = $2`, SealUnbound(t, key1, []byte(`{}`)), sources[0].ID)
	s = db.Open(t, key1)
	if _, err := s.Source(ctx(t), sources[0].ID); !errors.Is(err, hookline.ErrSecretForm) {
		t.Errorf("a source's config sealed without its cell, after the upgrade: Source = %v, want ErrSecretForm", err)
	}
	must(t, s.Close(), "Close")
	db.Exec(t, `UPDATE ingest_sources SET config = $1 WHERE id = $2`, config, sources[0].ID)
}

// testSealUpgradeWrongKey: a store opened with a key that does not open
// the secrets of earlier forms writes nothing, its CheckSecretKey fails,
// and with the right key the upgrade happens.
func testSealUpgradeWrongKey(t *testing.T, db SealedDB) {
	plain, unbound, sources := legacyDB(t, db)
	dump := func() [][]byte {
		var all [][]byte
		for _, col := range append(sealedColumns, "headers") {
			all = append(all, db.Column(t, `SELECT `+col+` FROM endpoints ORDER BY id`)...)
		}
		for _, col := range sourceColumns {
			all = append(all, db.Column(t, `SELECT `+col+` FROM ingest_sources ORDER BY id`)...)
		}
		return append(all, db.Column(t, `SELECT CASE WHEN legacy THEN 'legacy' ELSE 'bound' END FROM sealed_format`)...)
	}
	before := dump()
	s := db.Open(t, key2)
	if err := s.CheckSecretKey(ctx(t)); !errors.Is(err, hookline.ErrSecretKey) || !strings.Contains(err.Error(), unbound.ID) {
		t.Fatalf("CheckSecretKey with the wrong key = %v, want ErrSecretKey naming %s", err, unbound.ID)
	}
	must(t, s.Close(), "Close")
	if after := dump(); !equalBytes(after, before) {
		t.Fatal("a store opened with the wrong key changed the secrets")
	}
	s = db.Open(t, key2, key1)
	got, err := s.Endpoint(ctx(t), plain.AppID, plain.ID)
	must(t, err, "Endpoint with the key as a previous one")
	same(t, got, plain, "endpoint")
	must(t, s.Close(), "Close")
	wantBound(t, db, "after the upgrade with the previous key")
	// Sealed under the current key: it opens alone.
	wantSources(t, db, sources, "after the upgrade with the previous key", key2)
	s = db.Open(t, key2)
	defer s.Close()
	must(t, s.CheckSecretKey(ctx(t)), "CheckSecretKey with the current key alone")
}

func equalBytes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// testSealWithoutKey: a store without a key, on a database that a store
// with a key sealed (which holds no sealed secret yet), writes secrets in
// clear and marks the database so; the next store with a key seals them.
func testSealWithoutKey(t *testing.T, db SealedDB) {
	s := db.Open(t, key1)
	a := newApp(t, s)
	must(t, s.Close(), "Close")
	wantBound(t, db, "a new database opened with a key")

	s = db.Open(t, nil)
	ep := FullAuthEndpoint(t, a.ID, "nokey")
	must(t, s.CreateEndpoint(ctx(t), ep, 0), "CreateEndpoint without a key")
	must(t, s.Close(), "Close")
	if v := db.Column(t, `SELECT secret FROM endpoints WHERE id = $1`, ep.ID)[0]; v[0] != 0 {
		t.Fatalf("a store without a key wrote the secret in form %d", v[0])
	}

	s = db.Open(t, key1)
	got, err := s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint with a key")
	same(t, got, ep, "endpoint written without a key")
	must(t, s.Close(), "Close")
	wantBound(t, db, "reopened with a key")
}

// testSourceWithoutKey: a store without a key that writes a source (and
// nothing else), created or updated, writes its secrets in clear and marks
// the database so; the next store with a key seals them.
func testSourceWithoutKey(t *testing.T, db SealedDB) {
	s := db.Open(t, key1)
	src := secretSource(t, s)
	must(t, s.Close(), "Close")
	wantBound(t, db, "a source written with a key")

	for _, write := range []string{"CreateSource", "UpdateSource"} {
		s = db.Open(t, nil)
		if write == "CreateSource" {
			src = secretSource(t, s)
		} else {
			src.Config.HMAC.Secret, src.UpdatedAt = uniq("hmac-"), time.Now()
			must(t, s.UpdateSource(ctx(t), src), "UpdateSource without a key")
		}
		must(t, s.Close(), "Close")
		for _, col := range sourceColumns {
			if v := db.Column(t, `SELECT `+col+` FROM ingest_sources WHERE id = $1`, src.ID)[0]; v[0] != 0 {
				t.Fatalf("%s without a key wrote the %s in form %d", write, col, v[0])
			}
		}
		if mark := db.Column(t, `SELECT CASE WHEN legacy THEN 'legacy' ELSE 'bound' END FROM sealed_format`); string(mark[0]) != "legacy" {
			t.Fatalf("%s without a key left the database marked %s", write, mark[0])
		}
		wantSources(t, db, []*hookline.Source{src}, write+" without a key, read with one", key1)
		wantBound(t, db, write+" without a key, reopened with one")
	}
}

// testSourcesMarked: a database as versions before the sources were marked
// left it (a source written in clear by a store without a key, the mark
// cleared) is marked by the migration, and the next store with a key seals
// the source.
func testSourcesMarked(t *testing.T, db SealedDB) {
	s := db.Open(t, nil)
	src := secretSource(t, s)
	must(t, s.Close(), "Close")
	db.Exec(t, `UPDATE sealed_format SET legacy = false`)
	db.Downgrade(t, 59)
	wantSources(t, db, []*hookline.Source{src}, "a source in clear, the mark cleared, after the migration", key1)
	wantBound(t, db, "after the migration")
}

// testReseal: Reseal seals everything again under the current key, which
// then opens it alone; it writes nothing when the keys do not open every
// secret, and skips an endpoint it cannot open for another reason.
func testReseal(t *testing.T, db SealedDB) {
	mine, theirs := twoTenants(t, db)
	s := db.Open(t, key1)
	sources := []*hookline.Source{secretSource(t, s), secretSource(t, s)}
	must(t, s.Close(), "Close")

	s = db.Open(t, key2)
	if n, err := s.Reseal(ctx(t)); !errors.Is(err, hookline.ErrSecretKey) || n != 0 {
		t.Fatalf("Reseal without the key the secrets are sealed with = %d, %v; want 0, ErrSecretKey", n, err)
	}
	must(t, s.Close(), "Close")

	s = db.Open(t, key2, key1)
	n, err := s.Reseal(ctx(t))
	must(t, err, "Reseal")
	if n != 4 {
		t.Fatalf("Reseal wrote %d rows, want 4: 2 endpoints and 2 sources", n)
	}
	must(t, s.Close(), "Close")
	s = db.Open(t, key1)
	if err := s.CheckSecretKey(ctx(t)); !errors.Is(err, hookline.ErrSecretKey) {
		t.Fatalf("the old key alone after Reseal: CheckSecretKey = %v, want ErrSecretKey", err)
	}
	must(t, s.Close(), "Close")
	s = db.Open(t, key2)
	for _, ep := range []*hookline.Endpoint{mine, theirs} {
		got, err := s.Endpoint(ctx(t), ep.AppID, ep.ID)
		must(t, err, "Endpoint under the new key alone")
		same(t, got, ep, "resealed endpoint")
	}
	must(t, s.Close(), "Close")
	wantSources(t, db, sources, "resealed, under the new key alone", key2)

	// An endpoint and a source altered by hand are left as they are, and
	// named; the others are resealed.
	db.Exec(t, `UPDATE endpoints SET oauth = (SELECT oauth FROM endpoints WHERE id = $1) WHERE id = $2`, theirs.ID, mine.ID)
	altered := db.Column(t, `SELECT oauth FROM endpoints WHERE id = $1`, mine.ID)[0]
	db.Exec(t, `UPDATE ingest_sources SET config = (SELECT config FROM ingest_sources WHERE id = $1) WHERE id = $2`,
		sources[1].ID, sources[0].ID)
	alteredSource := db.Column(t, `SELECT config FROM ingest_sources WHERE id = $1`, sources[0].ID)[0]
	s = db.Open(t, key2)
	defer s.Close()
	n, err = s.Reseal(ctx(t))
	if !errors.Is(err, hookline.ErrSecretAltered) || !strings.Contains(err.Error(), mine.ID) ||
		!strings.Contains(err.Error(), sources[0].ID) || n != 2 {
		t.Fatalf("Reseal with an altered endpoint and source = %d, %v; want 2, ErrSecretAltered naming %s and %s",
			n, err, mine.ID, sources[0].ID)
	}
	s.Close()
	if got := db.Column(t, `SELECT oauth FROM endpoints WHERE id = $1`, mine.ID)[0]; !bytes.Equal(got, altered) {
		t.Fatal("Reseal wrote the endpoint it could not open")
	}
	if got := db.Column(t, `SELECT config FROM ingest_sources WHERE id = $1`, sources[0].ID)[0]; !bytes.Equal(got, alteredSource) {
		t.Fatal("Reseal wrote the source it could not open")
	}
}

// testResealRace: a row written between Reseal's read of it and its
// write-back (here by the store itself, as another node could) keeps what
// that write wrote, endpoint or source: Reseal leaves it, and does not
// count it.
func testResealRace(t *testing.T, db SealedDB) {
	mine, theirs := twoTenants(t, db)
	s := db.Open(t, key1)
	sources := []*hookline.Source{secretSource(t, s), secretSource(t, s)}
	must(t, s.Close(), "Close")

	s = db.Open(t, key2, key1)
	defer s.Close()
	box, err := hookline.NewSecretBox(key2, key1)
	must(t, err, "NewSecretBox")
	tables := &writeBetween{SealedTables: db.Tables(s), before: map[string]func(){
		"endpoints": func() {
			mine.Headers["X-Meanwhile"] = "written meanwhile"
			must(t, s.UpdateEndpoint(ctx(t), mine), "UpdateEndpoint")
		},
		"ingest_sources": func() {
			sources[0].Config.HMAC.Secret, sources[0].UpdatedAt = "written-meanwhile", time.Now()
			must(t, s.UpdateSource(ctx(t), sources[0]), "UpdateSource")
		},
	}}
	n, err := box.Reseal(ctx(t), tables)
	must(t, err, "Reseal")
	if len(tables.before) != 0 {
		t.Fatalf("Reseal wrote no row of %v", tables.before)
	}
	if n != 2 {
		t.Fatalf("Reseal wrote %d rows, want 2: the endpoint and the source no write came between", n)
	}
	for _, ep := range []*hookline.Endpoint{mine, theirs} {
		got, err := s.Endpoint(ctx(t), ep.AppID, ep.ID)
		must(t, err, "Endpoint after Reseal")
		same(t, got, ep, "endpoint after Reseal")
	}
	for _, src := range sources {
		got, err := s.Source(ctx(t), src.ID)
		must(t, err, "Source after Reseal")
		same(t, got, src, "source after Reseal")
	}
}

// writeBetween is a store's SealedTables that runs before[table] once,
// before its first write-back into that table: a write that comes between
// Reseal's read of a row and its write-back.
type writeBetween struct {
	hookline.SealedTables
	before map[string]func()
}

func (w *writeBetween) ResealRows(ctx context.Context, k *hookline.SealedKind, was, now []hookline.SealedRow) (int, error) {
	if write := w.before[k.Table]; write != nil {
		delete(w.before, k.Table)
		write()
	}
	return w.SealedTables.ResealRows(ctx, k, was, now)
}
