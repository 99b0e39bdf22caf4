package ingest

import (
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
