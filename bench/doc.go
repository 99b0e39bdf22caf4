// Package bench measures Hookline end to end, as 'hookline bench' does: it
// publishes messages through the HTTP API like any client, receives the
// deliveries on its own net/http receiver on 127.0.0.1, and reports
// throughput, latency, server memory and CPU, next to a bare net/http
// baseline measured in the same run on the same receiver.
//
// The server is either a 'hookline serve' child process the benchmark
// starts on a temporary SQLite store (one per scenario, so that scenarios do
// not disturb each other), whose RSS and CPU time it reads from /proc, or an
// existing server given by URL and token.
//
// A message is lost when the API accepted it (202) and its delivery never
// arrived, no arrival having come for Options.LostWait after publishing
// finished. A Report with a lost message, a bad signature, a wrong
// webhook-id or a refused publish is not OK.
package bench
