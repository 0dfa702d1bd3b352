package flow

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	yaml "go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// SchemaJSON is the JSON Schema (draft 2020-12) of a flow file: what editors can check
// a file against, and the first check Parse makes. What a schema cannot say (a step is
// exactly one kind, every next names a step, expressions compile) Parse checks after it.
//
//go:embed schema.json
var SchemaJSON []byte

var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("urn:otpair:flow:v1", doc); err != nil {
		return nil, err
	}
	return c.Compile("urn:otpair:flow:v1")
})

var schemaPrinter = message.NewPrinter(language.English)

// checkSchema validates inst (the file as plain values) and reports each failure at
// the position of the value it is about in root.
func checkSchema(file string, root *yaml.Node, inst any) FileErrors {
	sch, err := compiledSchema()
	if err != nil {
		return FileErrors{{File: file, Msg: "the flow schema does not compile: " + err.Error()}}
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return FileErrors{{File: file, Msg: err.Error()}}
	}
	var out FileErrors
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		msg := e.ErrorKind.LocalizedString(schemaPrinter)
		where := strings.Join(e.InstanceLocation, ".")
		if where != "" {
			msg = where + ": " + msg
		}
		if seen[msg] {
			return
		}
		seen[msg] = true
		at := locate(root, e.InstanceLocation)
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok && len(ap.Properties) > 0 {
			// Point at the key that is not allowed, not at the mapping.
			at = locate(root, append(slices.Clone(e.InstanceLocation), "\x00key:"+ap.Properties[0]))
		}
		out = append(out, FileError{File: file, Pos: at, Msg: msg})
	}
	walk(ve)
	return out.sorted()
}

// locate finds the position of the value at path (JSON pointer tokens) in a YAML
// document; a path that does not resolve gives the deepest node it reached.
func locate(n *yaml.Node, path []string) Pos {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, tok := range path {
		next := (*yaml.Node)(nil)
		switch n.Kind {
		case yaml.MappingNode:
			if key, ok := strings.CutPrefix(tok, "\x00key:"); ok {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == key {
						next = n.Content[i]
						break
					}
				}
				break
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			var idx int
			if _, err := fmt.Sscanf(tok, "%d", &idx); err == nil && idx >= 0 && idx < len(n.Content) {
				next = n.Content[idx]
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return Pos{Line: n.Line, Col: n.Column}
}
