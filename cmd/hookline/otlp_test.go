package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"

	"github.com/svix/svix-webhooks/go/models"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/hookline/hookline/internal/wait"
)

// otlpCollector receives OTLP trace exports, over HTTP (POST /v1/traces,
// protobuf) or gRPC, as an OpenTelemetry Collector does, and keeps the
// spans.
type otlpCollector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []otlpSpan
	bad   []string // requests that were not OTLP/HTTP exports
}

// otlpSpan is a span as the collector received it.
type otlpSpan struct {
	name, service string // service: the service.name of its resource
	traceID       []byte
}

// newOTLPCollector starts a collector on 127.0.0.1 for protocol
// ("http/protobuf" or "grpc") and returns it with its endpoint URL.
func newOTLPCollector(t *testing.T, protocol string) (*otlpCollector, string) {
	t.Helper()
	c := &otlpCollector{}
	if protocol == "grpc" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer()
		collectortrace.RegisterTraceServiceServer(srv, c)
		go srv.Serve(ln)
		t.Cleanup(srv.Stop)
		return c, "http://" + ln.Addr().String()
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv.URL
}

// Export keeps the spans of req.
func (c *otlpCollector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		var service string
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.spans = append(c.spans, otlpSpan{name: sp.GetName(), service: service, traceID: sp.GetTraceId()})
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// ServeHTTP decodes an OTLP/HTTP export request and answers it.
func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	err := proto.Unmarshal(body, &req)
	if r.Method != "POST" || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || err != nil {
		c.mu.Lock()
		c.bad = append(c.bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		c.mu.Unlock()
		http.Error(w, "not an OTLP/HTTP protobuf export", http.StatusBadRequest)
		return
	}
	resp, _ := c.Export(r.Context(), &req)
	b, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(b)
}

// span returns the first span named name the collector received.
func (c *otlpCollector) span(name string) (otlpSpan, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sp := range c.spans {
		if sp.name == name {
			return sp, true
		}
	}
	return otlpSpan{}, false
}

// TestTracesExportedByOTLP: a serve started with
// OTEL_EXPORTER_OTLP_ENDPOINT (and no exporter of the test's) sends the
// spans of a message, request, accepting transaction and attempt in one
// trace, to a collector at that address, by OTLP over HTTP and over gRPC,
// as the service hookline.
func TestTracesExportedByOTLP(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			collector, endpoint := newOTLPCollector(t, protocol)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
			t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50") // ms; the SDK's default is 5 s
			s := startObserved(t, nil)
			if !regexp.MustCompile(`msg="tracing: spans are exported by OTLP" protocol=` + protocol).MatchString(s.logs.String()) {
				t.Errorf("no line for tracing in\n%s", s.logs)
			}
			app, _ := s.appWith(t, newHookReceiver(t, nil).URL)
			if _, err := s.client(t).Message.Create(t.Context(), app, models.MessageIn{EventType: "a.b", Payload: map[string]any{}}, nil); err != nil {
				t.Fatal(err)
			}
			names := []string{"POST /api/v1/app/{app_id}/msg", "accept message", "deliver"}
			// Each span is exported when it ends, in the batch of its
			// time: the request's may end after the attempt's.
			wait.For(t, "the spans at the collector", func() bool {
				for _, name := range names {
					if _, ok := collector.span(name); !ok {
						return false
					}
				}
				return true
			})
			deliver, _ := collector.span("deliver")
			for _, name := range names {
				sp, ok := collector.span(name)
				if !ok || sp.service != "hookline" || !bytes.Equal(sp.traceID, deliver.traceID) {
					t.Errorf("span %q: %+v (received: %v), want it in the attempt's trace, of the service hookline", name, sp, ok)
				}
			}
			collector.mu.Lock()
			defer collector.mu.Unlock()
			if len(collector.bad) > 0 {
				t.Errorf("requests that were not OTLP exports: %q", collector.bad)
			}
		})
	}
}
