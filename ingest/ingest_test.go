package ingest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

func TestCheckRefuses(t *testing.T) {
	for what, src := range map[string]hookline.Source{
		"stripe without a secret": {Type: hookline.SourceStripe},
		"svix with a bad secret":  {Type: hookline.SourceSvix, Config: hookline.SourceConfig{Secret: "nope"}},
		"a generic secret":        {Type: hookline.SourceGeneric, Config: hookline.SourceConfig{Secret: "x"}},
		"a bad network":           {Type: hookline.SourceGitHub, Config: hookline.SourceConfig{AllowedNetworks: []string{"10.0.0.0/33"}}},
		"a bad replay window":     {Type: hookline.SourceSlack, Config: hookline.SourceConfig{Secret: "s", ReplayWindowSeconds: new(int)}},
		"an hmac without header":  {Type: hookline.SourceGeneric, Config: hookline.SourceConfig{HMAC: &hookline.SourceHMAC{Secret: "s"}}},
		"an unknown algorithm":    {Type: hookline.SourceGeneric, Config: hookline.SourceConfig{HMAC: &hookline.SourceHMAC{Secret: "s", Header: "X", Algorithm: "md5"}}},
		"a timestamp without its header": {Type: hookline.SourceGeneric, Config: hookline.SourceConfig{
			HMAC: &hookline.SourceHMAC{Secret: "s", Header: "X", SignedContent: "timestamp.body"}}},
		"basic auth without password": {Type: hookline.SourceGeneric, Config: hookline.SourceConfig{BasicAuth: &hookline.SourceBasicAuth{Username: "u"}}},
		"a client CA that is no PEM":  {Type: hookline.SourceGeneric, Config: hookline.SourceConfig{ClientCA: "nope"}},
		"a bad dedup pointer":         {Type: hookline.SourceGeneric, Config: hookline.SourceConfig{DedupPointer: "id"}},
		"a cron without schedule":     {Type: hookline.SourceCron},
		"a bad schedule":              {Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "61 * * * *"}},
		"a cron with a dedup window": {Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "* * * * *",
			DedupWindowSeconds: new(int)}},
		"a cron with a secret": {Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "* * * * *", Secret: "s"}},
		"a cron with networks": {Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "* * * * *",
			AllowedNetworks: []string{"10.0.0.0/8"}}},
	} {
		if err := Check(&src); hookline.ErrorCode(err) != hookline.EINVALID {
			t.Errorf("%s: %v, want EINVALID", what, err)
		}
	}
	for what, src := range map[string]hookline.Source{
		"github without a secret": {Type: hookline.SourceGitHub},
		"a generic source":        {Type: hookline.SourceGeneric},
		"a cron":                  {Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "*/5 * * * *"}},
		"a cron with its payload": {Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "@hourly",
			Payload: "{}", ContentType: new(string)}},
	} {
		if err := Check(&src); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
}

// TestVerifies: a source that checks nothing of its requests is told from
// one that checks anything.
func TestVerifies(t *testing.T) {
	for src, want := range map[*hookline.Source]bool{
		{Type: hookline.SourceGitHub}:  false,
		{Type: hookline.SourceGeneric}: false,
		{Type: hookline.SourceGeneric, Config: hookline.SourceConfig{DedupHeader: "X-Id"}}:                                                 false,
		{Type: hookline.SourceGitHub, Config: hookline.SourceConfig{Secret: "s"}}:                                                          true,
		{Type: hookline.SourceGeneric, Config: hookline.SourceConfig{AllowedNetworks: []string{"10.0.0.0/8"}}}:                             true,
		{Type: hookline.SourceGeneric, Config: hookline.SourceConfig{HeaderAuth: &hookline.SourceHeaderAuth{Header: "X-Key", Value: "k"}}}: true,
		{Type: hookline.SourceStripe, Config: hookline.SourceConfig{Secret: "whsec_x"}}:                                                    true,
		{Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "@hourly"}}:                                                    true,
	} {
		if got := Verifies(src); got != want {
			t.Errorf("%s %+v: Verifies %v, want %v", src.Type, src.Config, got, want)
		}
		if err := CheckAction(src, "body", "url"); (err == nil) != want || err != nil && hookline.ErrorCode(err) != hookline.EINVALID {
			t.Errorf("%s %+v: CheckAction %v", src.Type, src.Config, err)
		}
	}
}

