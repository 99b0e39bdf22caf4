package hookline

import (
	"strings"
	"testing"
	"time"
)

func TestPrepareGivesWhatIsUnset(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.FixedZone("x", 3600))
	stored := now.UTC().Truncate(time.Microsecond)

	var app Application
	app.Prepare(now)
	if !strings.HasPrefix(app.ID, PrefixApplication) || !app.CreatedAt.Equal(stored) || app.CreatedAt.Location() != time.UTC ||
		!app.UpdatedAt.Equal(app.CreatedAt) {
		t.Errorf("Application.Prepare: %+v", app)
	}
	earlier := now.Add(-time.Hour)
	kept := Application{ID: "app_given", CreatedAt: earlier}
	kept.Prepare(now)
	if kept.ID != "app_given" || !kept.CreatedAt.Equal(earlier.Truncate(time.Microsecond)) || !kept.UpdatedAt.Equal(kept.CreatedAt) {
		t.Errorf("Application.Prepare changed what was set: %+v", kept)
	}

	var ep Endpoint
	ep.Prepare(now)
	if !strings.HasPrefix(ep.ID, PrefixEndpoint) || len(ep.Secret) == 0 || !ep.CreatedAt.Equal(stored) {
		t.Errorf("Endpoint.Prepare: %+v", ep)
	}
	secret := []byte("given")
	ep = Endpoint{Secret: secret}
	ep.Prepare(now)
	if string(ep.Secret) != "given" {
		t.Errorf("Endpoint.Prepare replaced the secret")
	}

	deliverAt := now.Add(time.Minute)
	m := Message{DeliverAt: &deliverAt}
	m.Prepare(now)
	if !strings.HasPrefix(m.ID, PrefixMessage) || !m.CreatedAt.Equal(stored) || m.DeliverAt.Location() != time.UTC ||
		!m.DueAt().Equal(deliverAt.Truncate(time.Microsecond)) {
		t.Errorf("Message.Prepare: %+v", m)
	}

	var tok Token
	tok.Prepare(now)
	if !strings.HasPrefix(tok.ID, PrefixToken) || !tok.CreatedAt.Equal(stored) || tok.ExpiresAt != nil {
		t.Errorf("Token.Prepare: %+v", tok)
	}

	var r IdempotentResponse
	r.Prepare(now)
	if r.Body == nil || !r.ExpiresAt().Equal(stored.Add(IdempotencyTTL)) {
		t.Errorf("IdempotentResponse.Prepare: %+v", r)
	}
}

func TestPrepareOutcomes(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	stored := now.Truncate(time.Microsecond)
	later := now.Add(time.Minute)
	outcomes := []Outcome{
		{DeliveryID: "msgep_1", Status: StatusSuccess},
		{DeliveryID: "msgep_2", Status: StatusPending, NextAttemptAt: later, Attempt: Attempt{ID: "atmpt_kept"}},
		{DeliveryID: "msgep_3", Status: StatusPending, Deferred: true},
		{DeliveryID: "msgep_4", Status: StatusFail, Disable: DisabledGone},
	}
	if !PrepareOutcomes(outcomes, now) {
		t.Error("PrepareOutcomes saw no retry")
	}
	done := outcomes[0]
	if !strings.HasPrefix(done.Attempt.ID, PrefixAttempt) || done.Attempt.DeliveryID != "msgep_1" ||
		!done.Attempt.CreatedAt.Equal(stored) || done.NextAt() != nil {
		t.Errorf("a success: %+v", done)
	}
	retry := outcomes[1]
	if retry.Attempt.ID != "atmpt_kept" || !retry.NextAt().Equal(later.Truncate(time.Microsecond)) {
		t.Errorf("a retry: %+v", retry)
	}
	deferred := outcomes[2]
	if deferred.Attempt.ID != "" || !deferred.NextAt().Equal(stored) || deferred.Disables() {
		t.Errorf("a deferred outcome: %+v", deferred)
	}
	if !outcomes[3].Disables() {
		t.Errorf("a 410 does not disable")
	}
	again := outcomes[0].Attempt.ID
	PrepareOutcomes(outcomes, now.Add(time.Second))
	if outcomes[0].Attempt.ID != again || !outcomes[0].Attempt.CreatedAt.Equal(stored) {
		t.Errorf("prepared twice, the attempt changed: %+v", outcomes[0].Attempt)
	}
	if PrepareOutcomes(outcomes[:1], now) {
		t.Error("a success counted as a retry")
	}
}

func TestEndpointStatsAdd(t *testing.T) {
	var s EndpointStats
	s.Add(StatusSuccess, 2)
	s.Add(StatusPending, 3)
	s.Add(StatusFail, 4)
	s.Add(StatusSending, 5)
	s.Add(Status(9), 6)
	if s != (EndpointStats{Success: 2, Pending: 3, Fail: 4, Sending: 5}) {
		t.Errorf("EndpointStats = %+v", s)
	}
}
