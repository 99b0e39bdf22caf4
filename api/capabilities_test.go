package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
)

// TestAppPortalAccessRefusesBadCapabilities: a capability Svix does not
// name, one given twice, or readOnly with more than ViewBase is a 422 about
// its field, and changes nothing: the application the request would have
// created is not created.
func TestAppPortalAccessRefusesBadCapabilities(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, tc := range []struct {
		name string
		body string
		loc  string
	}{
		{"an unknown capability", `{"capabilities": ["ViewBase", "ManageEverything"]}`, "body.capabilities.1"},
		{"a capability given twice", `{"capabilities": ["CreateAttempts", "CreateAttempts"]}`, "body.capabilities.1"},
		{"readOnly with more", `{"readOnly": true, "capabilities": ["ViewBase", "ManageEndpoint"]}`, "body.readOnly"},
		{"not a list", `{"capabilities": "ViewBase"}`, "body.capabilities"},
		{"not a string", `{"capabilities": [1]}`, "body.capabilities"},
	} {
		body := strings.Replace(tc.body, "{", `{"application": {"name": "Never"}, `, 1)
		code, b := e.do("POST", "/api/v1/auth/app-portal-access/never-made", e.admin, body)
		var v struct{ Detail []struct{ Loc []string } }
		if code != 422 || json.Unmarshal(b, &v) != nil || len(v.Detail) != 1 || !strings.HasPrefix(strings.Join(v.Detail[0].Loc, "."), tc.loc) {
			t.Errorf("%s: %d %s, want 422 about %s", tc.name, code, b, tc.loc)
		}
	}
	e.must(404, "GET", "/api/v1/app/never-made", e.admin, nil, nil)
}

// TestWhoami: an admin token is no application's; an application's token
// is told its application and what it may do there.
func TestWhoami(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.must(201, "POST", "/api/v1/app", e.admin, map[string]any{"name": "A", "uid": "a"}, nil)
	type whoami struct {
		AppID            *string  `json:"appId"`
		PermissionSource string   `json:"permissionSource"`
		SessionID        *string  `json:"sessionId"`
		Capabilities     []string `json:"capabilities"`
	}
	var w whoami
	e.must(200, "GET", "/api/v1/auth/whoami", e.admin, nil, &w)
	if w.AppID != nil || w.Capabilities != nil || w.SessionID != nil || w.PermissionSource != "Unknown" {
		t.Fatalf("whoami of an admin token: %+v", w)
	}
	var app struct{ ID string }
	e.must(200, "GET", "/api/v1/app/a", e.admin, nil, &app)
	for _, tc := range []struct {
		body    string
		want    []string
		session string
	}{
		{`{}`, []string{"ViewBase", "ViewEndpointSecret", "ManageEndpointSecret", "ManageTransformations", "CreateAttempts", "ManageEndpoint"}, ""},
		{`{"readOnly": true}`, []string{"ViewBase"}, ""},
		{`{"capabilities": ["CreateAttempts"]}`, []string{"ViewBase", "CreateAttempts"}, ""},
		{`{"capabilities": ["ManageEndpointSecret", "ViewBase"]}`, []string{"ViewBase", "ViewEndpointSecret", "ManageEndpointSecret"}, ""},
		{`{"sessionId": "user_1FB8"}`, []string{"ViewBase", "ViewEndpointSecret", "ManageEndpointSecret", "ManageTransformations", "CreateAttempts", "ManageEndpoint"}, "user_1FB8"},
	} {
		var access struct{ Token string }
		e.must(200, "POST", "/api/v1/auth/app-portal-access/a", e.admin, tc.body, &access)
		w = whoami{}
		e.must(200, "GET", "/api/v1/auth/whoami", access.Token, nil, &w)
		if w.AppID == nil || *w.AppID != app.ID || !slices.Equal(w.Capabilities, tc.want) {
			t.Errorf("whoami of a token asked with %s: %+v, want %s and %v", tc.body, w, app.ID, tc.want)
		}
		if (w.SessionID == nil) != (tc.session == "") || w.SessionID != nil && *w.SessionID != tc.session {
			t.Errorf("whoami of a token asked with %s: sessionId %v, want %q", tc.body, w.SessionID, tc.session)
		}
	}
	e.must(401, "GET", "/api/v1/auth/whoami", "hk_wrong", nil, nil)

	// A token stored with an empty list (no API call makes one) may do
	// nothing in its application, and whoami says so rather than leave the
	// list out as for an admin token.
	none := api.NewToken()
	if err := e.store.CreateToken(t.Context(), &hookline.Token{Hash: api.HashToken(none), AppID: app.ID, Capabilities: []hookline.Capability{}}); err != nil {
		t.Fatal(err)
	}
	b := e.must(200, "GET", "/api/v1/auth/whoami", none, nil, nil)
	if !strings.Contains(string(b), `"capabilities":[]`) {
		t.Errorf("whoami of a token that may do nothing: %s", b)
	}
	e.must(403, "GET", "/api/v1/app/a", none, nil, nil)
}
