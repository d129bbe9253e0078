package manifest

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Position is a place in a file, 1-based.
type Position struct {
	Line   int
	Column int
}

// segment is one step of a field path: a mapping key or a sequence index.
type segment struct {
	key   string
	index int // -1 for a key
}

// parsePath splits a field path as Kubernetes writes it
// ("spec.authenticationMethods[0].x509Settings.authorizationAttributes[root].subject")
// into segments. Brackets hold an index when numeric, a map key otherwise.
func parsePath(path string) []segment {
	var segs []segment
	for len(path) > 0 {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				segs = append(segs, segment{key: path[1:], index: -1})
				return segs
			}
			inner := path[1:end]
			if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
				segs = append(segs, segment{index: n})
			} else {
				segs = append(segs, segment{key: strings.Trim(inner, `"'`), index: -1})
			}
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs = append(segs, segment{key: path[:end], index: -1})
			path = path[end:]
		}
	}
	return segs
}

// Lookup follows path from the document root. It returns the key node of the
// last mapping key on the way (nil for a path ending in an index), the value
// node, and whether the whole path exists. When it does not, key and value
// are those of the deepest part that exists, so a finding about a missing
// field points at its parent.
func (d *Document) Lookup(path string) (key, value *yaml.Node, found bool) {
	value = d.Root
	for _, s := range parsePath(path) {
		value = resolve(value)
		if s.index >= 0 {
			if value == nil || value.Kind != yaml.SequenceNode || s.index >= len(value.Content) {
				return key, value, false
			}
			key = nil
			value = value.Content[s.index]
			continue
		}
		if value == nil || value.Kind != yaml.MappingNode {
			return key, value, false
		}
		k, v := mappingEntry(value, s.key)
		if k == nil {
			return key, value, false
		}
		key, value = k, v
	}
	return key, value, true
}

// Position returns where a finding about path should point: the value when it
// is a scalar (what is wrong is usually the value), the key when the value is
// a mapping or sequence, and the deepest existing parent when the path does
// not exist.
func (d *Document) Position(path string) Position {
	key, value, found := d.Lookup(path)
	switch {
	case found && value != nil && value.Kind == yaml.ScalarNode:
		return nodePos(value)
	case key != nil:
		return nodePos(key)
	case value != nil:
		return nodePos(value)
	}
	return Position{Line: d.Line, Column: 1}
}

// KeyPosition returns the position of the key that ends path (for findings
// about the key itself, such as an unknown field), falling back to Position.
func (d *Document) KeyPosition(path string) Position {
	key, _, found := d.Lookup(path)
	if found && key != nil {
		return nodePos(key)
	}
	return d.Position(path)
}

func nodePos(n *yaml.Node) Position { return Position{Line: n.Line, Column: n.Column} }

// Resolve follows YAML aliases to the node they stand for, for readers that
// walk a document's nodes themselves. A missing node (nil) reads as null, so
// callers can check Kind and Tag without testing for nil.
func Resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < maxDepth; depth++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mappingEntry returns the key and value nodes of key in mapping m, the last
// one when the key is duplicated (as YAML decoders that accept duplicates do).
func mappingEntry(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			k, v = m.Content[i], m.Content[i+1]
		}
	}
	return k, v
}
