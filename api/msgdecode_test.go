package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// slowMessageIn decodes b as createMessage does without decodeFast.
func slowMessageIn(b []byte) (messageIn, bool) {
	var in messageIn
	if _, err := decodeJSON(b, &in); err != nil {
		return in, false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, in.Payload) != nil {
		return in, false
	}
	in.Payload = buf.Bytes()
	return in, true
}

var messageInSeeds = []string{
	`{"eventType":"invoice.paid","payload":{"a":1}}`,
	` { "eventType" : "a.b" , "payload" : { "x" : [ 1 , 2.5e-3 , -0 , true , false , null , "s\"\\\/\b\f\n\r\t\u00e9" ] , "y" : { } } } `,
	`{"eventType":"a","eventId":"evt-1","channels":["eu","us"],"tags":[],"deliverAt":"2026-12-01T00:00:00Z","payload":{"n":"é"}}`,
	`{"eventType":"a","payload":{},"payloadRetentionPeriod":30}`,
	`{"eventType":"a","payload":{},"payloadRetentionHours":-5}`,
	`{"eventType":"a","payload":{},"payloadRetentionPeriod":1.5}`,
	`{"eventType":"a","payload":{},"payloadRetentionPeriod":99999999999999999999}`,
	`{"eventType":"a","payload":{},"future":{"deep":[1,{"x":null}]}}`,
	`{"eventType":"a","payload":{},"EventType":"b"}`,
	`{"eventType":"a","payload":{},"eventtype":"b"}`,
	`{"eventType":"a","payload":{},"tagſ":["x"]}`,
	`{"eventType":"a","payload":{},"eventType":"b"}`,
	`{"eventType":"a\u0062","payload":{}}`,
	`{"eventType":null,"payload":{}}`,
	`{"eventType":"a","payload":[1]}`,
	`{"eventType":"a","payload":"x"}`,
	`{"eventType":"a","payload":{"a":01}}`,
	`{"eventType":"a","payload":{"a":1.}}`,
	`{"eventType":"a","payload":{"a":"\x"}}`,
	`{"eventType":"a","payload":{"a":tru}}`,
	`{"eventType":"a","payload":{"a":1,}}`,
	`{"eventType":"a","payload":{}} x`,
	`{"eventType":"a","payload":{},"application":{"name":"x"}}`,
	`{"eventType":"a","payload":{},"transformationsParams":{}}`,
	`{"eventType":"a","channels":"eu","payload":{}}`,
	`{"eventType":"\xff","payload":{}}`,
	`{"eventType":"a","payload":{"\xff":"\xfe"}}`,
	`{"payload":{}}`,
	`{"eventType":"a"}`,
	`{}`,
	`[]`,
	``,
	`{"eventType":"a","payload":{"a":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}}`,
	`{"eventType":"a","payload":` + strings.Repeat(`{"a":`, 300) + `1` + strings.Repeat(`}`, 300) + `}`,
}

// FuzzDecodeFast checks decodeFast against encoding/json: whenever it takes
// a body, encoding/json takes it too and decodes the same message, with the
// same compacted payload.
func FuzzDecodeFast(f *testing.F) {
	for _, s := range messageInSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast messageIn
		if !fast.decodeFast(b) {
			return
		}
		slow, ok := slowMessageIn(b)
		if !ok {
			t.Fatalf("decodeFast took %q, which encoding/json refuses", b)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\n fast %+v\n slow %+v", b, fast, slow)
		}
	})
}

// TestDecodeFastTakesTheCommonShape checks that the fast path is the one
// taken for what clients send, so that the differential fuzz test covers
// something.
func TestDecodeFastTakesTheCommonShape(t *testing.T) {
	for _, s := range messageInSeeds[:5] {
		var in messageIn
		if !in.decodeFast([]byte(s)) {
			t.Errorf("decodeFast refused %s", s)
		}
	}
	var in messageIn
	if !in.decodeFast([]byte(`{"eventType":"a","payload":{"b":  [1, 2]},"other":"x"}`)) || string(in.Payload) != `{"b":[1,2]}` {
		t.Fatalf("payload %q", in.Payload)
	}
}

func benchmarkBody() []byte {
	payload := map[string]any{"id": "in_123", "amount": 4200, "currency": "EUR", "lines": []any{}}
	for len(mustJSON(payload)) < 1000 {
		payload["lines"] = append(payload["lines"].([]any), map[string]any{"sku": "A-100", "qty": 2, "note": "a line of the invoice"})
	}
	return mustJSON(map[string]any{"eventType": "invoice.paid", "payload": payload})
}

// BenchmarkDecodeMessage compares the two ways createMessage reads a 1 KiB
// message.
func BenchmarkDecodeMessage(b *testing.B) {
	body := benchmarkBody()
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var in messageIn
			if !in.decodeFast(body) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := slowMessageIn(body); !ok {
				b.Fatal("refused")
			}
		}
	})
}
