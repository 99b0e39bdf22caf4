package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/internal/npmtest"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres/pgtest"
	"github.com/hookline/hookline/storetest"
)

// The tests of this file check what app-portal tokens may do, through a
// real serve on either store: every route, called with a token of each
// kind (read-only, each capability, the whole application), answers 403 in
// the Svix error shape and changes nothing when the token may not call it,
// and works when it may; and whatever its capabilities, a token of one
// application never reaches another.

// What an application's token needs to call a route, besides a capability's
// name (portalOp.needs).
const (
	needsNothing  = "public"   // no token
	needsAnyToken = "anyToken" // any token
	needsAdmin    = "admin"    // an admin token
	needsWholeApp = "wholeApp" // a token of the whole application: no list of capabilities, or every one
)

// portalIDs name what a portalOp acts on: an application with an endpoint,
// a message delivered to it and its attempt, and what bodies need.
type portalIDs struct {
	App       string `json:"app"`
	Endpoint  string `json:"endpoint"`
	Msg       string `json:"msg"`
	Attempt   string `json:"attempt"`
	EventType string `json:"eventType"`
	URL       string `json:"url"`      // a receiver, for new endpoints
	Since     string `json:"since"`    // for recover, RFC 3339
	Identity  string `json:"identity"` // an mTLS identity, PEM
	Ingest    string `json:"ingest"`   // the path of a source's ingest URL, which takes no token
	Task      string `json:"task"`     // a background task of the application (a recover)
}

// portalOp is one route of the API, the capability (or needs* value) an
// application's token needs to call it, and a call of it through the Svix
// Go SDK (over plain HTTP where SDK v1.99.1 lacks the operation).
type portalOp struct {
	route string // "METHOD /pattern", as api.Server.Routes names it
	needs string
	call  func(ctx context.Context, c *portalClient, ids portalIDs) error
}

// portalClient makes the calls of one token.
type portalClient struct {
	sdk   *svix.Svix
	base  string
	token string
}

// portalAnswer is the outcome of a call: its status and, when it did not
// succeed, the code of its Svix error body ("forbidden", "not_found").
type portalAnswer struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
}

// Error makes the answer of a plain HTTP call that did not succeed an error.
func (a portalAnswer) Error() string { return fmt.Sprintf("%d %s", a.Status, a.Code) }

// errorCode returns the code of a Svix error body.
func errorCode(body []byte) string {
	var e struct{ Code string }
	json.Unmarshal(body, &e)
	return e.Code
}

// raw calls the API over plain HTTP.
func (c *portalClient) raw(ctx context.Context, method, path string, body any) error {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return portalAnswer{resp.StatusCode, errorCode(b)}
	}
	return nil
}

// answer is the answer a call's outcome err stands for.
func answer(t *testing.T, err error) portalAnswer {
	t.Helper()
	var se *svix.Error
	var a portalAnswer
	switch {
	case err == nil:
		return portalAnswer{Status: 200}
	case errors.As(err, &se):
		return portalAnswer{se.Status(), errorCode(se.Body())}
	case errors.As(err, &a):
		return a
	}
	t.Fatalf("a call failed without an answer: %v", err)
	return portalAnswer{}
}

func noErr[T any](_ T, err error) error { return err }

