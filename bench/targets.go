package bench

import "fmt"

// Check is a target of the issue and whether this run met it.
type Check struct {
	Target string `json:"target"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
}

// targets compares a result with the targets.
func targets(r, throughput *Result) []Check {
	if r.Error != "" || r.Skipped != "" {
		return nil
	}
	var c []Check
	add := func(target, got string, met bool) { c = append(c, Check{target, got, met}) }
	switch r.Scenario {
	case Throughput:
		add("≥ 50 % of the baseline", fmt.Sprintf("%.1f %%", 100*r.OfBaseline), r.OfBaseline >= 0.5)
		if r.Server != nil {
			add("server CPU ≤ 100 µs per delivery", fmt.Sprintf("%.0f µs", r.Server.CPUPerOp), r.Server.CPUPerOp <= 100)
			add("server RSS ≤ 150 MiB", fmt.Sprintf("%.0f MiB", r.Server.PeakRSSMiB), r.Server.PeakRSSMiB <= 150)
		}
	case Latency:
		if r.Latency != nil {
			add("p50 ≤ 3 ms", fmt.Sprintf("%.2f ms", r.Latency.P50), r.Latency.P50 <= 3)
			add("p99 ≤ 20 ms", fmt.Sprintf("%.2f ms", r.Latency.P99), r.Latency.P99 <= 20)
		}
	case Ingest:
		add("≥ 15,000 accepted/s", fmt.Sprintf("%.0f/s", r.Rate), r.Rate >= 15000)
	case Backlog:
		if throughput != nil && throughput.Rate > 0 {
			add("drain ≥ 80 % of throughput", fmt.Sprintf("%.1f %%", 100*r.Rate/throughput.Rate), r.Rate >= 0.8*throughput.Rate)
		}
		if r.Server != nil {
			add("server RSS ≤ 256 MiB", fmt.Sprintf("%.0f MiB", r.Server.PeakRSSMiB), r.Server.PeakRSSMiB <= 256)
		}
	case Fanout:
		add("all delivered within 1 s", fmt.Sprintf("%.3f s", r.Seconds), r.Lost == 0 && r.Seconds <= 1)
	case Isolation:
		if throughput != nil && throughput.Rate > 0 {
			add("healthy endpoint ≥ 80 % of its solo throughput", fmt.Sprintf("%.1f %%", 100*r.Rate/throughput.Rate),
				r.Rate >= 0.8*throughput.Rate)
		}
	}
	return c
}
