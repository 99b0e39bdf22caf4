package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// testFirstAdminToken: callers that try to create the first admin token at
// once store one between them, and only its creator is told so; an
// application's token or an expired one does not count as an admin token.
func testFirstAdminToken(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	must(t, s.CreateToken(ctx(t), &hookline.Token{Hash: sha("app"), AppID: a.ID}), "CreateToken scoped")
	past := time.Now().Add(-time.Hour)
	must(t, s.CreateToken(ctx(t), &hookline.Token{Hash: sha("expired"), ExpiresAt: &past}), "CreateToken expired")

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []*hookline.Token
	)
	start := make(chan struct{})
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := &hookline.Token{Hash: sha(string(rune('a' + i)))}
			<-start
			ok, err := s.CreateFirstAdminToken(ctx(t), tok)
			if err != nil {
				t.Errorf("CreateFirstAdminToken: %v", err)
			}
			if ok {
				mu.Lock()
				created = append(created, tok)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(created) != 1 {
		t.Fatalf("%d callers were told they created the first admin token, want 1", len(created))
	}
	got, err := s.TokenByHash(ctx(t), created[0].Hash)
	must(t, err, "TokenByHash of the first admin token")
	same(t, got, created[0], "first admin token")

	ok, err := s.CreateFirstAdminToken(ctx(t), &hookline.Token{Hash: sha("late")})
	if err != nil || ok {
		t.Fatalf("CreateFirstAdminToken with an admin token stored: %v, %v; want false", ok, err)
	}
	_, err = s.TokenByHash(ctx(t), sha("late"))
	wantCode(t, err, hookline.ENOTFOUND, "the token CreateFirstAdminToken did not store")
	_, err = s.CreateFirstAdminToken(ctx(t), &hookline.Token{Hash: sha("scoped"), AppID: a.ID})
	wantCode(t, err, hookline.EINVALID, "CreateFirstAdminToken of an application's token")

	must(t, s.DeleteToken(ctx(t), created[0].ID), "DeleteToken")
	ok, err = s.CreateFirstAdminToken(ctx(t), &hookline.Token{Hash: sha("next")})
	if err != nil || !ok {
		t.Fatalf("CreateFirstAdminToken once the admin token is gone: %v, %v; want true", ok, err)
	}
}
