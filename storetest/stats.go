package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// testCountAttemptsByEndpoint holds CountAttemptsByEndpoint to the filters
// of ListAttemptsByEndpoint: for each filter, the count is the number of
// attempts the list gives, and a count past max stops at max.
func testCountAttemptsByEndpoint(t *testing.T, s hookline.Store) {
	w := newAttemptWorld(t, s)
	at := func(i int) *time.Time { v := w.base.Add(time.Duration(i) * time.Minute); return &v }
	success, fail := hookline.StatusSuccess, hookline.StatusFail
	c0, c500 := 0, 500
	for _, tc := range []struct {
		name string
		f    hookline.AttemptFilter
		want int // attempts to ep1 (see attemptWorld)
	}{
		{"none", hookline.AttemptFilter{}, 3},
		{"success", hookline.AttemptFilter{Status: &success}, 1},
		{"fail", hookline.AttemptFilter{Status: &fail}, 2},
		{"no response", hookline.AttemptFilter{StatusCodeClass: &c0}, 1},
		{"5xx", hookline.AttemptFilter{StatusCodeClass: &c500}, 1},
		{"channel us", hookline.AttemptFilter{Channel: "us"}, 2},
		{"channel none", hookline.AttemptFilter{Channel: "nowhere"}, 0},
		{"types a", hookline.AttemptFilter{EventTypes: []string{"a"}}, 1},
		{"types a b", hookline.AttemptFilter{EventTypes: []string{"a", "b"}}, 3},
		{"after 2 (at 2 included)", hookline.AttemptFilter{After: at(2)}, 2},
		{"after 0 before 5", hookline.AttemptFilter{After: at(0), Before: at(5)}, 2},
		{"fail 5xx", hookline.AttemptFilter{Status: &fail, StatusCodeClass: &c500}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			listed, err := s.ListAttemptsByEndpoint(ctx(t), w.app.ID, w.ep1.ID, hookline.AttemptFilter{
				ListOptions: hookline.ListOptions{Limit: hookline.MaxListLimit},
				Status:      tc.f.Status, StatusCodeClass: tc.f.StatusCodeClass, Channel: tc.f.Channel,
				EventTypes: tc.f.EventTypes, Before: tc.f.Before, After: tc.f.After,
			})
			must(t, err, "ListAttemptsByEndpoint")
			if len(listed.Items) != tc.want {
				t.Fatalf("the list has %d attempts, want %d", len(listed.Items), tc.want)
			}
			// A page's options change nothing.
			f := tc.f
			f.ListOptions = hookline.ListOptions{Limit: 1, Iterator: w.ids[0], Descending: true}
			for max := range tc.want + 2 {
				n, capped, err := s.CountAttemptsByEndpoint(ctx(t), w.app.ID, w.ep1.ID, f, max)
				must(t, err, "CountAttemptsByEndpoint")
				if wantN, wantCapped := min(tc.want, max), tc.want > max; n != wantN || capped != wantCapped {
					t.Fatalf("max %d: count %d (capped %v), want %d (%v)", max, n, capped, wantN, wantCapped)
				}
			}
		})
	}
	// ep2 has attempts 1, 3, 4: counted apart from ep1's.
	n, capped, err := s.CountAttemptsByEndpoint(ctx(t), w.app.ID, w.ep2.ID, hookline.AttemptFilter{}, hookline.MaxAttemptCount)
	must(t, err, "CountAttemptsByEndpoint ep2")
	if n != 3 || capped {
		t.Fatalf("ep2: count %d (capped %v), want 3", n, capped)
	}

	other := newApp(t, s)
	for what, ids := range map[string][2]string{
		"an endpoint of another application": {other.ID, w.ep1.ID},
		"a missing endpoint":                 {w.app.ID, hookline.NewID(hookline.PrefixEndpoint)},
	} {
		_, _, err := s.CountAttemptsByEndpoint(ctx(t), ids[0], ids[1], hookline.AttemptFilter{}, 10)
		wantCode(t, err, hookline.ENOTFOUND, fmt.Sprintf("CountAttemptsByEndpoint of %s", what))
	}
}
