package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
)

// TestSDKManualAttemptIsFinal checks, through a real serve, the official Go
// SDK and a real receiver, that resend and recover make one manual attempt
// each, as svix-server's worker does: while the receiver fails, a resend of
// a delivery whose retry waits an hour makes one attempt, and the delivery
// fails for good, its hour's retry gone; a recover does the same, to a
// message waiting for its retry too; once the
// receiver answers, a resend succeeds. The attempts count in
// hookline_attempts_total, and no manual failure announces
// message.attempt.exhausted in the log.
func TestSDKManualAttemptIsFinal(t *testing.T) {
	s := startObserved(t, nil, "--retry-schedule", "1h")
	ctx := context.Background()
	sx := s.client(t)
	var status atomic.Int32
	status.Store(500)
	rc := newHookReceiver(t, func(int) int { return int(status.Load()) })
	before := scrapeMetrics(t, s.url+"/metrics", s.token)

	app, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "manual"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := sx.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: rc.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	destination := func(msgID string) models.MessageEndpointOut {
		t.Helper()
		out, err := sx.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msgID, nil)
		if err != nil || len(out.Data) != 1 {
			t.Fatalf("destinations of %s: %+v, %v", msgID, out, err)
		}
		return out.Data[0]
	}
	attempts := func(msgID string) []models.MessageAttemptOut {
		t.Helper()
		out, err := sx.MessageAttempt.ListByMsg(ctx, app.Id, msgID, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out.Data // newest first
	}
	newMessage := func() *models.MessageOut {
		t.Helper()
		msg, err := sx.Message.Create(ctx, app.Id, models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"n": 1}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wait.For(t, "the first attempt to fail and its retry to wait", func() bool {
			d := destination(msg.Id)
			return d.Status == models.MESSAGESTATUS_SENDING && d.NextAttempt != nil
		})
		return msg
	}
	// wantFinal checks that the delivery of msgID failed for good after n
	// attempts, the newest manual.
	wantFinal := func(msgID string, n int) {
		t.Helper()
		if d := destination(msgID); d.Status != models.MESSAGESTATUS_FAIL || d.NextAttempt != nil {
			t.Fatalf("after a failed manual attempt: %+v, want fail with no next attempt", d)
		}
		atts := attempts(msgID)
		if len(atts) != n || atts[0].TriggerType != models.MESSAGEATTEMPTTRIGGERTYPE_MANUAL ||
			atts[0].Status != models.MESSAGESTATUS_FAIL || atts[0].ResponseStatusCode != 500 {
			t.Fatalf("attempts %+v, want %d, the newest a failed manual one", atts, n)
		}
	}

	// Resend while the receiver fails: one attempt, then fail.
	msg := newMessage()
	if _, err := sx.MessageAttempt.Resend(ctx, app.Id, msg.Id, ep.Id, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the resend to fail", func() bool { return destination(msg.Id).Status == models.MESSAGESTATUS_FAIL })
	wantFinal(msg.Id, 2)

	// Recover while the receiver fails: one attempt each, then fail; a
	// message waiting for its retry is recovered too, as svix-server does.
	waiting := newMessage()
	since := time.Now().Add(-time.Minute)
	if _, err := sx.Endpoint.Recover(ctx, app.Id, ep.Id, models.RecoverIn{Since: since}, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the recover's attempt to fail", func() bool { return len(attempts(msg.Id)) == 3 })
	wait.For(t, "the recovered delivery to fail", func() bool { return destination(msg.Id).Status == models.MESSAGESTATUS_FAIL })
	wantFinal(msg.Id, 3)
	wait.For(t, "the waiting message's recovered delivery to fail", func() bool { return len(attempts(waiting.Id)) == 2 })
	wait.For(t, "the waiting message to fail", func() bool { return destination(waiting.Id).Status == models.MESSAGESTATUS_FAIL })
	wantFinal(waiting.Id, 2)

	// A resend once the receiver answers: it succeeds.
	status.Store(204)
	if _, err := sx.MessageAttempt.Resend(ctx, app.Id, msg.Id, ep.Id, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the resend to succeed", func() bool { return destination(msg.Id).Status == models.MESSAGESTATUS_SUCCESS })
	if d := destination(msg.Id); d.NextAttempt != nil {
		t.Fatalf("a delivered message has a next attempt: %+v", d)
	}
	atts := attempts(msg.Id)
	if len(atts) != 4 || atts[0].TriggerType != models.MESSAGEATTEMPTTRIGGERTYPE_MANUAL || atts[0].ResponseStatusCode != 204 {
		t.Fatalf("attempts %+v, want 4, the newest a successful manual one", atts)
	}
	if rc.count() != 6 {
		t.Fatalf("the receiver got %d requests, want 6", rc.count())
	}

	// A resend of a delivery whose retry waits, answered at once: success.
	status.Store(500)
	msg2 := newMessage()
	status.Store(204)
	if _, err := sx.MessageAttempt.Resend(ctx, app.Id, msg2.Id, ep.Id, &svix.MessageAttemptResendOptions{}); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the second resend to succeed", func() bool { return destination(msg2.Id).Status == models.MESSAGESTATUS_SUCCESS })
	if n := len(attempts(msg2.Id)); n != 2 {
		t.Fatalf("%d attempts of the second message, want 2", n)
	}

	after := scrapeMetrics(t, s.url+"/metrics", s.token)
	for _, m := range []struct {
		outcome string
		want    float64
	}{{"failure", 6}, {"success", 2}} {
		l := "outcome=" + m.outcome
		if got := after.value("hookline_attempts_total", l) - max(before.value("hookline_attempts_total", l), 0); got != m.want {
			t.Errorf("hookline_attempts_total{%s} moved by %v, want %v", l, got, m.want)
		}
	}
	if logs := s.logs.String(); strings.Contains(logs, "retries exhausted") {
		t.Errorf("a manual failure was logged as an exhausted schedule:\n%s", logs)
	}
}
