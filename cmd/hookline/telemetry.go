package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/telemetry"
)

// observability is what 'hookline serve' measures and traces with: the
// registry of its metrics and, when tracing is on, its TracerProvider.
type observability struct {
	registry *prometheus.Registry
	tracing  trace.TracerProvider // nil: tracing is off
	// apiMetrics serves /metrics on the API's listener (to admin tokens);
	// nil when --metrics-listen serves them instead.
	apiMetrics http.Handler
	stops      []func(ctx context.Context)
}

// startTelemetry makes the registry of serve's metrics (the store's, Go's
// and the process's; the API and the dispatcher add theirs), serves them on
// --metrics-listen when set, and starts tracing when the OTEL_* variables
// ask for it. stop shuts down what it started: the listener, and the
// TracerProvider, which sends the spans it still holds.
func startTelemetry(ctx context.Context, cfg *serveConfig, store hookline.Store, logger *slog.Logger) (*observability, error) {
	obs := &observability{registry: prometheus.NewRegistry()}
	reg := obs.registry
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	figures, _ := store.(hookline.FigureReporter)
	telemetry.RegisterStore(reg, store, figures)
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError, // a failed count of the deliveries leaves the rest
	})
	if cfg.MetricsListen == "" {
		obs.apiMetrics = handler
	} else if err := obs.serveMetrics(cfg.MetricsListen, cfg.MaxConnections, handler, logger); err != nil {
		return nil, err
	}

	var tp *sdktrace.TracerProvider
	switch {
	case cfg.spanExporter != nil:
		tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(cfg.spanExporter))
	case cfg.Tracing.On():
		var err error
		if tp, err = cfg.Tracing.NewTracerProvider(ctx); err != nil {
			obs.stop()
			return nil, err
		}
		logger.Info("tracing: spans are exported by OTLP", "protocol", cfg.Tracing.Protocol)
	}
	if tp != nil {
		obs.tracing = tp
		obs.stops = append(obs.stops, func(ctx context.Context) {
			if err := tp.Shutdown(ctx); err != nil {
				logger.Warn("tracing: sending the last spans", "err", err)
			}
		})
	} else if cfg.PropagateTrace {
		logger.Warn("--propagate-trace does nothing while tracing is off (set OTEL_EXPORTER_OTLP_ENDPOINT)")
	}
	return obs, nil
}

// serveMetrics serves handler at GET /metrics on addr, without a token.
func (obs *observability) serveMetrics(addr string, maxConns int, handler http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-listen: %w", err)
	}
	// Bounded as the API is (--max-connections, a bound of its own), so
	// that clients holding it open cannot take the process's files.
	ln = limitListener(ln, maxConns)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", handler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	go srv.Serve(ln)
	logger.Info("serving metrics without a token; keep this address private", "metrics", ln.Addr().String())
	obs.stops = append(obs.stops, func(ctx context.Context) { srv.Shutdown(ctx) })
	return nil
}

// stop shuts down what startTelemetry started, within a few seconds.
func (obs *observability) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, stop := range obs.stops {
		stop(ctx)
	}
}