// portalOps are every route of the API, in the order in which a token that
// may call them all can: what deletes comes last, logout at the very end.
func portalOps() []portalOp {
	const (
		vb  = string(models.APPPORTALCAPABILITY_VIEW_BASE)
		ves = string(models.APPPORTALCAPABILITY_VIEW_ENDPOINT_SECRET)
		mes = string(models.APPPORTALCAPABILITY_MANAGE_ENDPOINT_SECRET)
		ca  = string(models.APPPORTALCAPABILITY_CREATE_ATTEMPTS)
		me  = string(models.APPPORTALCAPABILITY_MANAGE_ENDPOINT)
	)
	const app, ep, msg = "/api/v1/app/{app_id}", "/api/v1/app/{app_id}/endpoint/{endpoint_id}", "/api/v1/app/{app_id}/msg/{msg_id}"
	const opEp = "/api/v1/operational-webhook/endpoint/{endpoint_id}"
	const src, srcEp = "/ingest/api/v1/source/{source_id}", "/ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}"
	epPath := func(ids portalIDs, tail string) string {
		return "/api/v1/app/" + ids.App + "/endpoint/" + ids.Endpoint + tail
	}
	type ctx = context.Context
	type c = *portalClient
	type i = portalIDs
	return []portalOp{
		// Reads.
		{"GET " + app, vb, func(x ctx, c c, ids i) error { return noErr(c.sdk.Application.Get(x, ids.App)) }},
		{"GET " + app + "/endpoint", vb, func(x ctx, c c, ids i) error { return noErr(c.sdk.Endpoint.List(x, ids.App, nil)) }},
		{"GET " + ep, vb, func(x ctx, c c, ids i) error { return noErr(c.sdk.Endpoint.Get(x, ids.App, ids.Endpoint)) }},
		{"GET " + ep + "/headers", vb, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Endpoint.GetHeaders(x, ids.App, ids.Endpoint))
		}},
		{"GET " + ep + "/mtls", vb, func(x ctx, c c, ids i) error { return c.raw(x, "GET", epPath(ids, "/mtls"), nil) }},
		{"GET " + ep + "/oauth", vb, func(x ctx, c c, ids i) error { return c.raw(x, "GET", epPath(ids, "/oauth"), nil) }},
		{"GET " + ep + "/mtls-config", vb, func(x ctx, c c, ids i) error { return c.raw(x, "GET", epPath(ids, "/mtls-config"), nil) }},
		{"GET " + ep + "/oauth-config", vb, func(x ctx, c c, ids i) error { return c.raw(x, "GET", epPath(ids, "/oauth-config"), nil) }},
		{"GET " + ep + "/ca", vb, func(x ctx, c c, ids i) error { return c.raw(x, "GET", epPath(ids, "/ca"), nil) }},
		{"GET " + ep + "/stats", vb, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Endpoint.GetStats(x, ids.App, ids.Endpoint, nil))
		}},
		{"GET " + ep + "/msg", vb, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.MessageAttempt.ListAttemptedMessages(x, ids.App, ids.Endpoint, nil))
		}},
		{"GET " + app + "/msg", vb, func(x ctx, c c, ids i) error { return noErr(c.sdk.Message.List(x, ids.App, nil)) }},
		{"GET " + msg, vb, func(x ctx, c c, ids i) error { return noErr(c.sdk.Message.Get(x, ids.App, ids.Msg, nil)) }},
		{"GET " + msg + "/raw", vb, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/api/v1/app/"+ids.App+"/msg/"+ids.Msg+"/raw", nil)
		}},
		{"GET " + msg + "/endpoint", vb, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.MessageAttempt.ListAttemptedDestinations(x, ids.App, ids.Msg, nil))
		}},
		{"GET " + msg + "/attempt/{attempt_id}", vb, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.MessageAttempt.Get(x, ids.App, ids.Msg, ids.Attempt, nil))
		}},
		{"GET " + msg + "/attempt/{attempt_id}/headers", vb, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/api/v1/app/"+ids.App+"/msg/"+ids.Msg+"/attempt/"+ids.Attempt+"/headers", nil)
		}},
		{"GET " + app + "/attempt/endpoint/{endpoint_id}", vb, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.MessageAttempt.ListByEndpoint(x, ids.App, ids.Endpoint, nil))
		}},
		{"GET " + app + "/attempt/msg/{msg_id}", vb, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.MessageAttempt.ListByMsg(x, ids.App, ids.Msg, nil))
		}},
		{"GET " + app + "/attempt/endpoint/{endpoint_id}/count", vb, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/api/v1/app/"+ids.App+"/attempt/endpoint/"+ids.Endpoint+"/count", nil)
		}},
		{"GET " + app + "/stats/attempts", vb, func(x ctx, c c, ids i) error {
			now := url.QueryEscape(time.Now().UTC().Format(time.RFC3339))
			return c.raw(x, "GET", "/api/v1/app/"+ids.App+"/stats/attempts?since="+now+"&until="+now, nil)
		}},
		{"GET /api/v1/stats/app/{app_id}/attempt", vb, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/api/v1/stats/app/"+ids.App+"/attempt", nil)
		}},
		{"POST " + app + "/msg/search", vb, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", "/api/v1/app/"+ids.App+"/msg/search", map[string]any{"limit": 10})
		}},
		{"GET /api/v1/event-type", needsAnyToken, func(x ctx, c c, ids i) error { return noErr(c.sdk.EventType.List(x, nil)) }},
		{"GET /api/v1/event-type/{event_type_name}", needsAnyToken, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.EventType.Get(x, ids.EventType))
		}},
		{"GET /api/v1/egress-ips", needsAnyToken, func(x ctx, c c, ids i) error { return c.raw(x, "GET", "/api/v1/egress-ips", nil) }},
		{"GET /api/v1/auth/whoami", needsAnyToken, func(x ctx, c c, ids i) error { return c.raw(x, "GET", "/api/v1/auth/whoami", nil) }},
		{"GET /api/v1/background-task", vb, func(x ctx, c c, ids i) error { return noErr(c.sdk.BackgroundTask.List(x, nil)) }},
		{"GET /api/v1/background-task/{task_id}", vb, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.BackgroundTask.Get(x, ids.Task))
		}},
		{"GET /api/v1/health", needsNothing, func(x ctx, c c, ids i) error { return c.sdk.Health.Get(x) }},
		{"GET /api/v1/health/ping", needsNothing, func(x ctx, c c, ids i) error { return c.raw(x, "GET", "/api/v1/health/ping", nil) }},

		// Secrets.
		{"GET " + ep + "/secret", ves, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Endpoint.GetSecret(x, ids.App, ids.Endpoint))
		}},
		{"POST " + ep + "/secret/rotate", mes, func(x ctx, c c, ids i) error {
			return c.sdk.Endpoint.RotateSecret(x, ids.App, ids.Endpoint, models.EndpointSecretRotateIn{}, nil)
		}},

		// Sending.
		{"POST " + app + "/msg", ca, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Message.Create(x, ids.App, models.MessageIn{EventType: ids.EventType, Payload: map[string]any{"sent": "by a portal"}}, nil))
		}},
		{"POST " + app + "/msg/precheck/active", ca, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Message.Precheck(x, ids.App, models.MessagePrecheckIn{EventType: ids.EventType}, nil))
		}},
		{"POST " + msg + "/endpoint/{endpoint_id}/resend", ca, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.MessageAttempt.Resend(x, ids.App, ids.Msg, ids.Endpoint, nil))
		}},
		{"POST " + ep + "/recover", ca, func(x ctx, c c, ids i) error {
			since, _ := time.Parse(time.RFC3339, ids.Since)
			return noErr(c.sdk.Endpoint.Recover(x, ids.App, ids.Endpoint, models.RecoverIn{Since: since}, nil))
		}},
		{"POST " + ep + "/replay-missing", ca, func(x ctx, c c, ids i) error {
			since, _ := time.Parse(time.RFC3339, ids.Since)
			return noErr(c.sdk.Endpoint.ReplayMissing(x, ids.App, ids.Endpoint, models.ReplayIn{Since: since}, nil))
		}},
		{"POST " + ep + "/bulk-replay", ca, func(x ctx, c c, ids i) error {
			since, _ := time.Parse(time.RFC3339, ids.Since)
			return noErr(c.sdk.Endpoint.BulkReplay(x, ids.App, ids.Endpoint, models.BulkReplayIn{Since: since}, nil))
		}},
		{"POST " + ep + "/send-example", ca, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Endpoint.SendExample(x, ids.App, ids.Endpoint, models.EventExampleIn{EventType: ids.EventType}, nil))
		}},

		// Endpoints.
		{"POST " + app + "/endpoint", me, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Endpoint.Create(x, ids.App, models.EndpointIn{Url: ids.URL + "/made-by-a-portal"}, nil))
		}},
		{"PUT " + ep, me, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Endpoint.Update(x, ids.App, ids.Endpoint, models.EndpointUpdate{Url: ids.URL + "/put", Description: ptr("put")}))
		}},
		{"PATCH " + ep, me, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Endpoint.Patch(x, ids.App, ids.Endpoint, models.EndpointPatch{Description: ptr("patched")}))
		}},
		{"PUT " + ep + "/headers", me, func(x ctx, c c, ids i) error {
			return c.sdk.Endpoint.UpdateHeaders(x, ids.App, ids.Endpoint, models.EndpointHeadersIn{Headers: map[string]string{"X-Put": "1"}})
		}},
		{"PATCH " + ep + "/headers", me, func(x ctx, c c, ids i) error {
			return c.sdk.Endpoint.PatchHeaders(x, ids.App, ids.Endpoint, models.EndpointHeadersPatchIn{Headers: map[string]string{"X-Patch": "1"}})
		}},
		{"PUT " + ep + "/mtls", me, func(x ctx, c c, ids i) error {
			return c.raw(x, "PUT", epPath(ids, "/mtls"), map[string]any{"identity": ids.Identity})
		}},
		{"DELETE " + ep + "/mtls", me, func(x ctx, c c, ids i) error { return c.raw(x, "DELETE", epPath(ids, "/mtls"), nil) }},
		{"PUT " + ep + "/oauth", me, func(x ctx, c c, ids i) error {
			return c.raw(x, "PUT", epPath(ids, "/oauth"), map[string]any{"tokenUrl": ids.URL + "/token", "clientId": "portal",
				"clientSecret": "s3cret", "authMethod": "clientSecretBasic", "grantType": "clientCredentials"})
		}},
		{"DELETE " + ep + "/oauth", me, func(x ctx, c c, ids i) error { return c.raw(x, "DELETE", epPath(ids, "/oauth"), nil) }},
		{"PUT " + ep + "/ca", me, func(x ctx, c c, ids i) error {
			return c.raw(x, "PUT", epPath(ids, "/ca"), map[string]any{"cert": nil})
		}},

		// Deleting contents needs the whole application.
		{"DELETE " + msg + "/attempt/{attempt_id}/content", needsWholeApp, func(x ctx, c c, ids i) error {
			return c.sdk.MessageAttempt.ExpungeContent(x, ids.App, ids.Msg, ids.Attempt)
		}},
		{"DELETE " + msg + "/content", needsWholeApp, func(x ctx, c c, ids i) error {
			return c.sdk.Message.ExpungeContent(x, ids.App, ids.Msg)
		}},
		{"POST " + app + "/msg/bulk-expunge", needsWholeApp, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", "/api/v1/app/"+ids.App+"/msg/bulk-expunge", map[string]any{"ids": []string{ids.Msg}})
		}},
		{"POST " + app + "/msg/expunge-all-contents", needsWholeApp, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Message.ExpungeAllContents(x, ids.App, nil))
		}},
		{"DELETE " + ep, me, func(x ctx, c c, ids i) error { return c.sdk.Endpoint.Delete(x, ids.App, ids.Endpoint) }},

		// Only admin tokens.
		{"GET /api/v1/app", needsAdmin, func(x ctx, c c, ids i) error { return noErr(c.sdk.Application.List(x, nil)) }},
		{"POST /api/v1/app", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Application.Create(x, models.ApplicationIn{Name: "made by a portal"}, nil))
		}},
		{"PUT " + app, needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Application.Update(x, ids.App, models.ApplicationIn{Name: "put by a portal"}))
		}},
		{"PATCH " + app, needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Application.Patch(x, ids.App, models.ApplicationPatch{Name: ptr("patched by a portal")}))
		}},
		{"DELETE " + app, needsAdmin, func(x ctx, c c, ids i) error { return c.sdk.Application.Delete(x, ids.App) }},
		{"POST /api/v1/event-type", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.EventType.Create(x, models.EventTypeIn{Name: "portal.made", Description: "x"}, nil))
		}},
		{"PUT /api/v1/event-type/{event_type_name}", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.EventType.Update(x, ids.EventType, models.EventTypeUpdate{Description: "put by a portal"}))
		}},
		{"PATCH /api/v1/event-type/{event_type_name}", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.EventType.Patch(x, ids.EventType, models.EventTypePatch{Description: ptr("patched by a portal")}))
		}},
		{"DELETE /api/v1/event-type/{event_type_name}", needsAdmin, func(x ctx, c c, ids i) error {
			return c.sdk.EventType.Delete(x, ids.EventType, nil)
		}},
		{"POST /api/v1/event-type/import/openapi", needsAdmin, func(x ctx, c c, ids i) error {
			spec := map[string]any{"openapi": "3.1.0", "webhooks": map[string]any{"portal.imported": map[string]any{"post": map[string]any{}}}}
			return noErr(c.sdk.EventType.ImportOpenapi(x, models.EventTypeImportOpenApiIn{Spec: &spec}, nil))
		}},
		{"POST /api/v1/event-type/export/openapi", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", "/api/v1/event-type/export/openapi", nil)
		}},
		{"GET /api/v1/operational-webhook/endpoint", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.OperationalWebhookEndpoint.List(x, nil))
		}},
		{"POST /api/v1/operational-webhook/endpoint", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.OperationalWebhookEndpoint.Create(x, models.OperationalWebhookEndpointIn{Url: ids.URL + "/ops"}, nil))
		}},
		{"GET " + opEp, needsAdmin, func(x ctx, c c, ids i) error { return noErr(c.sdk.OperationalWebhookEndpoint.Get(x, "ep_none")) }},
		{"PUT " + opEp, needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.OperationalWebhookEndpoint.Update(x, "portal-ops", models.OperationalWebhookEndpointUpdate{Url: ids.URL + "/ops"}))
		}},
		{"DELETE " + opEp, needsAdmin, func(x ctx, c c, ids i) error { return c.sdk.OperationalWebhookEndpoint.Delete(x, "ep_none") }},
		{"GET " + opEp + "/secret", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.OperationalWebhookEndpoint.GetSecret(x, "ep_none"))
		}},
		{"POST " + opEp + "/secret/rotate", needsAdmin, func(x ctx, c c, ids i) error {
			return c.sdk.OperationalWebhookEndpoint.RotateSecret(x, "ep_none", models.OperationalWebhookEndpointSecretIn{}, nil)
		}},
		{"GET " + opEp + "/headers", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.OperationalWebhookEndpoint.GetHeaders(x, "ep_none"))
		}},
		{"PUT " + opEp + "/headers", needsAdmin, func(x ctx, c c, ids i) error {
			return c.sdk.OperationalWebhookEndpoint.UpdateHeaders(x, "ep_none", models.OperationalWebhookEndpointHeadersIn{Headers: map[string]string{"X-A": "1"}})
		}},
		{"POST /api/v1/stats/usage/app", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Statistics.AggregateAppStats(x, models.AppUsageStatsIn{Since: time.Now().Add(-time.Hour), Until: time.Now()}, nil))
		}},
		{"PUT /api/v1/stats/usage/event-types", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Statistics.AggregateEventTypes(x))
		}},
		{"GET /api/v1/overview", needsAdmin, func(x ctx, c c, ids i) error { return c.raw(x, "GET", "/api/v1/overview", nil) }},
		{"GET /api/v1/overview/app", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/api/v1/overview/app?search="+ids.App, nil)
		}},
		{"GET /api/v1/overview/failing-endpoint", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/api/v1/overview/failing-endpoint?app_id="+ids.App, nil)
		}},
		{"POST /api/v1/auth/app-portal-access/{app_id}", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Authentication.AppPortalAccess(x, ids.App, models.AppPortalAccessIn{}, nil))
		}},
		{"POST /api/v1/auth/dashboard-access/{app_id}", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Authentication.DashboardAccess(x, ids.App, nil))
		}},
		{"POST /api/v1/auth/app/{app_id}/expire-all", needsAdmin, func(x ctx, c c, ids i) error {
			return c.sdk.Authentication.ExpireAll(x, ids.App, models.ApplicationTokenExpireIn{}, nil)
		}},

		// The inbound gateway: only admins manage it; its ingest URL takes
		// what anyone posts (the source verifies it).
		{"GET /ingest/api/v1/source", needsAdmin, func(x ctx, c c, ids i) error { return noErr(c.sdk.Ingest.Source.List(x, nil)) }},
		{"POST /ingest/api/v1/source", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", "/ingest/api/v1/source", map[string]any{"name": "portal", "type": "generic-webhook", "config": map[string]any{}})
		}},
		{"GET " + src, needsAdmin, func(x ctx, c c, ids i) error { return noErr(c.sdk.Ingest.Source.Get(x, "src_none")) }},
		{"PUT " + src, needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "PUT", "/ingest/api/v1/source/portal-src", map[string]any{"name": "portal", "type": "generic-webhook", "config": map[string]any{}})
		}},
		{"PATCH " + src, needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "PATCH", "/ingest/api/v1/source/src_none", map[string]any{"name": "renamed"})
		}},
		{"DELETE " + src, needsAdmin, func(x ctx, c c, ids i) error { return c.sdk.Ingest.Source.Delete(x, "src_none") }},
		{"POST " + src + "/token/rotate", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Ingest.Source.RotateToken(x, "src_none", nil))
		}},
		{"GET " + src + "/log", needsAdmin, func(x ctx, c c, ids i) error { return c.raw(x, "GET", "/ingest/api/v1/source/src_none/log", nil) }},
		{"GET " + src + "/endpoint", needsAdmin, func(x ctx, c c, ids i) error { return noErr(c.sdk.Ingest.Endpoint.List(x, "src_none", nil)) }},
		{"POST " + src + "/endpoint", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", "/ingest/api/v1/source/src_none/endpoint", map[string]any{"url": ids.URL + "/ingest"})
		}},
		{"GET " + srcEp, needsAdmin, func(x ctx, c c, ids i) error { return noErr(c.sdk.Ingest.Endpoint.Get(x, "src_none", "ep_none")) }},
		{"PUT " + srcEp, needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "PUT", "/ingest/api/v1/source/src_none/endpoint/ep_none", map[string]any{"url": ids.URL + "/ingest"})
		}},
		{"DELETE " + srcEp, needsAdmin, func(x ctx, c c, ids i) error { return c.sdk.Ingest.Endpoint.Delete(x, "src_none", "ep_none") }},
		{"GET " + srcEp + "/secret", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Ingest.Endpoint.GetSecret(x, "src_none", "ep_none"))
		}},
		{"POST " + srcEp + "/secret/rotate", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", "/ingest/api/v1/source/src_none/endpoint/ep_none/secret/rotate", map[string]any{})
		}},
		{"GET " + srcEp + "/headers", needsAdmin, func(x ctx, c c, ids i) error {
			return noErr(c.sdk.Ingest.Endpoint.GetHeaders(x, "src_none", "ep_none"))
		}},
		{"PUT " + srcEp + "/headers", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "PUT", "/ingest/api/v1/source/src_none/endpoint/ep_none/headers", map[string]any{"headers": map[string]string{"X-A": "1"}})
		}},
		{"POST " + srcEp + "/recover", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", "/ingest/api/v1/source/src_none/endpoint/ep_none/recover", map[string]any{"since": ids.Since})
		}},
		{"GET " + src + "/attempt/endpoint/{endpoint_id}", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/ingest/api/v1/source/src_none/attempt/endpoint/ep_none", nil)
		}},
		{"GET " + src + "/attempt/msg/{msg_id}", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/ingest/api/v1/source/src_none/attempt/msg/msg_none", nil)
		}},
		{"GET " + src + "/msg/{msg_id}/endpoint", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "GET", "/ingest/api/v1/source/src_none/msg/msg_none/endpoint", nil)
		}},
		{"POST " + src + "/msg/{msg_id}/endpoint/{endpoint_id}/resend", needsAdmin, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", "/ingest/api/v1/source/src_none/msg/msg_none/endpoint/ep_none/resend", nil)
		}},
		{"POST /ingest/in/{token}", needsNothing, func(x ctx, c c, ids i) error {
			return c.raw(x, "POST", ids.Ingest, map[string]any{"portal": true})
		}},

		// Last: logout deletes the token.
		{"POST /api/v1/auth/logout", needsAnyToken, func(x ctx, c c, ids i) error { return c.sdk.Authentication.Logout(x, nil) }},
	}
}

