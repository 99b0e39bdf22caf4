package storetest

import (
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/wait"
)

// Drain empties s.Due(), so that a later signal is one a later change sent.
func Drain(s hookline.Store) {
	for {
		select {
		case <-s.Due():
		default:
			return
		}
	}
}

// Signalled waits for a value on s.Due() (up to wait.Deadline), and
// reports whether one came. The signal should come before the method that
// caused it returns; the wait is for drivers that relay it, such as
// PostgreSQL's LISTEN.
func Signalled(s hookline.Store) bool {
	select {
	case <-s.Due():
		return true
	case <-time.After(wait.Deadline):
		return false
	}
}
