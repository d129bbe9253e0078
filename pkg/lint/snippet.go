package lint

import (
	"bytes"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// Hints show corrected YAML. They are built as YAML node trees and encoded,
// so that the snippet is valid YAML whatever values it carries.

func scalarNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// mapNode builds a mapping from key, value pairs; values are *yaml.Node or
// strings.
func mapNode(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, scalarNode(kv[i].(string)), valueNode(kv[i+1]))
	}
	return m
}

func valueNode(v any) *yaml.Node {
	switch v := v.(type) {
	case *yaml.Node:
		return v
	case string:
		return scalarNode(v)
	}
	panic("lint: unsupported snippet value")
}

func flowSeq(vals ...string) *yaml.Node {
	s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, v := range vals {
		s.Content = append(s.Content, scalarNode(v))
	}
	return s
}

func seqNode(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// renderYAML encodes n with two-space indentation, without the trailing
// newline, with comments and positions of copied nodes dropped.
func renderYAML(n *yaml.Node) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(stripNode(n, 0)); err != nil {
		return ""
	}
	_ = enc.Close()
	return strings.TrimRight(buf.String(), "\n")
}

// stripNode copies n without comments, anchors and aliases (aliases are
// resolved), so that a snippet built from the user's nodes prints cleanly.
func stripNode(n *yaml.Node, depth int) *yaml.Node {
	n = resolve(n)
	if n == nil || depth > 50 {
		return scalarNode("...")
	}
	c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value, Style: n.Style &^ (yaml.TaggedStyle)}
	if n.Kind == yaml.DocumentNode {
		c.Kind = yaml.MappingNode
		if len(n.Content) > 0 {
			return stripNode(n.Content[0], depth+1)
		}
	}
	for _, k := range n.Content {
		c.Content = append(c.Content, stripNode(k, depth+1))
	}
	return c
}

// methodTemplate is the settings a hint suggests for a method when the
// user's manifest gives nothing to reuse.
func methodTemplate(gen api.Generation, method v1.Method) *yaml.Node {
	switch method {
	case v1.MethodCustom:
		return mapNode("endpoint", "https://auth.example.com")
	case v1.MethodServiceAccountToken:
		return mapNode("audiences", flowSeq(gen.DefaultAudience()))
	default:
		return mapNode("trustedClientCaCert", v1.DefaultTrustedClientCACert)
	}
}

// entrySnippet renders one authenticationMethods entry of gen for method,
// with body as its settings (a template when nil).
func entrySnippet(gen api.Generation, method v1.Method, body *yaml.Node) string {
	if body == nil {
		body = methodTemplate(gen, method)
	}
	return indent(renderYAML(seqNode(mapNode("method", gen.MethodValue(method), gen.Block(method), body))), "  ") + "\n"
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
