package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// dslJSON is a flow file as the JSON of /v1/mgmt/flow/export's dsl, its keys in the
// file's order: a flow's steps are in file order and the first is its start unless
// it names one, so a map (which JSON encoders sort) would change the flow. JSON is
// YAML, so the dsl parses back as the same flow.
func dslJSON(src []byte) (json.RawMessage, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := writeNodeJSON(&b, &doc, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// maxDSLDepth bounds the nesting writeNodeJSON follows (aliases included).
const maxDSLDepth = 64

func writeNodeJSON(b *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > maxDSLDepth {
		return fmt.Errorf("flow file nested deeper than %d", maxDSLDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			b.WriteString("null")
			return nil
		}
		return writeNodeJSON(b, n.Content[0], depth+1)
	case yaml.AliasNode:
		return writeNodeJSON(b, n.Alias, depth+1)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			b.Write(k)
			b.WriteByte(':')
			if err := writeNodeJSON(b, n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeNodeJSON(b, c, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(data)
	}
	return nil
}
