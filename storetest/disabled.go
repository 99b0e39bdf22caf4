package storetest

import (
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// wantDisabled fails t unless the endpoint as stored is disabled for why
// (enabled, for ""), since a time in [from, to] when it is disabled.
func wantDisabled(t *testing.T, s hookline.Store, appID, id string, why hookline.DisabledReason, from, to time.Time) *hookline.Endpoint {
	t.Helper()
	ep, err := s.Endpoint(ctx(t), appID, id)
	must(t, err, "Endpoint")
	checkDisabled(t, ep, why, from, to, "Endpoint")
	return ep
}

func checkDisabled(t *testing.T, ep *hookline.Endpoint, why hookline.DisabledReason, from, to time.Time, what string) {
	t.Helper()
	switch {
	case why == "":
		if ep.Disabled || ep.DisabledReason != "" || ep.DisabledAt != nil {
			t.Fatalf("%s: enabled endpoint reads back disabled %v, reason %q at %v", what, ep.Disabled, ep.DisabledReason, ep.DisabledAt)
		}
	case !ep.Disabled || ep.DisabledReason != why || ep.DisabledAt == nil:
		t.Fatalf("%s: disabled %v, reason %q at %v; want disabled for %q", what, ep.Disabled, ep.DisabledReason, ep.DisabledAt, why)
	case ep.DisabledAt.Before(hookline.StoredTime(from)) || ep.DisabledAt.After(to) || ep.DisabledAt.Location() != time.UTC:
		t.Fatalf("%s: disabled at %v, not in [%v, %v] in UTC", what, ep.DisabledAt, from, to)
	}
}

// testEndpointDisabledReason: a store records why and since when an
// endpoint is disabled: manual (a create or an update), gone and failing
// (an outcome); the first reason stays while the endpoint stays disabled;
// enabling it clears both; a deleted endpoint keeps them among its
// message's destinations.
func testEndpointDisabledReason(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	start := time.Now()

	// Created disabled: manual, since its creation.
	off := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) {
		e.Disabled = true
		e.DisabledReason = hookline.DisabledGone // not the caller's to say
	})
	if off.DisabledReason != hookline.DisabledManual || off.DisabledAt == nil || !off.DisabledAt.Equal(off.CreatedAt) {
		t.Fatalf("created disabled: reason %q at %v, created %v", off.DisabledReason, off.DisabledAt, off.CreatedAt)
	}
	got := wantDisabled(t, s, a.ID, off.ID, hookline.DisabledManual, start, time.Now())
	same(t, got, off, "an endpoint created disabled")

	// Disabled by an update: manual, at the update; a later update that
	// keeps it disabled keeps its reason and time; enabled, neither.
	ep := newEndpoint(t, s, a.ID)
	wantDisabled(t, s, a.ID, ep.ID, "", start, time.Now())
	ep.Disabled = true
	before := time.Now()
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint: disable")
	checkDisabled(t, ep, hookline.DisabledManual, before, time.Now(), "the endpoint UpdateEndpoint disabled")
	since := *ep.DisabledAt
	got = wantDisabled(t, s, a.ID, ep.ID, hookline.DisabledManual, before, time.Now())
	same(t, got, ep, "an endpoint disabled by an update")
	ep.Description = "still off"
	ep.DisabledAt = nil // not the caller's to say
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint while disabled")
	if got = wantDisabled(t, s, a.ID, ep.ID, hookline.DisabledManual, before, time.Now()); !got.DisabledAt.Equal(since) {
		t.Fatalf("an update that kept it disabled moved its time from %v to %v", since, got.DisabledAt)
	}
	ep.Disabled = false
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint: enable")
	checkDisabled(t, ep, "", start, time.Now(), "the endpoint UpdateEndpoint enabled")
	wantDisabled(t, s, a.ID, ep.ID, "", start, time.Now())

	// An outcome disables it for its reason, at the time it is written.
	for _, why := range []hookline.DisabledReason{hookline.DisabledGone, hookline.DisabledFailing} {
		b := newApp(t, s)
		ep := newEndpoint(t, s, b.ID)
		m, _ := newMessage(t, s, b.ID, "x")
		task := claimOne(t, s, "w", later())
		out := outcome(task, hookline.StatusFail, 410)
		out.Disable = why
		before := time.Now()
		must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")
		got := wantDisabled(t, s, b.ID, ep.ID, why, before, time.Now())
		page, err := s.ListEndpoints(ctx(t), b.ID, hookline.ListOptions{})
		must(t, err, "ListEndpoints")
		if len(page.Items) != 1 {
			t.Fatalf("ListEndpoints: %d endpoints", len(page.Items))
		}
		same(t, page.Items[0], got, "a listed endpoint an outcome disabled")

		// Deleted, it stays among its message's destinations as it was.
		must(t, s.DeleteEndpoint(ctx(t), b.ID, ep.ID), "DeleteEndpoint")
		dests, err := s.ListDeliveriesByMessage(ctx(t), b.ID, m.ID, hookline.ListOptions{})
		must(t, err, "ListDeliveriesByMessage")
		if len(dests.Items) != 1 {
			t.Fatalf("ListDeliveriesByMessage: %d destinations", len(dests.Items))
		}
		d := dests.Items[0].Endpoint
		if d.DisabledReason != why || d.DisabledAt == nil || !d.DisabledAt.Equal(*got.DisabledAt) {
			t.Fatalf("a deleted destination: reason %q at %v, want %q at %v", d.DisabledReason, d.DisabledAt, why, got.DisabledAt)
		}
	}

	// Disabled by hand while an attempt was in flight, it keeps that
	// reason when the attempt's outcome would disable it too.
	c := newApp(t, s)
	busy := newEndpoint(t, s, c.ID)
	m, _ := newMessage(t, s, c.ID, "x")
	task := claimOne(t, s, "w", later())
	busy.Disabled = true
	before = time.Now()
	must(t, s.UpdateEndpoint(ctx(t), busy), "UpdateEndpoint: disable")
	out := outcome(task, hookline.StatusFail, 410)
	out.Disable = hookline.DisabledGone
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")
	got = wantDisabled(t, s, c.ID, busy.ID, hookline.DisabledManual, before, time.Now())
	if !got.DisabledAt.Equal(*busy.DisabledAt) {
		t.Fatalf("an outcome moved the time it was disabled from %v to %v", busy.DisabledAt, got.DisabledAt)
	}
	if d := delivery(t, s, c.ID, m.ID, busy.ID); d.Status != hookline.StatusFail {
		t.Fatalf("the delivery of the outcome: %+v", d)
	}
	// A deferred outcome disables nothing.
	d := newApp(t, s)
	held := newEndpoint(t, s, d.ID)
	newMessage(t, s, d.ID, "x")
	task = claimOne(t, s, "w", later())
	out = hookline.Outcome{DeliveryID: task.Delivery.ID, Status: hookline.StatusPending, Attempts: task.Delivery.Attempts,
		Deferred: true, Disable: hookline.DisabledFailing}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete deferred")
	wantDisabled(t, s, d.ID, held.ID, "", start, time.Now())
}
