package storetest

import (
	"testing"

	"github.com/hookline/hookline"
)

// testTenantIsolation gives every appID-scoped method the ids of another
// application's endpoint, message and attempt.
func testTenantIsolation(t *testing.T, s hookline.Store) {
	mine, theirs := newApp(t, s), newApp(t, s)
	ep := newEndpoint(t, s, theirs.ID, func(e *hookline.Endpoint) { e.UID = ptr("their-ep") })
	m, _ := newMessage(t, s, theirs.ID, "x", func(m *hookline.Message) { m.EventID = ptr("their-evt") })
	task := claimOne(t, s, "w", later())
	out := outcome(task, hookline.StatusFail, 500)
	out.Attempt.ID = hookline.NewID(hookline.PrefixAttempt)
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")
	// mine has an endpoint and a message of its own, so that a query that
	// forgot the application would find something.
	myEP := newEndpoint(t, s, mine.ID)
	myMsg, _ := newMessage(t, s, mine.ID, "x")

	app := mine.ID
	notFound := func(what string, err error) {
		t.Helper()
		wantCode(t, err, hookline.ENOTFOUND, what+" with another application's id")
	}
	var err error
	_, err = s.Endpoint(ctx(t), app, ep.ID)
	notFound("Endpoint", err)
	_, err = s.Endpoint(ctx(t), app, "their-ep")
	notFound("Endpoint by uid", err)
	foreign := *ep
	foreign.AppID = app
	foreign.Description = "hijacked"
	notFound("UpdateEndpoint", s.UpdateEndpoint(ctx(t), &foreign))
	notFound("DeleteEndpoint", s.DeleteEndpoint(ctx(t), app, ep.ID))
	_, err = s.Message(ctx(t), app, m.ID)
	notFound("Message", err)
	_, err = s.Message(ctx(t), app, "their-evt")
	notFound("Message by eventId", err)
	notFound("ExpungeMessageContent", s.ExpungeMessageContent(ctx(t), app, m.ID))
	_, err = s.Attempt(ctx(t), app, m.ID, out.Attempt.ID)
	notFound("Attempt", err)
	_, err = s.ListAttemptsByEndpoint(ctx(t), app, ep.ID, hookline.AttemptFilter{})
	notFound("ListAttemptsByEndpoint", err)
	_, err = s.ListAttemptsByMessage(ctx(t), app, m.ID, hookline.AttemptFilter{})
	notFound("ListAttemptsByMessage", err)
	notFound("ExpungeAttemptContent", s.ExpungeAttemptContent(ctx(t), app, m.ID, out.Attempt.ID))
	_, err = s.ListDeliveriesByMessage(ctx(t), app, m.ID, hookline.ListOptions{})
	notFound("ListDeliveriesByMessage", err)
	_, err = s.ListMessagesByEndpoint(ctx(t), app, ep.ID, hookline.EndpointMessageFilter{})
	notFound("ListMessagesByEndpoint", err)
	_, err = s.EndpointStats(ctx(t), app, ep.ID, nil, nil)
	notFound("EndpointStats", err)
	notFound("Resend of their message", s.Resend(ctx(t), app, m.ID, myEP.ID))
	notFound("Resend to their endpoint", s.Resend(ctx(t), app, myMsg.ID, ep.ID))
	_, err = s.CreateMessage(ctx(t), &hookline.Message{AppID: app, EventType: "x", Payload: []byte(`{}`), OnlyEndpoint: ep.ID})
	notFound("CreateMessage with OnlyEndpoint", err)

	// Lists of mine show nothing of theirs.
	eps, err := s.ListEndpoints(ctx(t), app, hookline.ListOptions{Limit: 50})
	must(t, err, "ListEndpoints")
	if len(eps.Items) != 1 || eps.Items[0].ID != myEP.ID {
		t.Fatalf("ListEndpoints of mine: %d items", len(eps.Items))
	}
	msgs, err := s.ListMessages(ctx(t), app, hookline.MessageFilter{})
	must(t, err, "ListMessages")
	if len(msgs.Items) != 1 || msgs.Items[0].ID != myMsg.ID {
		t.Fatalf("ListMessages of mine: %d items", len(msgs.Items))
	}
	// And an application that does not exist has empty lists.
	missing := hookline.NewID(hookline.PrefixApplication)
	eps, err = s.ListEndpoints(ctx(t), missing, hookline.ListOptions{})
	if err == nil && len(eps.Items) != 0 {
		t.Fatal("a missing application lists endpoints")
	}
	msgs, err = s.ListMessages(ctx(t), missing, hookline.MessageFilter{})
	if err == nil && len(msgs.Items) != 0 {
		t.Fatal("a missing application lists messages")
	}

	// Theirs is untouched.
	got, err := s.Endpoint(ctx(t), theirs.ID, ep.ID)
	must(t, err, "their Endpoint")
	if got.Description == "hijacked" {
		t.Fatal("UpdateEndpoint changed another application's endpoint")
	}
	gm, err := s.Message(ctx(t), theirs.ID, m.ID)
	must(t, err, "their Message")
	if gm.Payload == nil {
		t.Fatal("ExpungeMessageContent expunged another application's message")
	}
	ga, err := s.Attempt(ctx(t), theirs.ID, m.ID, out.Attempt.ID)
	must(t, err, "their Attempt")
	if ga.Response == "" {
		t.Fatal("ExpungeAttemptContent expunged another application's attempt")
	}
	if d := delivery(t, s, theirs.ID, m.ID, ep.ID); d.Status != hookline.StatusPending && d.Status != hookline.StatusFail {
		t.Fatalf("their delivery %+v", d)
	}
}
