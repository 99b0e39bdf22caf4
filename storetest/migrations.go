package storetest

import (
	"testing"

	"github.com/hookline/hookline"
)

// RunMigrations checks that the migrations keep what a database holds, in
// both directions, each test on a database of its own that newDB makes
// (its Open and Downgrade).
func RunMigrations(t *testing.T, newDB func(t *testing.T) SealedDB) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, db SealedDB)
	}{
		{"EventTypeFeatureFlags", testMigrateEventTypeFeatureFlags},
	} {
		t.Run("Migrations/"+tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newDB(t))
		})
	}
}

// testMigrateEventTypeFeatureFlags: brought back before migration 120, when
// an event type held one feature flag, an event type keeps its first flag;
// migrated again, it has that flag, and one without a flag has none.
func testMigrateEventTypeFeatureFlags(t *testing.T, db SealedDB) {
	s := db.Open(t, nil)
	types := map[string][]string{"one": {"beta"}, "two": {"gamma", "beta"}, "none": nil}
	for name, flags := range types {
		must(t, s.CreateEventType(ctx(t), &hookline.EventType{Name: name, FeatureFlags: flags}), "CreateEventType "+name)
	}
	must(t, s.Close(), "Close")
	db.Downgrade(t, 110)

	s = db.Open(t, nil)
	defer s.Close()
	want := map[string][]string{"one": {"beta"}, "two": {"gamma"}, "none": nil}
	for name, flags := range want {
		got, err := s.EventType(ctx(t), name)
		must(t, err, "EventType "+name)
		same(t, got.FeatureFlags, flags, "feature flags of "+name+" after the migrations down and up")
	}
}
