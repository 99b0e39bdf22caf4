package hookline

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Bounds of an OpenAPI import: the webhooks it may hold, and the values
// its schemas may hold once their references to components are copied in
// (a document that refers to one component many times over grows fast).
const (
	MaxImportEventTypes  = 1000
	MaxImportSchemaNodes = 200_000
)

// operationMethods are the methods of a path item in the order an import
// looks for the operation of a webhook: a webhook is a POST, as a rule.
var operationMethods = []string{"post", "put", "patch", "get", "delete", "head", "options", "trace"}

// EventTypesFromOpenAPI reads the event types an OpenAPI 3.1 document
// (decoded JSON: maps, slices, strings, json.Number or float64, bools)
// describes in its webhooks (or x-webhooks, the extension of 3.0): one per
// webhook, named by its key, described by the operation's description (or
// summary), deprecated when the operation is, with the schema of its
// request body's JSON content as version "1" of its schemas. References to
// the document's components ("#/components/...") are copied in, so the
// schema stands alone; other references within a schema stay as they are
// (and must resolve within it, see CheckSchemas). A media type's example
// or examples become the schema's examples when it has none, as
// send-example reads them. Each event type is validated (Validate).
// Errors are EINVALID at field and below it ("webhooks", name...).
func EventTypesFromOpenAPI(field []string, doc any) ([]*EventType, error) {
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, Invalid(field, "must be an OpenAPI document: a JSON or YAML object")
	}
	var hooks map[string]any
	var key string
	for _, k := range []string{"webhooks", "x-webhooks"} {
		if v, found := root[k]; found {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, Invalid(append(slices.Clip(field), k), "must be an object of webhooks")
			}
			if hooks == nil {
				hooks, key = map[string]any{}, k
			}
			for name, item := range m {
				if _, taken := hooks[name]; !taken {
					hooks[name] = item
				}
			}
		}
	}
	if len(hooks) == 0 {
		return nil, Invalid(field, "holds no webhooks (the document's webhooks or x-webhooks)")
	}
	if len(hooks) > MaxImportEventTypes {
		return nil, Invalid(append(slices.Clip(field), key), "holds %d webhooks; at most %d are imported at once", len(hooks), MaxImportEventTypes)
	}
	names := make([]string, 0, len(hooks))
	for name := range hooks {
		names = append(names, name)
	}
	slices.Sort(names)
	r := &resolver{root: root}
	ets := make([]*EventType, 0, len(names))
	for _, name := range names {
		at := append(slices.Clone(field), key, name)
		et, err := r.eventType(at, name, hooks[name])
		if err != nil {
			return nil, err
		}
		ets = append(ets, et)
	}
	return ets, nil
}

// eventType reads the event type of the webhook name, whose path item is
// item.
func (r *resolver) eventType(at []string, name string, item any) (*EventType, error) {
	if !ValidName(name, MaxEventTypeLen) {
		return nil, Invalid(at, "is not an event type's name: 1 to %d characters of a-z, A-Z, 0-9, '-', '_' and '.'", MaxEventTypeLen)
	}
	pathItem, err := r.object(at, item)
	if err != nil {
		return nil, err
	}
	var op map[string]any
	for _, m := range operationMethods {
		if v, ok := pathItem[m]; ok {
			if op, err = r.object(append(slices.Clip(at), m), v); err != nil {
				return nil, err
			}
			at = append(slices.Clip(at), m)
			break
		}
	}
	if op == nil {
		return nil, Invalid(at, "holds no operation (post)")
	}
	et := &EventType{Name: name}
	et.Description, _ = op["description"].(string)
	if et.Description == "" {
		et.Description, _ = op["summary"].(string)
	}
	et.Deprecated, _ = op["deprecated"].(bool)
	schema, err := r.requestSchema(append(slices.Clip(at), "requestBody"), op["requestBody"])
	if err != nil {
		return nil, err
	}
	if schema != nil {
		b, err := json.Marshal(map[string]any{"1": schema})
		if err != nil {
			return nil, Invalid(append(slices.Clip(at), "requestBody"), "holds a value that is not JSON")
		}
		et.Schemas = b
	}
	if err := et.Validate(); err != nil {
		if e, ok := err.(*Error); ok && len(e.Field) > 1 {
			return nil, Invalid(append(slices.Clip(at), e.Field[1:]...), "%s", e.Message)
		}
		return nil, err
	}
	return et, nil
}

