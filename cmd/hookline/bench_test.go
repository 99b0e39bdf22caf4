package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/bench"
)

func TestBenchFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	opts, asJSON, quiet, runs, err := parseBenchFlags(nil, noEnv, io.Discard)
	if err != nil || asJSON || quiet || runs != 1 {
		t.Fatalf("defaults: %v %v %v %d", err, asJSON, quiet, runs)
	}
	d := bench.DefaultOptions()
	if !slices.Equal(opts.Scenarios, bench.Scenarios) || opts.Messages != d.Messages || opts.PayloadSize != 1024 ||
		opts.Publishers != 32 || opts.BacklogMessages != 1_000_000 || opts.FanoutEndpoints != 1000 ||
		opts.LatencyRate != 1000 || opts.LatencyDuration != 30*time.Second || opts.IngestPublishers != 64 {
		t.Errorf("defaults: %+v", opts)
	}

	opts, asJSON, _, runs, err = parseBenchFlags([]string{"--scenario", "fanout, throughput", "--size", "2KiB",
		"--messages", "10", "--duration", "2s", "--serve-flags", "--workers 8", "--json", "--runs", "3"}, noEnv, io.Discard)
	if err != nil || !asJSON || runs != 3 {
		t.Fatal(err, runs)
	}
	if !slices.Equal(opts.Scenarios, []string{"fanout", "throughput"}) || opts.PayloadSize != 2048 || opts.Messages != 10 ||
		opts.LatencyDuration != 2*time.Second || !slices.Equal(opts.ServeFlags, []string{"--workers", "8"}) {
		t.Errorf("parsed: %+v", opts)
	}

	env := map[string]string{"HOOKLINE_BENCH_SERVER": "http://127.0.0.1:1", "HOOKLINE_BENCH_TOKEN": "tok"}
	opts, _, _, _, err = parseBenchFlags(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || opts.ServerURL != "http://127.0.0.1:1" || opts.Token != "tok" {
		t.Errorf("from the environment: %v %+v", err, opts)
	}

	for _, bad := range [][]string{
		{"--scenario", "speed"}, {"--scenario", ""}, {"--messages", "0"}, {"--server", "http://x"},
		{"--size", "2MiB"}, {"extra"}, {"--rate", "-1"}, {"--runs", "0"},
	} {
		if _, _, _, _, err := parseBenchFlags(bad, noEnv, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	var stderr bytes.Buffer
	if code := runBench(context.Background(), []string{"--scenario", "speed"}, noEnv, io.Discard, &stderr); code != 2 {
		t.Errorf("unknown scenario: exit %d, want 2", code)
	}
}

// TestBenchExitsNonZeroOnLoss runs the command against a fake API that
// accepts messages and never delivers them.
func TestBenchExitsNonZeroOnLoss(t *testing.T) {
	var msgs atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("POST /api/v1/app", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		io.WriteString(w, `{"id":"app_1"}`)
	})
	mux.HandleFunc("DELETE /api/v1/app/{app}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("POST /api/v1/app/{app}/endpoint", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		io.WriteString(w, `{"id":"ep_1"}`)
	})
	mux.HandleFunc("POST /api/v1/app/{app}/msg", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(202)
		fmt.Fprintf(w, `{"id":"msg_%d"}`, msgs.Add(1))
	})
	api := httptest.NewServer(mux)
	defer api.Close()

	var stdout, stderr bytes.Buffer
	code := runBench(context.Background(), []string{"--server", api.URL, "--token", "t", "--scenario", "throughput",
		"--messages", "20", "--publishers", "4", "--lost-wait", "300ms", "--json", "--quiet"},
		func(string) string { return "" }, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1\n%s", code, stderr.String())
	}
	var rep bench.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	if rep.OK || rep.Lost != 20 || len(rep.Results) != 1 || rep.Results[0].Lost != 20 {
		t.Errorf("report: ok %v, lost %d", rep.OK, rep.Lost)
	}
	if !strings.Contains(stderr.String(), "FAILED: 20 lost") {
		t.Errorf("stderr:\n%s", stderr.String())
	}

	// Several runs: one JSON object with every report and the summary.
	stdout.Reset()
	stderr.Reset()
	code = runBench(context.Background(), []string{"--server", api.URL, "--token", "t", "--scenario", "throughput",
		"--messages", "20", "--publishers", "4", "--lost-wait", "300ms", "--json", "--quiet", "--runs", "2"},
		func(string) string { return "" }, &stdout, &stderr)
	if code != 1 {
		t.Errorf("two runs: exit %d, want 1", code)
	}
	var many struct {
		Runs    []bench.Report
		Summary []bench.Summary
	}
	if err := json.Unmarshal(stdout.Bytes(), &many); err != nil {
		t.Fatalf("two runs: stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	if len(many.Runs) != 2 || len(many.Summary) == 0 || many.Summary[0].Scenario != "baseline" || many.Summary[0].Runs != 2 {
		t.Errorf("two runs: %d reports, summary %+v", len(many.Runs), many.Summary)
	}
	if !strings.Contains(stderr.String(), "run 2 of 2") || !strings.Contains(stderr.String(), "over 2 runs") {
		t.Errorf("two runs, stderr:\n%s", stderr.String())
	}
}
