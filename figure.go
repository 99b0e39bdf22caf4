package hookline

// Figure is a number a store reports about its own machinery, which the
// metrics export as they are: a running total (Counter) or a current value.
type Figure struct {
	// Name is the metric's name without the "hookline_" prefix, in
	// Prometheus's style: "sqlite_commits_total".
	Name string
	Help string
	// Counter says Value only grows (a total since the store was opened);
	// else it is a gauge.
	Counter bool
	Value   float64
}

// A FigureReporter is a Store that reports figures of its own machinery:
// SQLite's writer, PostgreSQL's connection pool. Figures is cheap (it
// reads counters, never the database) and returns the same names, in the
// same order, every time.
type FigureReporter interface {
	Figures() []Figure
}
