package hookline

import (
	"sort"
	"strings"
	"testing"
)

func TestNewIDSortsInCreationOrder(t *testing.T) {
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = NewID(PrefixMessage)
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ids made in sequence do not sort in that order")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !strings.HasPrefix(id, PrefixMessage) || len(id) != len(PrefixMessage)+idLen {
			t.Fatalf("bad id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestEncodeBase62Extremes(t *testing.T) {
	var zero, max [16]byte
	for i := range max {
		max[i] = 0xff
	}
	if got := encodeBase62(zero); got != strings.Repeat("0", idLen) {
		t.Fatalf("zero encodes as %q", got)
	}
	// 2^128-1 in base 62 is "7n42DGM5Tflk9n8mt7Fhc7".
	if got := encodeBase62(max); got != "7n42DGM5Tflk9n8mt7Fhc7" {
		t.Fatalf("max encodes as %q", got)
	}
}

func TestEndpointMatches(t *testing.T) {
	tests := []struct {
		name      string
		ep        Endpoint
		eventType string
		channels  []string
		want      bool
	}{
		{"all", Endpoint{}, "a", nil, true},
		{"disabled", Endpoint{Disabled: true}, "a", nil, false},
		{"type match", Endpoint{EventTypes: []string{"a", "b"}}, "b", nil, true},
		{"type miss", Endpoint{EventTypes: []string{"a"}}, "b", nil, false},
		{"channel match", Endpoint{Channels: []string{"x"}}, "a", []string{"y", "x"}, true},
		{"channel miss", Endpoint{Channels: []string{"x"}}, "a", []string{"y"}, false},
		{"channel filter, message without channel", Endpoint{Channels: []string{"x"}}, "a", nil, false},
		{"no channel filter, message with channel", Endpoint{}, "a", []string{"y"}, true},
	}
	for _, tt := range tests {
		if got := tt.ep.Matches(tt.eventType, tt.channels); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidation(t *testing.T) {
	bad := []interface{ Validate() error }{
		&Application{},
		&Application{Name: "x", UID: ptr("has space")},
		&Application{Name: "x", UID: ptr("app_123")},
		&EventType{Name: "bad/name"},
		&Endpoint{URL: "ftp://example.com"},
		&Endpoint{URL: "not a url"},
		&Endpoint{URL: "https://"},
		&Endpoint{URL: "https://example.com", Channels: []string{}},
		&Endpoint{URL: "https://example.com", Channels: []string{"a", "a"}},
		&Endpoint{URL: "https://example.com", Headers: map[string]string{"webhook-id": "x"}},
		&Endpoint{URL: "https://example.com", Headers: map[string]string{"X-A": "a\r\nb"}},
		&Message{EventType: "a.b", Payload: []byte(`[1]`)},
		&Message{EventType: "a.b", Payload: []byte(`{"a":`)},
		&Message{EventType: "a b", Payload: []byte(`{}`)},
	}
	for i, v := range bad {
		if err := v.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("case %d (%+v): got %v, want EINVALID", i, v, err)
		}
	}
	good := []interface{ Validate() error }{
		&Application{Name: "x", UID: ptr("my-app.1")},
		&EventType{Name: "invoice.paid"},
		&Endpoint{URL: "https://example.com/hook", Channels: []string{"a"}, Headers: map[string]string{"X-Api-Key": "k"}},
		&Message{EventType: "invoice.paid", Payload: []byte(` {"a":1}`)},
	}
	for i, v := range good {
		if err := v.Validate(); err != nil {
			t.Errorf("good case %d: %v", i, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestValidID(t *testing.T) {
	id := NewID(PrefixMessage)
	if !ValidID(id, PrefixMessage) {
		t.Fatalf("ValidID(%q) = false", id)
	}
	for _, bad := range []string{"", "msg_", id[:len(id)-1], id + "x", "app_" + id[4:], id[:10] + "-" + id[11:], "garbage"} {
		if ValidID(bad, PrefixMessage) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
