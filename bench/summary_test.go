package bench

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	run := func(base, thr, cpu float64, failed bool) *Report {
		r := &Result{Scenario: Throughput, Rate: thr, OfBaseline: thr / base,
			Latency: &Percentiles{P50: thr / 1000, P99: thr / 100}, Server: &ServerUsage{CPUPerOp: cpu}}
		if failed {
			r = &Result{Scenario: Throughput, Error: "boom"}
		}
		return &Report{Baseline: &Result{Scenario: "baseline", Rate: base}, Results: []*Result{r}}
	}
	sums := Summarize([]*Report{run(20000, 4000, 300, false), run(30000, 3000, 250, false),
		run(25000, 5000, 200, false), run(10, 10, 10, true)})
	if len(sums) != 2 || sums[0].Scenario != "baseline" || sums[1].Scenario != Throughput {
		t.Fatalf("summaries: %+v", sums)
	}
	if b := sums[0]; b.Runs != 4 || *b.Rate != (Spread{Median: 22500, Min: 10, Max: 30000}) {
		t.Errorf("baseline over 4 runs: %+v %+v", b, *b.Rate)
	}
	s := sums[1]
	if s.Runs != 3 || *s.Rate != (Spread{Median: 4000, Min: 3000, Max: 5000}) ||
		*s.CPUPerOp != (Spread{Median: 250, Min: 200, Max: 300}) || s.P99.Median != 40 {
		t.Errorf("throughput over the 3 runs that ended: %+v rate %+v cpu %+v", s, *s.Rate, *s.CPUPerOp)
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, sums); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "4000 [3000–5000]") || !strings.Contains(out, "250 [200–300]") {
		t.Errorf("table:\n%s", out)
	}
	if got := spreadOf(nil); got != nil {
		t.Errorf("spread of nothing: %+v", got)
	}
}
