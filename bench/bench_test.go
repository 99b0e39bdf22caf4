package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hookline/hookline/signature"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// hooklineBinary builds ./cmd/hookline once for the package's tests.
func hooklineBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the hookline binary")
	}
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		buildDir, buildErr = os.MkdirTemp("", "hookline-bench-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "hookline")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/hookline")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/hookline: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// TestMain fails the package's tests when they leave a goroutine running,
// and removes the binary they built.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if buildDir != "" {
			os.RemoveAll(buildDir)
		}
		os.Exit(code)
	}))
}

// tiny returns options for small, quick versions of every scenario.
func tiny(t *testing.T) Options {
	return Options{
		Scenarios:        Scenarios,
		TempDir:          t.TempDir(),
		PayloadSize:      1024,
		Messages:         200,
		Publishers:       8,
		BaselineMessages: 200,
		LatencyRate:      100,
		LatencyDuration:  2 * time.Second,
		IngestMessages:   200,
		IngestPublishers: 8,
		BacklogMessages:  500,
		FanoutEndpoints:  10,
		DeadEndpoints:    5,
		DeadRate:         5,
		DeadWarmup:       500 * time.Millisecond,
		VerifyEvery:      1,
		LostWait:         20 * time.Second,
		Progress:         testWriter{t},
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestScenarios runs a tiny version of every scenario against child
// servers of the real binary.
func TestScenarios(t *testing.T) {
	opts := tiny(t)
	opts.ServerCommand = []string{hooklineBinary(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)
	if !rep.OK {
		t.Errorf("report not OK: lost %d, bad signatures %d, failures %d", rep.Lost, rep.BadSignatures, rep.Failures)
	}
	checkDelivery(t, rep.Baseline, "baseline", 200, 200, false)
	if len(rep.Results) != len(Scenarios) {
		t.Fatalf("%d results, want %d", len(rep.Results), len(Scenarios))
	}
	want := map[string][2]int{ // messages, deliveries
		Throughput: {200, 200},
		Latency:    {200, 200},
		Backlog:    {500, 500},
		Fanout:     {1, 10},
		Isolation:  {200, 200},
	}
	for _, r := range rep.Results {
		if r.Error != "" || r.Skipped != "" {
			t.Errorf("%s: error %q, skipped %q", r.Scenario, r.Error, r.Skipped)
			continue
		}
		if r.Scenario == Ingest {
			if r.Messages != 200 || r.PublishErrors != 0 || r.Rate <= 0 || r.Seconds <= 0 || r.Latency == nil {
				t.Errorf("ingest: %+v", r)
			}
			if r.OfBaseline <= 0 {
				t.Errorf("ingest: no fraction of the baseline")
			}
			checkServer(t, r)
			continue
		}
		w := want[r.Scenario]
		checkDelivery(t, r, r.Scenario, w[0], w[1], true)
		checkServer(t, r)
		if r.Scenario != Latency && r.OfBaseline <= 0 {
			t.Errorf("%s: no fraction of the baseline", r.Scenario)
		}
		if r.Scenario != Backlog && r.Latency == nil {
			t.Errorf("%s: no latency", r.Scenario)
		}
		if len(r.Targets) == 0 {
			t.Errorf("%s: no targets compared", r.Scenario)
		}
	}
	var tbl, js bytes.Buffer
	rep.WriteTable(&tbl)
	if !strings.Contains(tbl.String(), "OK:") || !strings.Contains(tbl.String(), "throughput") {
		t.Errorf("table:\n%s", tbl.String())
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != len(rep.Results) || !back.OK {
		t.Errorf("JSON does not read back: %v\n%s", err, js.String())
	}
}

func logReport(t *testing.T, rep *Report) {
	t.Helper()
	var b bytes.Buffer
	rep.WriteTable(&b)
	t.Log("\n" + b.String())
}

func checkDelivery(t *testing.T, r *Result, name string, messages, deliveries int, signed bool) {
	t.Helper()
	if r == nil {
		t.Fatalf("%s: no result", name)
	}
	if r.Messages != messages || r.Deliveries != deliveries || r.Received != deliveries || r.Lost != 0 {
		t.Errorf("%s: messages %d deliveries %d received %d lost %d; want %d, %d, %d, 0",
			name, r.Messages, r.Deliveries, r.Received, r.Lost, messages, deliveries, deliveries)
	}
	if r.BadSignatures != 0 || r.WrongIDs != 0 || r.Corrupt != 0 || r.PublishErrors != 0 {
		t.Errorf("%s: bad signatures %d, wrong ids %d, corrupt %d, publish errors %d (%s)",
			name, r.BadSignatures, r.WrongIDs, r.Corrupt, r.PublishErrors, r.FirstError)
	}
	if signed && r.SignaturesChecked == 0 {
		t.Errorf("%s: no signature checked", name)
	}
	if r.Seconds <= 0 || r.Rate <= 0 {
		t.Errorf("%s: seconds %v rate %v", name, r.Seconds, r.Rate)
	}
}

func checkServer(t *testing.T, r *Result) {
	t.Helper()
	if !procSupported {
		return
	}
	u := r.Server
	if u == nil || u.PeakRSSMiB <= 0 || u.HWMMiB <= 0 || u.CPUSeconds < 0 || u.CPUPerOp < 0 {
		t.Errorf("%s: server usage %+v", r.Scenario, u)
	}
}

// TestExternalServer measures a server given by URL and token.
func TestExternalServer(t *testing.T) {
	bin := hooklineBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const token = "hk_bench_test_token_0123456789"
	c, err := startChild(ctx, []string{bin}, filepath.Join(t.TempDir(), "ext.db"), token, false, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop(time.Minute)
	opts := tiny(t)
	opts.ServerURL, opts.Token = "http://"+c.addr, token
	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)
	if !rep.OK {
		t.Errorf("report not OK")
	}
	for _, r := range rep.Results {
		switch r.Scenario {
		case Ingest, Backlog:
			if r.Skipped == "" {
				t.Errorf("%s ran against an external server", r.Scenario)
			}
		case Fanout:
			checkDelivery(t, r, r.Scenario, 1, 10, true)
		default:
			checkDelivery(t, r, r.Scenario, 200, 200, true)
		}
		if r.Server != nil {
			t.Errorf("%s: server usage of a server the benchmark did not start", r.Scenario)
		}
	}
}

// fakeAPI is a stand-in for the Hookline API: it accepts everything, and
// delivers (synchronously, signed with sign's secret) when sign is set.
type fakeAPI struct {
	*httptest.Server
	sign      func(secret string) []byte // the HMAC key to sign with; nil: never deliver
	mu        sync.Mutex
	endpoints []fakeEndpoint
	n         atomic.Int64
}

type fakeEndpoint struct{ url, secret string }

func newFakeAPI(t *testing.T, sign func(secret string) []byte) *fakeAPI {
	f := &fakeAPI{sign: sign}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("POST /api/v1/app", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		io.WriteString(w, `{"id":"app_fake","name":"x"}`)
	})
	mux.HandleFunc("DELETE /api/v1/app/{app}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("POST /api/v1/app/{app}/endpoint", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ URL, Secret string }
		json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		f.endpoints = append(f.endpoints, fakeEndpoint{in.URL, in.Secret})
		n := len(f.endpoints)
		f.mu.Unlock()
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"id":"ep_%d"}`, n)
	})
	mux.HandleFunc("POST /api/v1/app/{app}/msg", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			EventType string          `json:"eventType"`
			Payload   json.RawMessage `json:"payload"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.EventType == "" {
			w.WriteHeader(422)
			return
		}
		id := fmt.Sprintf("msg_fake%d", f.n.Add(1))
		if f.sign != nil {
			f.mu.Lock()
			eps := append([]fakeEndpoint(nil), f.endpoints...)
			f.mu.Unlock()
			for _, ep := range eps {
				now := time.Now()
				req, _ := http.NewRequest("POST", ep.url, bytes.NewReader(in.Payload))
				req.Header.Set("webhook-id", id)
				req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
				req.Header.Set("webhook-signature", signature.SignV1(f.sign(ep.secret), id, now, in.Payload))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("fake delivery: %v", err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		w.WriteHeader(202)
		fmt.Fprintf(w, `{"id":%q,"eventType":%q,"payload":%s}`, id, in.EventType, in.Payload)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func goodKey(secret string) []byte {
	s, err := signature.ParseSecret(secret)
	if err != nil {
		panic(err)
	}
	return s.Key
}

func fakeOptions(t *testing.T, f *fakeAPI, scenarios ...string) Options {
	opts := tiny(t)
	opts.ServerURL, opts.Token = f.URL, "fake"
	opts.Scenarios = scenarios
	opts.Messages, opts.BaselineMessages = 50, 50
	opts.LostWait = 300 * time.Millisecond
	return opts
}

// TestFakeDelivers checks the plumbing with a fake server that delivers
// correctly: nothing lost, every signature good, ids matched.
func TestFakeDelivers(t *testing.T) {
	f := newFakeAPI(t, goodKey)
	rep, err := Run(context.Background(), fakeOptions(t, f, Throughput, Fanout))
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)
	if !rep.OK {
		t.Fatal("not OK")
	}
	checkDelivery(t, rep.Results[0], Throughput, 50, 50, true)
	checkDelivery(t, rep.Results[1], Fanout, 1, 10, true)
}

// TestLost: a server that accepts messages and never delivers them loses
// them all, and the report says so.
func TestLost(t *testing.T) {
	f := newFakeAPI(t, nil)
	rep, err := Run(context.Background(), fakeOptions(t, f, Throughput))
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)
	r := rep.Results[0]
	if rep.OK || rep.Lost != 50 || r.Lost != 50 || r.Received != 0 || r.Messages != 50 {
		t.Errorf("OK %v, lost %d (result: lost %d, received %d, messages %d); want not OK and 50 lost", rep.OK, rep.Lost, r.Lost, r.Received, r.Messages)
	}
}

// TestBadSignature: deliveries signed with another key are counted.
func TestBadSignature(t *testing.T) {
	other := goodKey("whsec_" + strings.Repeat("QUJD", 8))
	f := newFakeAPI(t, func(string) []byte { return other })
	rep, err := Run(context.Background(), fakeOptions(t, f, Throughput))
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if rep.OK || r.BadSignatures != 50 || r.SignaturesChecked != 50 || r.Lost != 0 {
		t.Errorf("OK %v, bad signatures %d of %d checked, lost %d; want not OK, 50 of 50, 0", rep.OK, r.BadSignatures, r.SignaturesChecked, r.Lost)
	}
	if !strings.Contains(r.FirstError, "signature") {
		t.Errorf("first error %q", r.FirstError)
	}
}

func TestPayload(t *testing.T) {
	for _, size := range []int{10, 60, 1024, 4096} {
		p := appendPayload(nil, 1700000000123456789, 4242, size)
		if size >= 60 && len(p) != size {
			t.Errorf("size %d: got %d bytes", size, len(p))
		}
		if !json.Valid(p) {
			t.Errorf("size %d: not JSON: %s", size, p)
		}
		ts, seq, ok := parsePayload(p)
		if !ok || ts != 1700000000123456789 || seq != 4242 {
			t.Errorf("size %d: parsed %d %d %v", size, ts, seq, ok)
		}
	}
	// Re-encoded by a server with spaces or other key order: still read.
	ts, seq, ok := parsePayload([]byte(`{ "seq": 7, "pad": "x", "t": 12 }`))
	if !ok || ts != 12 || seq != 7 {
		t.Errorf("parsed %d %d %v", ts, seq, ok)
	}
	if _, _, ok := parsePayload([]byte(`{"t":1}`)); ok {
		t.Error("a payload without seq was read")
	}
}

func TestLatencyPercentiles(t *testing.T) {
	ns := make([]int64, 100)
	for i := range ns {
		ns[i] = int64(100-i) * 1e6 // 100 ms down to 1 ms
	}
	l := latencyOf("x", ns)
	if l.P50 != 50 || l.P90 != 90 || l.P99 != 99 || l.Max != 100 {
		t.Errorf("%+v", l)
	}
	if latencyOf("x", nil) != nil {
		t.Error("percentiles of nothing")
	}
}

func TestOptionsRefuseUnknownScenario(t *testing.T) {
	_, err := Run(context.Background(), Options{Scenarios: []string{"speed"}})
	if err == nil || !strings.Contains(err.Error(), "speed") {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkBaseline measures the bare baseline alone: b.N payloads of 1 KiB
// POSTed by 32 publishers to the receiver (go test -bench Baseline
// -cpuprofile shows what the receiver and the client cost).
func BenchmarkBaseline(b *testing.B) {
	recv, err := startReceiver()
	if err != nil {
		b.Fatal(err)
	}
	defer recv.close()
	hc := newHTTPClient(64)
	defer hc.CloseIdleConnections()
	tr := newTracker(b.N, 1, nil, 0)
	run := recv.track(tr)
	b.ResetTimer()
	p := publish(context.Background(), b.N, 32, 1024, 0, bareSender(hc, recv.endpointURL(run, 0)))
	<-p.done
	b.StopTimer()
	if got := tr.received.Load(); got != int64(b.N) {
		b.Fatalf("received %d of %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
