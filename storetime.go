package hookline

import "time"

// Stores keep times in UTC to the microsecond. Now and StoredTime give a
// time the value it reads back with, so that a struct a Store wrote equals
// what a later read returns.

// Now returns the current time as a Store keeps it: UTC, to the microsecond.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// StoredTime returns t as a Store reads it back: UTC, to the microsecond.
// The zero time stays zero.
func StoredTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// StoredTimePtr is StoredTime for an optional time; nil stays nil.
func StoredTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := StoredTime(*t)
	return &v
}

// stamp gives an entity the id and times a Store sets when it creates it:
// an id with prefix when unset, created now when zero, updated (if not nil)
// created when zero; then the times the precision they read back with.
func stamp(id *string, prefix string, created, updated *time.Time, now time.Time) {
	if id != nil && *id == "" {
		*id = NewID(prefix)
	}
	if created.IsZero() {
		*created = now
	}
	*created = StoredTime(*created)
	if updated != nil {
		if updated.IsZero() {
			*updated = *created
		}
		*updated = StoredTime(*updated)
	}
}
