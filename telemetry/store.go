package telemetry

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookline/hookline"
)

// CountEvery is the least time between two counts of the deliveries in the
// store (hookline_deliveries): scrapes in between get the last count.
const CountEvery = 5 * time.Second

// countTimeout bounds one count of the deliveries.
const countTimeout = 5 * time.Second

// RegisterStore registers the metrics of a store on reg: hookline_deliveries
// by state, counted by counter at most once every CountEvery, and, when
// figures is not nil, the figures of the store's own machinery, each as the
// metric hookline_<name>.
func RegisterStore(reg prometheus.Registerer, counter hookline.DeliveryCounter, figures hookline.FigureReporter) {
	registerStore(reg, counter, figures, time.Now)
}

// registerStore is RegisterStore on the clock now.
func registerStore(reg prometheus.Registerer, counter hookline.DeliveryCounter, figures hookline.FigureReporter, now func() time.Time) {
	register(reg, &deliveriesCollector{
		store: counter,
		every: CountEvery,
		now:   now,
		desc: prometheus.NewDesc(namespace+"_deliveries",
			"Deliveries in the store by state: pending (waiting for their first attempt or a retry), sending (leased by a dispatcher), held (deferred by a dispatcher without an attempt: an open circuit breaker, a rate or concurrency limit) or failed (exhausted, or refused for good). Counted at most every 5 s.",
			[]string{"state"}, nil),
	})
	if figures != nil {
		register(reg, &figuresCollector{store: figures})
	}
}

// deliveriesCollector reports the deliveries in the store by state,
// counting them again only when the last count is older than every.
type deliveriesCollector struct {
	store hookline.DeliveryCounter
	every time.Duration
	now   func() time.Time
	desc  *prometheus.Desc

	mu     sync.Mutex // held while counting: scrapes at once count once
	at     time.Time  // of the last count; zero: none yet
	counts hookline.DeliveryCounts
}

func (c *deliveriesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect reports the last count, made again first when it is older than
// every. A count that fails reports the error (an invalid metric, which
// the handler logs) and the last count, if any.
func (c *deliveriesCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); c.at.IsZero() || now.Sub(c.at) >= c.every {
		ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
		counts, err := c.store.CountDeliveries(ctx)
		cancel()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.desc, err)
			if c.at.IsZero() {
				return
			}
		} else {
			c.counts, c.at = counts, now
		}
	}
	for _, s := range []struct {
		state string
		n     int64
	}{{"pending", c.counts.Pending}, {"sending", c.counts.Sending}, {"held", c.counts.Held}, {"failed", c.counts.Failed}} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.n), s.state)
	}
}

// figuresCollector reports the figures of a store as they are at each
// scrape.
type figuresCollector struct {
	store hookline.FigureReporter
}

func (c *figuresCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c.store.Figures() {
		ch <- figureDesc(f)
	}
}

func (c *figuresCollector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.store.Figures() {
		kind := prometheus.GaugeValue
		if f.Counter {
			kind = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(figureDesc(f), kind, f.Value)
	}
}

func figureDesc(f hookline.Figure) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+f.Name, f.Help, nil, nil)
}