// TestPortalOpsCoverEveryRoute: the table the tests below go through names
// every route the server serves, once.
func TestPortalOpsCoverEveryRoute(t *testing.T) {
	var listed []string
	for _, op := range portalOps() {
		listed = append(listed, op.route)
	}
	served := api.New(api.Config{}).Routes()
	for _, r := range served {
		if n := len(slices.DeleteFunc(slices.Clone(listed), func(l string) bool { return l != r })); n != 1 {
			t.Errorf("%s is in portalOps %d times", r, n)
		}
	}
	for _, l := range listed {
		if !slices.Contains(served, l) {
			t.Errorf("portalOps has %s, which is not served", l)
		}
	}
}

// portalKind is a kind of app-portal token: how it is asked for, and what
// it may do (grants; nil for the whole application).
type portalKind struct {
	name     string
	readOnly *bool
	caps     []string // nil: not given
	grants   []string
}

// may reports whether a token of kind k may call op.
func (k portalKind) may(op portalOp) bool {
	switch op.needs {
	case needsNothing, needsAnyToken:
		return true
	case needsAdmin:
		return false
	case needsWholeApp:
		return k.grants == nil
	}
	return k.grants == nil || slices.Contains(k.grants, op.needs)
}

// portalCall is one call of a route with a token.
type portalCall struct {
	Route string    `json:"route"`
	Token string    `json:"token"`
	IDs   portalIDs `json:"ids"`
}

