// Package generate builds broker manifests from a few choices: a
// BrokerAuthentication from an ordered list of methods, a BrokerListener port
// that references it, and a ServiceAccount plus Pod that authenticates with a
// projected service account token. Everything it builds passes validate: the
// objects are the typed API objects, rendered as clean manifests.
package generate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// Formats are the output formats of the generate commands.
var Formats = []string{"yaml", "json"}

// droppedWhenEmpty are keys Go's encoding writes as {} for struct fields
// that omitempty cannot leave out (a Pod's status, a container's
// resources); a manifest does not need them.
var droppedWhenEmpty = map[string]bool{"status": true, "resources": true}

// keyOrder puts keys first, in this order, in mappings under the parent key
// named (the root is ""), where the Go types' order is not the one people
// read manifests in; other keys keep their order after them.
var keyOrder = map[string][]string{
	"":                    {"apiVersion", "kind", "metadata", "spec"},
	"spec":                {"serviceAccountName", "automountServiceAccountToken", "containers", "volumes"},
	"volumeMounts":        {"name", "mountPath", "readOnly"},
	"serviceAccountToken": {"path", "audience", "expirationSeconds"},
}

// yaml11Words are strings that yaml.v3 writes unquoted but kubectl's YAML
// 1.1 reader would turn into booleans.
var yaml11Words = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true, "off": true, "Off": true, "OFF": true,
}

// Render writes objects as a manifest: YAML documents with the header lines
// as a leading comment, or JSON (one object, or a v1 List of several).
// Fields are in the order of the Go types, which follow the API docs, and
// nulls (creationTimestamp and the like) are left out, so the output is
// what someone would write by hand.
func Render(w io.Writer, format string, header []string, objs ...any) error {
	nodes := make([]*yaml.Node, 0, len(objs))
	for _, o := range objs {
		n, err := cleanNode(o)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	switch format {
	case "", "yaml":
		var buf bytes.Buffer
		for _, h := range header {
			buf.WriteString(strings.TrimRight("# "+h, " ") + "\n")
		}
		for i, n := range nodes {
			if i > 0 || len(header) > 0 {
				buf.WriteString("---\n")
			}
			enc := yaml.NewEncoder(&buf)
			enc.SetIndent(2)
			enc.CompactSeqIndent() // "- " under its key, as kubectl writes
			if err := enc.Encode(n); err != nil {
				return err
			}
			if err := enc.Close(); err != nil {
				return err
			}
		}
		_, err := w.Write(buf.Bytes())
		return err
	case "json":
		var buf bytes.Buffer
		if len(nodes) == 1 {
			manifest.WriteJSON(&buf, nodes[0])
		} else {
			list := &yaml.Node{Kind: yaml.MappingNode}
			items := &yaml.Node{Kind: yaml.SequenceNode, Content: nodes}
			list.Content = append(list.Content,
				strNode("apiVersion"), strNode("v1"), strNode("kind"), strNode("List"), strNode("items"), items)
			manifest.WriteJSON(&buf, list)
		}
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	}
	return fmt.Errorf("unknown output format %q: use -o yaml or -o json", format)
}

func strNode(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// cleanNode turns a typed object into a YAML node tree that keeps the
// struct field order (encoding/json writes fields in declaration order, and
// YAML is a superset of JSON), without nulls, in block style.
func cleanNode(obj any) (*yaml.Node, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	n := doc.Content[0]
	clean(n, "")
	return n, nil
}

func clean(n *yaml.Node, parent string) {
	n.Style = 0
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" && yaml11Words[n.Value] {
			n.Style = yaml.DoubleQuotedStyle
		}
	case yaml.MappingNode:
		out := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			clean(k, "")
			clean(v, k.Value)
			if v.Kind == yaml.MappingNode && len(v.Content) == 0 && droppedWhenEmpty[k.Value] {
				continue
			}
			out = append(out, k, v)
		}
		n.Content = reorder(out, keyOrder[parent])
	case yaml.SequenceNode:
		for _, c := range n.Content {
			// Items of a list read as children of the list's key.
			clean(c, parent)
		}
	}
}

// reorder moves the pairs of the keys listed in first to the front of a
// mapping's content, in that order.
func reorder(content []*yaml.Node, first []string) []*yaml.Node {
	if len(first) == 0 {
		return content
	}
	out := make([]*yaml.Node, 0, len(content))
	taken := make([]bool, len(content)/2)
	for _, key := range first {
		for i := 0; i+1 < len(content); i += 2 {
			if !taken[i/2] && content[i].Value == key {
				out = append(out, content[i], content[i+1])
				taken[i/2] = true
			}
		}
	}
	for i := 0; i+1 < len(content); i += 2 {
		if !taken[i/2] {
			out = append(out, content[i], content[i+1])
		}
	}
	return out
}
