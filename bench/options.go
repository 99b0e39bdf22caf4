package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Options configures a run. Zero fields take the defaults of the issue's
// scenarios (see DefaultOptions).
type Options struct {
	// Scenarios to run; empty means all. The baseline always runs first.
	Scenarios []string

	// ServerURL, when set, targets an existing server (with Token, an admin
	// API token) instead of starting one. That server must allow deliveries
	// to 127.0.0.1 (--allow-network 127.0.0.0/8). The ingest and backlog
	// scenarios need a server the benchmark starts and are skipped.
	ServerURL string
	Token     string
	// ServerCommand is the hookline binary to start as 'serve' (with any
	// arguments that come before "serve"). Default: this executable.
	ServerCommand []string
	// ServeFlags are added to the 'serve' command line (e.g. --workers=128).
	ServeFlags []string
	// TempDir holds the temporary stores. Default: os.TempDir().
	TempDir string
	// Postgres, when set, is the URL of a PostgreSQL database the started
	// servers keep their stores in instead of SQLite: a new schema per
	// scenario, dropped afterwards.
	Postgres string

	PayloadSize int // bytes of each payload; default 1024

	Messages   int // throughput: messages; default 50,000
	Publishers int // throughput, latency, backlog and the baseline: concurrent publishers; default 32

	BaselineMessages int // default Messages

	LatencyRate     float64       // latency: messages per second; default 1,000
	LatencyDuration time.Duration // latency: how long; default 30 s

	IngestMessages   int // ingest: messages; default 50,000
	IngestPublishers int // ingest: concurrent publishers; default 64

	BacklogMessages int // backlog: messages waiting before delivery starts; default 1,000,000

	FanoutEndpoints int // fanout: endpoints that get the one message; default 1,000

	// Isolation: DeadEndpoints that never answer get DeadRate messages a
	// second (each to all of them) from DeadWarmup before the healthy
	// endpoint's Messages are published, and until they are delivered.
	// Defaults 100, 10/s and 20 s.
	DeadEndpoints int
	DeadRate      float64
	DeadWarmup    time.Duration

	// VerifyEvery checks the signature of one request in VerifyEvery; 1
	// checks all. Default 10.
	VerifyEvery int
	// LostWait is how long the benchmark waits, after publishing finished,
	// for a delivery to arrive before it calls the missing ones lost.
	// Default 60 s.
	LostWait time.Duration

	// Progress, when not nil, gets a line a second on long runs.
	Progress io.Writer
	// ServerLog, when not nil, gets what the child servers log.
	ServerLog io.Writer
}

// DefaultOptions returns the options of the scenarios.
func DefaultOptions() Options {
	return Options{
		Scenarios:        slices.Clone(Scenarios),
		PayloadSize:      1024,
		Messages:         50_000,
		Publishers:       32,
		LatencyRate:      1000,
		LatencyDuration:  30 * time.Second,
		IngestMessages:   50_000,
		IngestPublishers: 64,
		BacklogMessages:  1_000_000,
		FanoutEndpoints:  1000,
		DeadEndpoints:    100,
		DeadRate:         10,
		DeadWarmup:       20 * time.Second,
		VerifyEvery:      10,
		LostWait:         60 * time.Second,
	}
}

func (o *Options) fill() error {
	d := DefaultOptions()
	if len(o.Scenarios) == 0 {
		o.Scenarios = d.Scenarios
	}
	for _, s := range o.Scenarios {
		if !slices.Contains(Scenarios, s) {
			return fmt.Errorf("bench: unknown scenario %q (want %s or all)", s, strings.Join(Scenarios, ", "))
		}
	}
	setInt := func(p *int, def int) {
		if *p <= 0 {
			*p = def
		}
	}
	setInt(&o.PayloadSize, d.PayloadSize)
	setInt(&o.Messages, d.Messages)
	setInt(&o.Publishers, d.Publishers)
	setInt(&o.BaselineMessages, o.Messages)
	setInt(&o.IngestMessages, d.IngestMessages)
	setInt(&o.IngestPublishers, d.IngestPublishers)
	setInt(&o.BacklogMessages, d.BacklogMessages)
	setInt(&o.FanoutEndpoints, d.FanoutEndpoints)
	setInt(&o.DeadEndpoints, d.DeadEndpoints)
	if o.DeadRate <= 0 {
		o.DeadRate = d.DeadRate
	}
	if o.DeadWarmup < 0 {
		o.DeadWarmup = 0
	} else if o.DeadWarmup == 0 {
		o.DeadWarmup = d.DeadWarmup
	}
	setInt(&o.VerifyEvery, d.VerifyEvery)
	if o.LatencyRate <= 0 {
		o.LatencyRate = d.LatencyRate
	}
	if o.LatencyDuration <= 0 {
		o.LatencyDuration = d.LatencyDuration
	}
	if o.LostWait <= 0 {
		o.LostWait = d.LostWait
	}
	if o.ServerURL != "" {
		o.ServerURL = strings.TrimRight(o.ServerURL, "/")
		if o.Token == "" {
			return errors.New("bench: a server URL needs a token")
		}
	} else if len(o.ServerCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: finding the hookline binary: %w", err)
		}
		o.ServerCommand = []string{exe}
	}
	return nil
}
