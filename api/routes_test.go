package api_test

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hookline/hookline/api"
)

// svixOperations are the operations of the open-source Svix server's API
// (1.1.1), which Hookline serves.
var svixOperations = []string{
	"GET /api/v1/app", "POST /api/v1/app",
	"GET /api/v1/app/{app_id}", "PUT /api/v1/app/{app_id}", "PATCH /api/v1/app/{app_id}", "DELETE /api/v1/app/{app_id}",
	"GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
	"GET /api/v1/app/{app_id}/attempt/msg/{msg_id}",
	"GET /api/v1/app/{app_id}/endpoint", "POST /api/v1/app/{app_id}/endpoint",
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}", "PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}",
	"PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}", "DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}",
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", "PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
	"PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/msg",
	"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret",
	"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
	"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats",
	"GET /api/v1/app/{app_id}/msg", "POST /api/v1/app/{app_id}/msg",
	"GET /api/v1/app/{app_id}/msg/{msg_id}",
	"GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
	"DELETE /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content",
	"DELETE /api/v1/app/{app_id}/msg/{msg_id}/content",
	"GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint",
	"POST /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
	"POST /api/v1/auth/app-portal-access/{app_id}", "POST /api/v1/auth/logout",
	"GET /api/v1/event-type", "POST /api/v1/event-type",
	"GET /api/v1/event-type/{event_type_name}", "PUT /api/v1/event-type/{event_type_name}",
	"PATCH /api/v1/event-type/{event_type_name}", "DELETE /api/v1/event-type/{event_type_name}",
	"GET /api/v1/health", "GET /api/v1/health/ping",
}

// hostedOperations are operations of the hosted Svix API that Hookline
// serves in the same shapes.
var hostedOperations = []string{
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/mtls", "PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/mtls",
	"DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}/mtls",
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/oauth", "PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/oauth",
	"DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}/oauth",
	"GET /api/v1/operational-webhook/endpoint", "POST /api/v1/operational-webhook/endpoint",
	"GET /api/v1/operational-webhook/endpoint/{endpoint_id}", "PUT /api/v1/operational-webhook/endpoint/{endpoint_id}",
	"DELETE /api/v1/operational-webhook/endpoint/{endpoint_id}",
	"GET /api/v1/operational-webhook/endpoint/{endpoint_id}/secret",
	"POST /api/v1/operational-webhook/endpoint/{endpoint_id}/secret/rotate",
	"GET /api/v1/operational-webhook/endpoint/{endpoint_id}/headers",
	"PUT /api/v1/operational-webhook/endpoint/{endpoint_id}/headers",
	"GET /api/v1/auth/whoami",
	"GET /api/v1/app/{app_id}/msg/{msg_id}/raw",
	"GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/headers",
	"POST /api/v1/app/{app_id}/msg/precheck/active",
	"GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}/count",
	"GET /api/v1/background-task", "GET /api/v1/background-task/{task_id}",
	"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing",
	"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-replay",
	"POST /api/v1/app/{app_id}/msg/expunge-all-contents", "POST /api/v1/app/{app_id}/msg/bulk-expunge",
	"GET /api/v1/app/{app_id}/stats/attempts", "GET /api/v1/stats/app/{app_id}/attempt",
	"POST /api/v1/app/{app_id}/msg/search",
	// Deprecated, in neither document, but served by svix-server and called
	// by the SDKs' DashboardAccess.
	"POST /api/v1/auth/dashboard-access/{app_id}",
	"GET /ingest/api/v1/source", "POST /ingest/api/v1/source",
	"GET /ingest/api/v1/source/{source_id}", "PUT /ingest/api/v1/source/{source_id}",
	"PATCH /ingest/api/v1/source/{source_id}", "DELETE /ingest/api/v1/source/{source_id}",
	"POST /ingest/api/v1/source/{source_id}/token/rotate", "GET /ingest/api/v1/source/{source_id}/log",
	"GET /ingest/api/v1/source/{source_id}/endpoint", "POST /ingest/api/v1/source/{source_id}/endpoint",
	"GET /ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}", "PUT /ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}",
	"DELETE /ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}",
	"GET /ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/secret",
	"POST /ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/secret/rotate",
	"GET /ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/headers",
	"PUT /ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/headers",
	// hostedTable (hosted_routes.go).
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/mtls-config",
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/oauth-config",
	"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/ca", "PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/ca",
	"POST /api/v1/auth/app/{app_id}/expire-all",
	"POST /api/v1/event-type/import/openapi", "POST /api/v1/event-type/export/openapi",
}

