package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/ingest"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/operational"
	"github.com/hookline/hookline/storetest"
)

// TestHardeningThroughServe: the bounds and the redactions of the second
// hardening round, through a real serve on either store: the endpoints of
// an application and the attempts in flight to one host are bounded, OAuth
// extras named like credentials are withheld on read, PEM bundles past their
// bound are refused, a refused private address is named by its class in the
// attempt log (by its address in the operator's log), so is a name that does
// not resolve (without the DNS server), and Hookline's own
// applications are hidden.
func TestHardeningThroughServe(t *testing.T) {
	onEachStore(t, func(t *testing.T, st testStore) {
		s := startObserved(t, nil, append([]string{"--max-endpoints-per-app", "2", "--workers", "4",
			"--endpoint-concurrency", "1", "--host-concurrency", "1"}, st.args()...)...)
		t.Run("host bound", func(t *testing.T) { checkHostBound(t, s) })
		t.Run("OAuth extras", func(t *testing.T) { checkOAuthExtrasWithheld(t, s.server) })
		t.Run("PEM bounds", func(t *testing.T) { checkPEMBounds(t, s.server) })
		t.Run("refusal class", func(t *testing.T) { checkRefusalClass(t, s) })
		t.Run("unresolvable name", func(t *testing.T) { checkUnresolvableName(t, s) })
		t.Run("internal apps", func(t *testing.T) { checkInternalAppsHidden(t, s.server) })
	})
}

// newAppWith creates an application with endpoints to urls, and returns
// its id and their ids.
func newAppWith(t *testing.T, s *server, name string, urls ...string) (app string, eps []string) {
	t.Helper()
	var out struct{ ID string }
	json.Unmarshal([]byte(s.want(t, 201, "POST", "/api/v1/app", map[string]any{"name": name})), &out)
	app = out.ID
	for _, u := range urls {
		json.Unmarshal([]byte(s.want(t, 201, "POST", "/api/v1/app/"+app+"/endpoint", map[string]any{"url": u})), &out)
		eps = append(eps, out.ID)
	}
	return app, eps
}

// sendMessage sends a message to app and returns its id.
func sendMessage(t *testing.T, s *server, app string) string {
	t.Helper()
	var msg struct{ ID string }
	json.Unmarshal([]byte(s.want(t, 202, "POST", "/api/v1/app/"+app+"/msg",
		map[string]any{"eventType": "a.b", "payload": map[string]any{}})), &msg)
	return msg.ID
}

// heldReceiver holds every request until the test releases one, and
// counts the requests in flight.
type heldReceiver struct {
	*httptest.Server
	arrived chan struct{}
	release chan struct{}

	mu             sync.Mutex
	inFlight, most int
}

