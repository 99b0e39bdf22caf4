package hookline

import (
	"slices"
	"strings"
	"testing"
)

func TestGrantCapabilities(t *testing.T) {
	const (
		vb  = CapViewBase
		ves = CapViewEndpointSecret
		mes = CapManageEndpointSecret
		mt  = CapManageTransformations
		ca  = CapCreateAttempts
		me  = CapManageEndpoint
	)
	for _, tc := range []struct {
		name     string
		readOnly bool
		asked    []Capability
		want     []Capability // nil: the whole application
	}{
		{"neither", false, nil, nil},
		{"readOnly", true, nil, []Capability{vb}},
		{"an empty list", false, []Capability{}, []Capability{vb}},
		{"ViewBase", false, []Capability{vb}, []Capability{vb}},
		{"readOnly and ViewBase", true, []Capability{vb}, []Capability{vb}},
		{"readOnly and an empty list", true, []Capability{}, []Capability{vb}},
		{"ViewBase is implied", false, []Capability{ca}, []Capability{vb, ca}},
		{"ViewEndpointSecret", false, []Capability{vb, ves}, []Capability{vb, ves}},
		{"ManageEndpointSecret reads secrets", false, []Capability{mes}, []Capability{vb, ves, mes}},
		{"ManageEndpoint manages secrets", false, []Capability{me, vb}, []Capability{vb, ves, mes, me}},
		{"ManageTransformations", false, []Capability{mt}, []Capability{vb, mt}},
		{"in Svix's order", false, []Capability{me, ca}, []Capability{vb, ves, mes, ca, me}},
		{"every one is the whole application", false, []Capability{me, ca, mt, vb}, nil},
		{"listed one by one too", false, AllCapabilities(), nil},
	} {
		got, err := GrantCapabilities(tc.readOnly, tc.asked)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if (got == nil) != (tc.want == nil) || !slices.Equal(got, tc.want) {
			t.Errorf("%s: GrantCapabilities(%v, %v) = %#v, want %#v", tc.name, tc.readOnly, tc.asked, got, tc.want)
		}
	}
}

func TestGrantCapabilitiesRefuses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		readOnly bool
		asked    []Capability
		field    string
	}{
		{"an unknown name", false, []Capability{CapViewBase, "ManageEverything"}, "body.capabilities.1"},
		{"a name in the wrong case", false, []Capability{"viewbase"}, "body.capabilities.0"},
		{"a name given twice", false, []Capability{CapCreateAttempts, CapViewBase, CapCreateAttempts}, "body.capabilities.2"},
		{"readOnly that sends", true, []Capability{CapCreateAttempts}, "body.readOnly"},
		{"readOnly that reads secrets", true, []Capability{CapViewEndpointSecret}, "body.readOnly"},
	} {
		_, err := GrantCapabilities(tc.readOnly, tc.asked)
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || strings.Join(e.Field, ".") != tc.field {
			t.Errorf("%s: %v, want EINVALID about %s", tc.name, err, tc.field)
		}
	}
}

func TestTokenCan(t *testing.T) {
	admin := &Token{}
	whole := &Token{AppID: "app_1"}
	send := &Token{AppID: "app_1", Capabilities: []Capability{CapViewBase, CapCreateAttempts}}
	none := &Token{AppID: "app_1", Capabilities: []Capability{}}
	for _, c := range AllCapabilities() {
		if !admin.Can(c) || !whole.Can(c) {
			t.Errorf("an admin token or one without a list cannot %s", c)
		}
		if want := c == CapViewBase || c == CapCreateAttempts; send.Can(c) != want {
			t.Errorf("a token of ViewBase and CreateAttempts: Can(%s) = %v", c, !want)
		}
		if none.Can(c) {
			t.Errorf("a token with an empty list can %s", c)
		}
	}
	if !admin.WholeApp() || !whole.WholeApp() || send.WholeApp() || none.WholeApp() {
		t.Error("WholeApp is true only without a list")
	}
	c := none.Clone()
	if c.Capabilities == nil {
		t.Error("Clone of an empty list is nil: the copy may do everything")
	}
	c = send.Clone()
	c.Capabilities[1] = CapManageEndpoint
	if send.Capabilities[1] != CapCreateAttempts {
		t.Error("Clone shares the list")
	}
}
