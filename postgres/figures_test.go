package postgres_test

import (
	"testing"

	"github.com/hookline/hookline/postgres/pgtest"
)

// TestFigures: the pool's figures name its connections and count the
// acquires the store's calls made.
func TestFigures(t *testing.T) {
	pgtest.URL(t)
	_, url := template.Clone(t)
	s := open(t, url)
	figure := func(name string) float64 {
		for _, f := range s.Figures() {
			if f.Name == name {
				return f.Value
			}
		}
		t.Fatalf("no figure %s in %+v", name, s.Figures())
		return 0
	}
	before := figure("postgres_pool_acquires_total")
	if _, err := s.CountDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := figure("postgres_pool_acquires_total"); got <= before {
		t.Errorf("acquires %v after a query, %v before", got, before)
	}
	if figure("postgres_pool_max_connections") < 1 || figure("postgres_pool_connections") < 1 {
		t.Errorf("figures %+v", s.Figures())
	}
}
