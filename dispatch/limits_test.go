package dispatch_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/internal/wait"
)

func TestThrottleRateEnforced(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var arrivals []time.Time
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
	})
	ep := f.endpoint(t, rc.URL)
	rate := 10
	ep.ThrottleRate = &rate
	if err := f.store.UpdateEndpoint(f.ctx, ep); err != nil {
		t.Fatal(err)
	}
	const n = 35
	for range n {
		f.message(t, `{"a":1}`)
	}
	f.run(t, dispatch.Config{})
	wait.For(t, "every delivery", func() bool { return rc.count() >= n })
	mu.Lock()
	defer mu.Unlock()
	checkRate(t, arrivals, rate, "the endpoint")
}

// checkRate fails t unless arrivals keep to rate per second as the gate
// allows it: a second's burst, then the rate, so no window of a second may
// hold more than 2×rate arrivals (a slow machine only spreads them more),
// and they take more than a second in all.
func checkRate(t *testing.T, arrivals []time.Time, rate int, to string) {
	t.Helper()
	for i := range arrivals {
		in := 0
		for j := i; j < len(arrivals) && arrivals[j].Sub(arrivals[i]) < time.Second; j++ {
			in++
		}
		if in > 2*rate {
			t.Fatalf("%d deliveries to %s within a second from arrival %d; its throttleRate is %d/s", in, to, i, rate)
		}
	}
	if span := arrivals[len(arrivals)-1].Sub(arrivals[0]); span < time.Second {
		t.Fatalf("%d deliveries to %s at %d/s arrived within %v", len(arrivals), to, rate, span)
	}
}

// TestAppThrottleRateEnforced: an application's throttleRate bounds the
// deliveries to all its endpoints together, claimed and fed ones alike.
func TestAppThrottleRateEnforced(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var arrivals []time.Time
	record := func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
	}
	a, b := newReceiver(t, record), newReceiver(t, record)
	f.endpoint(t, a.URL)
	f.endpoint(t, b.URL)
	rate := 10
	f.app.ThrottleRate = &rate
	if err := f.store.UpdateApplication(f.ctx, f.app); err != nil {
		t.Fatal(err)
	}
	const n = 20 // messages, each to both endpoints
	for range n / 2 {
		f.message(t, `{"a":1}`) // claimed
	}
	f.run(t, dispatch.Config{})
	for range n / 2 {
		f.message(t, `{"a":1}`) // fed, once the dispatcher has caught up
	}
	wait.For(t, "every delivery", func() bool { return a.count()+b.count() >= 2*n })
	mu.Lock()
	defer mu.Unlock()
	checkRate(t, arrivals, rate, "the application")
}

func TestEndpointConcurrencyCapped(t *testing.T) {
	f := newFixture(t)
	var inflight, peak atomic.Int64
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		now := inflight.Add(1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inflight.Add(-1)
	})
	ep := f.endpoint(t, rc.URL)
	const n = 60
	for range n {
		f.message(t, `{"a":1}`)
	}
	f.run(t, dispatch.Config{Workers: 32, EndpointConcurrency: 3})
	wait.For(t, "every delivery", func() bool { return rc.count() >= n })
	if p := peak.Load(); p > 3 {
		t.Fatalf("%d attempts in flight to one endpoint at once, cap 3", p)
	}
	wait.For(t, "every success recorded", func() bool {
		page, _ := f.store.EndpointStats(f.ctx, f.app.ID, ep.ID, nil, nil)
		return page != nil && page.Success == n
	})
}

