package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestMessageOutAppendJSONMatchesMarshal checks the hand-written encoding of
// a message gives exactly what encoding/json gives.
func TestMessageOutAppendJSONMatchesMarshal(t *testing.T) {
	eventID := "evt-1.a_b"
	odd := "needs \"escaping\" <&>"
	deliver := jsonTime(time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.FixedZone("x", 3600)))
	cases := []messageOut{
		{ID: "msg_1", EventType: "a.b", Payload: json.RawMessage(`{}`), Timestamp: jsonTime(time.Unix(0, 0))},
		{ID: "msg_2", EventType: "invoice.paid", EventID: &eventID, Channels: []string{"c1", "c-2"},
			Tags: []string{"t"}, Payload: json.RawMessage(`{"a":[1,2,{"b":"\u00e9"}],"z":null}`),
			Timestamp: jsonTime(time.Now()), DeliverAt: &deliver},
		{ID: "msg_3", EventType: odd, EventID: &odd, Channels: []string{odd}, Payload: json.RawMessage(`{"x":1}`),
			Timestamp: jsonTime(time.Now())},
	}
	for i, m := range cases {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
