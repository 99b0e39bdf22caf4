package hookline

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckSchemas(t *testing.T) {
	for _, s := range []string{
		`{"1":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}}`,
		`{"1":{"$ref":"#/definitions/a","definitions":{"a":{"type":"string"}}}}`,
		`{"1":true,"2":{}}`,
		`{"1":{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"a":{"type":"string"}},"$ref":"#/$defs/a"}}`,
		`{}`,
	} {
		if err := CheckSchemas([]string{"body", "schemas"}, json.RawMessage(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if err := CheckSchemas([]string{"body", "schemas"}, nil); err != nil {
		t.Errorf("nil: %v", err)
	}
	for _, tt := range []struct{ schemas, inMsg string }{
		{`{"1":{"type":"foo"}}`, `version "1"`},
		{`{"1":{},"2":5}`, `version "2"`},
		{`{"1":{"properties":{"a":{"minimum":"x"}}}}`, `/properties/a/minimum`},
		{`{"1":{"pattern":"(("}}`, `regex`},
		{`{"1":{"$ref":"#/definitions/missing"}}`, `#/definitions/missing`},
		{`{"1":{"$ref":"https://example.com/schema.json"}}`, `not followed`},
		{`{"1":{"$ref":"file:///etc/passwd"}}`, `not followed`},
		{`[1]`, `JSON object`},
	} {
		err := CheckSchemas([]string{"body", "schemas"}, json.RawMessage(tt.schemas))
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || strings.Join(e.Field, ".") != "body.schemas" || !strings.Contains(e.Message, tt.inMsg) {
			t.Errorf("%s: %v, want EINVALID at body.schemas holding %q", tt.schemas, err, tt.inMsg)
			continue
		}
		if strings.Contains(e.Message, schemaURL) || strings.Contains(e.Message, "\n") || len(e.Message) > MaxSchemaErrorLen+100 {
			t.Errorf("%s: message %q", tt.schemas, e.Message)
		}
	}
}
