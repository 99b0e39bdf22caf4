package hookline

import (
	"maps"
	"time"
)

// Application is a tenant: the customer of the service that sends webhooks.
// Endpoints and messages belong to exactly one application.
type Application struct {
	ID           string
	UID          *string // optional caller-chosen unique id, usable in place of ID
	Name         string
	ThrottleRate *int // the most deliveries per second to all its endpoints together
	Metadata     map[string]string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Clone returns a copy of a that shares nothing with it.
func (a *Application) Clone() *Application {
	c := *a
	if a.UID != nil {
		uid := *a.UID
		c.UID = &uid
	}
	if a.ThrottleRate != nil {
		r := *a.ThrottleRate
		c.ThrottleRate = &r
	}
	c.Metadata = maps.Clone(a.Metadata)
	return &c
}

// Prepare gives app what a Store sets when it creates it: an id and a
// creation time when unset (UpdatedAt defaults to CreatedAt), and times at
// the precision they read back with.
func (a *Application) Prepare(now time.Time) {
	stamp(&a.ID, PrefixApplication, &a.CreatedAt, &a.UpdatedAt, now)
}

// Validate checks the fields a caller sets.
func (a *Application) Validate() error {
	if a.Name == "" {
		return Invalid([]string{"body", "name"}, "must not be empty")
	}
	if err := checkUID(a.UID); err != nil {
		return err
	}
	if a.ThrottleRate != nil && (*a.ThrottleRate < 0 || *a.ThrottleRate > 65535) {
		return Invalid([]string{"body", "throttleRate"}, "must be between 0 and 65535")
	}
	return a.CheckStorable()
}
