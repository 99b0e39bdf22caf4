package hookline

import (
	"slices"
	"strconv"
)

// Capability is one thing a token scoped to an application may do in it,
// named as the Svix API's AppPortalCapability names it. A token's
// capabilities (Token.Capabilities) are those GrantCapabilities returns.
type Capability string

// The capabilities, in the order of the Svix API.
const (
	// CapViewBase reads the application: its endpoints and their settings
	// without their signing secrets, its messages, attempts and statistics,
	// and the event types. Every application token has it.
	CapViewBase Capability = "ViewBase"
	// CapViewEndpointSecret reads endpoints' signing secrets.
	CapViewEndpointSecret Capability = "ViewEndpointSecret"
	// CapManageEndpointSecret rotates endpoints' signing secrets, and reads
	// them (it grants CapViewEndpointSecret).
	CapManageEndpointSecret Capability = "ManageEndpointSecret"
	// CapManageTransformations is Svix's, for endpoint transformations,
	// which Hookline does not have: it is accepted and grants nothing.
	CapManageTransformations Capability = "ManageTransformations"
	// CapCreateAttempts sends: messages, resends, recovers, examples.
	CapCreateAttempts Capability = "CreateAttempts"
	// CapManageEndpoint creates, changes and deletes endpoints and their
	// settings (headers, mTLS, OAuth), and reads and rotates their secrets
	// (it grants both secret capabilities).
	CapManageEndpoint Capability = "ManageEndpoint"
)

// AllCapabilities returns every capability, in the order of the Svix API:
// what a token without a list of capabilities has.
func AllCapabilities() []Capability {
	return []Capability{CapViewBase, CapViewEndpointSecret, CapManageEndpointSecret,
		CapManageTransformations, CapCreateAttempts, CapManageEndpoint}
}

// grants returns the capabilities c grants besides itself.
func (c Capability) grants() []Capability {
	switch c {
	case CapManageEndpointSecret:
		return []Capability{CapViewEndpointSecret}
	case CapManageEndpoint:
		return []Capability{CapViewEndpointSecret, CapManageEndpointSecret}
	}
	return nil
}

// GrantCapabilities returns the capabilities of a new application token
// asked for with the Svix API's readOnly (deprecated there) and
// capabilities (nil when not given):
//
//   - neither: nil, every capability (the whole application, as every
//     application token had before capabilities);
//   - readOnly true: CapViewBase alone;
//   - a list: what it names and what those grant, with CapViewBase always
//     (so an empty list is CapViewBase alone, as with Svix), in the order of
//     AllCapabilities; nil when that is every capability.
//
// An unknown or repeated name, or readOnly true with a list that grants
// more than CapViewBase, is EINVALID about its field of the request body.
func GrantCapabilities(readOnly bool, asked []Capability) ([]Capability, error) {
	if asked == nil {
		if readOnly {
			return []Capability{CapViewBase}, nil
		}
		return nil, nil
	}
	all := AllCapabilities()
	has := map[Capability]bool{CapViewBase: true}
	for i, c := range asked {
		field := []string{"body", "capabilities", strconv.Itoa(i)}
		switch {
		case !slices.Contains(all, c):
			return nil, Invalid(field, "unknown capability %q; the capabilities are %v", c, all)
		case slices.Index(asked, c) < i:
			return nil, Invalid(field, "%s is given twice", c)
		}
		has[c] = true
		for _, g := range c.grants() {
			has[g] = true
		}
	}
	granted := slices.DeleteFunc(all, func(c Capability) bool { return !has[c] })
	if readOnly && len(granted) > 1 {
		return nil, Invalid([]string{"body", "readOnly"}, "a read-only token has the ViewBase capability alone; capabilities asks for more")
	}
	if len(granted) == len(AllCapabilities()) {
		return nil, nil
	}
	return granted, nil
}
