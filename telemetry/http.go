package telemetry

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
)

// HTTP is the telemetry of an HTTP API: hookline_http_requests_total and
// hookline_http_request_duration_seconds by route and status code, and a
// span for each request. A nil *HTTP records nothing.
type HTTP struct {
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	tracer    trace.Tracer
}

// unmatched is the route label of a request that no route matched.
const unmatched = "none"

// NewHTTP returns the HTTP telemetry that registers its metrics on reg
// and traces with tp, either of which may be nil; nil when both are.
func NewHTTP(reg prometheus.Registerer, tp trace.TracerProvider) *HTTP {
	if reg == nil && tp == nil {
		return nil
	}
	h := &HTTP{tracer: tracer(tp)}
	if reg != nil {
		labels := []string{"route", "code"}
		h.requests = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "API requests answered, by route (the route pattern, e.g. \"POST /api/v1/app/{app_id}/msg\"; \"none\" when no route matched) and status code.",
		}, labels))
		h.durations = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer an API request, by route and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, labels))
	}
	return h
}

// Handler returns next, measured and traced. The route of a request is the
// pattern of the http.ServeMux that next hands it to, read once next
// returns (Request.Pattern). A request's span continues the trace of its
// traceparent header, if it has one. With a nil h, Handler returns next.
func (h *HTTP) Handler(next http.Handler) http.Handler {
	if h == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var span trace.Span
		if h.tracer != nil {
			ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span = h.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method),
					attribute.String("url.path", hookline.RedactedPath(r.URL.Path))))
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = unmatched
		}
		if h.requests != nil {
			code := strconv.Itoa(status)
			h.requests.WithLabelValues(route, code).Inc()
			h.durations.WithLabelValues(route, code).Observe(time.Since(start).Seconds())
		}
		if span != nil {
			if r.Pattern != "" {
				// The pattern is "METHOD /path": the span is named as the
				// semantic conventions say, "{method} {route}".
				span.SetName(r.Pattern)
				_, path, _ := strings.Cut(r.Pattern, " ")
				span.SetAttributes(attribute.String("http.route", path))
			}
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			span.End()
		}
	})
}

// statusWriter keeps the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
