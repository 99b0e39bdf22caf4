package sqlite

import (
	"sort"
	"testing"
	"time"
)

func TestDeliveryID(t *testing.T) {
	ms := time.Now().UnixMilli()
	var ids []string
	for _, seq := range []int64{0, 1, 61, 62, 1 << 20, 1<<62 + 12345, 1<<63 - 1} {
		id := deliveryID(ms, seq)
		if len(id) != len("msgep_")+idLen {
			t.Fatalf("id %q", id)
		}
		got, ok := deliverySeq(id)
		if !ok || got != seq {
			t.Fatalf("deliverySeq(%q) = %d, %v; want %d", id, got, ok, seq)
		}
		ids = append(ids, id)
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ids of one millisecond do not sort by seq")
	}
	if deliveryID(ms, 1<<40) >= deliveryID(ms+1, 0) {
		t.Fatal("ids do not sort by time")
	}
	for _, bad := range []string{"", "msgep_", "msg_0000000000000000000001", "msgep_000000000000000000000!", "msgep_00000000000000000000001"} {
		if _, ok := deliverySeq(bad); ok {
			t.Fatalf("deliverySeq(%q) ok", bad)
		}
	}
}
