package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/postgres/pgtest"
)

// TestCreateFirstAdminToken: stores of several nodes, each with several
// callers, try to create the first admin token of one schema at once;
// exactly one token is stored, and only its creator is told so.
func TestCreateFirstAdminToken(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	stores := []*postgres.Store{open(t, url), open(t, url), open(t, url)}
	ctx := t.Context()
	// An application's token is no admin token.
	must(t, stores[0].CreateToken(ctx, &hookline.Token{Hash: []byte("app token"), AppID: "app_1"}))

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
		errs    []error
	)
	start := make(chan struct{})
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := &hookline.Token{Hash: []byte{byte(i)}, CreatedAt: time.Now()}
			<-start
			ok, err := stores[i%len(stores)].CreateFirstAdminToken(ctx, tok)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				created = append(created, tok.ID)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("CreateFirstAdminToken: %v", errs)
	}
	if len(created) != 1 {
		t.Fatalf("%d callers were told they created the first admin token, want 1", len(created))
	}
	n, err := stores[1].CountAdminTokens(ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("%d admin tokens stored, want 1", n)
	}

	// Once it expired, there is none, and the next caller creates one.
	pgtest.Exec(t, url, `UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, created[0])
	ok, err := stores[2].CreateFirstAdminToken(ctx, &hookline.Token{Hash: []byte("next")})
	if err != nil || !ok {
		t.Fatalf("CreateFirstAdminToken after the only admin token expired: %v %v, want true", ok, err)
	}
	if _, err := stores[0].CreateFirstAdminToken(ctx, &hookline.Token{Hash: []byte("app"), AppID: "app_1"}); hookline.ErrorCode(err) != hookline.EINVALID {
		t.Fatalf("CreateFirstAdminToken of an application's token: %v, want EINVALID", err)
	}
}
