package api

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
	"github.com/hookline/hookline/sqlite"
)

// TestUsageAggregates computes the data of the hosted API's usage tasks
// (application.stats, event-type.aggregate) from a real store: checked
// input, ids and uids resolved, Hookline's own applications left out.
func TestUsageAggregates(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := New(Config{Store: st})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	uid := "shop"
	shop, quiet, internal := &hookline.Application{Name: "Shop", UID: &uid}, &hookline.Application{Name: "Quiet"}, ingest.NewApplication("src_1")
	for _, a := range []*hookline.Application{shop, quiet, internal} {
		must(st.CreateApplication(ctx, a))
	}
	for _, ep := range []*hookline.Endpoint{
		{AppID: shop.ID, URL: "https://a.example.com/", EventTypes: []string{"b.c", "a.b"}},
		{AppID: shop.ID, URL: "https://b.example.com/", EventTypes: []string{"a.b"}},
		{AppID: internal.ID, URL: "https://c.example.com/"},
	} {
		must(st.CreateEndpoint(ctx, ep, 0))
	}
	now := time.Now()
	for _, m := range []*hookline.Message{
		{AppID: shop.ID, EventType: "a.b", Payload: []byte(`{}`)},
		{AppID: shop.ID, EventType: "b.c", Payload: []byte(`{}`)},
		{AppID: shop.ID, EventType: "a.b", Payload: []byte(`{}`), CreatedAt: now.Add(-48 * time.Hour)},
		{AppID: internal.ID, EventType: "x", Payload: []byte(`{}`)},
	} {
		_, err := st.CreateMessage(ctx, m)
		must(err)
	}
	since, until := now.Add(-time.Hour).Format(time.RFC3339Nano), now.Add(time.Hour).Format(time.RFC3339Nano)
	asJSON := func(v any) string {
		b, err := json.Marshal(v)
		must(err)
		return string(b)
	}

	// Every application: those with deliveries in the range.
	req, err := s.checkAppUsage(ctx, appUsageStatsIn{Since: &since, Until: &until})
	must(err)
	got, err := s.appUsage(ctx, req)
	must(err)
	if want := `{"appStats":[{"messageDestinations":3,"appId":"` + shop.ID + `","appUid":"shop"}]}`; asJSON(got) != want {
		t.Fatalf("every application:\n got %s\nwant %s", asJSON(got), want)
	}
	// Named ones, by id or uid, each once; the rest unresolved.
	req, err = s.checkAppUsage(ctx, appUsageStatsIn{Since: &since, Until: &until,
		AppIDs: []string{quiet.ID, "shop", "nowhere", shop.ID, internal.ID}})
	must(err)
	if asJSON(req.Unresolved) != `["nowhere","`+internal.ID+`"]` {
		t.Fatalf("unresolved %v", req.Unresolved)
	}
	got, err = s.appUsage(ctx, req)
	must(err)
	if want := `{"appStats":[{"messageDestinations":0,"appId":"` + quiet.ID + `","appUid":null},{"messageDestinations":3,"appId":"` + shop.ID + `","appUid":"shop"}]}`; asJSON(got) != want {
		t.Fatalf("named applications:\n got %s\nwant %s", asJSON(got), want)
	}

	types, err := s.eventTypeUsage(ctx)
	must(err)
	if want := `{"event_types":[{"appId":"` + shop.ID + `","explicitlySubscribedEventTypes":["a.b","b.c"],"hasCatchAllEndpoint":false}]}`; asJSON(types) != want {
		t.Fatalf("event types:\n got %s\nwant %s", asJSON(types), want)
	}

	bad := "yesterday"
	for _, tc := range []struct {
		in  appUsageStatsIn
		loc string
	}{
		{appUsageStatsIn{Until: &until}, "body.since"},
		{appUsageStatsIn{Since: &since}, "body.until"},
		{appUsageStatsIn{Since: &bad, Until: &until}, "body.since"},
		{appUsageStatsIn{Since: &until, Until: &since}, "body.since"},
		{appUsageStatsIn{Since: &since, Until: &until, AppIDs: []string{"a b"}}, "body.appIds"},
		{appUsageStatsIn{Since: &since, Until: &until, AppIDs: []string{}}, "body.appIds"},
		{appUsageStatsIn{Since: &since, Until: &until, AppIDs: []string{"nowhere", internal.ID}}, "body.appIds"},
		{appUsageStatsIn{Since: &since, Until: &until, AppIDs: make([]string, maxUsageAppIDs+1)}, "body.appIds"},
	} {
		_, err := s.checkAppUsage(ctx, tc.in)
		var in *inputError
		if !errors.As(err, &in) || strings.Join(in.loc, ".") != tc.loc {
			t.Errorf("checkAppUsage(%+v): %v, want a 422 at %s", tc.in, err, tc.loc)
		}
	}
}
