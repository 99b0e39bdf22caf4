package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/background"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/ingest"
	"github.com/hookline/hookline/operational"
	"github.com/hookline/hookline/portal"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/sqlite"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseServeFlags(args, getenv)
	if err != nil {
		return newServeFlags(getenv, &serveConfig{}).usageExit(err, stdout, stderr)
	}
	ctx, shutDown := context.WithCancel(ctx)
	defer shutDown()
	defer onSignals(shutDown, stderr)()
	if err := serve(ctx, cfg, nil, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "hookline serve:", err)
		return 1
	}
	return 0
}

// newEgressClient returns the client deliveries go out with: the network
// policy, the proxy and the default client certificate of cfg.
func newEgressClient(cfg *serveConfig) (*egress.Client, error) {
	ec := egress.Config{
		Policy:          egress.Policy{Allow: cfg.AllowNetworks, Ports: cfg.AllowPorts},
		HTTPSOnly:       cfg.HTTPSOnly,
		Timeout:         cfg.Timeout,
		MaxConnsPerHost: cfg.Workers,
		Proxy:           cfg.EgressProxy,
		EgressIPs:       cfg.EgressIPs,
	}
	var err error
	if cfg.EgressCertFile != "" {
		if ec.ClientCert, err = os.ReadFile(cfg.EgressCertFile); err != nil {
			return nil, fmt.Errorf("--egress-client-cert-file: %w", err)
		}
	}
	if cfg.EgressKeyFile != "" {
		if ec.ClientKey, err = os.ReadFile(cfg.EgressKeyFile); err != nil {
			return nil, fmt.Errorf("--egress-client-key-file: %w", err)
		}
	}
	c, err := egress.New(ec)
	if err != nil {
		return nil, fmt.Errorf("egress: %w", err)
	}
	return c, nil
}