// portalMint asks, for each kind, for a token to its application, and
// returns the tokens in that order.
type portalMint func(t *testing.T, apps []string, kinds []portalKind) []string

// portalRun makes calls in order and returns the answer to each.
type portalRun func(t *testing.T, calls []portalCall) []portalAnswer

// portalServer is a serve on one of the stores, with what the fixtures need.
type portalServer struct {
	*server
	admin    *svix.Svix
	receiver *hookReceiver
	identity string
}

func startPortalServer(t *testing.T, db string) *portalServer {
	var args []string
	if db == "postgres" {
		_, url := pgtest.Schema(t)
		args = []string{"--db", url, "--allow-unencrypted-secrets"}
	}
	s := &portalServer{server: startServer(t, args...), receiver: newHookReceiver(t, nil)}
	s.admin = s.client(t)
	cert, key := storetest.Identity(t, "portal")
	s.identity = string(key) + string(cert)
	if _, err := s.admin.EventType.Create(context.Background(), models.EventTypeIn{Name: "invoice.paid", Description: "An invoice was paid"}, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// fixture makes an application with an endpoint and a message delivered to
// it; the endpoint then gets mTLS and OAuth settings, which GET .../mtls and
// .../oauth answer (404 without them, as the hosted API).
func (s *portalServer) fixture(t *testing.T, name string) portalIDs {
	t.Helper()
	ctx := context.Background()
	a := s.admin
	app, err := a.Application.Create(ctx, models.ApplicationIn{Name: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := a.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: s.receiver.URL + "/" + name,
		Headers: &map[string]string{"X-Tenant": name}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := a.Message.Create(ctx, app.Id, models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"tenant": name}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var attempt string
	wait.For(t, "the fixture's message to be delivered", func() bool {
		out, err := a.MessageAttempt.ListByMsg(ctx, app.Id, msg.Id, nil)
		if err != nil || len(out.Data) == 0 || out.Data[0].Status != models.MESSAGESTATUS_SUCCESS {
			return false
		}
		attempt = out.Data[0].Id
		return true
	})
	epURL := s.url + "/api/v1/app/" + app.Id + "/endpoint/" + ep.Id
	for path, body := range map[string]any{
		"/mtls": map[string]any{"identity": s.identity},
		"/oauth": map[string]any{"tokenUrl": s.receiver.URL + "/token", "clientId": "fixture", "clientSecret": "s3cret",
			"authMethod": "clientSecretBasic", "grantType": "clientCredentials"},
	} {
		if code, err := apiCall(http.DefaultClient, "PUT", epURL+path, s.token, body, nil); err != nil || code != 204 {
			t.Fatalf("PUT %s: %d %v", path, code, err)
		}
	}
	var source struct {
		IngestURL string `json:"ingestUrl"`
	}
	if code, err := apiCall(http.DefaultClient, "POST", s.url+"/ingest/api/v1/source", s.token,
		map[string]any{"name": name, "type": "generic-webhook", "config": map[string]any{}}, &source); err != nil || code != 201 {
		t.Fatalf("create a source: %d %v", code, err)
	}
	_, token, _ := strings.Cut(source.IngestURL, "/ingest/in/")
	task, err := a.Endpoint.Recover(ctx, app.Id, ep.Id, models.RecoverIn{Since: time.Now().Add(-time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return portalIDs{Task: task.Id, App: app.Id, Endpoint: ep.Id, Msg: msg.Id, Attempt: attempt, EventType: "invoice.paid",
		URL: s.receiver.URL, Since: time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), Identity: s.identity,
		Ingest: "/ingest/in/" + token}
}

// snapshot returns what an admin reads of an application, and of what only
// admins change: each read's status and, when it succeeded, its body, by
// path.
func (s *portalServer) snapshot(t *testing.T, ids portalIDs) map[string]string {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	ep := "/app/" + ids.App + "/endpoint/" + ids.Endpoint
	msg := "/app/" + ids.App + "/msg/" + ids.Msg
	out := map[string]string{}
	for _, p := range []string{
		"/app", "/app/" + ids.App, "/app/" + ids.App + "/endpoint",
		ep, ep + "/headers", ep + "/secret", ep + "/mtls", ep + "/oauth", ep + "/stats", ep + "/msg",
		"/app/" + ids.App + "/msg", msg, msg + "/endpoint", msg + "/attempt/" + ids.Attempt,
		"/app/" + ids.App + "/attempt/endpoint/" + ids.Endpoint, "/app/" + ids.App + "/attempt/msg/" + ids.Msg,
		"/event-type?with_content=true&include_archived=true", "/operational-webhook/endpoint",
	} {
		var body json.RawMessage
		code, err := apiCall(client, "GET", s.url+"/api/v1"+p, s.token, nil, &body)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = fmt.Sprintf("%d %s", code, body)
	}
	return out
}

// checkPortalTokens mints a token of each kind, each to an application of
// its own, and checks through run that:
//
//   - each token is refused (403) every route it may not call, also on an
//     application of its own;
//   - each token of an application is refused (403 or 404) every route of
//     another application, whatever it may do in its own;
//   - no application changed by any of that;
//   - each token may call, with success, every route it may call;
//   - whoami tells what each token may do.
func checkPortalTokens(t *testing.T, s *portalServer, kinds []portalKind, mint portalMint, run portalRun) {
	ops := portalOps()
	other := s.fixture(t, "other")
	fixtures := make([]portalIDs, len(kinds))
	apps := make([]string, len(kinds))
	for i, k := range kinds {
		fixtures[i] = s.fixture(t, fmt.Sprintf("kind%d", i))
		apps[i] = fixtures[i].App
		t.Logf("%s: application %s", k.name, apps[i])
	}
	tokens := mint(t, apps, kinds)

	// whoami, before logout.
	for i, k := range kinds {
		var who struct {
			AppID            string   `json:"appId"`
			PermissionSource string   `json:"permissionSource"`
			Capabilities     []string `json:"capabilities"`
		}
		if code, err := apiCall(http.DefaultClient, "GET", s.url+"/api/v1/auth/whoami", tokens[i], nil, &who); err != nil || code != 200 {
			t.Fatalf("%s: whoami: %d %v", k.name, code, err)
		}
		want := k.grants
		if want == nil {
			want = []string{"ViewBase", "ViewEndpointSecret", "ManageEndpointSecret", "ManageTransformations", "CreateAttempts", "ManageEndpoint"}
		}
		if who.AppID != apps[i] || who.PermissionSource != "Unknown" || !slices.Equal(who.Capabilities, want) {
			t.Errorf("%s: whoami says %+v, want application %s with %v", k.name, who, apps[i], want)
		}
	}

	before := map[string]map[string]string{}
	for _, f := range append([]portalIDs{other}, fixtures...) {
		before[f.App] = s.snapshot(t, f)
		for p, read := range before[f.App] {
			if !strings.HasPrefix(read, "200 ") {
				t.Fatalf("admin GET %s: %s", p, read)
			}
		}
	}
	type refusal struct {
		kind    string
		route   string
		foreign bool
	}
	var calls []portalCall
	var refusals []refusal
	for i, k := range kinds {
		for _, op := range ops {
			if !k.may(op) {
				calls = append(calls, portalCall{Route: op.route, Token: tokens[i], IDs: fixtures[i]})
				refusals = append(refusals, refusal{k.name, op.route, false})
			}
			if strings.Contains(op.route, "{app_id}") {
				calls = append(calls, portalCall{Route: op.route, Token: tokens[i], IDs: other})
				refusals = append(refusals, refusal{k.name, op.route, true})
			}
		}
	}
	for i, a := range run(t, calls) {
		r := refusals[i]
		switch {
		case !r.foreign && (a.Status != http.StatusForbidden || a.Code != "forbidden"):
			t.Errorf("%s: %s answered %+v, want 403 forbidden", r.kind, r.route, a)
		case r.foreign && !(a.Status == http.StatusForbidden && a.Code == "forbidden" || a.Status == http.StatusNotFound && a.Code == "not_found"):
			t.Errorf("%s: %s of another application answered %+v, want 403 forbidden or 404 not_found", r.kind, r.route, a)
		}
	}
	for app, b := range before {
		after := s.snapshot(t, portalIDsOf(app, other, fixtures))
		for p, body := range b {
			if after[p] != body {
				t.Errorf("refused calls changed GET %s:\nbefore %s\nafter  %s", p, body, after[p])
			}
		}
	}

	calls, refusals = nil, nil
	for i, k := range kinds {
		for _, op := range ops {
			if k.may(op) {
				calls = append(calls, portalCall{Route: op.route, Token: tokens[i], IDs: fixtures[i]})
				refusals = append(refusals, refusal{k.name, op.route, false})
			}
		}
	}
	for i, a := range run(t, calls) {
		if a.Status < 200 || a.Status > 299 {
			t.Errorf("%s: %s answered %+v, want success", refusals[i].kind, refusals[i].route, a)
		}
	}
}

// portalIDsOf returns the fixture of app.
func portalIDsOf(app string, other portalIDs, fixtures []portalIDs) portalIDs {
	for _, f := range fixtures {
		if f.App == app {
			return f
		}
	}
	return other
}

// goKinds are the kinds of token the Go SDK v1 asks for: readOnly, and
// each capability alone.
func goKinds() []portalKind {
	return []portalKind{
		{name: "no capabilities"},
		{name: "readOnly false", readOnly: ptr(false)},
		{name: "readOnly", readOnly: ptr(true), grants: []string{"ViewBase"}},
		{name: "ViewBase", caps: []string{"ViewBase"}, grants: []string{"ViewBase"}},
		{name: "ViewEndpointSecret", caps: []string{"ViewEndpointSecret"}, grants: []string{"ViewBase", "ViewEndpointSecret"}},
		{name: "ManageEndpointSecret", caps: []string{"ManageEndpointSecret"},
			grants: []string{"ViewBase", "ViewEndpointSecret", "ManageEndpointSecret"}},
		{name: "ManageTransformations", caps: []string{"ManageTransformations"}, grants: []string{"ViewBase", "ManageTransformations"}},
		{name: "CreateAttempts", caps: []string{"CreateAttempts"}, grants: []string{"ViewBase", "CreateAttempts"}},
		{name: "ManageEndpoint", caps: []string{"ManageEndpoint"},
			grants: []string{"ViewBase", "ViewEndpointSecret", "ManageEndpointSecret", "ManageEndpoint"}},
	}
}

// TestPortalTokensGoSDK asks for tokens with readOnly and with each
// capability through the official Svix Go SDK, and calls every route with
// them through it.
func TestPortalTokensGoSDK(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			s := startPortalServer(t, db)
			mint := func(t *testing.T, apps []string, kinds []portalKind) []string {
				var tokens []string
				for i, k := range kinds {
					in := models.AppPortalAccessIn{ReadOnly: k.readOnly}
					for _, c := range k.caps {
						in.Capabilities = append(in.Capabilities, models.AppPortalCapability(c))
					}
					out, err := s.admin.Authentication.AppPortalAccess(context.Background(), apps[i], in, nil)
					if err != nil {
						t.Fatalf("%s: %v", k.name, err)
					}
					tokens = append(tokens, out.Token)
				}
				return tokens
			}
			ops := map[string]portalOp{}
			for _, op := range portalOps() {
				ops[op.route] = op
			}
			clients := map[string]*portalClient{}
			run := func(t *testing.T, calls []portalCall) []portalAnswer {
				var answers []portalAnswer
				for _, c := range calls {
					cl := clients[c.Token]
					if cl == nil {
						u, _ := url.Parse(s.url)
						sdk, err := svix.New(c.Token, &svix.SvixOptions{ServerUrl: u})
						if err != nil {
							t.Fatal(err)
						}
						cl = &portalClient{sdk: sdk, base: s.url, token: c.Token}
						clients[c.Token] = cl
					}
					answers = append(answers, answer(t, ops[c.Route].call(context.Background(), cl, c.IDs)))
				}
				return answers
			}
			checkPortalTokens(t, s, goKinds(), mint, run)
		})
	}
}

// jsKinds are the kinds of token the JavaScript SDK v2 asks for with
// capabilities lists.
func jsKinds() []portalKind {
	const (
		vb  = "ViewBase"
		ves = "ViewEndpointSecret"
		mes = "ManageEndpointSecret"
		mt  = "ManageTransformations"
		ca  = "CreateAttempts"
		me  = "ManageEndpoint"
	)
	return []portalKind{
		{name: "no capabilities"},
		{name: "an empty list", caps: []string{}, grants: []string{vb}},
		{name: "ViewBase", caps: []string{vb}, grants: []string{vb}},
		{name: "ViewEndpointSecret", caps: []string{vb, ves}, grants: []string{vb, ves}},
		{name: "ManageEndpointSecret", caps: []string{vb, mes}, grants: []string{vb, ves, mes}},
		{name: "ManageTransformations", caps: []string{vb, mt}, grants: []string{vb, mt}},
		{name: "CreateAttempts", caps: []string{vb, ca}, grants: []string{vb, ca}},
		{name: "ManageEndpoint", caps: []string{vb, me}, grants: []string{vb, ves, mes, me}},
		{name: "CreateAttempts without ViewBase", caps: []string{ca}, grants: []string{vb, ca}},
		{name: "all but ManageTransformations", caps: []string{me, ca, vb}, grants: []string{vb, ves, mes, ca, me}},
		{name: "every capability", caps: []string{vb, ves, mes, mt, ca, me}},
	}
}

// TestPortalTokensJSSDK asks for tokens with capabilities lists through the
// official Svix JavaScript SDK v2 (npm "svix", pinned in testdata/js), and
// calls every route with them through it. It needs node and npm and the
// npm registry; without them it skips, except under CI=true where it fails.
func TestPortalTokensJSSDK(t *testing.T) {
	js := npmtest.Install(t, filepath.Join("testdata", "js"), "portal.mjs")
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			s := startPortalServer(t, db)
			// script runs portal.mjs with input and decodes what it prints.
			script := func(t *testing.T, input map[string]any, out any) {
				t.Helper()
				input["base"], input["admin"] = s.url, s.token
				js.Run(t, "portal.mjs", input, out)
			}
			mint := func(t *testing.T, apps []string, kinds []portalKind) []string {
				type req struct {
					App          string   `json:"app"`
					ReadOnly     *bool    `json:"readOnly"`
					Capabilities []string `json:"capabilities"` // null: not given
				}
				var reqs []req
				for i, k := range kinds {
					reqs = append(reqs, req{apps[i], k.readOnly, k.caps})
				}
				var out struct{ Tokens []string }
				script(t, map[string]any{"mint": reqs}, &out)
				if len(out.Tokens) != len(kinds) {
					t.Fatalf("%d tokens for %d kinds", len(out.Tokens), len(kinds))
				}
				return out.Tokens
			}
			run := func(t *testing.T, calls []portalCall) []portalAnswer {
				var out struct{ Answers []portalAnswer }
				script(t, map[string]any{"calls": calls}, &out)
				if len(out.Answers) != len(calls) {
					t.Fatalf("%d answers to %d calls", len(out.Answers), len(calls))
				}
				return out.Answers
			}
			checkPortalTokens(t, s, jsKinds(), mint, run)
		})
	}
}
