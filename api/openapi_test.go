package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/hookline/hookline"
)

// The OpenAPI document of /api/v1, openapi/openapi.json, is made from the
// route table and the request and response types of this package. After
// changing either, regenerate it with
//
//	go test ./api -run TestOpenAPIDocument -update

var update = flag.Bool("update", false, "rewrite openapi/openapi.json")

const docPath = "../openapi/openapi.json"

func TestOpenAPIDocument(t *testing.T) {
	got, err := openAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(docPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale; run: go test ./api -run TestOpenAPIDocument -update", docPath)
	}
}

type obj = map[string]any

// docGen collects the component schemas while operations refer to them.
type docGen struct {
	schemas map[string]any
	modes   map[string]bool // schema name -> used as input
	err     error
}

var (
	jsonTimeType   = reflect.TypeFor[jsonTime]()
	capabilityType = reflect.TypeFor[hookline.Capability]()
	rawType        = reflect.TypeFor[json.RawMessage]()
)

// schemaName is the component name of a Go type: applicationOut is
// ApplicationOut, listResponse[...messageOut] is ListResponse_MessageOut_.
func schemaName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		inner := name[i+1 : len(name)-1]
		inner = inner[strings.LastIndexByte(inner, '.')+1:]
		return upperFirst(name[:i]) + "_" + upperFirst(inner) + "_"
	}
	return upperFirst(name)
}

func upperFirst(s string) string {
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// schema returns the schema of t: a reference for structs, inline otherwise.
func (g *docGen) schema(t reflect.Type, input bool) obj {
	switch {
	case t == jsonTimeType:
		return obj{"type": "string", "format": "date-time"}
	case t == rawType:
		return obj{"type": "object", "additionalProperties": true}
	case t == capabilityType:
		var names []any
		for _, c := range hookline.AllCapabilities() {
			names = append(names, string(c))
		}
		return obj{"type": "string", "enum": names}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem(), input)
		if _, ok := s["$ref"]; ok {
			return obj{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return obj{"type": "integer", "format": "int64"}
	case reflect.Slice:
		return obj{"type": "array", "items": g.schema(t.Elem(), input)}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": g.schema(t.Elem(), input)}
	case reflect.Struct:
		name := schemaName(t)
		if prev, seen := g.modes[name]; seen {
			if prev != input && g.err == nil {
				g.err = fmt.Errorf("%s is used both as input and as output", name)
			}
		} else {
			g.modes[name] = input
			g.schemas[name] = nil // reserve the name against recursion
			g.schemas[name] = g.object(t, input)
		}
		return obj{"$ref": "#/components/schemas/" + name}
	}
	if g.err == nil {
		g.err = fmt.Errorf("no schema for %s", t)
	}
	return obj{}
}

// object is the schema of a struct. An input field is required when tagged
// api:"required"; an output field when it is not omitempty.
func (g *docGen) object(t reflect.Type, input bool) obj {
	props := obj{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			tag := strings.Split(f.Tag.Get("json"), ",")
			if !f.IsExported() && tag[0] == "" || tag[0] == "-" {
				continue
			}
			s := g.schema(f.Type, input)
			if d := f.Tag.Get("doc"); d != "" {
				if _, ok := s["$ref"]; ok {
					s = obj{"allOf": []any{s}}
				}
				s["description"] = d
			}
			if fm := f.Tag.Get("format"); fm != "" {
				s["format"] = fm
			}
			if e := f.Tag.Get("enum"); e != "" {
				var vals []any
				for _, v := range strings.Split(e, ",") {
					if n, err := strconv.Atoi(v); err == nil && f.Type.Kind() == reflect.Int {
						vals = append(vals, n)
					} else {
						vals = append(vals, v)
					}
				}
				s["enum"] = vals
			}
			if f.Tag.Get("deprecated") == "true" {
				s["deprecated"] = true
			}
			props[tag[0]] = s
			omit := len(tag) > 1 && tag[1] == "omitempty"
			if input && f.Tag.Get("api") == "required" || !input && !omit {
				required = append(required, tag[0])
			}
		}
	}
	walk(t)
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		o["required"] = required
	}
	return o
}

var pathParamDocs = map[string]string{
	"app_id":          "The application's id or uid.",
	"endpoint_id":     "The endpoint's id or uid.",
	"msg_id":          "The message's id or eventId.",
	"attempt_id":      "The attempt's id.",
	"event_type_name": "The event type's name.",
	"source_id":       "The source's id or uid.",
	"token":           "The secret token of the source's ingestUrl.",
	"task_id":         "The background task's id.",
}

func queryParamSchema(p param) obj {
	switch p.Type {
	case "integer":
		return obj{"type": "integer", "minimum": 1, "maximum": hookline.MaxListLimit}
	case "boolean":
		return obj{"type": "boolean"}
	case "date-time":
		return obj{"type": "string", "format": "date-time"}
	case "string-array":
		return obj{"type": "array", "items": obj{"type": "string"}}
	case "ordering":
		return obj{"type": "string", "enum": []any{"ascending", "descending"}}
	case "status":
		return obj{"type": "integer", "enum": []any{0, 1, 2, 3, 4}}
	case "status-code-class":
		return obj{"type": "integer", "enum": []any{0, 100, 200, 300, 400, 500}}
	}
	return obj{"type": "string"}
}

var wildcard = regexp.MustCompile(`\{([a-z_]+)\}`)