// disableAfter turns --disable-after, where 0 means never, into
// dispatch.Config.DisableAfter, where never is negative.
func disableAfter(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// serve runs the API and the dispatcher until ctx is done, then shuts down:
// it says how many delivery attempts are in flight and how long it waits
// for them, stops accepting requests and finishes those in flight while the
// dispatcher, which claims nothing more, finishes its attempts and releases
// its leases; then it closes the store. ready, when not nil, is called with
// the listening address.
func serve(ctx context.Context, cfg *serveConfig, ready func(addr string), stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	mk, err := loadSecretKey(cfg)
	if err != nil {
		return err
	}
	if mk.key == nil {
		logger.Warn("no master key (--allow-unencrypted-secrets): the secrets of endpoints and sources are stored unencrypted")
	}
	client, err := newEgressClient(cfg)
	if err != nil {
		return err
	}
	actions, err := loadActions(cfg)
	if err != nil {
		return err
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	if cfg.EgressProxy != "" {
		logger.Info("deliveries go through a proxy", "proxy", hookline.RedactURL(cfg.EgressProxy), "egress_ips", cfg.EgressIPs)
	}
	previous, err := decodeSecretKeys(cfg.PreviousSecretKeys, "$HOOKLINE_PREVIOUS_SECRET_KEYS")
	if err != nil {
		return err
	}
	if mk.generated {
		if err := checkNewKey(ctx, cfg.DB, logger, mk); err != nil {
			return err
		}
		if err := mk.keep(logger); err != nil {
			return err
		}
	}
	store, err := openStore(ctx, cfg.DB, logger, openOptions{Key: mk.key, Previous: previous})
	if err != nil {
		return err
	}
	defer store.Close()
	// Nothing is written before the key is known to open what the store
	// holds sealed: a start refused for its key changes nothing. (Opening
	// the store seals what it holds in older forms only when the key opens
	// it all: see hookline.UpgradeSeals.)
	if err := checkSecretKey(ctx, store, mk); err != nil {
		return err
	}

	// The metrics listener, if any, is bound here too, before the token.
	obs, err := startTelemetry(ctx, cfg, store, logger)
	if err != nil {
		return err
	}
	defer obs.stop()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	ln = limitListener(ln, cfg.MaxConnections)
	if cfg.PprofListen != "" {
		stopPprof, err := servePprof(cfg.PprofListen, logger)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopPprof()
	}
	// Once the listeners are bound: a start that fails wastes no token.
	if err := ensureAdminToken(ctx, store, cfg.AdminToken, stdout); err != nil {
		ln.Close()
		return err
	}

	// A store that one process alone uses (a SQLite file) names the lease
	// owner: this process takes back at once the deliveries a previous run
	// had claimed when it died, instead of waiting for their leases to
	// expire. On a shared database each node keeps its own name.
	traits := store.Traits()
	owner := traits.SoleOwner
	if owner != "" {
		if err := store.Release(ctx, owner); err != nil {
			ln.Close()
			return err
		}
	}
	// Outcomes: where each Complete is a round trip and a commit of its own
	// (PostgreSQL), at low load the dispatcher waits up to 2 ms to make it
	// one for several; a store that gathers outcomes into other commits
	// itself (the SQLite writer) needs no wait.
	outcomeLinger := 2 * time.Millisecond
	if traits.GathersOutcomes {
		outcomeLinger = 0
	}

	// Operational webhooks: events of the API and the dispatcher become
	// messages of an internal application, delivered like any other.
	notifier := operational.New(operational.Config{Store: store, Logger: logger})
	// The inbound gateway: what sources receive becomes messages of their
	// internal applications, delivered like any other.
	gateway := ingest.New(ingest.Config{Store: store, Logger: logger, Metrics: obs.registry, Tracing: obs.tracing, Retention: cfg.Retention})
	if cfg.Retention > 0 && cfg.Retention < hookline.DefaultDedupWindow {
		logger.Warn("retention: --retention is shorter than the inbound gateway's default de-duplication window (7 days): sources remember delivery ids for --retention only",
			"retention", cfg.Retention.String())
	}
	// The default public URL, http://<listen>, of --listen 127.0.0.1:0
	// names the port the system chose.
	publicURL := cfg.PublicURL
	if publicURL == "http://"+cfg.Listen && strings.HasSuffix(cfg.Listen, ":0") {
		publicURL = "http://" + ln.Addr().String()
	}
	// Background tasks (recover, replays, expunging an application's
	// payloads) run in every process, one task at a time, under a lease
	// on the task: the runner's name is the sole owner's, so that it
	// takes back at once what a previous run of this process held, or a
	// name of its own on a shared database.
	taskOwner := owner
	if taskOwner == "" {
		taskOwner = hookline.NewID("tasks_")
	}
	runner := background.NewRunner(store, taskOwner)
	runner.Log = logger
	srv := &http.Server{
		Handler: api.New(api.Config{
			Store:              store,
			Logger:             logger,
			MaxBodyBytes:       cfg.MaxBodyBytes,
			PublicURL:          publicURL,
			SecretGracePeriod:  cfg.SecretGrace,
			Notifier:           notifier,
			Operational:        notifier,
			EgressIPs:          cfg.EgressIPs,
			TrustedProxies:     cfg.TrustedProxies,
			MaxEndpointsPerApp: cfg.MaxEndpointsPerApp,
			HTTPSOnly:          cfg.HTTPSOnly,
			Metrics:            obs.registry,
			Tracing:            obs.tracing,
			MetricsHandler:     obs.apiMetrics,
			Ingest:             gateway,
			Actions:            actions,
			TaskCreated:        runner.Wake,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		// Idle keep-alive connections hold a place of --max-connections.
		IdleTimeout:    cmp.Or(cfg.idleTimeout, apiIdleTimeout),
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// The App Portal and the dashboard beside /api/v1.
	if srv.Handler, err = portal.Handler(srv.Handler, portal.Config{FrameAncestors: cfg.PortalFrameAncestors}); err != nil {
		ln.Close()
		return err
	}

	var wg sync.WaitGroup
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	var d *dispatch.Dispatcher
	if !cfg.NoDispatch {
		var queue hookline.Queue = store
		if cfg.dispatchQueue != nil {
			queue = cfg.dispatchQueue(store)
		}
		d = dispatch.New(dispatch.Config{
			Store:               queue,
			Client:              client,
			Logger:              logger,
			Owner:               owner,
			Workers:             cfg.Workers,
			DisableAfter:        disableAfter(cfg.DisableAfter),
			EndpointConcurrency: cfg.EndpointConcurrency,
			HostConcurrency:     cfg.HostConcurrency,
			SignatureHeaders:    cfg.SignatureHeaders,
			Timeout:             cfg.Timeout,
			Lease:               lease(cfg, actions),
			Actions:             actions,
			Schedule:            cfg.Schedule,
			Notifier:            notifier,
			OutcomeLinger:       outcomeLinger,
			DrainTimeout:        drainTimeout(cfg),
			Metrics:             obs.registry,
			Tracing:             obs.tracing,
			PropagateTrace:      cfg.PropagateTrace,
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.Run(dispatchCtx); err != nil {
				logger.Error("dispatcher stopped", "err", err)
			}
		}()
	}

	wg.Add(1)
	go func() {
		defer wg.Done()
		runner.Run(dispatchCtx)
	}()
	// Retention: what is done and older than --retention is deleted.
	wg.Add(1)
	go func() {
		defer wg.Done()
		hookline.RunPrune(dispatchCtx, store, cfg.Retention, time.Now, logger)
	}()

	// Cron sources fire on every node; the store keeps one request a tick.
	wg.Add(1)
	go func() {
		defer wg.Done()
		gateway.RunCron(dispatchCtx)
	}()

	serveErr := make(chan error, 1)
	if tlsCfg != nil {
		srv.TLSConfig = tlsCfg
		go func() { serveErr <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { serveErr <- srv.Serve(ln) }()
	}
	logger.Info("hookline serving", "version", hookline.Version, "addr", ln.Addr().String(), "db", redactDB(cfg.DB),
		"dispatch", !cfg.NoDispatch, "tls", cfg.TLSCert != "", "actions", len(actions.Names()))
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopDispatch()
		wg.Wait()
		return err
	}
	attempts := 0
	if d != nil {
		attempts = d.InFlight()
	}
	logger.Info("shutting down; interrupt again (Ctrl-C, SIGTERM) to exit at once",
		"attempts_in_flight", attempts, "attempts_wait_up_to", drainTimeout(cfg), "requests_wait_up_to", requestDrain)
	// The dispatcher claims nothing more from now on, and finishes its
	// attempts while the server finishes its requests.
	stopDispatch()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), requestDrain)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("closing connections", "err", err)
	}
	wg.Wait()
	logger.Info("stopped")
	return nil
}

// requestDrain bounds how long serve, shutting down, waits for the API
// requests in flight.
const requestDrain = 30 * time.Second

// drainTimeout is how long serve, shutting down, waits for the delivery
// attempts in flight: each ends within the attempt timeout, and then its
// outcome is written.
func drainTimeout(cfg *serveConfig) time.Duration { return cfg.Timeout + 5*time.Second }

// openOptions say how openStore opens a database.
type openOptions struct {
	// MustExist refuses a SQLite path where no file is, instead of creating
	// a database there.
	MustExist bool
	// Key, when not nil, is the master key that encrypts secrets
	// at rest; Previous are earlier ones, during a rotation.
	Key      []byte
	Previous [][]byte
}

// openStore opens the database named by dsn: a postgres:// or postgresql://
// URL selects PostgreSQL (its search_path parameter, when set, names the
// schema of Hookline's tables), anything else is a SQLite file path, which
// this process then holds alone until it closes the store.
func openStore(ctx context.Context, dsn string, logger *slog.Logger, o openOptions) (hookline.Store, error) {
	if isPostgresURL(dsn) {
		return postgres.Open(ctx, dsn, postgres.WithLogger(logger), postgres.WithSecretKey(o.Key, o.Previous...))
	}
	opts := []sqlite.Option{sqlite.WithLogger(logger), sqlite.WithSecretKey(o.Key, o.Previous...)}
	if o.MustExist {
		opts = append(opts, sqlite.MustExist())
	}
	return sqlite.Open(ctx, dsn, opts...)
}

// ensureAdminToken makes sure an admin token exists. A token given in
// HOOKLINE_ADMIN_TOKEN is stored (as a hash) if new; nodes that start at
// once with the same token all succeed, whichever of them stores it.
// Otherwise, when the store has no admin token at all, one is generated and
// printed once: on a store that can create it atomically (PostgreSQL, whose
// nodes may start together) by the one node that stored it; the others
// print nothing.
func ensureAdminToken(ctx context.Context, store hookline.Store, token string, stdout io.Writer) error {
	if token != "" {
		hash := api.HashToken(token)
		_, err := store.TokenByHash(ctx, hash)
		if hookline.ErrorCode(err) != hookline.ENOTFOUND {
			return err
		}
		err = store.CreateToken(ctx, &hookline.Token{
			ID: hookline.NewID(hookline.PrefixToken), Hash: hash, Name: "HOOKLINE_ADMIN_TOKEN", CreatedAt: time.Now(),
		})
		if hookline.ErrorCode(err) == hookline.ECONFLICT {
			// Another node stored the same token since we looked: the hash
			// is taken by it, which is what we wanted, if it is valid.
			if _, lerr := store.TokenByHash(ctx, hash); lerr == nil {
				return nil
			}
		}
		return err
	}
	// Nodes that start together on one database store one token between
	// them: the store looks and creates at once.
	token = api.NewToken()
	created, err := store.CreateFirstAdminToken(ctx, &hookline.Token{
		ID: hookline.NewID(hookline.PrefixToken), Hash: api.HashToken(token), Name: "generated by serve", CreatedAt: time.Now(),
	})
	if err != nil || !created {
		return err
	}
	fmt.Fprintf(stdout, "Created an admin API token; it is shown only this once, keep it safe:\n\n    %s\n\n", token)
	return nil
}
