package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/telemetry"
)

// serveConfig is the configuration of 'hookline serve'. Every field has a
// flag and an environment variable; docs/configuration.md lists them.
type serveConfig struct {
	Listen        string
	DB            string
	AllowNetworks []netip.Prefix
	AllowPorts    []int
	HTTPSOnly     bool
	AdminToken    string
	SecretKey     string // base64, from HOOKLINE_SECRET_KEY only (never a flag: it would show in ps)
	SecretKeyFile string
	// PreviousSecretKeys are earlier master keys, comma-separated base64,
	// from HOOKLINE_PREVIOUS_SECRET_KEYS only: during a key rotation.
	PreviousSecretKeys string
	PublicURL          string
	MaxBodyBytes       int64
	Timeout            time.Duration
	Lease              time.Duration // 0: the dispatcher's default, 2×Timeout + 30 s
	Workers            int
	Schedule           []time.Duration
	LogLevel           slog.Level
	PprofListen        string // when set, net/http/pprof is served there
	// NoDispatch accepts messages without delivering them (for measuring
	// ingest, or a node that only serves the API).
	NoDispatch bool
	// SecretGrace is how long a rotated-out signing secret keeps signing.
	SecretGrace time.Duration
	// DisableAfter disables endpoints that have failed for this long; 0:
	// never.
	DisableAfter time.Duration
	// EndpointConcurrency caps the attempts in flight to one endpoint.
	EndpointConcurrency int

	// EgressProxy is the proxy deliveries leave through (static egress
	// IPs); EgressIPs are the addresses the operator declares receivers see.
	EgressProxy string
	EgressIPs   []netip.Addr
	// EgressCertFile and EgressKeyFile hold the default client
	// certificate and key (PEM) for receivers that require mutual TLS.
	EgressCertFile, EgressKeyFile string

	// MaxConnections bounds the API's open connections; TrustedProxies are
	// the reverse proxies whose X-Forwarded-For names the client.
	MaxConnections int
	TrustedProxies []netip.Prefix
	// Metrics and traces (telemetry.go).
	//
	// MetricsListen, when set, is the address /metrics is served on,
	// without a token, instead of on the API's listener.
	MetricsListen string
	// PropagateTrace sends each attempt's trace context to the endpoint
	// (a W3C traceparent header).
	PropagateTrace bool
	// Tracing is what the standard OTEL_* variables say of tracing (they
	// have no flags: they are OpenTelemetry's interface).
	Tracing telemetry.Tracing
	// spanExporter, set by tests, receives the spans instead of the
	// exporter Tracing names.
	spanExporter sdktrace.SpanExporter
}

const dbUsage = "database: a file path for SQLite, or a postgres:// URL for PostgreSQL"

// redactDB returns dsn with any password replaced, for logs.
func redactDB(dsn string) string {
	if !isPostgresURL(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// envFlags is a FlagSet whose every flag has an environment twin: the
// variable, when set, is the flag's default, and the flag on the command line
// wins over it.
type envFlags struct {
	*flag.FlagSet
	getenv func(string) string
	errs   []error
}

func newEnvFlags(name string, getenv func(string) string, stderr io.Writer) *envFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &envFlags{FlagSet: fs, getenv: getenv}
}

func (f *envFlags) env(name, env, def string) string {
	if v := f.getenv(env); v != "" {
		return v
	}
	return def
}

func (f *envFlags) str(p *string, name, env, def, usage string) {
	f.StringVar(p, name, f.env(name, env, def), usage+" ($"+env+")")
}

func (f *envFlags) text(p flag.Value, name, env, def, usage string) {
	if v := f.env(name, env, def); v != "" {
		if err := p.Set(v); err != nil {
			f.errs = append(f.errs, fmt.Errorf("$%s: %w", env, err))
		}
	}
	f.Var(p, name, usage+" ($"+env+")")
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	cfg := &serveConfig{}
	f := newEnvFlags("serve", getenv, stderr)
	defineServeFlags(f, cfg)
	defineTelemetryFlags(f, cfg)
	cfg.AdminToken = getenv("HOOKLINE_ADMIN_TOKEN")
	cfg.SecretKey = getenv("HOOKLINE_SECRET_KEY")
	cfg.PreviousSecretKeys = getenv("HOOKLINE_PREVIOUS_SECRET_KEYS")
	if err := f.Parse(args); err != nil {
		return nil, err
	}
	if len(f.errs) > 0 {
		return nil, f.errs[0]
	}
	var err error
	if cfg.Tracing, err = telemetry.TracingFromEnv(getenv); err != nil {
		return nil, err
	}
	if f.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", f.Arg(0))
	}
	if cfg.Lease != 0 && cfg.Lease <= cfg.Timeout {
		return nil, fmt.Errorf("--lease (%s) must be longer than --timeout (%s)", cfg.Lease, cfg.Timeout)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Listen
	}
	return cfg, nil
}

