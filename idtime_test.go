package hookline_test

import (
	"testing"
	"time"

	"github.com/hookline/hookline"
)

func TestIDTime(t *testing.T) {
	before := time.Now().Truncate(time.Millisecond)
	id := hookline.NewID(hookline.PrefixMessage)
	after := time.Now()
	got, ok := hookline.IDTime(id, hookline.PrefixMessage)
	if !ok || got.Before(before) || got.After(after) {
		t.Fatalf("IDTime(%s) = %v, %v; made between %v and %v", id, got, ok, before, after)
	}
	for _, bad := range []string{"", "msg_", id[:len(id)-1], "ep_" + id[4:], id[:10] + "-" + id[11:]} {
		if _, ok := hookline.IDTime(bad, hookline.PrefixMessage); ok {
			t.Errorf("IDTime(%q) is ok", bad)
		}
	}
}
