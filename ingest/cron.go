package ingest

import (
	"context"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hookline/hookline"
)

// parseSchedule parses a cron source's standard five-field schedule
// ("*/5 * * * *", or a descriptor such as "@hourly").
func parseSchedule(s string) (cron.Schedule, error) {
	if s == "" {
		return nil, hookline.Invalid(field("schedule"), "is required for a cron source")
	}
	sched, err := cron.ParseStandard(s)
	if err != nil {
		return nil, hookline.Invalid(field("schedule"), "is not a five-field cron schedule: %v", err)
	}
	return sched, nil
}

// CronRescan is how often RunCron reads the sources again, to see those
// created, changed or deleted since (by any node).
const CronRescan = 10 * time.Second

// cronEventType is the event type of a cron source's requests.
const cronEventType = "cron.tick"

// RunCron fires the schedules of the cron sources until ctx is done. Each
// tick of a schedule after RunCron started becomes a request the source
// received, with its config's payload and content type (application/json
// by default), stored and delivered like any other. Its delivery id is the
// tick's time, so that with several nodes on one database each tick is
// stored once, by whichever node claims it first (Store.Receive); the
// others log it as a duplicate. Ticks missed while no node ran are not
// fired afterwards.
func (g *Gateway) RunCron(ctx context.Context) {
	last := g.now()
	for {
		srcs, err := g.cronSources(ctx)
		if err != nil && ctx.Err() == nil {
			g.log.Error("ingest: cannot read the cron sources", "error", err.Error())
		}
		now := g.now()
		next := now.Add(CronRescan)
		for _, src := range srcs {
			sched, err := parseSchedule(src.Config.Schedule)
			if err != nil {
				continue // stored before a check that refuses it now
			}
			for t := sched.Next(last); !t.After(now); t = sched.Next(t) {
				g.fire(ctx, src, t)
			}
			if n := sched.Next(now); n.Before(next) {
				next = n
			}
		}
		last = now
		timer := time.NewTimer(next.Sub(g.now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-g.changed:
			timer.Stop()
		}
	}
}

// SourcesChanged tells RunCron that a source was created, changed or
// deleted through this node: it reads them again at once, instead of
// within CronRescan.
func (g *Gateway) SourcesChanged() {
	select {
	case g.changed <- struct{}{}:
	default:
	}
}

// cronSources lists the cron sources.
func (g *Gateway) cronSources(ctx context.Context) ([]*hookline.Source, error) {
	var out []*hookline.Source
	opts := hookline.ListOptions{Limit: hookline.MaxListLimit}
	for {
		page, err := g.store.ListSources(ctx, opts)
		if err != nil {
			return out, err
		}
		for _, src := range page.Items {
			if src.Type == hookline.SourceCron {
				out = append(out, src)
			}
		}
		if page.Done || len(page.Items) == 0 {
			return out, nil
		}
		opts.Iterator = page.Items[len(page.Items)-1].ID
	}
}

// fire stores the request of src's tick at t.
func (g *Gateway) fire(ctx context.Context, src *hookline.Source, t time.Time) {
	contentType := "application/json"
	if ct := src.Config.ContentType; ct != nil && *ct != "" {
		contentType = *ct
	}
	rec := &hookline.Received{RemoteAddr: "cron", DeliveryID: "cron:" + t.UTC().Format(time.RFC3339Nano)}
	msg := g.message(src, rec, cronEventType, []byte(src.Config.Payload), contentType)
	// The default window, not the config's (checkCron): a node that fires
	// a tick late, as one that just learnt of the source does, must find
	// it still claimed (as long as the retention keeps it).
	if err := g.accept(ctx, src, rec, msg, g.DedupWindow(hookline.DefaultDedupWindow)); err != nil {
		if ctx.Err() == nil {
			g.log.Error("ingest: a cron tick was not stored", "source_id", src.ID, "tick", t, "error", err.Error())
		}
		return
	}
	g.requests.WithLabelValues(src.Type, rec.Outcome).Inc()
}
