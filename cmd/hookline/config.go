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
	"unicode/utf8"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/portal"
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
	// Retention is how long messages whose deliveries are done, their
	// attempts, and the ingest log are kept before they are deleted; 0
	// keeps them forever.
	Retention time.Duration
	// DisableAfter disables endpoints that have failed for this long; 0:
	// never.
	DisableAfter time.Duration
	// EndpointConcurrency caps the attempts in flight to one endpoint;
	// HostConcurrency those to one host, over all its endpoints.
	EndpointConcurrency int
	HostConcurrency     int
	// SignatureHeaders names the headers of each delivery's id, timestamp
	// and signature.
	SignatureHeaders dispatch.Headers

	// EgressProxy is the proxy deliveries leave through (static egress
	// IPs); EgressIPs are the addresses the operator declares receivers see.
	EgressProxy string
	EgressIPs   []netip.Addr
	// EgressCertFile and EgressKeyFile hold the default client
	// certificate and key (PEM) for receivers that require mutual TLS.
	EgressCertFile, EgressKeyFile string

	// ActionsFile is the YAML file of the operator's actions, which ingest
	// endpoints may name (action:NAME).
	ActionsFile string
	// TLSCert and TLSKey, when set, make serve terminate TLS itself.
	TLSCert, TLSKey string

	// AllowUnencryptedSecrets lets serve start on PostgreSQL without a
	// master key, storing secrets unencrypted.
	AllowUnencryptedSecrets bool

	// MaxConnections bounds the API's open connections; TrustedProxies are
	// the reverse proxies whose X-Forwarded-For names the client.
	MaxConnections int
	TrustedProxies []netip.Prefix
	// MaxEndpointsPerApp bounds the endpoints of an application.
	MaxEndpointsPerApp int
	// PortalFrameAncestors are the origins that may show the App Portal
	// in an iframe.
	PortalFrameAncestors []string

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
	// dispatchQueue, set by tests, wraps the queue the dispatcher claims
	// from.
	dispatchQueue func(hookline.Queue) hookline.Queue
	// spanExporter, set by tests, receives the spans instead of the
	// exporter Tracing names.
	spanExporter sdktrace.SpanExporter
	// idleTimeout, set by tests, replaces apiIdleTimeout.
	idleTimeout time.Duration
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
// wins over it. It writes nothing itself: parse returns the errors, and
// usageExit reports them or writes the help.
type envFlags struct {
	*flag.FlagSet
	getenv func(string) string
	errs   []error
	// about is the help's text before the flags: the usage line and what
	// the command does.
	about string
	// flags are the flags in the order they were defined, each with its
	// variable and its default as the help shows it.
	flags []envFlag
	// vars are the variables that have no flag, for the help.
	vars []envFlag
	// more is the help's text after the variables: those that are not
	// Hookline's own.
	more string
}

// envFlag is a flag (or a variable alone) as the help lists it.
type envFlag struct {
	name, env, def, usage string
}

func newEnvFlags(name, about string, getenv func(string) string) *envFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &envFlags{FlagSet: fs, getenv: getenv, about: about}
}

func (f *envFlags) env(env, def string) string {
	if v := f.getenv(env); v != "" {
		return v
	}
	return def
}

// str defines a string flag. def is its default as the docs write it.
func (f *envFlags) str(p *string, name, env, def, usage string) {
	f.StringVar(p, name, f.env(env, def), usage)
	f.flags = append(f.flags, envFlag{name, env, def, usage})
}

// text defines a flag of a type of its own. def is its default as the docs
// write it ("1MiB", "120h"), which p parses. A repeatable flag (a
// listValue) given on the command line replaces the items of its
// variable, unless it keeps them on purpose (networksValue).
func (f *envFlags) text(p flag.Value, name, env, def, usage string) {
	if v := f.env(env, def); v != "" {
		if err := p.Set(v); err != nil {
			f.errs = append(f.errs, fmt.Errorf("$%s: %w", env, err))
		}
		if d, ok := p.(interface{ fromDefault() }); ok {
			d.fromDefault()
		}
	}
	f.Var(p, name, usage)
	f.flags = append(f.flags, envFlag{name, env, def, usage})
}

// variable reads env, a variable without a flag (a secret, which a flag
// would show in the process list), into p.
func (f *envFlags) variable(p *string, env, usage string) {
	*p = f.getenv(env)
	f.vars = append(f.vars, envFlag{env: env, usage: usage})
}

