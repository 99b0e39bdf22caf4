package postgres_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres/pgtest"
)

// beforeMaxAge bounds the waits for a store to see a change made through
// another: well under the age bound of the stores' caches (30 s), so that
// only an invalidation, not age, can end them in time.
const beforeMaxAge = 10 * time.Second

// TestCachesAcrossNodes: a store keeps the tokens and applications it read,
// and forgets them when a store of the schema on any node deletes a token
// or changes or deletes an application, well before the age bound of its
// cache.
func TestCachesAcrossNodes(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	a, b := open(t, url), open(t, url)
	ctx := t.Context()
	wait.For(t, "both stores to listen", func() bool { return listeners(t, a.Schema()) == 2 })

	uid := "shop"
	app := &hookline.Application{Name: "before", UID: &uid}
	must(t, a.CreateApplication(ctx, app))
	hash := sha256.Sum256([]byte("a token"))
	tok := &hookline.Token{Hash: hash[:], AppID: app.ID}
	must(t, a.CreateToken(ctx, tok))

	if _, err := b.TokenByHash(ctx, hash[:]); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Application(ctx, uid); err != nil || got.Name != "before" {
		t.Fatalf("Application = %+v, %v", got, err)
	}
	// Changed by hand, not through a store: b goes on with what it read.
	pgtest.Exec(t, url, `UPDATE applications SET name = 'by hand' WHERE id = $1`, app.ID)
	if got, err := b.Application(ctx, uid); err != nil || got.Name != "before" {
		t.Fatalf("Application after a change by hand = %+v, %v; want the cached one", got, err)
	}
	// A caller changing what it got changes nothing cached.
	got, _ := b.Application(ctx, uid)
	got.Name = "scribbled"
	if got, _ := b.Application(ctx, uid); got.Name != "before" {
		t.Fatalf("the cache returned the caller's change %q", got.Name)
	}

	// Changed through a; b forgets at a's commit.
	app.Name = "after"
	must(t, a.UpdateApplication(ctx, app))
	wait.Within(t, beforeMaxAge, "b to see the renamed application", func() bool {
		got, err := b.Application(ctx, uid)
		return err == nil && got.Name == "after"
	})
	must(t, a.DeleteToken(ctx, tok.ID))
	wait.Within(t, beforeMaxAge, "b to refuse the deleted token", func() bool {
		_, err := b.TokenByHash(ctx, hash[:])
		return hookline.ErrorCode(err) == hookline.ENOTFOUND
	})
	tok2 := &hookline.Token{Hash: hash[:], AppID: app.ID}
	must(t, a.CreateToken(ctx, tok2))
	if _, err := b.TokenByHash(ctx, hash[:]); err != nil {
		t.Fatal(err)
	}
	must(t, a.DeleteApplication(ctx, app.ID))
	wait.Within(t, beforeMaxAge, "b to forget the deleted application and its tokens", func() bool {
		_, errApp := b.Application(ctx, uid)
		_, errTok := b.TokenByHash(ctx, hash[:])
		return hookline.ErrorCode(errApp) == hookline.ENOTFOUND && hookline.ErrorCode(errTok) == hookline.ENOTFOUND
	})
}

// TestEndpointCacheAcrossNodes: a store keeps the endpoints its messages
// went to, and forgets them when a store of the schema on any node creates,
// changes or deletes an endpoint.
func TestEndpointCacheAcrossNodes(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	a := open(t, url)
	ctx := t.Context()
	app := &hookline.Application{Name: "endpoints"}
	must(t, a.CreateApplication(ctx, app))
	first := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/1"}
	must(t, a.CreateEndpoint(ctx, first, 0))
	// b listens only after the notification of that change went out.
	b := open(t, url)
	wait.For(t, "both stores to listen", func() bool { return listeners(t, a.Schema()) == 2 })
	fanOut := func() int {
		t.Helper()
		n, err := b.CreateMessage(ctx, &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)})
		must(t, err)
		return n
	}
	if n := fanOut(); n != 1 {
		t.Fatalf("deliveries = %d, want 1", n)
	}
	// Changed by hand: b goes on with what it read.
	pgtest.Exec(t, url, `UPDATE endpoints SET event_types = '{other}' WHERE id = $1`, first.ID)
	if n := fanOut(); n != 1 {
		t.Fatalf("deliveries after a change by hand = %d, want 1 (cached)", n)
	}
	second := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/2"}
	must(t, a.CreateEndpoint(ctx, second, 0))
	wait.Within(t, beforeMaxAge, "b to fan out to the new endpoint, and see the change by hand", func() bool { return fanOut() == 1 })
	second.Disabled = true
	must(t, a.UpdateEndpoint(ctx, second))
	wait.Within(t, beforeMaxAge, "b to skip the disabled endpoint", func() bool { return fanOut() == 0 })
	second.Disabled = false
	must(t, a.UpdateEndpoint(ctx, second))
	wait.Within(t, beforeMaxAge, "b to see the endpoint enabled again", func() bool { return fanOut() == 1 })
	must(t, a.DeleteEndpoint(ctx, app.ID, second.ID))
	wait.Within(t, beforeMaxAge, "b to forget the deleted endpoint", func() bool { return fanOut() == 0 })
}
