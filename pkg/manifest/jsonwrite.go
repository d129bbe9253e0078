package manifest

import (
	"bytes"
	"encoding/json"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// WriteJSON writes a node tree as indented JSON in the node's own key order,
// so a manifest rendered or rewritten from YAML nodes reads like the YAML it
// came from. Scalars become what kubectl would send (0x10 is 16, ~ is null);
// strings stay strings, and <, > and & are not escaped for HTML.
func WriteJSON(buf *bytes.Buffer, n *yaml.Node) {
	writeJSON(buf, n, "", 0)
}

func writeJSON(buf *bytes.Buffer, n *yaml.Node, indent string, depth int) {
	if n == nil || depth > maxDepth {
		buf.WriteString("null")
		return
	}
	inner := indent + "  "
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return
		}
		writeJSON(buf, n.Content[0], indent, depth+1)
	case yaml.AliasNode:
		writeJSON(buf, n.Alias, indent, depth+1)
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteString("{\n")
		for i := 0; i+1 < len(n.Content); i += 2 {
			buf.WriteString(inner)
			buf.WriteString(strconv.Quote(n.Content[i].Value))
			buf.WriteString(": ")
			writeJSON(buf, n.Content[i+1], inner, depth+1)
			if i+2 < len(n.Content) {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "}")
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			buf.WriteString("[]")
			return
		}
		buf.WriteString("[\n")
		for i, c := range n.Content {
			buf.WriteString(inner)
			writeJSON(buf, c, inner, depth+1)
			if i+1 < len(n.Content) {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "]")
	default:
		var v any = n.Value
		if n.ShortTag() != "!!str" {
			v = scalar(n)
		}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // scalars always encode
		buf.Truncate(buf.Len() - 1)
	}
}
