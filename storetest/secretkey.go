package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hookline/hookline"
)

// Opener opens a Store on one database, the same one at every call, with
// the master key key (nil: none) and the previous keys. The caller closes
// each Store it gets before it asks for the next.
type Opener func(t *testing.T, key []byte, previous ...[]byte) hookline.Store

// RunSecretKey checks CheckSecretKey on stores that newDB opens, each test
// on a database of its own, new and empty: it holds no sealed secret, then
// plain ones (written without a key), then sealed ones, which only the key
// they were sealed with (current or previous) opens; the check changes
// nothing.
func RunSecretKey(t *testing.T, newDB func(t *testing.T) Opener) {
	t.Run("SecretKey/Check", func(t *testing.T) {
		t.Parallel()
		testCheckSecretKey(t, newDB(t))
	})
}

func testCheckSecretKey(t *testing.T, open Opener) {
	k1, k2 := bytes.Repeat([]byte{1}, hookline.SecretKeyLen), bytes.Repeat([]byte{2}, hookline.SecretKeyLen)
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
	check(k1, nil, false, "an empty store, a key")

	s := open(t, nil)
	a := newApp(t, s)
	must(t, s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: a.ID, URL: "https://plain.example.com/hook"}, 0), "CreateEndpoint without a key")
	must(t, s.Close(), "Close")
	check(nil, nil, false, "plain secrets, no key")
	check(k1, nil, false, "plain secrets, a key")

	s = open(t, k1)
	sealed := &hookline.Endpoint{AppID: a.ID, URL: "https://user:pass@sealed.example.com/hook"}
	must(t, s.CreateEndpoint(ctx(t), sealed, 0), "CreateEndpoint under k1")
	must(t, s.Close(), "Close")
	check(k1, nil, false, "secrets sealed under k1, k1")
	check(nil, nil, true, "secrets sealed under k1, no key")
	check(k2, nil, true, "secrets sealed under k1, k2")
	check(k2, [][]byte{k1}, false, "secrets sealed under k1, k2 with k1 as the previous key")

	s = open(t, k1)
	defer s.Close()
	got, err := s.Endpoint(ctx(t), a.ID, sealed.ID)
	must(t, err, "Endpoint after the checks")
	if !bytes.Equal(got.Secret, sealed.Secret) || got.URL != sealed.URL {
		t.Fatal("the checks changed the sealed endpoint")
	}
}
