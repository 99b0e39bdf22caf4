package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
)

// TestSDKExpireAll: expire-all (the hosted API's, through the Go SDK)
// revokes an application's portal tokens at once, or those of some
// sessions, or later; another application's tokens and the admin token
// keep working; bad input is a 422 that changes nothing.
func TestSDKExpireAll(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	mine, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Mine", Uid: ptr("mine")}, nil)
	ok(t, err)
	other, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Other"}, nil)
	ok(t, err)
	portal := func(app string, session *string) string {
		t.Helper()
		out, err := c.Authentication.AppPortalAccess(ctx, app, models.AppPortalAccessIn{SessionId: session}, nil)
		ok(t, err)
		return out.Token
	}
	works := func(name, tok, app string, want bool) {
		t.Helper()
		_, err := e.sdk(tok).Endpoint.List(ctx, app, nil)
		switch {
		case want && err != nil:
			t.Fatalf("%s: %v", name, err)
		case !want:
			wantStatus(t, err, http.StatusUnauthorized)
		}
	}
	s1, s1b, s2, none := portal(mine.Id, ptr("user_1")), portal(mine.Id, ptr("user_1")), portal(mine.Id, ptr("user@2")), portal(mine.Id, nil)
	dash, err := c.Authentication.DashboardAccess(ctx, mine.Id, nil)
	ok(t, err)
	theirs := portal(other.Id, ptr("user_1"))

	// Bad input: 422, nothing expired; another token's application or a
	// missing one is a 404; a portal token may not expire tokens.
	for _, in := range []models.ApplicationTokenExpireIn{
		{Expiry: ptr(int64(-1))}, {Expiry: ptr(int64(259201))},
		{SessionIds: []string{"has space"}}, {SessionIds: []string{""}}, {SessionIds: make([]string, 1001)},
	} {
		err := c.Authentication.ExpireAll(ctx, mine.Id, in, nil)
		wantStatus(t, err, http.StatusUnprocessableEntity)
	}
	st, body := e.do("POST", "/api/v1/auth/app/mine/expire-all", e.admin, map[string]any{"sessionIds": []string{"a/b"}})
	checkError(t, st, body, "body.sessionIds")
	st, body = e.do("POST", "/api/v1/auth/app/mine/expire-all", e.admin, map[string]any{"expiry": "soon"})
	checkError(t, st, body, "body.expiry")
	wantStatus(t, c.Authentication.ExpireAll(ctx, "app_nope", models.ApplicationTokenExpireIn{}, nil), http.StatusNotFound)
	wantStatus(t, e.sdk(s1).Authentication.ExpireAll(ctx, mine.Id, models.ApplicationTokenExpireIn{}, nil), http.StatusForbidden)
	wantStatus(t, e.sdk(theirs).Authentication.ExpireAll(ctx, mine.Id, models.ApplicationTokenExpireIn{}, nil), http.StatusForbidden)
	_, err = c.Authentication.AppPortalAccess(ctx, mine.Id, models.AppPortalAccessIn{SessionId: ptr("no spaces please")}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	for name, tok := range map[string]string{"s1": s1, "s1b": s1b, "s2": s2, "none": none, "dashboard": dash.Token} {
		works(name, tok, mine.Id, true)
	}

	// The tokens of one session, by the application's uid.
	ok(t, c.Authentication.ExpireAll(ctx, "mine", models.ApplicationTokenExpireIn{SessionIds: []string{"user_1"}}, nil))
	works("s1", s1, mine.Id, false)
	works("s1b", s1b, mine.Id, false)
	works("s2", s2, mine.Id, true)
	works("none", none, mine.Id, true)
	works("other application's user_1", theirs, other.Id, true)

	// Later: the tokens work until then, and expire then.
	before := time.Now()
	ok(t, c.Authentication.ExpireAll(ctx, mine.Id, models.ApplicationTokenExpireIn{Expiry: ptr(int64(3600))}, nil))
	after := time.Now()
	works("s2 after expire-all in an hour", s2, mine.Id, true)
	got, err := e.store.TokenByHash(ctx, api.HashToken(s2))
	ok(t, err)
	if got.ExpiresAt == nil || got.ExpiresAt.Before(hookline.StoredTime(before.Add(time.Hour))) || got.ExpiresAt.After(after.Add(time.Hour)) {
		t.Fatalf("expires at %v, want an hour after the call", got.ExpiresAt)
	}

	// All of them, now (an empty body too).
	st, body = e.do("POST", "/api/v1/auth/app/"+mine.Id+"/expire-all", e.admin, nil)
	if st != http.StatusNoContent {
		t.Fatalf("expire-all without a body: %d %s", st, body)
	}
	for name, tok := range map[string]string{"s2": s2, "none": none, "dashboard": dash.Token} {
		works(name, tok, mine.Id, false)
	}
	works("other application's token", theirs, other.Id, true)
	_, err = c.Application.Get(ctx, mine.Id)
	ok(t, err)
	// A token made after it works.
	works("new", portal(mine.Id, ptr("user_1")), mine.Id, true)
}
