package jsonpointer

import "testing"

func TestGet(t *testing.T) {
	doc := []byte(`{"id": "evt_1", "n": 12, "ok": true, "a/b": {"~x": [10, "y"]}, "nil": null}`)
	for _, tc := range []struct {
		p, want string
		ok      bool
	}{
		{"/id", "evt_1", true},
		{"/n", "12", true},
		{"/ok", "true", true},
		{"/nil", "null", true},
		{"/a~1b/~0x/1", "y", true},
		{"/a~1b/~0x", `[10,"y"]`, true},
		{"/a~1b/~0x/2", "", false},
		{"/a~1b/~0x/01", "", false},
		{"/missing", "", false},
		{"id", "", false},
	} {
		got, ok := Get(doc, tc.p)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tc.p, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := Get([]byte("a=1"), "/a"); ok {
		t.Error("Get on a form body found a value")
	}
}