func newHeldReceiver(t *testing.T) *heldReceiver {
	h := &heldReceiver{arrived: make(chan struct{}, 16), release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.inFlight++
		h.most = max(h.most, h.inFlight)
		h.mu.Unlock()
		h.arrived <- struct{}{}
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	t.Cleanup(func() { close(h.release) }) // runs first: Close waits for the handlers
	return h
}

// next waits for the next request to arrive.
func (h *heldReceiver) next(t *testing.T) {
	t.Helper()
	select {
	case <-h.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived")
	}
}

// checkHostBound: with --max-endpoints-per-app 2 a third endpoint is a 422
// naming the bound; with --host-concurrency 1, of two endpoints on one host
// (one attempt in flight each at most), one attempt is in flight at a time,
// while deliveries to another host go on.
func checkHostBound(t *testing.T, s *observedServer) {
	held := newHeldReceiver(t)
	app, _ := newAppWith(t, s.server, "one host", held.URL+"/a", held.URL+"/b")
	if body := s.want(t, 422, "POST", "/api/v1/app/"+app+"/endpoint", map[string]any{"url": held.URL + "/c"}); !strings.Contains(body, "2 endpoints") {
		t.Errorf("a third endpoint: %s, want the bound named", body)
	}

	sendMessage(t, s.server, app)
	held.next(t)
	// Deliveries to another host, sent after, all arrive meanwhile: the
	// dispatcher had every chance to start the second attempt to the first.
	other := newHookReceiver(t, nil)
	otherApp, _ := newAppWith(t, s.server, "another host", other.URL)
	for range 3 {
		sendMessage(t, s.server, otherApp)
	}
	wait.For(t, "the deliveries to another host", func() bool { return other.count() == 3 })
	select {
	case <-held.arrived:
		t.Fatal("a second attempt to the host while one was in flight, with --host-concurrency 1")
	default:
	}
	held.release <- struct{}{}
	held.next(t)
	held.release <- struct{}{}
	held.mu.Lock()
	defer held.mu.Unlock()
	if held.most != 1 {
		t.Errorf("%d attempts in flight to one host at once, want 1", held.most)
	}
}

// checkOAuthExtrasWithheld: the OAuth extras named like credentials are
// named on read, without their values.
func checkOAuthExtrasWithheld(t *testing.T, s *server) {
	app, eps := newAppWith(t, s, "oauth", "https://oauth.example.com/")
	path := "/api/v1/app/" + app + "/endpoint/" + eps[0] + "/oauth"
	s.want(t, 204, "PUT", path, map[string]any{
		"tokenUrl": "https://auth.example.com/token", "clientId": "hookline", "clientSecret": "client-s3cret",
		"authMethod": "clientSecretPost", "grantType": "clientCredentials",
		"extraParams":  map[string]string{"audience": "api", "api_key": "param-s3cret"},
		"extraHeaders": map[string]string{"X-Tenant": "t1", "Cookie": "c=cookie-s3cret"},
	})
	// GET .../oauth answers the config itself, as the hosted API does.
	var got struct {
		ExtraParams, ExtraHeaders                   map[string]string
		SensitiveExtraParams, SensitiveExtraHeaders []string
	}
	body := s.want(t, 200, "GET", path, nil)
	json.Unmarshal([]byte(body), &got)
	if strings.Contains(body, "s3cret") || got.ExtraParams["audience"] != "api" || got.ExtraHeaders["X-Tenant"] != "t1" ||
		strings.Join(got.SensitiveExtraParams, ",") != "api_key" || strings.Join(got.SensitiveExtraHeaders, ",") != "Cookie" {
		t.Errorf("GET oauth: %s", body)
	}
}

// checkPEMBounds: PUT .../mtls refuses an identity of more than 10
// certificates and a CA bundle of more than 100, and takes them within.
func checkPEMBounds(t *testing.T, s *server) {
	app, eps := newAppWith(t, s, "mtls", "https://mtls.example.com/")
	path := "/api/v1/app/" + app + "/endpoint/" + eps[0] + "/mtls"
	cert, key := storetest.Identity(t, "client")
	ca, _ := storetest.Identity(t, "ca")
	identity := func(extra int) string { return string(bytes.Repeat(ca, extra)) + string(key) + string(cert) }
	bundle := func(n int) string { return string(bytes.Repeat(ca, n)) }
	for _, tc := range []struct {
		name, says string
		body       map[string]any
	}{
		{"an identity of 11 certificates", "more than 10 certificates", map[string]any{"identity": identity(10)}},
		{"a CA bundle of 101", "more than 100 certificates", map[string]any{"identity": identity(0), "serverCaCert": bundle(101)}},
	} {
		if body := s.want(t, 422, "PUT", path, tc.body); !strings.Contains(body, tc.says) {
			t.Errorf("%s: %s, want %q", tc.name, body, tc.says)
		}
	}
	s.want(t, 204, "PUT", path, map[string]any{"identity": identity(9), "serverCaCert": bundle(100)})
}

// checkRefusalClass: a delivery to a cloud metadata address is refused;
// the attempt says the class of the address, not the address, and the
// operator's log names it.
func checkRefusalClass(t *testing.T, s *observedServer) {
	const addr = "169.254.169.254"
	checkAttemptHides(t, s, "http://"+addr+"/latest/meta-data",
		"egress refused: the endpoint's host is a link-local or cloud metadata address",
		"dispatch: egress refused a delivery", "egress refused: "+addr)
}

// checkUnresolvableName: a delivery to a name that does not resolve says so
// in the attempt, without the DNS server that answered; the operator's log
// has the lookup's error.
func checkUnresolvableName(t *testing.T, s *observedServer) {
	checkAttemptHides(t, s, "http://nohost.invalid/hook",
		"connection error: the endpoint's host name does not resolve",
		"dispatch: a delivery failed before reaching its endpoint", "lookup nohost.invalid")
}

// checkAttemptHides sends a message to a new endpoint at url, whose one
// attempt must fail before reaching it: the attempt's response, which the
// tenant reads, must be exactly response, and the operator's log line
// logMsg of that message must hold detail.
func checkAttemptHides(t *testing.T, s *observedServer, url, response, logMsg, detail string) {
	t.Helper()
	app, _ := newAppWith(t, s.server, "hidden", url)
	msg := sendMessage(t, s.server, app)
	var attempts struct{ Data []struct{ Response string } }
	wait.For(t, "the failed attempt", func() bool {
		json.Unmarshal([]byte(s.want(t, 200, "GET", "/api/v1/app/"+app+"/attempt/msg/"+msg, nil)), &attempts)
		return len(attempts.Data) > 0
	})
	if r := attempts.Data[0].Response; r != response {
		t.Errorf("the attempt's response: %q, want %q", r, response)
	}
	var line string
	wait.For(t, "the operator's log line", func() bool {
		for _, l := range strings.Split(s.logs.String(), "\n") {
			if strings.Contains(l, logMsg) && strings.Contains(l, "msg_id="+msg) {
				line = l
				return true
			}
		}
		return false
	})
	if !strings.Contains(line, detail) {
		t.Errorf("the operator's log line does not hold %q: %s", detail, line)
	}
}

// TestProxyFailureHidden: with a --egress-proxy that refuses the tunnel
// (403) or the credentials (407), the attempt says the proxy refused the
// connection, naming neither the proxy nor its answer; the operator's log
// has both.
func TestProxyFailureHidden(t *testing.T) {
	for _, tc := range []struct{ status, detail string }{
		{"403 Forbidden", "refused CONNECT 127.0.0.1:9: 403 Forbidden"},
		{"407 Proxy Authentication Required", "refused the credentials of --egress-proxy (407)"},
	} {
		t.Run(tc.status[:3], func(t *testing.T) {
			proxy := newConnectProxy(t, tc.status)
			addr := proxy.ln.Addr().String()
			s := startObserved(t, nil, "--egress-proxy", "http://"+addr)
			checkAttemptHides(t, s, "http://127.0.0.1:9/hook",
				"connection error: the egress proxy refused the connection",
				"dispatch: a delivery failed before reaching its endpoint", "proxy "+addr+" "+tc.detail)
		})
	}
}

// checkInternalAppsHidden: the operational webhooks' and a source's
// internal applications are neither listed (the last page of the others
// says done) nor reached by their uids.
func checkInternalAppsHidden(t *testing.T, s *server) {
	s.want(t, 201, "POST", "/api/v1/operational-webhook/endpoint", map[string]any{"url": "https://ops.example.com/"})
	var src struct{ ID string }
	json.Unmarshal([]byte(s.want(t, 201, "POST", "/ingest/api/v1/source", map[string]any{"name": "hooks", "type": "generic-webhook"})), &src)
	for _, uid := range []string{operational.AppUID, ingest.AppUIDPrefix + src.ID} {
		s.want(t, 404, "GET", "/api/v1/app/"+uid, nil)
	}
	var all struct{ Data []struct{ ID string } }
	json.Unmarshal([]byte(s.want(t, 200, "GET", "/api/v1/app?limit=250", nil)), &all)
	var seen []string
	iter := ""
	for {
		var page struct {
			Data []struct {
				ID  string
				UID *string
			}
			Iterator *string
			Done     bool
		}
		json.Unmarshal([]byte(s.want(t, 200, "GET", "/api/v1/app?limit=1&iterator="+iter, nil)), &page)
		if len(page.Data) == 0 {
			t.Fatalf("an empty page after %v: the page before did not say done", seen)
		}
		for _, a := range page.Data {
			if a.UID != nil && (*a.UID == operational.AppUID || strings.HasPrefix(*a.UID, ingest.AppUIDPrefix)) {
				t.Fatalf("an internal application is listed: %s", *a.UID)
			}
			seen = append(seen, a.ID)
		}
		if page.Done {
			break
		}
		iter = *page.Iterator
	}
	if len(seen) != len(all.Data) {
		t.Errorf("walked %d applications one by one, listed %d at once", len(seen), len(all.Data))
	}
}
