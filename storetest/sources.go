package storetest

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// newSource creates a source with an application of its own.
func newSource(t *testing.T, s hookline.Store, mod ...func(*hookline.Source)) *hookline.Source {
	t.Helper()
	app := newApp(t, s)
	src := &hookline.Source{Name: uniq("source-"), Type: hookline.SourceGitHub, AppID: app.ID, Token: uniq("tok"),
		Config: hookline.SourceConfig{Secret: "s3cret", AllowedNetworks: []string{"192.30.252.0/22"}}}
	for _, m := range mod {
		m(src)
	}
	must(t, s.CreateSource(ctx(t), src), "CreateSource")
	return src
}

func testSourceCRUD(t *testing.T, s hookline.Store) {
	uid := uniq("src-uid-")
	src := newSource(t, s, func(src *hookline.Source) {
		src.UID, src.Metadata = &uid, map[string]string{"team": "ci"}
		src.Config.HMAC = &hookline.SourceHMAC{Secret: "k", Header: "X-Sig"}
	})
	if src.ID == "" || src.CreatedAt.IsZero() {
		t.Fatalf("CreateSource gave no id or creation time: %+v", src)
	}
	for _, key := range []string{src.ID, uid} {
		got, err := s.Source(ctx(t), key)
		must(t, err, "Source")
		same(t, got, src, "Source("+key+")")
	}
	got, err := s.SourceByToken(ctx(t), src.Token, time.Now())
	must(t, err, "SourceByToken")
	same(t, got, src, "SourceByToken")
	_, err = s.SourceByToken(ctx(t), "not-"+src.Token, time.Now())
	wantCode(t, err, hookline.ENOTFOUND, "SourceByToken of an unknown token")

	// A rotation: the previous token works until it expires.
	old := src.Token
	exp := time.Now().Add(time.Hour)
	src.Token, src.PreviousTokenHash, src.PreviousTokenExpires = uniq("tok"), hookline.TokenHash(old), &exp
	src.Name, src.Config.Secret = "renamed", "n3w"
	src.UpdatedAt = time.Now()
	must(t, s.UpdateSource(ctx(t), src), "UpdateSource")
	got, err = s.Source(ctx(t), src.ID)
	must(t, err, "Source")
	same(t, got, src, "Source after UpdateSource")
	for _, tok := range []string{old, src.Token} {
		got, err := s.SourceByToken(ctx(t), tok, time.Now())
		must(t, err, "SourceByToken")
		if got.ID != src.ID {
			t.Fatalf("SourceByToken(%q) = %s, want %s", tok, got.ID, src.ID)
		}
	}
	_, err = s.SourceByToken(ctx(t), old, exp.Add(time.Second))
	wantCode(t, err, hookline.ENOTFOUND, "SourceByToken of an expired previous token")

	other := newSource(t, s)
	other.UID = &uid
	wantCode(t, s.UpdateSource(ctx(t), other), hookline.ECONFLICT, "UpdateSource to a taken uid")
	wantCode(t, s.CreateSource(ctx(t), &hookline.Source{Name: "x", Type: hookline.SourceGeneric, AppID: "a", Token: uniq("t"), UID: &uid}),
		hookline.ECONFLICT, "CreateSource with a taken uid")

	page, err := s.ListSources(ctx(t), hookline.ListOptions{Limit: hookline.MaxListLimit})
	must(t, err, "ListSources")
	found := 0
	for _, it := range page.Items {
		if it.ID == src.ID || it.ID == other.ID {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("ListSources found %d of the 2 sources", found)
	}

	must(t, s.DeleteSource(ctx(t), src.ID), "DeleteSource")
	_, err = s.Source(ctx(t), src.ID)
	wantCode(t, err, hookline.ENOTFOUND, "Source after DeleteSource")
	wantCode(t, s.DeleteSource(ctx(t), src.ID), hookline.ENOTFOUND, "DeleteSource again")
}

// received is a request src accepted, as a message with the delivery id.
func received(src *hookline.Source, deliveryID string) (*hookline.Received, *hookline.Message) {
	r := &hookline.Received{RemoteAddr: "192.0.2.1", StatusCode: 204, Reason: "",
		Headers: http.Header{"X-Github-Event": {"push"}}, DeliveryID: deliveryID}
	m := &hookline.Message{EventType: "push", Payload: json.RawMessage("a=1&b=2"), ContentType: "application/x-www-form-urlencoded",
		Headers: http.Header{"X-Github-Event": {"push"}}, ExpiresAt: time.Now().Add(time.Hour)}
	if deliveryID != "" {
		m.EventID = &deliveryID
	}
	return r, m
}

func testSourceReceive(t *testing.T, s hookline.Store) {
	src := newSource(t, s)
	ep := newEndpoint(t, s, src.AppID)
	r, m := received(src, uniq("delivery-"))
	must(t, s.Receive(ctx(t), src, r, m, time.Hour), "Receive")
	if r.Outcome != hookline.ReceivedAccepted || r.MessageID != m.ID || m.ID == "" {
		t.Fatalf("Receive: outcome %q, message %q (msg %q), want accepted", r.Outcome, r.MessageID, m.ID)
	}
	task := claimOne(t, s, "o", later())
	if task.Endpoint.ID != ep.ID || task.Message.ContentType != m.ContentType || string(task.Message.Payload) != "a=1&b=2" ||
		task.Message.Headers.Get("X-Github-Event") != "push" {
		t.Fatalf("claimed %+v, want the received request to %s", task.Message, ep.ID)
	}
	must(t, s.Complete(ctx(t), "o", []hookline.Outcome{outcome(task, hookline.StatusSuccess, 200)}), "Complete")

	// The same delivery id again: a duplicate of the first, no new delivery.
	r2, m2 := received(src, *m.EventID)
	must(t, s.Receive(ctx(t), src, r2, m2, time.Hour), "Receive again")
	if r2.Outcome != hookline.ReceivedDuplicate || r2.MessageID != m.ID {
		t.Fatalf("Receive of a duplicate: outcome %q, message %q, want duplicate of %s", r2.Outcome, r2.MessageID, m.ID)
	}
	if tasks := claim(t, s, "o", later().Add(time.Hour)); len(tasks) != 0 {
		t.Fatalf("a duplicate made %d deliveries", len(tasks))
	}
	// Outside the window (0: nothing is remembered), it is accepted again.
	r3, m3 := received(src, *m.EventID)
	must(t, s.Receive(ctx(t), src, r3, m3, 0), "Receive outside the window")
	if r3.Outcome != hookline.ReceivedAccepted || r3.MessageID == m.ID {
		t.Fatalf("Receive outside the window: outcome %q, message %q", r3.Outcome, r3.MessageID)
	}
	// A refused request is logged without a message.
	r4 := &hookline.Received{RemoteAddr: "198.51.100.7", StatusCode: 401, Outcome: hookline.ReceivedRefused, Reason: "bad signature"}
	must(t, s.Receive(ctx(t), src, r4, nil, time.Hour), "Receive refused")

	page, err := s.ListReceived(ctx(t), src, hookline.ListOptions{Limit: 10})
	must(t, err, "ListReceived")
	if len(page.Items) != 4 || !page.Done {
		t.Fatalf("ListReceived: %d entries (done %v), want 4", len(page.Items), page.Done)
	}
	got := page.Items[0]
	if got.ID != r.ID || got.Outcome != hookline.ReceivedAccepted || string(got.Payload) != "a=1&b=2" ||
		got.DeliveryID != *m.EventID || got.RemoteAddr != "192.0.2.1" || got.Headers.Get("X-Github-Event") != "push" {
		t.Fatalf("first entry %+v", got)
	}
	if got := page.Items[3]; got.Outcome != hookline.ReceivedRefused || got.Reason != "bad signature" || got.Payload != nil || got.MessageID != "" {
		t.Fatalf("refused entry %+v", got)
	}
	next, err := s.ListReceived(ctx(t), src, hookline.ListOptions{Limit: 2, Iterator: page.Items[1].ID})
	must(t, err, "ListReceived after an iterator")
	if len(next.Items) != 2 || next.Items[0].ID != page.Items[2].ID {
		t.Fatalf("ListReceived after %s: %d entries", page.Items[1].ID, len(next.Items))
	}
}

// testSourceReceiveConcurrent receives the same delivery id from several
// goroutines at once: one message, one delivery.
func testSourceReceiveConcurrent(t *testing.T, s hookline.Store) {
	src := newSource(t, s)
	newEndpoint(t, s, src.AppID)
	id := uniq("delivery-")
	if n := receiveAtOnce(t, s, src, func(int) (*hookline.Received, *hookline.Message) { return received(src, id) }); n != 1 {
		t.Fatalf("%d of 8 concurrent receipts of one delivery id were accepted, want 1", n)
	}
	if tasks := claim(t, s, "o", later()); len(tasks) != 1 {
		t.Fatalf("%d deliveries, want 1", len(tasks))
	}
}

// receiveAtOnce receives the requests mk makes from 8 goroutines at once,
// and returns how many were accepted.
func receiveAtOnce(t *testing.T, s hookline.Store, src *hookline.Source, mk func(i int) (*hookline.Received, *hookline.Message)) int {
	t.Helper()
	var wg sync.WaitGroup
	accepted := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, m := mk(i)
			if err := s.Receive(ctx(t), src, r, m, time.Hour); err != nil {
				t.Errorf("Receive: %v", err)
				return
			}
			if r.Outcome == hookline.ReceivedAccepted {
				accepted <- r.MessageID
			}
		}()
	}
	wg.Wait()
	close(accepted)
	return len(accepted)
}