// defineServeFlags defines the flags of 'hookline serve' on f, each with its
// environment twin, writing into cfg.
func defineServeFlags(f *envFlags, cfg *serveConfig) {
	f.str(&cfg.Listen, "listen", "HOOKLINE_LISTEN", "127.0.0.1:8071", "address the API listens on")
	f.str(&cfg.DB, "db", "HOOKLINE_DB", "hookline.db", dbUsage)
	f.str(&cfg.PublicURL, "public-url", "HOOKLINE_PUBLIC_URL", "", "URL clients reach the server at (default http://<listen>)")
	f.text((*networksValue)(&cfg.AllowNetworks), "allow-network", "HOOKLINE_ALLOW_NETWORK", "",
		"comma-separated CIDRs deliveries may reach although private or loopback (repeatable)")
	f.text(&listValue[int]{list: &cfg.AllowPorts, what: "a port", parse: parsePort, format: strconv.Itoa}, "allow-port", "HOOKLINE_ALLOW_PORT", "",
		"comma-separated ports deliveries may use (default: any; repeatable)")
	f.text((*boolValue)(&cfg.HTTPSOnly), "https-only", "HOOKLINE_HTTPS_ONLY", "false", "refuse plain-http endpoints")
	f.str(&cfg.EgressProxy, "egress-proxy", "HOOKLINE_EGRESS_PROXY", "",
		"proxy every delivery goes through: http://[user:pass@]host:port (CONNECT) or socks5://[user:pass@]host:port")
	f.text(&listValue[netip.Addr]{list: &cfg.EgressIPs, what: "an IP address", parse: netip.ParseAddr, format: netip.Addr.String}, "egress-ips", "HOOKLINE_EGRESS_IPS", "",
		"comma-separated addresses receivers see deliveries come from, shown by the API (repeatable)")
	f.str(&cfg.EgressCertFile, "egress-client-cert-file", "HOOKLINE_EGRESS_CLIENT_CERT_FILE", "",
		"PEM client certificate (and key) presented to receivers that require mutual TLS, unless the endpoint has its own")
	f.str(&cfg.EgressKeyFile, "egress-client-key-file", "HOOKLINE_EGRESS_CLIENT_KEY_FILE", "",
		"PEM private key of --egress-client-cert-file, when not in that file")
	f.text((*bytesValue)(&cfg.MaxBodyBytes), "max-body", "HOOKLINE_MAX_BODY", "1MiB", "largest API request body (message payload limit)")
	f.text((*durationValue)(&cfg.Timeout), "timeout", "HOOKLINE_TIMEOUT", "15s", "timeout of one delivery attempt")
	f.text((*durationValue)(&cfg.SecretGrace), "secret-grace-period", "HOOKLINE_SECRET_GRACE_PERIOD", "24h",
		"how long a rotated-out signing secret keeps signing deliveries, beside the new one (unless the rotation says)")
	f.text((*durationValue)(&cfg.Lease), "lease", "HOOKLINE_LEASE", "",
		"how long a node's claim on a delivery lasts before another node may take it over (default 2×timeout+30s)")
	f.text((*intValue)(&cfg.Workers), "workers", "HOOKLINE_WORKERS", "64", "delivery attempts in flight at once")
	f.text((*intValue)(&cfg.EndpointConcurrency), "endpoint-concurrency", "HOOKLINE_ENDPOINT_CONCURRENCY", "16",
		"delivery attempts in flight at once to one endpoint")
	f.text((*optDurationValue)(&cfg.DisableAfter), "disable-after", "HOOKLINE_DISABLE_AFTER", "120h",
		"disable an endpoint whose attempts have all failed for this long (0: never)")
	f.text(&listValue[time.Duration]{list: &cfg.Schedule, what: "a duration", parse: parseDelay, format: time.Duration.String, replace: true}, "retry-schedule", "HOOKLINE_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,10h",
		"comma-separated delays before each retry")
	f.str(&cfg.PprofListen, "pprof-listen", "HOOKLINE_PPROF_LISTEN", "",
		"address to serve Go's profiler (net/http/pprof) on, e.g. 127.0.0.1:6060; off when empty")
	f.text((*levelValue)(&cfg.LogLevel), "log-level", "HOOKLINE_LOG_LEVEL", "info", "debug, info, warn or error")
	f.text((*boolValue)(&cfg.NoDispatch), "no-dispatch", "HOOKLINE_NO_DISPATCH", "false", "accept messages but do not deliver them")
	f.str(&cfg.SecretKeyFile, "secret-key-file", "HOOKLINE_SECRET_KEY_FILE", "",
		"file holding the base64 master key that encrypts endpoint secrets (default: <db>.key for SQLite)")

	// The API listener.
	f.text((*intValue)(&cfg.MaxConnections), "max-connections", "HOOKLINE_MAX_CONNECTIONS", "",
		"most API connections open at once; more wait to be accepted (default: half the process's file limit, at most 4096)")
	f.text((*networksValue)(&cfg.TrustedProxies), "trusted-proxy", "HOOKLINE_TRUSTED_PROXY", "",
		"comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (repeatable)")
}