// errorResponses are the shared error responses, by name: description and schema.
var errorResponses = map[string][2]string{
	"Unauthorized": {"No valid token.", "HttpErrorOut"},
	"Forbidden":    {"The token may not do this.", "HttpErrorOut"},
	"NotFound":     {"No such entity in the token's scope.", "HttpErrorOut"},
	"Conflict":     {"A uid, eventId or name is taken.", "HttpErrorOut"},
	"TooLarge":     {"The body is over the size limit.", "HttpErrorOut"},
	"Invalid":      {"Invalid input.", "HTTPValidationError"},
	"Unavailable":  {"The store cannot be reached.", "HttpErrorOut"},
}

func errorResponseRef(name string) obj {
	if _, ok := errorResponses[name]; !ok {
		panic(name)
	}
	return obj{"$ref": "#/components/responses/" + name}
}

func openAPIDocument() ([]byte, error) {
	g := &docGen{schemas: map[string]any{}, modes: map[string]bool{}}
	paths := obj{}
	s := New(Config{})
	for _, rt := range s.routes {
		op := obj{
			"operationId": rt.ID,
			"summary":     rt.Summary,
			"tags":        []any{rt.Tag},
		}
		if d := strings.TrimSpace(rt.Doc + " " + accessDoc(rt.Access)); d != "" {
			op["description"] = d
		}
		var params []any
		for _, m := range wildcard.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, obj{"name": m[1], "in": "path", "required": true,
				"description": pathParamDocs[m[1]], "schema": obj{"type": "string"}})
		}
		for _, q := range rt.Query {
			p := obj{"name": q.Name, "in": "query", "description": q.Doc, "schema": queryParamSchema(q)}
			if q.Type == "string-array" {
				p["style"], p["explode"] = "form", false
			}
			params = append(params, p)
		}
		if rt.Method == "POST" && !rt.NoReplay && rt.Access != public {
			params = append(params, obj{"name": "idempotency-key", "in": "header", "schema": obj{"type": "string"},
				"description": "Replays the first response to a request with this key, token, method and path (for a day)."})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.In != nil {
			op["requestBody"] = obj{"required": !rt.BodyOptional,
				"content": obj{"application/json": obj{"schema": g.schema(reflect.TypeOf(rt.In), true)}}}
		}
		responses := obj{}
		for _, st := range append([]int{rt.Status}, rt.Also...) {
			r := obj{"description": statusText(st)}
			if rt.Out != nil {
				r["content"] = obj{"application/json": obj{"schema": g.schema(reflect.TypeOf(rt.Out), false)}}
			}
			responses[strconv.Itoa(st)] = r
		}
		if rt.Access == public {
			op["security"] = []any{}
		} else {
			responses["401"] = errorResponseRef("Unauthorized")
			responses["403"] = errorResponseRef("Forbidden")
			responses["404"] = errorResponseRef("NotFound")
			responses["422"] = errorResponseRef("Invalid")
			if rt.Method != "GET" && rt.Method != "DELETE" {
				responses["409"] = errorResponseRef("Conflict")
			}
			if rt.In != nil {
				responses["413"] = errorResponseRef("TooLarge")
			}
		}
		responses["503"] = errorResponseRef("Unavailable")
		op["responses"] = responses
		item, _ := paths[rt.Path].(obj)
		if item == nil {
			item = obj{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	g.schema(reflect.TypeFor[httpError](), false)
	g.schema(reflect.TypeFor[validationError](), false)
	g.schemas["HTTPValidationError"] = g.schemas["ValidationError"]
	g.schemas["ValidationError"] = g.schemas["ValidationItem"]
	delete(g.schemas, "ValidationItem")
	g.schemas["HTTPValidationError"].(obj)["properties"].(obj)["detail"] = obj{"type": "array", "items": obj{"$ref": "#/components/schemas/ValidationError"}}
	g.schemas["HttpErrorOut"] = g.schemas["HttpError"]
	delete(g.schemas, "HttpError")
	if g.err != nil {
		return nil, g.err
	}
	responses := obj{}
	for name, r := range errorResponses {
		responses[name] = obj{"description": r[0], "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/" + r[1]}}}}
	}
	doc := obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":   "Hookline API",
			"version": hookline.Version,
			"description": "The HTTP API of Hookline, a webhook server. It is compatible with the Svix API, " +
				"so that the Svix SDKs work with Hookline: ids carry prefixes (app_, ep_, msg_, atmpt_), applications " +
				"and endpoints may be named by a uid of the caller's choice, lists are paged with an iterator, and " +
				"errors are {\"code\", \"detail\"} or, for invalid input (422), {\"detail\": [{\"loc\", \"msg\", \"type\"}]}. " +
				"Every operation but the health checks needs an API token as a bearer token.",
		},
		"servers":  []any{obj{"url": "http://127.0.0.1:8071"}},
		"security": []any{obj{"HTTPBearer": []any{}}},
		"paths":    paths,
		"components": obj{
			"schemas":   g.schemas,
			"responses": responses,
			"securitySchemes": obj{"HTTPBearer": obj{"type": "http", "scheme": "bearer",
				"description": "An admin token, or a token scoped to one application (app-portal access)."}},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// accessDoc says which tokens may call a route of level a.
func accessDoc(a access) string {
	switch a {
	case anyToken:
		return "Any token may call it."
	case adminOnly:
		return "Only admin tokens may call it."
	case appScoped:
		return "A token scoped to the application needs the whole application: one made without capabilities (or with every one)."
	}
	if c := a.capability(); c != "" {
		return "A token scoped to the application needs the " + string(c) + " capability."
	}
	return ""
}

func statusText(st int) string {
	switch st {
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 202:
		return "Accepted"
	case 204:
		return "No content"
	}
	return strconv.Itoa(st)
}
