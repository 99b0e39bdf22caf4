package operational_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/operational"
	"github.com/hookline/hookline/sqlite"
)

// A Notifier turns an operational event into a message of the internal
// application, which the dispatcher delivers to the operator's endpoints
// that subscribed to its type.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hookline-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "hookline.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	n := operational.New(operational.Config{Store: store})
	opApp, err := n.Application(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// The operator's endpoint, as POST /api/v1/operational-webhook/endpoint
	// creates it.
	now := time.Now()
	err = store.CreateEndpoint(ctx, &hookline.Endpoint{
		ID: hookline.NewID(hookline.PrefixEndpoint), AppID: opApp.ID, URL: "https://ops.example.com/hooks",
		EventTypes: []string{hookline.EventEndpointCreated}, Secret: hookline.NewSecret(), CreatedAt: now, UpdatedAt: now,
	}, 0)
	if err != nil {
		log.Fatal(err)
	}
	n.Invalidate()

	// What the API does after it created a tenant's endpoint:
	ep := &hookline.Endpoint{ID: "ep_2oGm2Uf0DLOlLBFN1mAtmL6fpdV", AppID: "app_2oGm2SbXqmwI0Ag13bk2FVlWmW8"}
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointCreated, ep, "", nil))

	page, err := store.ListMessages(ctx, opApp.ID, hookline.MessageFilter{ListOptions: hookline.ListOptions{Limit: 10}})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range page.Items {
		fmt.Println(m.EventType, string(m.Payload))
	}
	// Output:
	// endpoint.created {"type":"endpoint.created","data":{"appId":"app_2oGm2SbXqmwI0Ag13bk2FVlWmW8","endpointId":"ep_2oGm2Uf0DLOlLBFN1mAtmL6fpdV"}}
}