// parse parses args: flags and, before or after them, one operand (an
// argument that is not a flag) for each name of operands, which it returns.
// A variable that did not parse is an error too.
func (f *envFlags) parse(args []string, operands ...string) ([]string, error) {
	var got []string
	for len(got) < len(operands) && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		got, args = append(got, args[0]), args[1:]
	}
	if err := f.Parse(args); err != nil {
		return nil, err
	}
	if len(f.errs) > 0 {
		return nil, f.errs[0]
	}
	got = append(got, f.Args()...)
	if len(got) > len(operands) {
		return nil, fmt.Errorf("unexpected argument %q", got[len(operands)])
	}
	if len(got) < len(operands) {
		return nil, fmt.Errorf("missing the %s", operands[len(got)])
	}
	return got, nil
}

// usageExit answers err, an error of parse, and returns the exit code: the
// help on stdout and 0 for -h or --help; else the error and, on one more
// line, where the help is, on stderr, and 2.
func (f *envFlags) usageExit(err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		f.writeHelp(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "hookline %s: %v\nRun 'hookline %s --help' for its flags and environment variables.\n", f.Name(), err, f.Name())
	return 2
}

// writeHelp writes the help of the command: about, then every flag with its
// variable and default, then the variables that have no flag.
func (f *envFlags) writeHelp(w io.Writer) {
	fmt.Fprint(w, f.about)
	fmt.Fprint(w, "\nFlags (each also set by its environment variable; the flag wins):\n")
	for _, fl := range f.flags {
		fmt.Fprintf(w, "  --%s  $%s", fl.name, fl.env)
		if fl.def != "" {
			fmt.Fprintf(w, "  (default %s)", fl.def)
		}
		fmt.Fprintf(w, "\n      %s\n", fl.usage)
	}
	if len(f.vars) > 0 {
		fmt.Fprint(w, "\nEnvironment variables without a flag (kept out of the process list):\n")
		for _, v := range f.vars {
			fmt.Fprintf(w, "  $%s\n      %s\n", v.env, v.usage)
		}
	}
	fmt.Fprint(w, f.more)
	fmt.Fprint(w, "\nSizes are bytes or take a KiB, MiB or GiB suffix; durations are written 500ms, 90s, 5m, 120h.\n"+
		"Every flag and variable: docs/configuration.md.\n")
}

const serveAbout = `Usage: hookline serve [flags]

Runs the server: the /api/v1 API and the dispatcher that delivers messages,
on the database --db names: a SQLite file (created if absent; one process at
a time) or a PostgreSQL URL (shared by several serve processes).
`

// minAdminTokenLen is the shortest HOOKLINE_ADMIN_TOKEN serve accepts.
const minAdminTokenLen = 24

// newServeFlags returns the flags of 'hookline serve', each with its
// environment twin, writing into cfg.
func newServeFlags(getenv func(string) string, cfg *serveConfig) *envFlags {
	f := newEnvFlags("serve", serveAbout, getenv)
	defineServeFlags(f, cfg)
	defineTelemetryFlags(f, cfg)
	return f
}

// parseServeFlags parses the flags and variables of 'hookline serve'. Its
// error is flag.ErrHelp after -h or --help (see envFlags.usageExit).
func parseServeFlags(args []string, getenv func(string) string) (*serveConfig, error) {
	cfg := &serveConfig{}
	if _, err := newServeFlags(getenv, cfg).parse(args); err != nil {
		return nil, err
	}
	if cfg.Lease != 0 && cfg.Lease <= cfg.Timeout {
		return nil, fmt.Errorf("--lease (%s) must be longer than --timeout (%s)", cfg.Lease, cfg.Timeout)
	}
	var err error
	if cfg.Tracing, err = telemetry.TracingFromEnv(getenv); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(cfg.AdminToken); n > 0 && n < minAdminTokenLen {
		return nil, fmt.Errorf("$HOOKLINE_ADMIN_TOKEN has %d characters; use %d or more (e.g. `openssl rand -base64 32`), or unset it to have one generated",
			n, minAdminTokenLen)
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Listen
		if cfg.TLSCert != "" {
			cfg.PublicURL = "https://" + cfg.Listen
		}
	}
	return cfg, nil
}

