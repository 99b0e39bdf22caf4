package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// onSignals makes the first SIGINT or SIGTERM call shutDown, for a graceful
// shutdown, and a second one end the process at once with exit status 1,
// saying so on stderr: without waiting for the attempts in flight, whose
// deliveries stay leased in the store and are attempted again once the
// leases are given back (a SQLite serve does at its next start) or expire.
// The returned stop ends the handling.
func onSignals(shutDown func(), stderr io.Writer) (stop func()) {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-signals:
			shutDown()
		case <-done:
			return
		}
		select {
		case <-signals:
			fmt.Fprintln(stderr, "hookline serve: a second signal: exiting at once; the deliveries in flight will be attempted again")
			os.Exit(1)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(signals)
		close(done)
	}
}
