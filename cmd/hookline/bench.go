package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hookline/hookline/bench"
)

const benchUsage = `Usage: hookline bench [flags]

Measures Hookline end to end: publishes through the HTTP API, receives the
deliveries on a receiver on 127.0.0.1, and compares with a bare net/http
client posting the same payloads to the same receiver. Starts its own
'hookline serve' on a temporary SQLite store for each scenario, or targets
--server. Exits 1 if a message was lost (accepted by the API, never
delivered), a signature or a webhook-id was wrong, or a publish failed.

Scenarios: throughput, latency, ingest, backlog, fanout, isolation (or all).

Flags:
`

// runBench runs 'hookline bench'.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, asJSON, quiet, runs, err := parseBenchFlags(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "hookline bench:", err)
		return 2
	}
	if !quiet {
		opts.Progress = stderr
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	tables := stdout
	if asJSON {
		tables = stderr
	}
	var reps []*bench.Report
	code := 0
	for run := 1; run <= runs; run++ {
		if runs > 1 {
			fmt.Fprintf(tables, "run %d of %d\n", run, runs)
		}
		rep, err := bench.Run(ctx, opts)
		if rep != nil {
			rep.WriteTable(tables)
			if runs > 1 {
				fmt.Fprintln(tables)
			}
			reps = append(reps, rep)
			if !rep.OK {
				code = 1
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "hookline bench:", err)
			code = 1
			break
		}
	}
	if runs > 1 && len(reps) > 0 {
		fmt.Fprintf(tables, "over %d runs: the median [the range]\n", len(reps))
		sums := bench.Summarize(reps)
		bench.WriteSummary(tables, sums)
		if asJSON {
			writeJSON(stdout, struct {
				Runs    []*bench.Report `json:"runs"`
				Summary []bench.Summary `json:"summary"`
			}{reps, sums})
		}
	} else if asJSON && len(reps) == 1 {
		reps[0].WriteJSON(stdout)
	}
	return code
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func parseBenchFlags(args []string, getenv func(string) string, stderr io.Writer) (opts bench.Options, asJSON, quiet bool, runs int, err error) {
	opts = bench.DefaultOptions()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage)
		fs.PrintDefaults()
	}
	scenarios := fs.String("scenario", "all", "comma-separated scenarios to run: "+strings.Join(bench.Scenarios, ", ")+", or all")
	fs.StringVar(&opts.ServerURL, "server", getenv("HOOKLINE_BENCH_SERVER"), "URL of a running server to measure instead of starting one; it must allow 127.0.0.0/8 ($HOOKLINE_BENCH_SERVER)")
	fs.StringVar(&opts.Token, "token", getenv("HOOKLINE_BENCH_TOKEN"), "admin API token of --server ($HOOKLINE_BENCH_TOKEN)")
	serveFlags := fs.String("serve-flags", "", "extra flags for the 'serve' the benchmark starts, space-separated (e.g. \"--workers 128\")")
	serverCmd := fs.String("server-command", "", "hookline binary to start as 'serve' (default: this executable)")
	fs.StringVar(&opts.TempDir, "tmp", "", "directory for the temporary stores (default: the system's)")
	fs.StringVar(&opts.Postgres, "postgres", getenv("HOOKLINE_BENCH_POSTGRES"), "URL of a PostgreSQL database: the started servers use a new schema in it per scenario instead of SQLite ($HOOKLINE_BENCH_POSTGRES)")
	size := bytesFlag(opts.PayloadSize)
	fs.Var(&size, "size", "payload size, bytes or with a KiB suffix")
	fs.IntVar(&opts.Messages, "messages", opts.Messages, "throughput: messages")
	fs.IntVar(&opts.Publishers, "publishers", opts.Publishers, "throughput, latency, backlog and baseline: concurrent publishers")
	fs.IntVar(&opts.BaselineMessages, "baseline-messages", 0, "baseline: messages (default: --messages)")
	fs.Float64Var(&opts.LatencyRate, "rate", opts.LatencyRate, "latency: messages per second")
	fs.DurationVar(&opts.LatencyDuration, "duration", opts.LatencyDuration, "latency: how long to publish")
	fs.IntVar(&opts.IngestMessages, "ingest-messages", opts.IngestMessages, "ingest: messages")
	fs.IntVar(&opts.IngestPublishers, "ingest-publishers", opts.IngestPublishers, "ingest: concurrent publishers")
	fs.IntVar(&opts.BacklogMessages, "backlog", opts.BacklogMessages, "backlog: messages waiting before delivery starts")
	fs.IntVar(&opts.FanoutEndpoints, "fanout", opts.FanoutEndpoints, "fanout: endpoints that get the one message")
	fs.IntVar(&opts.DeadEndpoints, "dead-endpoints", opts.DeadEndpoints, "isolation: endpoints that never answer")
	fs.Float64Var(&opts.DeadRate, "dead-rate", opts.DeadRate, "isolation: messages per second to the dead endpoints (each to all)")
	fs.DurationVar(&opts.DeadWarmup, "dead-warmup", opts.DeadWarmup, "isolation: how long the dead endpoints get messages before the healthy one's are published")
	fs.IntVar(&opts.VerifyEvery, "verify-every", opts.VerifyEvery, "check the signature of one delivery in N (1: all)")
	fs.DurationVar(&opts.LostWait, "lost-wait", opts.LostWait, "after publishing, how long without an arrival before missing deliveries count as lost")
	serverLog := fs.Bool("server-log", false, "copy what the started servers log to stderr")
	fs.BoolVar(&asJSON, "json", false, "print the report as one JSON object on stdout (the table goes to stderr)")
	fs.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	fs.IntVar(&runs, "runs", 1, "run everything this many times, then print each figure's median and range (runs vary more than most changes)")
	if err = fs.Parse(args); err != nil {
		return opts, false, false, 0, err
	}
	if fs.NArg() > 0 {
		return opts, false, false, 0, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	opts.PayloadSize = int(size)
	opts.Scenarios = nil
	for _, s := range strings.Split(*scenarios, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "all":
			opts.Scenarios = append(opts.Scenarios, bench.Scenarios...)
		default:
			if !slices.Contains(bench.Scenarios, s) {
				return opts, false, false, 0, fmt.Errorf("unknown scenario %q (want %s or all)", s, strings.Join(bench.Scenarios, ", "))
			}
			opts.Scenarios = append(opts.Scenarios, s)
		}
	}
	if len(opts.Scenarios) == 0 {
		return opts, false, false, 0, errors.New("--scenario names no scenario")
	}
	opts.ServeFlags = strings.Fields(*serveFlags)
	if *serverCmd != "" {
		opts.ServerCommand = []string{*serverCmd}
	}
	if *serverLog {
		opts.ServerLog = stderr
	}
	if opts.ServerURL != "" && opts.Token == "" {
		return opts, false, false, 0, errors.New("--server needs --token")
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"messages", opts.Messages}, {"publishers", opts.Publishers}, {"ingest-messages", opts.IngestMessages},
		{"ingest-publishers", opts.IngestPublishers}, {"backlog", opts.BacklogMessages}, {"fanout", opts.FanoutEndpoints},
		{"verify-every", opts.VerifyEvery}} {
		if v.n <= 0 {
			return opts, false, false, 0, fmt.Errorf("--%s must be positive", v.name)
		}
	}
	if opts.LatencyRate <= 0 || opts.LatencyDuration <= 0 || opts.LostWait <= 0 {
		return opts, false, false, 0, errors.New("--rate, --duration and --lost-wait must be positive")
	}
	if opts.LatencyDuration > 24*time.Hour {
		return opts, false, false, 0, errors.New("--duration is more than a day")
	}
	if runs < 1 {
		return opts, false, false, 0, errors.New("--runs must be positive")
	}
	return opts, asJSON, quiet, runs, nil
}

// bytesFlag is a size in bytes, written as a number or with a KiB or MiB
// suffix.
type bytesFlag int

func (b *bytesFlag) String() string { return fmt.Sprint(int(*b)) }

func (b *bytesFlag) Set(s string) error {
	var v bytesValue
	if err := v.Set(s); err != nil {
		return err
	}
	if v > 1<<20 {
		return fmt.Errorf("%q: payloads over 1 MiB are refused by the server's default limit", s)
	}
	*b = bytesFlag(v)
	return nil
}
