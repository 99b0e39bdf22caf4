// Command hookline is the Hookline webhook server and its tools.
//
//	hookline serve     run the server (API and dispatcher)
//	hookline migrate   create or upgrade the database and exit
//	hookline token     create, list or revoke admin API tokens
//	hookline rekey     seal the stored secrets under a new master key
//	hookline bench     measure throughput and latency end to end
//	hookline sign      sign a payload as Hookline would
//	hookline verify    verify a received webhook
//	hookline version   print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/hookline/hookline"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// serveGCPercent is the garbage collector's target of 'hookline serve'
// unless GOGC sets one. A server's live heap is small (tens of MiB: the
// deliveries in flight, caches), and what each message allocates (request
// and response buffers, rows) dies at once, so Go's default of 100 runs the
// collector every few MiB of allocation. At 300 it runs about a third as
// often: measured on the throughput benchmark, about 10 % less CPU per
// delivery for 15 MiB more RSS (400 saved no more and cost 45 MiB; see
// docs/BENCHMARKS.md). GOMEMLIMIT still bounds the heap where set.
const serveGCPercent = 300

const usage = `Usage: hookline <command> [flags]

Commands:
  serve     run the server: the /api/v1 API and the dispatcher
  migrate   create or upgrade the database, then exit
  token     create, list or revoke admin API tokens
  rekey     seal the stored secrets under a new master key
  bench     measure end-to-end throughput and latency (docs/BENCHMARKS.md)
  sign      print the headers a receiver should accept for a payload
  verify    verify a received webhook's signature
  version   print the version

Run 'hookline <command> -h' for a command's flags.
`

// envCommand runs a command configured by its flags and their environment
// twins, and returns the process exit code.
type envCommand func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int

// run runs the command in args and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	// The commands configured by flags and the environment; sign and
	// verify read standard input instead.
	envCommands := map[string]envCommand{
		"serve": runServe, "migrate": runMigrate, "rekey": runRekey, "token": runToken, "bench": runBench,
	}
	if c, ok := envCommands[cmd]; ok {
		return c(ctx, rest, getenv, stdout, stderr)
	}
	switch cmd {
	case "sign":
		return runSign(ctx, rest, stdin, stdout, stderr)
	case "verify":
		return runVerify(ctx, rest, stdin, stdout, stderr)
	case "version", "-v", "--version":
		fmt.Fprintln(stdout, "hookline", hookline.Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "hookline: unknown command %q\n\n%s", cmd, usage)
	return 2
}
