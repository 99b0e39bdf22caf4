package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// target is the server a scenario measures.
type target struct {
	api    *apiClient
	child  *child // nil for an external server
	dir    string // the temporary store's directory
	schema string // on PostgreSQL: the temporary store's schema
	token  string
}

// db returns the --db of t's server: a file in t's directory, or a URL of
// t's schema.
func (r *runner) db(t *target) string {
	if t.schema == "" {
		return t.dir + string(os.PathSeparator) + "bench.db"
	}
	return withSearchPath(r.opts.Postgres, t.schema)
}

// open starts a server on a new temporary store (or returns the external
// one) and waits until it is healthy.
func (r *runner) open(ctx context.Context, noDispatch bool) (*target, error) {
	if r.opts.ServerURL != "" {
		t := &target{api: &apiClient{base: r.opts.ServerURL, token: r.opts.Token, hc: r.api}}
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return t, t.api.health(hctx)
	}
	dir, err := os.MkdirTemp(r.opts.TempDir, "hookline-bench-")
	if err != nil {
		return nil, err
	}
	t := &target{dir: dir, token: newToken()}
	if r.opts.Postgres != "" {
		if t.schema, err = createSchema(ctx, r.opts.Postgres); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := r.restart(ctx, t, noDispatch); err != nil {
		t.close(r)
		return nil, err
	}
	return t, nil
}

// restart starts a child server on t's store (after open or stop).
func (r *runner) restart(ctx context.Context, t *target, noDispatch bool) error {
	c, err := startChild(ctx, r.opts.ServerCommand, r.db(t), t.token, noDispatch, r.opts.ServeFlags, r.opts.ServerLog)
	if err != nil {
		return err
	}
	t.child = c
	t.api = &apiClient{base: "http://" + c.addr, token: t.token, hc: r.api}
	hctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := t.api.health(hctx); err != nil {
		c.kill()
		return fmt.Errorf("%w\n%s", err, c.logs)
	}
	return nil
}

// stop stops the child server, if any, and returns its usage.
func (t *target) stop() (usage, error) {
	if t.child == nil {
		return usage{}, nil
	}
	u, err := t.child.stop(time.Minute)
	t.child = nil
	return u, err
}

// close stops the server and removes its store.
func (t *target) close(r *runner) error {
	_, err := t.stop()
	if t.dir != "" {
		os.RemoveAll(t.dir)
	}
	if t.schema != "" {
		if derr := dropSchema(r.opts.Postgres, t.schema); err == nil {
			err = derr
		}
	}
	return err
}

func newToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "hk_bench_" + base64.RawURLEncoding.EncodeToString(b)
}

// setup creates an application named for the scenario with n endpoints,
// endpoint i at the receiver's URL for (run, i), all with the run's secret.
func (r *runner) setup(ctx context.Context, t *target, name string, run, n int) (string, error) {
	app, err := t.api.createApp(ctx, "hookline bench "+name)
	if err != nil {
		return "", err
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	for range min(n, 8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if _, err := t.api.createEndpoint(ctx, app, r.recv.endpointURL(run, i), r.secret); err != nil {
					errOnce.Do(func() { first = fmt.Errorf("creating endpoint %d: %w", i, err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	return app, first
}

// teardown deletes the scenario's application on an external server (a
// started one is thrown away with its store).
func (r *runner) teardown(t *target, app string) {
	if t.child != nil || t.dir != "" || app == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.api.deleteApp(ctx, app)
}