// defineTelemetryFlags defines the flags of 'hookline serve' for its
// metrics and traces.
func defineTelemetryFlags(f *envFlags, cfg *serveConfig) {
	f.str(&cfg.MetricsListen, "metrics-listen", "HOOKLINE_METRICS_LISTEN", "",
		"address to serve /metrics on without a token, e.g. 127.0.0.1:9090, instead of on the API's listener for admin tokens")
	f.text((*boolValue)(&cfg.PropagateTrace), "propagate-trace", "HOOKLINE_PROPAGATE_TRACE", "false",
		"send each delivery's trace context to the endpoint in a traceparent header (needs tracing: OTEL_EXPORTER_OTLP_ENDPOINT)")
}

type networksValue []netip.Prefix

func (v *networksValue) String() string { return joinItems(*v, netip.Prefix.String) }

func (v *networksValue) Set(s string) error {
	p, err := egress.ParseNetworks(strings.Split(s, ","))
	if err != nil {
		return err
	}
	*v = append(*v, p...)
	return nil
}

// listValue is a repeatable flag of comma-separated items. Each time it is
// set, the items of its argument, spaces around them trimmed and empty ones
// skipped, are parsed and appended to *list, or replace it when replace is
// set; an item that parse refuses is reported as not what ("a port").
type listValue[T any] struct {
	list    *[]T
	what    string
	parse   func(string) (T, error)
	format  func(T) string
	replace bool
}

func (v *listValue[T]) String() string {
	if v.list == nil {
		return ""
	}
	return joinItems(*v.list, v.format)
}

func (v *listValue[T]) Set(s string) error {
	var items []T
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		item, err := v.parse(part)
		if err != nil {
			return fmt.Errorf("%q is not %s", part, v.what)
		}
		items = append(items, item)
	}
	if v.replace {
		*v.list = items
	} else {
		*v.list = append(*v.list, items...)
	}
	return nil
}

// joinItems writes the items of a list flag as its argument would:
// comma-separated.
func joinItems[T any](items []T, format func(T) string) string {
	s := make([]string, len(items))
	for i, item := range items {
		s[i] = format(item)
	}
	return strings.Join(s, ",")
}

// parsePort parses a TCP port, 1 to 65535.
func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err == nil && (n < 1 || n > 65535) {
		err = errors.New("out of range")
	}
	return n, err
}

// parseDelay parses a retry delay, a duration of 0 or more.
func parseDelay(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = errors.New("negative")
	}
	return d, err
}

type bytesValue int64

func (v *bytesValue) String() string { return strconv.FormatInt(int64(*v), 10) }

// Set accepts a number of bytes with an optional KiB, MiB or GiB suffix.
func (v *bytesValue) Set(s string) error {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a size (e.g. 1048576 or 1MiB)", s)
	}
	*v = bytesValue(n * mult)
	return nil
}

type durationValue time.Duration

func (v *durationValue) String() string { return time.Duration(*v).String() }
func (v *durationValue) Set(s string) error {
	return setDuration((*time.Duration)(v), s, time.Nanosecond, "a positive duration")
}

// optDurationValue is a duration that may be 0.
type optDurationValue time.Duration

func (v *optDurationValue) String() string { return time.Duration(*v).String() }
func (v *optDurationValue) Set(s string) error {
	return setDuration((*time.Duration)(v), s, 0, "a duration (0 or more)")
}

// setDuration parses s into *d, refusing a duration below least as not
// what.
func setDuration(d *time.Duration, s string, least time.Duration, what string) error {
	v, err := time.ParseDuration(s)
	if err != nil || v < least {
		return fmt.Errorf("%q is not %s", s, what)
	}
	*d = v
	return nil
}

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a positive number", s)
	}
	*v = intValue(n)
	return nil
}

type boolValue bool

func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v = boolValue(b)
	return nil
}

type levelValue slog.Level

func (v *levelValue) String() string     { return slog.Level(*v).String() }
func (v *levelValue) Set(s string) error { return (*slog.Level)(v).UnmarshalText([]byte(s)) }
