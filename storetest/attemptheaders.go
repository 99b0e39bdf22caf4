package storetest

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/hookline/hookline"
)

// testAttemptHeaders: Complete keeps the headers an attempt sent, and
// AttemptHeaders reads them back, only within their application and
// message; an attempt that kept none reads back empty.
func testAttemptHeaders(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	other := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	newEndpoint(t, s, other.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	om, _ := newMessage(t, s, other.ID, "x")
	sent := http.Header{}
	sent.Set("Content-Type", "application/json")
	sent.Set("Webhook-Id", m.ID)
	sent.Set("X-Api-Key", "do-not-keep")
	var outs []hookline.Outcome
	for _, task := range claim(t, s, "w", later()) {
		o := outcome(task, hookline.StatusSuccess, 200)
		if task.Delivery.MessageID == m.ID {
			o.Attempt.Headers = hookline.EncodeSentHeaders(sent)
		}
		outs = append(outs, o)
	}
	if len(outs) != 2 {
		t.Fatalf("claimed %d, want 2", len(outs))
	}
	must(t, s.Complete(ctx(t), "w", outs), "Complete")
	var withHeaders, without *hookline.Attempt
	for i := range outs {
		if outs[i].Attempt.MessageID == m.ID {
			withHeaders = &outs[i].Attempt
		} else {
			without = &outs[i].Attempt
		}
	}

	h, err := s.AttemptHeaders(ctx(t), a.ID, m.ID, withHeaders.ID)
	must(t, err, "AttemptHeaders")
	got, withheld, err := h.Decode()
	must(t, err, "Decode")
	if want := map[string]string{"Content-Type": "application/json", "Webhook-Id": m.ID}; !reflect.DeepEqual(got, want) ||
		!reflect.DeepEqual(withheld, []string{"X-Api-Key"}) {
		t.Fatalf("AttemptHeaders = %v, %v; want %v, [X-Api-Key]", got, withheld, want)
	}
	// The attempt as the lists read it is the same without its headers.
	at, err := s.Attempt(ctx(t), a.ID, m.ID, withHeaders.ID)
	must(t, err, "Attempt")
	if at.ID != withHeaders.ID || at.EndpointID != ep.ID {
		t.Fatalf("Attempt %+v", at)
	}

	h, err = s.AttemptHeaders(ctx(t), other.ID, om.ID, without.ID)
	must(t, err, "AttemptHeaders of an attempt that kept none")
	if h != "" {
		t.Fatalf("AttemptHeaders of an attempt that kept none = %q, want none", h)
	}

	for _, c := range []struct{ app, msg, attempt, what string }{
		{other.ID, m.ID, withHeaders.ID, "another application"},
		{other.ID, om.ID, withHeaders.ID, "another application's message"},
		{a.ID, om.ID, withHeaders.ID, "another message"},
		{a.ID, m.ID, hookline.NewID(hookline.PrefixAttempt), "a missing attempt"},
	} {
		_, err := s.AttemptHeaders(ctx(t), c.app, c.msg, c.attempt)
		wantCode(t, err, hookline.ENOTFOUND, "AttemptHeaders of "+c.what)
		if err != hookline.ErrAttemptNotFound {
			t.Fatalf("AttemptHeaders of %s: %v, want ErrAttemptNotFound", c.what, err)
		}
	}
}
