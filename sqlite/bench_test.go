package sqlite_test

import (
	"context"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlite"
)

// payload1K is a 1 KiB JSON object, the size of issue 6's scenarios.
var payload1K = []byte(`{"data":"` + strings.Repeat("x", 1024-11) + `"}`)

// benchStore opens a store with one application and one endpoint that every
// message matches, plus two that none does (so matching has work to do).
func benchStore(b *testing.B) (*sqlite.Store, string) {
	b.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	app := &hookline.Application{Name: "bench"}
	if err := s.CreateApplication(ctx, app); err != nil {
		b.Fatal(err)
	}
	for _, types := range [][]string{nil, {"other.a"}, {"other.b"}} {
		if err := s.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "http://127.0.0.1:1/hook", EventTypes: types}, 0); err != nil {
			b.Fatal(err)
		}
	}
	return s, app.ID
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// meter reports, besides ns/op, the rate of units per second and the CPU
// time per unit: on a shared machine the CPU figure is the steadier one.
type meter struct {
	s     *sqlite.Store
	st0   sqlite.WriterStats
	b     *testing.B
	cpu0  time.Duration
	units func() float64
	name  string
}

func startMeter(b *testing.B, s *sqlite.Store, name string, units func() float64) *meter {
	return &meter{s: s, st0: s.Stats(), b: b, cpu0: cpuTime(), units: units, name: name}
}

func (m *meter) stop() {
	if m.s != nil {
		st := m.s.Stats()
		c := st.Commits - m.st0.Commits
		if c > 0 {
			m.b.ReportMetric(float64(st.Ops-m.st0.Ops)/float64(c), "ops/commit")
			m.b.ReportMetric(float64((st.CommitTime-m.st0.CommitTime).Microseconds())/float64(c), "µs/commit")
			if n := st.Syncs - m.st0.Syncs; n > 0 {
				m.b.ReportMetric(float64(c)/float64(n), "commits/sync")
				m.b.ReportMetric(float64((st.SyncTime-m.st0.SyncTime).Microseconds())/float64(n), "µs/sync")
			}
		}
	}
	u := m.units()
	if u == 0 {
		return
	}
	m.b.ReportMetric(u/m.b.Elapsed().Seconds(), m.name+"/s")
	m.b.ReportMetric(float64((cpuTime()-m.cpu0).Microseconds())/u, "cpu-µs/"+m.name)
}

func newMsg(appID string) *hookline.Message {
	return &hookline.Message{AppID: appID, EventType: "bench.event", Payload: payload1K}
}

// BenchmarkCreateMessage is the ingest path: 64 concurrent callers, each
// message durable (and one delivery queued) when CreateMessage returns.
func BenchmarkCreateMessage(b *testing.B) {
	s, appID := benchStore(b)
	ctx := context.Background()
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0))) // 64 goroutines
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter(b, s, "msg", func() float64 { return float64(b.N) })
	defer m.stop()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if n, err := s.CreateMessage(ctx, newMsg(appID)); err != nil || n != 1 {
				b.Errorf("CreateMessage: %d, %v", n, err)
				return
			}
		}
	})
}

// BenchmarkCreateMessageSerial is one caller at a time: every message pays
// a whole commit.
func BenchmarkCreateMessageSerial(b *testing.B) {
	s, appID := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter(b, s, "msg", func() float64 { return float64(b.N) })
	for b.Loop() {
		if _, err := s.CreateMessage(ctx, newMsg(appID)); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

// fill queues n deliveries, from 64 goroutines.
func fill(b *testing.B, s *sqlite.Store, appID string, n int) {
	b.Helper()
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(n))
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if _, err := s.CreateMessage(context.Background(), newMsg(appID)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkClaimComplete is the dispatcher's side: one op claims a batch of
// 100 due deliveries and completes them all (success). The queue is filled
// before the timer starts.
func BenchmarkClaimComplete(b *testing.B) {
	const batch = 100
	s, appID := benchStore(b)
	ctx := context.Background()
	fill(b, s, appID, b.N*batch)
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter(b, s, "delivery", func() float64 { return float64(b.N * batch) })
	for range b.N {
		tasks, err := s.ClaimDue(ctx, "bench", time.Now(), time.Minute, batch)
		if err != nil {
			b.Fatal(err)
		}
		if len(tasks) != batch {
			b.Fatalf("claimed %d, want %d", len(tasks), batch)
		}
		if err := s.Complete(ctx, "bench", outcomes(tasks)); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

// sentHeaders are the headers of a delivery, as a dispatcher sends them.
var sentHeaders = http.Header{
	"Content-Type": {"application/json"}, "User-Agent": {hookline.UserAgent()},
	"Webhook-Id": {"msg_2oGm3kQ8LqY1Lh3VbWm4QSpMPbL"}, "Webhook-Timestamp": {"1733529600"},
	"Webhook-Signature": {"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
}

// outcomes are the successful outcomes of tasks, each attempt with the
// headers a dispatcher sends, encoded here as the dispatcher does.
func outcomes(tasks []*hookline.Task) []hookline.Outcome {
	outs := make([]hookline.Outcome, len(tasks))
	for i, t := range tasks {
		outs[i] = hookline.Outcome{
			DeliveryID: t.Delivery.ID,
			Attempt: hookline.Attempt{
				AppID: t.Delivery.AppID, MessageID: t.Delivery.MessageID, EndpointID: t.Delivery.EndpointID,
				DeliveryID: t.Delivery.ID, URL: t.Endpoint.URL, Status: hookline.StatusSuccess, StatusCode: 200,
				Response: `{"ok":true}`, DurationMS: 1, Headers: hookline.EncodeSentHeaders(sentHeaders),
			},
			Status:   hookline.StatusSuccess,
			Attempts: t.Delivery.Attempts + 1,
		}
	}
	return outs
}

// BenchmarkPipeline runs both halves at once, as a server does: 32
// publishers create messages while a dispatcher loop claims batches of up to
// 100 and completes them. One op is one message published and delivered.
func BenchmarkPipeline(b *testing.B) {
	s, appID := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter(b, s, "msg", func() float64 { return float64(b.N) })
	var published atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for published.Add(1) <= int64(b.N) {
				if _, err := s.CreateMessage(ctx, newMsg(appID)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	delivered := 0
	for delivered < b.N {
		tasks, err := s.ClaimDue(ctx, "bench", time.Now(), time.Minute, 100)
		if err != nil {
			b.Fatal(err)
		}
		if len(tasks) == 0 {
			select {
			case <-s.Due():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if err := s.Complete(ctx, "bench", outcomes(tasks)); err != nil {
			b.Fatal(err)
		}
		delivered += len(tasks)
	}
	wg.Wait()
	m.stop()
}