// requestSchema returns the schema of the JSON content of a request body
// (nil: none), with the references to components copied in, and the media
// type's examples in it when it has none.
func (r *resolver) requestSchema(at []string, body any) (any, error) {
	if body == nil {
		return nil, nil
	}
	rb, err := r.object(at, body)
	if err != nil {
		return nil, err
	}
	content, _ := rb["content"].(map[string]any)
	var media map[string]any
	if m, ok := content["application/json"]; ok {
		media, _ = m.(map[string]any)
		at = append(slices.Clip(at), "content", "application/json")
	} else {
		types := make([]string, 0, len(content))
		for t := range content {
			types = append(types, t)
		}
		slices.Sort(types)
		for _, t := range types {
			if strings.Contains(t, "json") {
				media, _ = content[t].(map[string]any)
				at = append(slices.Clip(at), "content", t)
				break
			}
		}
	}
	if media == nil || media["schema"] == nil {
		return nil, nil
	}
	schema, err := r.inline(append(slices.Clip(at), "schema"), media["schema"], nil)
	if err != nil {
		return nil, err
	}
	obj, ok := schema.(map[string]any)
	if !ok || obj["examples"] != nil {
		return schema, nil
	}
	var examples []any
	if ex, ok := media["example"]; ok {
		examples = append(examples, ex)
	}
	if named, ok := media["examples"].(map[string]any); ok {
		keys := make([]string, 0, len(named))
		for k := range named {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ex, err := r.object(append(slices.Clip(at), "examples", k), named[k])
			if err != nil {
				return nil, err
			}
			if v, ok := ex["value"]; ok {
				examples = append(examples, v)
			}
		}
	}
	if len(examples) > 0 {
		obj["examples"], err = r.inline(append(slices.Clip(at), "examples"), examples, nil)
		if err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// resolver copies the parts of one document that references point to.
type resolver struct {
	root  map[string]any
	nodes int // values copied so far, against MaxImportSchemaNodes
}

// object returns v as an object, following a reference to a component.
func (r *resolver) object(at []string, v any) (map[string]any, error) {
	v, err := r.follow(at, v, nil)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Invalid(at, "must be an object")
	}
	return m, nil
}

// follow returns what v refers to when it is a reference to a component,
// {"$ref": "#/components/..."}, and v otherwise. seen holds the references
// being followed, to refuse a cycle.
func (r *resolver) follow(at []string, v any, seen []string) (any, error) {
	for {
		m, ok := v.(map[string]any)
		ref, isRef := m["$ref"].(string)
		if !ok || !isRef || !strings.HasPrefix(ref, "#/components/") {
			return v, nil
		}
		if slices.Contains(seen, ref) || len(seen) > 64 {
			return nil, Invalid(at, "refers to itself through %s: a recursive schema cannot be imported", ref)
		}
		seen = append(seen, ref)
		target, ok := r.pointer(ref)
		if !ok {
			return nil, Invalid(at, "refers to %s, which the document does not hold", ref)
		}
		v = target
	}
}

// inline returns a copy of v with every reference to a component replaced
// by a copy of the component. seen holds the references being copied.
func (r *resolver) inline(at []string, v any, seen []string) (any, error) {
	if r.nodes++; r.nodes > MaxImportSchemaNodes {
		return nil, Invalid(at, "grows past %d values once its references are copied in", MaxImportSchemaNodes)
	}
	if m, ok := v.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok && strings.HasPrefix(ref, "#/components/") {
			if slices.Contains(seen, ref) {
				return nil, Invalid(at, "refers to itself through %s: a recursive schema cannot be imported", ref)
			}
			target, ok := r.pointer(ref)
			if !ok {
				return nil, Invalid(at, "refers to %s, which the document does not hold", ref)
			}
			return r.inline(at, target, append(seen, ref))
		}
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			c, err := r.inline(at, e, seen)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, err := r.inline(at, e, seen)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}

// pointer returns the value of the document at a JSON pointer fragment,
// "#/components/schemas/Pet".
func (r *resolver) pointer(ref string) (any, bool) {
	var v any = r.root
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// OpenAPIOfEventTypes returns an OpenAPI 3.1 document with a webhook per
// event type, which EventTypesFromOpenAPI reads back: a POST with the
// event type's description, deprecated when it is, and the newest version
// of its schemas (see NewestSchema) as the request body's JSON schema.
func OpenAPIOfEventTypes(ets []*EventType) map[string]any {
	hooks := make(map[string]any, len(ets))
	for _, et := range ets {
		op := map[string]any{
			"description": et.Description,
			"responses": map[string]any{
				"2XX": map[string]any{"description": "Return any 2XX status to indicate that the data was received successfully."},
			},
		}
		if et.Deprecated {
			op["deprecated"] = true
		}
		if schema := NewestSchema(et.Schemas); schema != nil {
			op["requestBody"] = map[string]any{
				"content": map[string]any{"application/json": map[string]any{"schema": schema}},
			}
		}
		hooks[et.Name] = map[string]any{"post": op}
	}
	return map[string]any{
		"openapi":  "3.1.0",
		"info":     map[string]any{"title": "Webhooks", "version": "1.0.0"},
		"webhooks": hooks,
	}
}

// NewestSchema returns the schema of the newest version of schemas (the
// greatest number; of versions that are not numbers, the last by name),
// nil for none.
func NewestSchema(schemas json.RawMessage) json.RawMessage {
	var versions map[string]json.RawMessage
	if json.Unmarshal(schemas, &versions) != nil || len(versions) == 0 {
		return nil
	}
	keys := make([]string, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		na, ea := strconv.ParseUint(a, 10, 64)
		nb, eb := strconv.ParseUint(b, 10, 64)
		switch {
		case ea == nil && eb == nil:
			return cmp.Compare(na, nb)
		case ea == nil:
			return 1
		case eb == nil:
			return -1
		}
		return strings.Compare(a, b)
	})
	return versions[keys[len(keys)-1]]
}

// SameSchemas reports whether two event types' schemas hold the same JSON,
// whatever the order of their keys and their spacing.
func SameSchemas(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