// defineServeFlags defines the flags of 'hookline serve' on f, each with its
// environment twin, and the variables without a flag, writing into cfg.
func defineServeFlags(f *envFlags, cfg *serveConfig) {
	f.str(&cfg.Listen, "listen", "HOOKLINE_LISTEN", "127.0.0.1:8071", "address the API listens on")
	f.str(&cfg.DB, "db", "HOOKLINE_DB", "hookline.db", dbUsage)
	f.str(&cfg.PublicURL, "public-url", "HOOKLINE_PUBLIC_URL", "", "URL clients reach the server at (default http://<listen>)")
	f.text((*networksValue)(&cfg.AllowNetworks), "allow-network", "HOOKLINE_ALLOW_NETWORK", "",
		"comma-separated CIDRs deliveries may reach although private or loopback (repeatable; the flag's are added to the variable's)")
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
	f.text((*optDurationValue)(&cfg.Retention), "retention", "HOOKLINE_RETENTION", "2160h",
		"how long messages whose deliveries are done, their attempts and the inbound gateway's log are kept before they are deleted (0: forever)")
	f.text((*durationValue)(&cfg.Lease), "lease", "HOOKLINE_LEASE", "",
		"how long a node's claim on a delivery lasts before another node may take it over (default 2×timeout+30s)")
	f.text((*intValue)(&cfg.Workers), "workers", "HOOKLINE_WORKERS", "64", "delivery attempts in flight at once")
	f.text((*intValue)(&cfg.EndpointConcurrency), "endpoint-concurrency", "HOOKLINE_ENDPOINT_CONCURRENCY", "16",
		"delivery attempts in flight at once to one endpoint")
	f.text((*headersValue)(&cfg.SignatureHeaders), "signature-headers", "HOOKLINE_SIGNATURE_HEADERS", "webhook",
		"headers of each delivery's id, timestamp and signature: webhook (webhook-*, Standard Webhooks), svix (svix-*, as svix-server sends them) or both")
	f.text((*intValue)(&cfg.HostConcurrency), "host-concurrency", "HOOKLINE_HOST_CONCURRENCY", "",
		"delivery attempts in flight at once to one host and port, over all its endpoints (default: half of --workers, at least --endpoint-concurrency)")
	f.text((*optDurationValue)(&cfg.DisableAfter), "disable-after", "HOOKLINE_DISABLE_AFTER", "120h",
		"disable an endpoint whose attempts have all failed for this long (0: never)")
	f.text(&listValue[time.Duration]{list: &cfg.Schedule, what: "a duration", parse: parseDelay, format: time.Duration.String, replace: true, none: "none"},
		"retry-schedule", "HOOKLINE_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,10h",
		"comma-separated delays before each retry; \"\" or none: no retries")
	f.str(&cfg.PprofListen, "pprof-listen", "HOOKLINE_PPROF_LISTEN", "",
		"address to serve Go's profiler (net/http/pprof) on, e.g. 127.0.0.1:6060; off when empty")
	f.text((*levelValue)(&cfg.LogLevel), "log-level", "HOOKLINE_LOG_LEVEL", "info", "debug, info, warn or error")
	f.text((*boolValue)(&cfg.NoDispatch), "no-dispatch", "HOOKLINE_NO_DISPATCH", "false", "accept messages but do not deliver them")
	f.str(&cfg.SecretKeyFile, "secret-key-file", "HOOKLINE_SECRET_KEY_FILE", "",
		"file holding the base64 master key that encrypts the secrets of endpoints and sources (default: <db>.key for SQLite)")

	f.str(&cfg.ActionsFile, "actions", "HOOKLINE_ACTIONS", "",
		"YAML file of the actions (commands) ingest endpoints may run with url action:NAME; none when empty")
	f.str(&cfg.TLSCert, "tls-cert", "HOOKLINE_TLS_CERT", "",
		"PEM certificate chain: serve the API and the ingest URLs over HTTPS (with --tls-key)")
	f.str(&cfg.TLSKey, "tls-key", "HOOKLINE_TLS_KEY", "", "PEM private key of --tls-cert")

	f.text((*boolValue)(&cfg.AllowUnencryptedSecrets), "allow-unencrypted-secrets", "HOOKLINE_ALLOW_UNENCRYPTED_SECRETS", "false",
		"PostgreSQL: when no master key is given, store the secrets of endpoints and sources unencrypted instead of refusing to start")

	// The API listener.
	f.text((*intValue)(&cfg.MaxConnections), "max-connections", "HOOKLINE_MAX_CONNECTIONS", "",
		"most API connections open at once; more wait to be accepted (default: half the process's file limit, at most 4096)")
	f.text((*networksValue)(&cfg.TrustedProxies), "trusted-proxy", "HOOKLINE_TRUSTED_PROXY", "",
		"comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (repeatable)")
	f.text((*intValue)(&cfg.MaxEndpointsPerApp), "max-endpoints-per-app", "HOOKLINE_MAX_ENDPOINTS_PER_APP", "50",
		"most endpoints an application may have")

	f.text(&listValue[string]{list: &cfg.PortalFrameAncestors, what: "an origin (https://host[:port], https://*.domain or 'self')",
		parse: parseOrigin, format: func(s string) string { return s }}, "portal-frame-ancestors", "HOOKLINE_PORTAL_FRAME_ANCESTORS", "",
		"comma-separated origins whose pages may show the App Portal in an iframe (default: none; repeatable)")

	f.variable(&cfg.AdminToken, "HOOKLINE_ADMIN_TOKEN",
		"an admin API token of 24 characters or more, accepted besides the stored ones (only its hash is stored); "+
			"unset, serve generates and prints one on a database without any")
	f.variable(&cfg.SecretKey, "HOOKLINE_SECRET_KEY",
		"the master key itself, base64 of 32 bytes; wins over --secret-key-file")
	f.variable(&cfg.PreviousSecretKeys, "HOOKLINE_PREVIOUS_SECRET_KEYS",
		"earlier master keys, comma-separated base64, during a key rotation (see hookline rekey)")
}

