// Package wait lets a test wait for what must come to pass: a delivery to
// arrive, a notification to be relayed, a process to start listening.
//
// A test that waits is waiting for something that must happen, so the
// deadline only keeps a broken test from hanging; it measures nothing. It
// is generous, for a slow CI machine with two cores shared by other jobs,
// and one for the whole module (Deadline). A wait is never the proof that
// something did not happen: a test shows that with a fake clock
// (testing/synctest), or by stopping whatever could have made it happen
// and then looking.
package wait

import (
	"testing"
	"time"
)

// Deadline is how long For waits before it fails the test, and how long a
// test waits for a value on a channel (time.After(wait.Deadline)).
const Deadline = 2 * time.Minute

// maxPause bounds the pause between two calls of a condition, which may
// query a database or a child process.
const maxPause = 50 * time.Millisecond

// For calls cond until it returns true, and fails t, naming what it waited
// for, when Deadline passes first. It pauses between calls, a millisecond
// at first and longer as the wait goes on, up to 50 ms. Inside a
// testing/synctest bubble the pauses and the deadline are on the bubble's
// fake clock.
func For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, Deadline, what, cond)
}

// Within is For with the deadline d instead of Deadline. It is for the
// few tests whose deadline is itself the claim, such as a change seen
// before a cache's age bound could have made it visible anyway; any other
// test uses For.
func Within(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", d, what)
		}
		time.Sleep(pause)
		pause = min(2*pause, maxPause)
	}
}
