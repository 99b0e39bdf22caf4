package hookline

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// MaxSchemaErrorLen bounds the part of a schema error's message that the
// JSON Schema library wrote.
const MaxSchemaErrorLen = 500

// CheckSchemas checks an event type's schemas as svix-server does: a JSON
// object of versions ("1", "2"...), each a JSON Schema that compiles, of
// draft 7 unless its $schema names another draft. A reference ($ref) is
// followed only within the schema itself: one to another document (a URL,
// a file) is refused, never fetched. nil is no schemas. Errors are EINVALID
// at field and name the version.
func CheckSchemas(field []string, schemas json.RawMessage) error {
	if schemas == nil {
		return nil
	}
	var versions map[string]json.RawMessage
	if err := json.Unmarshal(schemas, &versions); err != nil || versions == nil {
		return Invalid(field, "must be a JSON object of versions, each a JSON Schema")
	}
	names := make([]string, 0, len(versions))
	for v := range versions {
		names = append(names, v)
	}
	slices.Sort(names)
	for _, v := range names {
		if err := compileSchema(versions[v]); err != nil {
			return Invalid(field, "version %q is not a valid JSON Schema: %s", v, schemaErrorText(err))
		}
	}
	return nil
}

// schemaURL is the address a schema is compiled at; no reference reaches it
// from outside, and errors drop it.
const schemaURL = "urn:hookline:event-type-schema"

// compileSchema compiles one version's JSON Schema.
func compileSchema(raw json.RawMessage) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(noExternalRefs{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return err
	}
	_, err = c.Compile(schemaURL)
	return err
}

// noExternalRefs is the loader of schema compilation: it loads nothing, so
// that a $ref never reads a file or the network (the library's default
// loader reads files). The drafts' own metaschemas are built into the
// library and need no loader.
type noExternalRefs struct{}

func (noExternalRefs) Load(url string) (any, error) {
	return nil, errors.New("a $ref to another document is not followed")
}

// schemaErrorText makes err, an error of compileSchema, one line without the
// schema's address, at most MaxSchemaErrorLen bytes.
func schemaErrorText(err error) string {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimLeft(strings.TrimSpace(l), "- ")
		if l == "" || strings.Contains(l, "is not valid against metaschema") {
			continue
		}
		l = strings.ReplaceAll(l, `"`+schemaURL+`#`, `"#`)
		l = strings.ReplaceAll(l, schemaURL, "the schema")
		lines = append(lines, l)
	}
	s := strings.Join(lines, "; ")
	if len(s) > MaxSchemaErrorLen {
		s = strings.ToValidUTF8(s[:MaxSchemaErrorLen], "") + "..."
	}
	return s
}