// testSourceReceiveBody receives one body with a BodyHash under other
// delivery ids, or none, from several goroutines at once: one message, one
// delivery; the same body later is a duplicate of it, outside the window
// it is accepted again, and another body is accepted.
func testSourceReceiveBody(t *testing.T, s hookline.Store) {
	src := newSource(t, s)
	newEndpoint(t, s, src.AppID)
	hash := uniq("hash-")
	withHash := func(id, hash string) (*hookline.Received, *hookline.Message) {
		r, m := received(src, id)
		r.BodyHash = hash
		return r, m
	}
	n := receiveAtOnce(t, s, src, func(i int) (*hookline.Received, *hookline.Message) {
		if i%2 == 0 {
			return withHash("", hash)
		}
		return withHash(uniq("delivery-"), hash)
	})
	if n != 1 {
		t.Fatalf("%d of 8 concurrent receipts of one body were accepted, want 1", n)
	}
	if tasks := claim(t, s, "o", later()); len(tasks) != 1 {
		t.Fatalf("%d deliveries, want 1", len(tasks))
	}
	r, m := withHash(uniq("delivery-"), hash)
	must(t, s.Receive(ctx(t), src, r, m, time.Hour), "Receive the body again")
	if r.Outcome != hookline.ReceivedDuplicate || r.MessageID == "" {
		t.Fatalf("the same body under a new delivery id: outcome %q, message %q, want a duplicate", r.Outcome, r.MessageID)
	}
	for what, window := range map[string]time.Duration{"outside the window": 0, "another body": time.Hour} {
		h := hash
		if what == "another body" {
			h = uniq("hash-")
		}
		r, m := withHash(uniq("delivery-"), h)
		must(t, s.Receive(ctx(t), src, r, m, window), "Receive "+what)
		if r.Outcome != hookline.ReceivedAccepted {
			t.Fatalf("%s: outcome %q, want accepted", what, r.Outcome)
		}
	}
}
