// Package storetest is the conformance suite of hookline.Store: every
// implementation (sqlite, postgres) runs it from its own tests.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) hookline.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookline.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Besides the contract written in store.go, the suite holds a Store to these
// rules, which the API relies on:
//
//   - Create methods give the entity an id (and an endpoint a signing secret)
//     when it has none, set CreatedAt (and UpdatedAt) when zero, and leave the
//     struct equal to what a later read returns; Update methods set UpdatedAt.
//   - Times read back in UTC with at least microsecond precision.
//   - A nil list or map reads back nil, an empty one empty.
//   - Deliveries created by CreateMessage are due at msg.DeliverAt when set,
//     else at msg.CreatedAt; Release, Resend and Recover make deliveries due at
//     the wall-clock time of the call.
//
// The suite never sleeps on the queue: it passes explicit times to ClaimDue.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// Run runs the suite, its cases in parallel (t.Parallel), each with a
// store of its own. newStore must return a new, empty Store, independent of
// every other it returned, and close it when t ends; it is called from
// parallel tests.
func Run(t *testing.T, newStore func(t *testing.T) hookline.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s hookline.Store)
	}{
		{"Application/CRUD", testApplicationCRUD},
		{"Application/Conflict", testApplicationConflict},
		{"Application/NotFound", testApplicationNotFound},
		{"Application/List", testApplicationList},
		{"Application/DeleteCascades", testApplicationDeleteCascades},
		{"EventType/CRUD", testEventTypeCRUD},
		{"EventType/ArchiveAndExpunge", testEventTypeArchive},
		{"EventType/List", testEventTypeList},
		{"Endpoint/CRUD", testEndpointCRUD},
		{"Endpoint/Conflict", testEndpointConflict},
		{"Endpoint/NotFound", testEndpointNotFound},
		{"Endpoint/List", testEndpointList},
		{"Endpoint/DeleteKeepsAttempts", testEndpointDeleteKeepsAttempts},
		{"Endpoint/Auth", testEndpointAuth},
		{"Endpoint/Limit", testEndpointLimit},
		{"Endpoint/DisabledReason", testEndpointDisabledReason},
		{"Message/CreateAndGet", testMessageCreateAndGet},
		{"Message/EventIDConflict", testMessageEventIDConflict},
		{"Message/FanOut", testMessageFanOut},
		{"Message/OnlyEndpoint", testMessageOnlyEndpoint},
		{"Message/DeliverAt", testMessageDeliverAt},
		{"Message/List", testMessageList},
		{"Message/ListFilters", testMessageListFilters},
		{"Message/Expunge", testMessageExpunge},
		{"Message/RetentionEnds", testCleanupExpunges},
		{"Message/Prune", testPrune},
		{"Attempt/GetAndExpunge", testAttemptGetAndExpunge},
		{"Attempt/Headers", testAttemptHeaders},
		{"Attempt/ListFilters", testAttemptListFilters},
		{"Attempt/ListPagination", testAttemptListPagination},
		{"Delivery/ListByMessage", testDeliveriesByMessage},
		{"Delivery/ListMessagesByEndpoint", testMessagesByEndpoint},
		{"Delivery/EndpointStats", testEndpointStats},
		{"Delivery/Count", testCountDeliveries},
		{"Stats/CountAttemptsByEndpoint", testCountAttemptsByEndpoint},
		{"Stats/AppAttemptStats", testAppAttemptStats},
		{"Stats/AppUsage", testAppUsage},
		{"Overview/CountAttempts", testCountAttempts},
		{"Overview/FailingEndpoints", testFailingEndpoints},
		{"Overview/ExhaustedDeliveries", testExhaustedDeliveries},
		{"Overview/FindApplications", testFindApplications},
		{"Queue/ClaimDueOnly", testClaimDueOnly},
		{"Queue/ClaimOrderAndLimit", testClaimOrderAndLimit},
		{"Queue/ClaimTask", testClaimTask},
		{"Queue/ClaimAppThrottle", testClaimAppThrottle},
		{"Queue/Lease", testLease},
		{"Queue/CompleteSuccess", testCompleteSuccess},
		{"Queue/CompleteRetry", testCompleteRetry},
		{"Queue/CompleteFail", testCompleteFail},
		{"Queue/CompleteBatch", testCompleteBatch},
		{"Queue/CompleteDeferred", testCompleteDeferred},
		{"Queue/UpdateReleasesHeld", testUpdateReleasesHeld},
		{"Queue/EndpointFailing", testEndpointFailing},
		{"Queue/CompleteDisablesEndpoint", testCompleteDisablesEndpoint},
		{"Queue/CompleteByNonOwner", testCompleteByNonOwner},
		{"Queue/DisabledEndpointNotClaimed", testDisabledEndpointNotClaimed},
		{"Queue/Release", testRelease},
		{"Queue/NextDue", testNextDue},
		{"Queue/DueSignal", testDueSignal},
		{"Queue/ConcurrentClaimers", testConcurrentClaimers},
		{"Queue/Resend", testResend},
		{"Queue/ResendIsOneAttempt", testResendIsOneAttempt},
		{"Queue/ReplayMissing", testReplayMissing},
		{"BackgroundTask/CRUD", testBackgroundTasks},
		{"BackgroundTask/Lease", testBackgroundTaskLease},
		{"BackgroundTask/Cleanup", testBackgroundTaskCleanup},
		{"BackgroundTask/ConcurrentClaim", testBackgroundTaskConcurrentClaim},
		{"Queue/DeleteEndpointEndsDeliveries", testDeleteEndpointEndsDeliveries},
		{"Queue/Feed", testStoreFeed},
		{"TenantIsolation", testTenantIsolation},
		{"Source/CRUD", testSourceCRUD},
		{"Source/Receive", testSourceReceive},
		{"Source/ReceiveConcurrent", testSourceReceiveConcurrent},
		{"Source/ReceiveBody", testSourceReceiveBody},
		{"Token", testToken},
		{"Token/FirstAdmin", testFirstAdminToken},
		{"Text/Refused", testTextRefused},
		{"Token/ListAdmin", testListAdminTokens},
		{"Token/Used", testTokenUsed},
		{"Token/Capabilities", testTokenCapabilities},
		{"Token/FeatureFlags", testTokenFeatureFlags},
		{"Token/ExpireAppTokens", testExpireAppTokens},
		{"Idempotency", testIdempotency},
		{"Health/CheckWrite", testCheckWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, err error, code string, what string) {
	t.Helper()
	if got := hookline.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// same fails t unless got and want encode to the same JSON: times compare
// as instants in UTC, maps regardless of order.
func same(t *testing.T, got, want any, what string) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !bytes.Equal(g, w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func ptr[T any](v T) *T { return &v }

func ctx(t *testing.T) context.Context { return t.Context() }

var seq atomic.Int64

// uniq returns a name no other call returned.
func uniq(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, seq.Add(1))
}

func newApp(t *testing.T, s hookline.Store) *hookline.Application {
	t.Helper()
	a := &hookline.Application{Name: uniq("app-")}
	must(t, s.CreateApplication(ctx(t), a), "CreateApplication")
	return a
}

func newEndpoint(t *testing.T, s hookline.Store, appID string, mod ...func(*hookline.Endpoint)) *hookline.Endpoint {
	t.Helper()
	ep := &hookline.Endpoint{AppID: appID, URL: "https://example.com/" + uniq("hook")}
	for _, m := range mod {
		m(ep)
	}
	must(t, s.CreateEndpoint(ctx(t), ep, 0), "CreateEndpoint")
	return ep
}

func newMessage(t *testing.T, s hookline.Store, appID, eventType string, mod ...func(*hookline.Message)) (*hookline.Message, int) {
	t.Helper()
	m := &hookline.Message{AppID: appID, EventType: eventType, Payload: json.RawMessage(`{"n":1}`)}
	for _, f := range mod {
		f(m)
	}
	n, err := s.CreateMessage(ctx(t), m)
	must(t, err, "CreateMessage")
	return m, n
}

// later is a time well after every message a test created at once, at
// which their deliveries are due.
func later() time.Time { return time.Now().Add(time.Minute) }

// claim claims everything due at now for owner.
func claim(t *testing.T, s hookline.Store, owner string, now time.Time) []*hookline.Task {
	t.Helper()
	tasks, err := s.ClaimDue(ctx(t), owner, now, time.Minute, 1000)
	must(t, err, "ClaimDue")
	return tasks
}

// claimOne claims at now and fails t unless exactly one task came back.
func claimOne(t *testing.T, s hookline.Store, owner string, now time.Time) *hookline.Task {
	t.Helper()
	tasks := claim(t, s, owner, now)
	if len(tasks) != 1 {
		t.Fatalf("ClaimDue: %d tasks, want 1", len(tasks))
	}
	return tasks[0]
}

// outcome is the outcome of an attempt of task.
func outcome(task *hookline.Task, status hookline.Status, code int) hookline.Outcome {
	as := hookline.StatusSuccess
	if status != hookline.StatusSuccess {
		as = hookline.StatusFail
	}
	return hookline.Outcome{
		DeliveryID: task.Delivery.ID,
		Attempt: hookline.Attempt{
			AppID:      task.Delivery.AppID,
			MessageID:  task.Delivery.MessageID,
			EndpointID: task.Delivery.EndpointID,
			DeliveryID: task.Delivery.ID,
			URL:        task.Endpoint.URL,
			Status:     as,
			StatusCode: code,
			Response:   fmt.Sprintf("response %d", code),
			DurationMS: 12,
			Trigger:    task.Delivery.Trigger,
		},
		Status:   status,
		Attempts: task.Delivery.Attempts + 1,
	}
}

// delivery returns the delivery of msg to the endpoint ep.
func delivery(t *testing.T, s hookline.Store, appID, msgID, epID string) *hookline.Delivery {
	t.Helper()
	p, err := s.ListDeliveriesByMessage(ctx(t), appID, msgID, hookline.ListOptions{Limit: hookline.MaxListLimit})
	must(t, err, "ListDeliveriesByMessage")
	for _, v := range p.Items {
		if v.Endpoint.ID == epID {
			return &v.Delivery
		}
	}
	t.Fatalf("no delivery of %s to %s", msgID, epID)
	return nil
}

// pages reads every page of a list with limit n and returns the keys in
// the order read, checking that only the last page is Done.
func pages[T any](t *testing.T, n int, desc bool, key func(T) string,
	fetch func(hookline.ListOptions) (hookline.Page[T], error)) []string {
	t.Helper()
	keys := []string{}
	opts := hookline.ListOptions{Limit: n, Descending: desc}
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("list never ends")
		}
		p, err := fetch(opts)
		must(t, err, "list")
		if len(p.Items) > n {
			t.Fatalf("page of %d items, limit %d", len(p.Items), n)
		}
		for _, it := range p.Items {
			keys = append(keys, key(it))
		}
		if p.Done {
			return keys
		}
		if len(p.Items) != n {
			t.Fatalf("page of %d items is not Done, limit %d", len(p.Items), n)
		}
		opts.Iterator = key(p.Items[len(p.Items)-1])
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// checkPages lists with several page sizes in both orders and compares with
// want (ascending keys).
func checkPages[T any](t *testing.T, want []string, key func(T) string,
	fetch func(hookline.ListOptions) (hookline.Page[T], error)) {
	t.Helper()
	for _, n := range []int{1, 2, 3, len(want), len(want) + 1, hookline.MaxListLimit} {
		if n < 1 {
			continue
		}
		same(t, pages(t, n, false, key, fetch), want, fmt.Sprintf("ascending, limit %d", n))
		same(t, pages(t, n, true, key, fetch), reversed(want), fmt.Sprintf("descending, limit %d", n))
	}
}
