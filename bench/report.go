package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	Started  time.Time `json:"started"`
	Machine  Machine   `json:"machine"`
	Server   string    `json:"server"` // what was measured
	Settings Settings  `json:"settings"`
	// Baseline is a bare net/http client POSTing the same payloads with the
	// same concurrency straight to the same receiver.
	Baseline *Result   `json:"baseline"`
	Results  []*Result `json:"results"`

	// Stray counts deliveries that came for no running scenario (late
	// retries or duplicates of a finished one); not an error.
	Stray         int  `json:"stray"`
	Lost          int  `json:"lost"`
	BadSignatures int  `json:"badSignatures"`
	Failures      int  `json:"failures"` // wrong ids, unreadable deliveries, refused publishes, scenarios that failed
	OK            bool `json:"ok"`
}

// Settings are the sizes a run used.
type Settings struct {
	PayloadSize      int     `json:"payloadSize"`
	Messages         int     `json:"messages"`
	Publishers       int     `json:"publishers"`
	BaselineMessages int     `json:"baselineMessages"`
	LatencyRate      float64 `json:"latencyRate"`
	LatencySeconds   float64 `json:"latencySeconds"`
	IngestMessages   int     `json:"ingestMessages"`
	IngestPublishers int     `json:"ingestPublishers"`
	BacklogMessages  int     `json:"backlogMessages"`
	FanoutEndpoints  int     `json:"fanoutEndpoints"`
	VerifyEvery      int     `json:"verifyEvery"`
	ServeFlags       string  `json:"serveFlags,omitempty"`
}

func (rep *Report) summarise() {
	rep.Lost, rep.BadSignatures, rep.Failures = 0, 0, 0
	var thr *Result
	for _, res := range append([]*Result{rep.Baseline}, rep.Results...) {
		if res == nil {
			continue
		}
		rep.Lost += res.Lost
		rep.BadSignatures += res.BadSignatures
		rep.Failures += res.failures()
		if res != rep.Baseline && res.RateUnit != "" && res.Scenario != Latency && rep.Baseline != nil && rep.Baseline.Rate > 0 {
			res.OfBaseline = res.Rate / rep.Baseline.Rate
		}
		if res.Scenario == Throughput && res.Error == "" {
			thr = res
		}
	}
	for _, res := range rep.Results {
		res.Targets = targets(res, thr)
	}
	rep.OK = rep.Lost == 0 && rep.BadSignatures == 0 && rep.Failures == 0
}

// WriteJSON writes the report as one JSON object.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable writes the report for people: the machine, a table of the
// scenarios with the baseline, the targets, the notes and the verdict.
func (rep *Report) WriteTable(w io.Writer) error {
	m := rep.Machine
	fmt.Fprintf(w, "hookline bench  %s  %d CPUs", rep.Started.Format("2006-01-02 15:04 UTC"), m.CPUs)
	if m.CPUModel != "" {
		fmt.Fprintf(w, " (%s)", m.CPUModel)
	}
	if m.MemoryMiB > 0 {
		fmt.Fprintf(w, ", %.1f GiB", float64(m.MemoryMiB)/1024)
	}
	fmt.Fprintf(w, ", %s %s/%s", m.GoVersion, m.OS, m.Arch)
	if m.LoadAvg != "" {
		fmt.Fprintf(w, ", load %s", m.LoadAvg)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "server: %s\n", rep.Server)
	s := rep.Settings
	fmt.Fprintf(w, "payload %d B, %d publishers, signature checked on 1 request in %d\n\n", s.PayloadSize, s.Publishers, s.VerifyEvery)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tcount\tseconds\trate/s\tof bare\tp50 ms\tp99 ms\tmax ms\tRSS peak MiB\tCPU µs/op\tlost\tbad sig\t")
	all := append([]*Result{rep.Baseline}, rep.Results...)
	for _, r := range all {
		if r == nil {
			continue
		}
		if r.Skipped != "" || r.Error != "" {
			what := "skipped"
			if r.Error != "" {
				what = "FAILED"
			}
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t\t\t\t\t\t\n", r.Scenario, what)
			continue
		}
		count := r.Received
		if r.RateUnit == "accepted/s" {
			count = r.Messages
		}
		row := []string{r.Scenario, strconv.Itoa(count), fmt.Sprintf("%.2f", r.Seconds), fmt.Sprintf("%.0f", r.Rate)}
		if r.OfBaseline > 0 {
			row = append(row, fmt.Sprintf("%.1f %%", 100*r.OfBaseline))
		} else if r == rep.Baseline {
			row = append(row, "100 %")
		} else {
			row = append(row, "")
		}
		if l := r.Latency; l != nil {
			row = append(row, ms(l.P50), ms(l.P99), ms(l.Max))
		} else {
			row = append(row, "", "", "")
		}
		if u := r.Server; u != nil {
			row = append(row, fmt.Sprintf("%.0f", u.PeakRSSMiB), fmt.Sprintf("%.0f", u.CPUPerOp))
		} else {
			row = append(row, "", "")
		}
		row = append(row, strconv.Itoa(r.Lost), strconv.Itoa(r.BadSignatures))
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()

	fmt.Fprintln(w)
	for _, r := range all {
		if r == nil {
			continue
		}
		var lines []string
		if r.Skipped != "" {
			lines = append(lines, "skipped: "+r.Skipped)
		}
		if r.Error != "" {
			lines = append(lines, "error: "+r.Error)
		}
		if r.RateUnit == "accepted/s" && r.Error == "" {
			lines = append(lines, "rate: messages accepted (202) per second; nothing is delivered")
		}
		if r.Latency != nil {
			lines = append(lines, fmt.Sprintf("latency: %s (p90 %s ms)", r.Latency.What, ms(r.Latency.P90)))
		}
		if u := r.Server; u != nil {
			lines = append(lines, fmt.Sprintf("server: CPU %.2f s, RSS peak %.0f MiB sampled, VmHWM %.0f MiB", u.CPUSeconds, u.PeakRSSMiB, u.HWMMiB))
		}
		if r.Duplicates > 0 {
			lines = append(lines, fmt.Sprintf("%d duplicate deliveries (at-least-once; not an error)", r.Duplicates))
		}
		if r.WrongIDs > 0 {
			lines = append(lines, fmt.Sprintf("%d deliveries with a webhook-id other than the message id", r.WrongIDs))
		}
		if r.Corrupt > 0 {
			lines = append(lines, fmt.Sprintf("%d deliveries with a body the receiver could not read", r.Corrupt))
		}
		if r.PublishErrors > 0 {
			lines = append(lines, fmt.Sprintf("%d publishes failed", r.PublishErrors))
		}
		if r.FirstError != "" {
			lines = append(lines, "first error: "+r.FirstError)
		}
		lines = append(lines, r.Notes...)
		for _, c := range r.Targets {
			mark := "met"
			if !c.Met {
				mark = "MISSED"
			}
			lines = append(lines, fmt.Sprintf("target %s: %s, %s", c.Target, c.Got, mark))
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, "%s:\n", r.Scenario)
			for _, l := range lines {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
	}
	if rep.Stray > 0 {
		fmt.Fprintf(w, "%d deliveries arrived for a scenario that had ended (late duplicates)\n", rep.Stray)
	}
	fmt.Fprintln(w)
	if rep.OK {
		fmt.Fprintln(w, "OK: every accepted message was delivered, no bad signature")
	} else {
		fmt.Fprintf(w, "FAILED: %d lost, %d bad signatures, %d other failures\n", rep.Lost, rep.BadSignatures, rep.Failures)
	}
	return nil
}

func ms(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}