// defineTelemetryFlags defines the flags of 'hookline serve' for its
// metrics and traces.
func defineTelemetryFlags(f *envFlags, cfg *serveConfig) {
	f.str(&cfg.MetricsListen, "metrics-listen", "HOOKLINE_METRICS_LISTEN", "",
		"address to serve /metrics on without a token, e.g. 127.0.0.1:9090, instead of on the API's listener for admin tokens")
	f.text((*boolValue)(&cfg.PropagateTrace), "propagate-trace", "HOOKLINE_PROPAGATE_TRACE", "false",
		"send each delivery's trace context to the endpoint in a traceparent header (needs tracing: OTEL_EXPORTER_OTLP_ENDPOINT)")
	f.more = otelHelp
}

// otelHelp is the help's block on the standard OpenTelemetry variables
// that turn tracing on and control it (telemetry.TracingFromEnv).
const otelHelp = `
OpenTelemetry variables (tracing is off unless they turn it on; all of them: docs/operations.md):
  $OTEL_EXPORTER_OTLP_ENDPOINT, $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      either one turns tracing on and says where spans go, e.g. http://collector:4318
  $OTEL_EXPORTER_OTLP_PROTOCOL, $OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
      http/protobuf (the default) or grpc
  $OTEL_TRACES_EXPORTER
      otlp turns tracing on (to localhost:4318, or :4317 with grpc); none turns it off
  $OTEL_SDK_DISABLED
      true turns tracing off whatever else is set
`

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
// set, the items of its argument, spaces around them trimmed, are parsed and
// appended to *list, or replace it when replace is set or when *list holds
// its default (the variable's items: a flag replaces them). An empty
// argument, or none when set, is an empty list (not nil); an empty item
// among others, or one that parse refuses, is an error that says what an
// item should be ("a port").
type listValue[T any] struct {
	list    *[]T
	what    string
	parse   func(string) (T, error)
	format  func(T) string
	replace bool
	none    string // a word for the empty list, where an empty variable would be unset
	isDef   bool   // *list holds the default
}

func (v *listValue[T]) String() string {
	if v.list == nil {
		return ""
	}
	return joinItems(*v.list, v.format)
}

func (v *listValue[T]) Set(s string) error {
	items := []T{}
	if s = strings.TrimSpace(s); s != "" && (v.none == "" || s != v.none) {
		for _, part := range strings.Split(s, ",") {
			item, err := v.parse(strings.TrimSpace(part))
			if err != nil {
				return fmt.Errorf("%q is not %s", strings.TrimSpace(part), v.what)
			}
			items = append(items, item)
		}
	}
	if v.replace || v.isDef {
		*v.list = items
	} else {
		*v.list = append(*v.list, items...)
	}
	v.isDef = false
	return nil
}

// fromDefault marks the items as the default's: the next Set replaces them.
func (v *listValue[T]) fromDefault() { v.isDef = true }

// joinItems writes the items of a list flag as its argument would:
// comma-separated.
func joinItems[T any](items []T, format func(T) string) string {
	s := make([]string, len(items))
	for i, item := range items {
		s[i] = format(item)
	}
	return strings.Join(s, ",")
}

// parseOrigin parses an origin that may frame the App Portal.
func parseOrigin(s string) (string, error) { return s, portal.ParseOrigin(s) }

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

type headersValue dispatch.Headers

func (v *headersValue) String() string { return string(*v) }
func (v *headersValue) Set(s string) error {
	h, err := dispatch.ParseHeaders(s)
	*v = headersValue(h)
	return err
}

type levelValue slog.Level

func (v *levelValue) String() string     { return slog.Level(*v).String() }
func (v *levelValue) Set(s string) error { return (*slog.Level)(v).UnmarshalText([]byte(s)) }
