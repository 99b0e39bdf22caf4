package hookline

import (
	"encoding/json"
	"time"
)

// EventType is a kind of message ("invoice.paid") that endpoints subscribe to.
// Event types are shared by all applications. Deleting one archives it.
type EventType struct {
	Name        string
	Description string
	Archived    bool
	Deprecated  bool
	// GroupName is the event type group's name, a name like Name; nil for
	// none.
	GroupName *string
	// FeatureFlags hide the event type from an application's token that
	// holds none of them (Token.Sees); nil for none.
	FeatureFlags []string
	Schemas      json.RawMessage // a JSON object or nil
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Prepare gives e what a Store sets when it creates it: a creation time when
// unset (UpdatedAt defaults to CreatedAt), and times at the precision they
// read back with.
func (e *EventType) Prepare(now time.Time) {
	stamp(nil, "", &e.CreatedAt, &e.UpdatedAt, now)
}

// Validate checks the fields a caller sets; each version of Schemas must be
// a JSON Schema (CheckSchemas).
func (e *EventType) Validate() error {
	if err := checkName([]string{"body", "name"}, e.Name, MaxEventTypeLen); err != nil {
		return err
	}
	if err := checkOptionalName([]string{"body", "groupName"}, e.GroupName, MaxEventTypeLen); err != nil {
		return err
	}
	if err := checkNames("featureFlags", e.FeatureFlags, MaxEventTypeLen, 0); err != nil {
		return err
	}
	if err := CheckSchemas([]string{"body", "schemas"}, e.Schemas); err != nil {
		return err
	}
	return e.CheckStorable()
}
