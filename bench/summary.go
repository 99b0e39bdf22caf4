package bench

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// Spread is a figure over several runs: its median, and the least and
// greatest value.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// spreadOf returns the spread of vs, nil when there are none.
func spreadOf(vs []float64) *Spread {
	if len(vs) == 0 {
		return nil
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	n := len(vs)
	median := vs[n/2]
	if n%2 == 0 {
		median = (vs[n/2-1] + vs[n/2]) / 2
	}
	return &Spread{Median: median, Min: vs[0], Max: vs[n-1]}
}

// Summary is one scenario's figures over the runs in which it ran to its
// end: the same machine's figures move from run to run by more than most
// changes do, so a comparison wants several runs, alternated.
type Summary struct {
	Scenario   string  `json:"scenario"`
	Runs       int     `json:"runs"`
	Rate       *Spread `json:"rate"`
	OfBaseline *Spread `json:"ofBaseline,omitempty"`
	P50        *Spread `json:"p50,omitempty"`
	P99        *Spread `json:"p99,omitempty"`
	CPUPerOp   *Spread `json:"cpuMicrosPerOp,omitempty"`
}

// Summarize returns the spread of each scenario's figures over reps, the
// baseline first, then the scenarios in the order they ran.
func Summarize(reps []*Report) []Summary {
	type figures struct{ rate, ofBase, p50, p99, cpu []float64 }
	var order []string
	by := map[string]*figures{}
	for _, rep := range reps {
		for _, r := range append([]*Result{rep.Baseline}, rep.Results...) {
			if r == nil || r.Error != "" || r.Skipped != "" {
				continue
			}
			f := by[r.Scenario]
			if f == nil {
				f = &figures{}
				by[r.Scenario] = f
				order = append(order, r.Scenario)
			}
			f.rate = append(f.rate, r.Rate)
			if r.OfBaseline > 0 {
				f.ofBase = append(f.ofBase, r.OfBaseline)
			}
			if r.Latency != nil {
				f.p50 = append(f.p50, r.Latency.P50)
				f.p99 = append(f.p99, r.Latency.P99)
			}
			if r.Server != nil && r.Server.CPUPerOp > 0 {
				f.cpu = append(f.cpu, r.Server.CPUPerOp)
			}
		}
	}
	sums := make([]Summary, 0, len(order))
	for _, name := range order {
		f := by[name]
		sums = append(sums, Summary{
			Scenario: name, Runs: len(f.rate), Rate: spreadOf(f.rate), OfBaseline: spreadOf(f.ofBase),
			P50: spreadOf(f.p50), P99: spreadOf(f.p99), CPUPerOp: spreadOf(f.cpu),
		})
	}
	return sums
}

// WriteSummary writes sums as a table: each figure's median, and its range
// in brackets.
func WriteSummary(w io.Writer, sums []Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\truns\trate/s\tof bare\tp50 ms\tp99 ms\tCPU µs/op\t")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", s.Scenario, s.Runs, s.Rate.format("%.0f", 1),
			s.OfBaseline.format("%.1f %%", 100), s.P50.format("%.2f", 1), s.P99.format("%.1f", 1),
			s.CPUPerOp.format("%.0f", 1))
	}
	return tw.Flush()
}

// format writes the median and the range, each multiplied by scale.
func (s *Spread) format(verb string, scale float64) string {
	if s == nil {
		return ""
	}
	one := func(v float64) string { return fmt.Sprintf(verb, v*scale) }
	if s.Min == s.Max {
		return one(s.Median)
	}
	return one(s.Median) + " [" + one(s.Min) + "–" + one(s.Max) + "]"
}
