package sqlbuild

import (
	"reflect"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

var (
	question = Dialect{
		Placeholder: Question,
		Time:        func(t time.Time) any { return t.UnixMicro() },
		Has: func(col, ph string) string {
			return "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE value = " + ph + ")"
		},
	}
	dollar = Dialect{
		Placeholder: Dollar,
		Time:        func(t time.Time) any { return t },
		Has:         func(col, ph string) string { return ph + " = ANY(" + col + ")" },
		Arrays:      true,
	}
)

func TestPage(t *testing.T) {
	for _, tc := range []struct {
		name      string
		d         *Dialect
		opts      hookline.ListOptions
		wantQuery string
		wantArgs  []any
		wantN     int
	}{
		{"first page", &dollar, hookline.ListOptions{},
			"SELECT x FROM t WHERE a = $1 ORDER BY id LIMIT $2", []any{"A", 51}, 50},
		{"after an iterator", &dollar, hookline.ListOptions{Limit: 3, Iterator: "id_9"},
			"SELECT x FROM t WHERE a = $1 AND id > $2 ORDER BY id LIMIT $3", []any{"A", "id_9", 4}, 3},
		{"descending, capped", &question, hookline.ListOptions{Limit: 1000, Iterator: "id_9", Descending: true},
			"SELECT x FROM t WHERE a = ? AND id < ? ORDER BY id DESC LIMIT ?", []any{"A", "id_9", hookline.MaxListLimit + 1}, hookline.MaxListLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := New(tc.d)
			q.Where("a = ?", "A")
			query, args, n := q.Page("SELECT x FROM t", "id", tc.opts)
			if query != tc.wantQuery || !reflect.DeepEqual(args, tc.wantArgs) || n != tc.wantN {
				t.Errorf("Page:\n got %q %v %d\nwant %q %v %d", query, args, n, tc.wantQuery, tc.wantArgs, tc.wantN)
			}
		})
	}
}

func TestPlaceholdersFollowTheText(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := hookline.AttemptFilter{Channel: "c", EventTypes: []string{"x", "y"}, After: &at}
	q := New(&dollar)
	query, args, _ := q.ListAttemptsByMessage("SELECT a.id FROM attempts a", "app", "msg", f)
	want := "SELECT a.id FROM attempts a WHERE a.message_id = $1 AND a.app_id = $2 AND a.created_at >= $3" +
		" AND EXISTS (SELECT 1 FROM messages m WHERE m.id = a.message_id AND m.app_id = a.app_id" +
		" AND $4 = ANY(m.channels) AND m.event_type = ANY($5)) ORDER BY a.id LIMIT $6"
	wantArgs := []any{"msg", "app", at, "c", []string{"x", "y"}, 51}
	if query != want || !reflect.DeepEqual(args, wantArgs) {
		t.Errorf("got\n%q %v\nwant\n%q %v", query, args, want, wantArgs)
	}

	q = New(&question)
	query, args, _ = q.ListMessages("SELECT id FROM messages", "app", hookline.MessageFilter{EventTypes: []string{"x", "y"}, Tag: "t"})
	want = "SELECT id FROM messages WHERE app_id = ? AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)" +
		" AND event_type IN (?, ?) ORDER BY id LIMIT ?"
	wantArgs = []any{"app", "t", "x", "y", 51}
	if query != want || !reflect.DeepEqual(args, wantArgs) {
		t.Errorf("got\n%q %v\nwant\n%q %v", query, args, want, wantArgs)
	}
}

func TestEndpointStats(t *testing.T) {
	since := time.UnixMicro(10)
	query, args := New(&question).EndpointStats("ep", &since, nil)
	want := "SELECT CASE WHEN status = 1 AND attempts > 0 THEN 3 ELSE status END, count(*) FROM deliveries" +
		" WHERE endpoint_id = ? AND msg_created_at >= ? GROUP BY 1"
	if query != want || !reflect.DeepEqual(args, []any{"ep", int64(10)}) {
		t.Errorf("got %q %v", query, args)
	}
}

func TestPageOf(t *testing.T) {
	if p := PageOf([]int(nil), 2); p.Items == nil || len(p.Items) != 0 || !p.Done {
		t.Errorf("no rows: %+v", p)
	}
	if p := PageOf([]int{1, 2}, 2); len(p.Items) != 2 || !p.Done {
		t.Errorf("a full last page: %+v", p)
	}
	if p := PageOf([]int{1, 2, 3}, 2); !reflect.DeepEqual(p.Items, []int{1, 2}) || p.Done {
		t.Errorf("a page with more after it: %+v", p)
	}
}

func TestPrefixed(t *testing.T) {
	if got := Prefixed("m", "id, app_id,\n\tname"); got != "m.id, m.app_id,\n\tm.name" {
		t.Errorf("Prefixed = %q", got)
	}
}