// TestRetentionCapsDedupWindow: under a retention, a window longer than it
// is refused, and the default one shortened to it; without (0), neither.
func TestRetentionCapsDedupWindow(t *testing.T) {
	day := 24 * 3600
	src := &hookline.Source{Type: hookline.SourceGitHub, Config: hookline.SourceConfig{Secret: "s", DedupWindowSeconds: &day}}
	short := New(Config{Retention: time.Hour})
	if err := short.Check(src); hookline.ErrorCode(err) != hookline.EINVALID || !strings.Contains(err.Error(), "--retention (1h0m0s)") {
		t.Errorf("a day's window under a retention of an hour: %v, want EINVALID naming the retention", err)
	}
	if got := short.DedupWindow(hookline.DefaultDedupWindow); got != time.Hour {
		t.Errorf("the default window under a retention of an hour: %v", got)
	}
	forever := New(Config{})
	if err := forever.Check(src); err != nil {
		t.Errorf("a day's window, kept forever: %v", err)
	}
	if got := forever.DedupWindow(hookline.DefaultDedupWindow); got != hookline.DefaultDedupWindow {
		t.Errorf("the default window, kept forever: %v", got)
	}
}

func TestDeliveryIDAndEventType(t *testing.T) {
	for _, tc := range []struct {
		typ        string
		cfg        hookline.SourceConfig
		h          http.Header
		body       string
		id, typeOf string
	}{
		{hookline.SourceGitHub, hookline.SourceConfig{}, http.Header{"X-Github-Delivery": {"d1"}, "X-Github-Event": {"push"}}, `{}`, "d1", "push"},
		{hookline.SourceStripe, hookline.SourceConfig{}, nil, `{"id": "evt_1", "type": "invoice.paid"}`, "evt_1", "invoice.paid"},
		{hookline.SourceShopify, hookline.SourceConfig{}, http.Header{"X-Shopify-Webhook-Id": {"w1"}, "X-Shopify-Topic": {"orders/create"}}, `{}`, "w1", defaultEventType},
		{hookline.SourceSlack, hookline.SourceConfig{}, nil, `{"event_id": "Ev1", "event": {"type": "app_mention"}}`, "Ev1", "app_mention"},
		{hookline.SourceSvix, hookline.SourceConfig{}, http.Header{"Webhook-Id": {"msg_1"}}, `{"type": "a.b"}`, "msg_1", "a.b"},
		{hookline.SourceGeneric, hookline.SourceConfig{DedupHeader: "X-Request-Id"}, http.Header{"X-Request-Id": {"r1"}}, `{}`, "r1", defaultEventType},
		{hookline.SourceGeneric, hookline.SourceConfig{DedupPointer: "/a/b"}, nil, `{"a": {"b": 7}}`, "7", defaultEventType},
		{hookline.SourceGeneric, hookline.SourceConfig{}, http.Header{"X-Github-Delivery": {"d1"}}, `{}`, "", defaultEventType},
		{hookline.SourceGitHub, hookline.SourceConfig{}, http.Header{"X-Github-Delivery": {"bad\nid"}}, `{}`, "", defaultEventType},
	} {
		src := &hookline.Source{Type: tc.typ, Config: tc.cfg}
		if got := deliveryID(src, tc.h, []byte(tc.body)); got != tc.id {
			t.Errorf("%s %+v: delivery id %q, want %q", tc.typ, tc.cfg, got, tc.id)
		}
		if got := eventType(src, tc.h, []byte(tc.body)); got != tc.typeOf {
			t.Errorf("%s: event type %q, want %q", tc.typ, got, tc.typeOf)
		}
	}
}

func TestKeptHeaders(t *testing.T) {
	src := &hookline.Source{Type: hookline.SourceGitHub, Config: hookline.SourceConfig{HeaderAuth: &hookline.SourceHeaderAuth{Header: "x-api-key"}}}
	h := http.Header{
		"X-Github-Event": {"push"}, "X-Hub-Signature-256": {"sha256=0"}, "X-Hub-Signature": {"sha1=0"}, "Authorization": {"Basic x"},
		"Cookie": {"a=b"}, "X-Api-Key": {"k"}, "Connection": {"X-Hop"}, "X-Hop": {"1"}, "Transfer-Encoding": {"chunked"},
		"Webhook-Signature": {"v1,x"}, "Svix-Id": {"msg"}, "User-Agent": {"GitHub-Hookshot/1"},
	}
	got := keptHeaders(src, h)
	if len(got) != 2 || got.Get("X-Github-Event") != "push" || got.Get("User-Agent") == "" {
		t.Fatalf("kept %v", got)
	}
}