// TestCircuitBreakerHoldsAFailingEndpoint runs in a testing/synctest
// bubble, whose clock moves only when every goroutine of the bubble is
// blocked, so that the breaker's cooldown is a span of that clock, in
// which the test can look at what happened, not a window of real time.
func TestCircuitBreakerHoldsAFailingEndpoint(t *testing.T) {
	var healthy atomic.Bool
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	rc.closeConnections()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t)
		f.endpoint(t, rc.URL)
		const n = 10
		var msgs []*hookline.Message
		for range n {
			msgs = append(msgs, f.message(t, `{"a":1}`))
		}
		// One attempt at a time, so that the breaker opens after exactly three.
		const cooldown = 2 * time.Second
		f.run(t, dispatch.Config{
			Schedule:        []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond},
			BreakerFailures: 3, BreakerCooldown: cooldown, EndpointConcurrency: 1,
		})
		// The third failure, a few milliseconds in, opens the breaker for
		// its cooldown: until then nothing more is attempted (without it,
		// the ten messages would use up their four retries in
		// milliseconds).
		time.Sleep(cooldown)
		synctest.Wait()
		if got := rc.count(); got != 3 {
			t.Fatalf("%d attempts while the breaker was open, want 3", got)
		}
		for _, m := range msgs {
			if d := f.delivery(t, m.ID); d.Status != hookline.StatusPending {
				t.Fatalf("delivery held by the breaker: %+v, want pending", d)
			}
		}
		healthy.Store(true)
		// After the cooldown one probe goes; it succeeds and the breaker closes.
		wait.For(t, "every message delivered after the breaker closed", func() bool {
			for _, m := range msgs {
				if f.delivery(t, m.ID).Status != hookline.StatusSuccess {
					return false
				}
			}
			return true
		})
		if got := rc.count(); got != 3+n {
			t.Fatalf("%d attempts in all, want the 3 failed ones and one success per message", got)
		}
	})
}

// TestHangingEndpointsDoNotStarveHealthyOnes has twenty endpoints that never
// answer take every attempt they can get, while a healthy endpoint's messages
// must all arrive: a hanging attempt leaves the healthy lane after SlowAfter,
// and its endpoint only gets the failing lane's places, one at a time.
func TestHangingEndpointsDoNotStarveHealthyOnes(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	dead := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	for i := range 20 {
		f.endpoint(t, dead.URL+"/dead/"+string(rune('a'+i)))
	}
	healthy := &hookline.Application{ID: hookline.NewID(hookline.PrefixApplication), Name: "healthy",
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := f.store.CreateApplication(f.ctx, healthy); err != nil {
		t.Fatal(err)
	}
	good := newReceiver(t, nil)
	goodEp := &hookline.Endpoint{ID: hookline.NewID(hookline.PrefixEndpoint), AppID: healthy.ID, URL: good.URL,
		Secret: hookline.NewSecret(), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := f.store.CreateEndpoint(f.ctx, goodEp, 0); err != nil {
		t.Fatal(err)
	}
	// Attempts time out only after a minute: the test must not wait for it.
	f.run(t, dispatch.Config{Workers: 8, FailingWorkers: 30, EndpointConcurrency: 8, Timeout: time.Minute,
		SlowAfter: 100 * time.Millisecond})
	t.Cleanup(func() { close(release) }) // before the dispatcher drains
	for range 10 {
		f.message(t, `{"to":"dead"}`) // to each of the twenty
	}
	wait.For(t, "the dead endpoints to take the healthy lane", func() bool { return dead.count() >= 8 })
	const n = 50
	for range n {
		m := &hookline.Message{ID: hookline.NewID(hookline.PrefixMessage), AppID: healthy.ID, EventType: "x",
			Payload: []byte(`{"to":"good"}`), CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
		if _, err := f.store.CreateMessage(f.ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	wait.For(t, "every healthy delivery while the dead endpoints hang", func() bool { return good.count() >= n })
}

// TestHostConcurrencyCapped: many endpoints to one receiver, through a
// real dispatcher: the receiver never has more attempts in flight than the
// host's bound, whatever the endpoints' own caps, and every delivery
// arrives.
func TestHostConcurrencyCapped(t *testing.T) {
	f := newFixture(t)
	var inFlight, most atomic.Int64
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		now := inFlight.Add(1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond) // the attempts overlap
		inFlight.Add(-1)
	})
	const endpoints, perEndpoint = 12, 3
	for i := range endpoints {
		f.endpoint(t, fmt.Sprintf("%s/ep/%d", rc.URL, i))
	}
	for range perEndpoint {
		f.message(t, `{"a":1}`)
	}
	const bound = 3
	f.run(t, dispatch.Config{HostConcurrency: bound})
	wait.For(t, "every delivery", func() bool { return rc.count() >= endpoints*perEndpoint })
	if m := most.Load(); m > bound {
		t.Fatalf("%d attempts in flight to the receiver at once, its host's bound is %d", m, bound)
	}
}