// extensionOperations are Hookline's own operations, which no Svix API has.
var extensionOperations = []string{
	"GET /api/v1/egress-ips",
	// The inbound gateway's: the ingest URL, and the deliveries of what a
	// source received.
	"POST /ingest/in/{token}",
	"POST /ingest/api/v1/source/{source_id}/endpoint/{endpoint_id}/recover",
	"GET /ingest/api/v1/source/{source_id}/attempt/endpoint/{endpoint_id}",
	"GET /ingest/api/v1/source/{source_id}/attempt/msg/{msg_id}",
	"GET /ingest/api/v1/source/{source_id}/msg/{msg_id}/endpoint",
	"POST /ingest/api/v1/source/{source_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
	"GET /api/v1/overview",
	"GET /api/v1/overview/app",
	"GET /api/v1/overview/failing-endpoint",
}

// TestRoutesMatchTheDocument checks that every route the server registers is
// in openapi/openapi.json and every operation there is served.
func TestRoutesMatchTheDocument(t *testing.T) {
	b, err := os.ReadFile("../openapi/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(documented)
	served := api.New(api.Config{}).Routes()
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("served but not documented: %s", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("documented but not served: %s", d)
		}
	}
}

func TestEverySvixOperationIsServed(t *testing.T) {
	served := api.New(api.Config{}).Routes()
	if len(svixOperations) != 41 {
		t.Fatalf("%d Svix operations listed", len(svixOperations))
	}
	for _, op := range svixOperations {
		if !slices.Contains(served, op) {
			t.Errorf("not served: %s", op)
		}
	}
}

// TestEveryRouteIsAccountedFor checks that each route the server registers
// is listed once: an operation of the open-source Svix API, of the hosted
// one, or a Hookline extension; and that each listed one is served.
func TestEveryRouteIsAccountedFor(t *testing.T) {
	served := api.New(api.Config{}).Routes()
	listed := slices.Concat(svixOperations, hostedOperations, extensionOperations)
	for _, r := range served {
		if n := count(listed, r); n != 1 {
			t.Errorf("%s is listed %d times", r, n)
		}
	}
	for _, op := range listed {
		if !slices.Contains(served, op) {
			t.Errorf("listed but not served: %s", op)
		}
	}
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// TestTrailingSlash: every path answers with a trailing slash as without
// one, as svix-server's do; a path that is not a route is still a 404 in the
// Svix shape, and a route's other methods a 405.
func TestTrailingSlash(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.must(201, "POST", "/api/v1/app/", e.admin, map[string]any{"name": "A", "uid": "a"}, nil)
	var list struct{ Data []struct{ UID string } }
	e.must(200, "GET", "/api/v1/app/", e.admin, nil, &list)
	if len(list.Data) != 1 || list.Data[0].UID != "a" {
		t.Fatalf("GET /api/v1/app/: %+v", list)
	}
	e.must(200, "GET", "/api/v1/app/a/", e.admin, nil, nil)
	e.must(201, "POST", "/api/v1/app/a/endpoint/", e.admin, map[string]any{"url": "https://example.com/", "uid": "ep"}, nil)
	e.must(200, "GET", "/api/v1/app/a/endpoint/ep/secret/", e.admin, nil, nil)
	if st, body := e.do("GET", "/api/v1/nothing/", e.admin, nil); st != 404 || !strings.Contains(string(body), `"code":"not_found"`) {
		t.Errorf("an unknown path with a slash: %d %s", st, body)
	}
	if st, _ := e.do("PUT", "/api/v1/app/", e.admin, nil); st != 405 {
		t.Errorf("PUT /api/v1/app/: %d, want 405", st)
	}
}
