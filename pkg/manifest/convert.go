package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Problem is something about a document's YAML that a plain decoder would
// silently accept but the API server's strict decoding would not, or that
// loses information: a duplicate key, a non-string key.
type Problem struct {
	// Path is the field path of the offending key.
	Path string
	Pos  Position
	// Kind is "duplicate-key", "non-string-key" or "alias-expansion" (see
	// MaxExpandedValues).
	Kind string
	Msg  string
	// First is where the key first appeared, for duplicates.
	First Position
}

// MaxExpandedValues bounds the size of a document with its aliases
// expanded. A "billion laughs" document (aliases of aliases) expands to
// exponentially many values, which every reader that expands aliases (this
// package's Object, kubectl's YAML decoder) would build; real manifests are
// orders of magnitude smaller.
const MaxExpandedValues = 1_000_000

// ErrAliasExpansion is JSON's error for a document past MaxExpandedValues.
var ErrAliasExpansion = fmt.Errorf("the document's aliases expand to more than %d values", MaxExpandedValues)

// AliasProblem returns an "alias-expansion" Problem, at the document's first
// line, when the document's aliases expand to more than MaxExpandedValues
// values, and nil otherwise. It costs one walk over the node tree; Object
// and JSON check it first.
func (d *Document) AliasProblem() *Problem {
	if (&aliasCounter{}).size(d.Root, 0) <= MaxExpandedValues {
		return nil
	}
	pos := Position{Line: d.Line, Column: 1}
	if pos.Line < 1 && d.Root != nil {
		pos = nodePos(d.Root)
	}
	return &Problem{Pos: pos, Kind: "alias-expansion", Msg: ErrAliasExpansion.Error()}
}

// aliasCounter counts the nodes of a tree with aliases expanded (an alias
// counts as what it stands for), stopping early past MaxExpandedValues. Only
// an anchored node can be reached twice, so only those sizes are
// remembered: shared subtrees are counted once, and a document without
// anchors costs no allocation.
type aliasCounter struct {
	memo map[*yaml.Node]int64
}

func (c *aliasCounter) size(n *yaml.Node, depth int) int64 {
	if n == nil || depth > maxDepth {
		return 1
	}
	if n.Kind == yaml.AliasNode {
		return c.size(n.Alias, depth+1)
	}
	if n.Anchor != "" {
		if s, ok := c.memo[n]; ok {
			return s
		}
		if c.memo == nil {
			c.memo = map[*yaml.Node]int64{}
		}
		c.memo[n] = 1 // a cycle counts once
	}
	var s int64 = 1
	for _, child := range n.Content {
		s += c.size(child, depth+1)
		if s > MaxExpandedValues {
			break
		}
	}
	if n.Anchor != "" {
		c.memo[n] = s
	}
	return s
}

// Object converts the document to the JSON data model that kubectl sends to
// the API server (what sigs.k8s.io/yaml's YAMLToJSON produces), and reports
// the duplicate and non-string keys it met. Like kubectl, the last value of a
// duplicated key wins, and unquoted YAML 1.1 booleans (yes, no, on, off)
// become booleans. A document whose aliases expand past MaxExpandedValues
// is not converted: the object is nil and the one problem is AliasProblem's.
func (d *Document) Object() (any, []Problem) {
	if p := d.AliasProblem(); p != nil {
		return nil, []Problem{*p}
	}
	c := converter{}
	v := c.value(d.Root, "")
	return v, c.problems
}

// JSON is Object marshalled to JSON. A document whose aliases expand past
// MaxExpandedValues is an error wrapping ErrAliasExpansion.
func (d *Document) JSON() ([]byte, []Problem, error) {
	v, problems := d.Object()
	for _, p := range problems {
		if p.Kind == "alias-expansion" {
			return nil, problems, fmt.Errorf("%w: write the repeated parts out, or use fewer nested aliases", ErrAliasExpansion)
		}
	}
	b, err := json.Marshal(v)
	return b, problems, err
}

type converter struct {
	problems []Problem
	depth    int
}

// maxDepth bounds recursion so that hostile input (deeply nested or
// self-referencing aliases) cannot exhaust the stack.
const maxDepth = 10000

func (c *converter) value(n *yaml.Node, path string) any {
	c.depth++
	defer func() { c.depth-- }()
	if n == nil || c.depth > maxDepth {
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.value(n.Alias, path)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return c.value(n.Content[0], path)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			out = append(out, c.value(item, fmt.Sprintf("%s[%d]", path, i)))
		}
		return out
	case yaml.MappingNode:
		out := map[string]any{}
		seen := map[string]Position{}
		c.mapping(n, path, out, seen)
		return out
	default:
		return scalar(n)
	}
}

func (c *converter) mapping(n *yaml.Node, path string, out map[string]any, seen map[string]Position) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" || (k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0) {
			c.merge(resolve(v), path, out, seen)
			continue
		}
		rk := resolve(k)
		if rk == nil || rk.Kind != yaml.ScalarNode {
			c.problems = append(c.problems, Problem{Path: path, Pos: nodePos(k), Kind: "non-string-key",
				Msg: "mapping key is not a string"})
			continue
		}
		name := rk.Value
		if rk.Tag != "!!str" && rk.Tag != "" {
			// kubectl stringifies non-string keys (1: x becomes "1": x).
			if s, ok := scalar(rk).(string); ok {
				name = s
			}
		}
		child := name
		if path != "" {
			child = path + "." + name
		}
		if first, dup := seen[name]; dup {
			c.problems = append(c.problems, Problem{Path: child, Pos: nodePos(k), Kind: "duplicate-key",
				Msg: fmt.Sprintf("duplicate key %q (first at line %d)", name, first.Line), First: first})
		} else {
			seen[name] = nodePos(k)
		}
		out[name] = c.value(v, child)
	}
}

// merge applies a YAML merge key ("<<: *base"): keys of the merged mappings
// that the mapping does not set itself.
func (c *converter) merge(v *yaml.Node, path string, out map[string]any, seen map[string]Position) {
	if v == nil {
		return
	}
	var sources []*yaml.Node
	if v.Kind == yaml.SequenceNode {
		for _, s := range v.Content {
			sources = append(sources, resolve(s))
		}
	} else {
		sources = []*yaml.Node{v}
	}
	for _, s := range sources {
		if s == nil || s.Kind != yaml.MappingNode {
			continue
		}
		tmp := map[string]any{}
		c.mapping(s, path, tmp, map[string]Position{})
		for k, val := range tmp {
			if _, set := out[k]; !set {
				out[k] = val
			}
		}
	}
}

// yaml11Bools are the unquoted words YAML 1.1 (and so kubectl's YAML reader)
// reads as booleans, beyond true and false.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return n.Value
		}
		return b
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return i
		}
		if strings.HasPrefix(s, "0o") {
			if i, err := strconv.ParseInt(s[2:], 8, 64); err == nil {
				return i
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return n.Value
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil {
			switch strings.ToLower(n.Value) {
			case ".inf", "+.inf":
				f = math.Inf(1)
			case "-.inf":
				f = math.Inf(-1)
			default:
				return n.Value
			}
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			// JSON cannot carry them; kubectl fails on them too.
			return n.Value
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
		return f
	case "!!str":
		if n.Style == 0 {
			if b, ok := yaml11Bools[n.Value]; ok {
				return b
			}
		}
		return n.Value
	default:
		return n.Value
	}
}
