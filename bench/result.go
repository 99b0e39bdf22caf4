package bench

import (
	"slices"
)

// Result is the outcome of one scenario.
type Result struct {
	Scenario string `json:"scenario"`
	// Messages is the number of messages the API accepted (sent, for the
	// baseline); Deliveries the deliveries expected from them (messages ×
	// endpoints; 0 for ingest, which delivers nothing).
	Messages   int `json:"messages"`
	Deliveries int `json:"deliveries"`
	Received   int `json:"received"` // distinct deliveries that arrived
	Lost       int `json:"lost"`     // expected deliveries that never arrived
	Duplicates int `json:"duplicates"`

	WrongIDs          int    `json:"wrongIds"`          // arrived with a webhook-id other than the API's message id
	Corrupt           int    `json:"corrupt"`           // deliveries whose body the receiver could not read
	SignaturesChecked int    `json:"signaturesChecked"` // sampled, one in VerifyEvery
	BadSignatures     int    `json:"badSignatures"`
	PublishErrors     int    `json:"publishErrors"`
	FirstError        string `json:"firstError,omitempty"`

	// Seconds is the measured time: first publish to last arrival for the
	// delivery scenarios, first publish to last 202 for ingest, server
	// restart to last arrival for backlog.
	Seconds float64 `json:"seconds"`
	// Rate is Received (Messages for ingest) per second of Seconds.
	Rate     float64 `json:"rate"`
	RateUnit string  `json:"rateUnit"`
	// OfBaseline is Rate as a fraction of the baseline's.
	OfBaseline float64 `json:"ofBaseline,omitempty"`
	// PublishRate is how fast the API accepted the messages, per second.
	PublishRate float64 `json:"publishRate,omitempty"`

	Latency *Percentiles `json:"latency,omitempty"`
	Server  *ServerUsage `json:"server,omitempty"`
	Targets []Check      `json:"targets,omitempty"`
	Notes   []string     `json:"notes,omitempty"`
	Error   string       `json:"error,omitempty"` // the scenario could not run to its end
	Skipped string       `json:"skipped,omitempty"`
}

// Percentiles of a latency, in milliseconds.
type Percentiles struct {
	// What is measured: "publish → first arrival" (the publish time is
	// carried in the payload), or "API answer" for ingest.
	What string  `json:"what"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// ServerUsage is the resource use of a server the benchmark started.
type ServerUsage struct {
	PeakRSSMiB float64 `json:"peakRssMiB"` // the highest VmRSS sampled every 100 ms
	HWMMiB     float64 `json:"hwmMiB"`     // VmHWM, the kernel's peak RSS of the process
	CPUSeconds float64 `json:"cpuSeconds"` // user + system, during the measurement
	// CPUPerOp is CPUSeconds per delivery (per accepted message for
	// ingest), in microseconds.
	CPUPerOp float64 `json:"cpuMicrosPerOp"`
}

// failures counts what in r makes the run fail.
func (r *Result) failures() int {
	n := r.WrongIDs + r.Corrupt + r.PublishErrors
	if r.Error != "" {
		n++
	}
	return n
}

// latencyOf returns the percentiles of ns durations (nearest rank), or nil.
func latencyOf(what string, ns []int64) *Percentiles {
	if len(ns) == 0 {
		return nil
	}
	slices.Sort(ns)
	at := func(p float64) float64 {
		i := int(p*float64(len(ns))+0.999999) - 1
		i = min(max(i, 0), len(ns)-1)
		return float64(ns[i]) / 1e6
	}
	return &Percentiles{What: what, P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: float64(ns[len(ns)-1]) / 1e6}
}

// serverUsage turns the usage of a child between two readings into the
// result's figures, ops being what the CPU time is divided by.
func serverUsage(before, after usage, ops int) *ServerUsage {
	cpu := after.CPU - before.CPU
	u := &ServerUsage{
		PeakRSSMiB: float64(max(after.PeakRSS, before.PeakRSS)) / (1 << 20),
		HWMMiB:     float64(max(after.HWM, before.HWM)) / (1 << 20),
		CPUSeconds: cpu.Seconds(),
	}
	if ops > 0 {
		u.CPUPerOp = float64(cpu.Microseconds()) / float64(ops)
	}
	return u
}

func failed(name string, err error) *Result {
	return &Result{Scenario: name, Error: err.Error()}
}
