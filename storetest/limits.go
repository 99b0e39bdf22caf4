package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/hookline/hookline"
)

// testEndpointLimit: CreateEndpoint with a bound refuses an application's
// endpoint past it, even when the creates come at once; 0 sets no bound.
func testEndpointLimit(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	const max = 5
	var wg sync.WaitGroup
	errs := make([]error, 3*max)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: a.ID, URL: fmt.Sprintf("https://%d.example.com/", i)}, max)
		}()
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch hookline.ErrorCode(err) {
		case "":
			created++
		case hookline.EINVALID:
		default:
			t.Fatalf("CreateEndpoint past the bound: %v, want EINVALID", err)
		}
	}
	page, err := s.ListEndpoints(ctx(t), a.ID, hookline.ListOptions{})
	must(t, err, "ListEndpoints")
	if created != max || len(page.Items) != max {
		t.Fatalf("%d creates succeeded and %d endpoints are stored, want %d", created, len(page.Items), max)
	}
	wantCode(t, s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: a.ID, URL: "https://one-more.example.com/"}, max),
		hookline.EINVALID, "CreateEndpoint at the bound")
	must(t, s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: a.ID, URL: "https://unbounded.example.com/"}, 0),
		"CreateEndpoint without a bound")
	wantCode(t, s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: hookline.NewID(hookline.PrefixApplication),
		URL: "https://x.example.com/"}, max), hookline.ENOTFOUND, "CreateEndpoint with a bound in no application")
}
