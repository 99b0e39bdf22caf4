package main

import (
	"net"
	"time"

	"golang.org/x/net/netutil"
)

// maxDefaultConnections bounds the default of --max-connections.
const maxDefaultConnections = 4096

// apiIdleTimeout is how long the API keeps an idle keep-alive connection,
// which holds a place of --max-connections meanwhile.
const apiIdleTimeout = 30 * time.Second

// defaultMaxConnections is the API's connection bound when none is given:
// half the process's limit of open files, which leaves the other half to the
// database, the deliveries and the logs, and at most maxDefaultConnections.
func defaultMaxConnections() int {
	n, ok := fileLimit()
	if !ok || n/2 > maxDefaultConnections {
		return maxDefaultConnections
	}
	return max(int(n/2), 1)
}

// limitListener returns ln accepting at most max connections at once (the
// default when max is 0): a connection over the bound waits in the kernel's
// backlog until one closes, instead of taking a file the process needs.
func limitListener(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		max = defaultMaxConnections()
	}
	return netutil.LimitListener(ln, max)
}
