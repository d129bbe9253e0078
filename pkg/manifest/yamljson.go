package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
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

// MaxExpandedValues bounds the values of a document with its aliases
// expanded, and input.Document's cap (or the reader's) its bytes. A
// "billion laughs" document (aliases of aliases) expands to exponentially
// many values, and a long string repeated through aliases to as many bytes,
// which every reader that expands aliases (this package's Object and JSON,
// kubectl's YAML decoder, a printer) would build; real manifests are orders
// of magnitude smaller.
const MaxExpandedValues = 1_000_000

// ErrAliasExpansion is JSON's error for a document whose aliases expand past
// the caps.
var ErrAliasExpansion = errors.New("the document's aliases expand past the caps")

// AliasProblem returns an "alias-expansion" Problem, at the document's first
// line, when the document's aliases expand to more than MaxExpandedValues
// values or more bytes than the document cap, and nil otherwise (always for
// a document without aliases: its text was bounded when read). Documents
// read by this package were measured as they were parsed; others are
// measured against input.Document on the first call.
func (d *Document) AliasProblem() *Problem {
	if !d.aliasesChecked {
		d.checkAliases(input.Document)
	}
	return d.aliases
}

// checkAliases measures the document with its aliases expanded against the
// cap of k.
func (d *Document) checkAliases(k input.Kind) {
	d.aliasesChecked = true
	c := aliasCounter{}
	values, size := c.size(d.Root, 0)
	if !c.aliases || (values <= MaxExpandedValues && size <= k.Max) {
		return
	}
	pos := Position{Line: d.Line, Column: 1}
	if pos.Line < 1 && d.Root != nil {
		pos = nodePos(d.Root)
	}
	msg := fmt.Sprintf("the document's aliases expand to more than %d values", MaxExpandedValues)
	if values <= MaxExpandedValues {
		msg = fmt.Sprintf("the document's aliases expand to more than %s, the cap for a %s", input.FormatSize(k.Max), k.Name)
		if k.Flag != "" {
			msg += " (" + k.Flag + ")"
		}
	}
	d.aliases = &Problem{Pos: pos, Kind: "alias-expansion", Msg: msg}
}

// aliasCounter measures a tree with aliases expanded (an alias counts as
// what it stands for): values, and bytes (each value's text and two bytes
// of punctuation), stopping early past the caps. Only an anchored node can
// be reached twice, so only those sizes are remembered: shared subtrees are
// measured once, and a document without anchors costs no allocation.
type aliasCounter struct {
	memo    map[*yaml.Node][2]int64
	aliases bool
}

// stop is past any cap: measuring stops there, and the sums cannot
// overflow.
const stop = 1 << 50

func (c *aliasCounter) size(n *yaml.Node, depth int) (values, size int64) {
	if n == nil || depth > maxDepth {
		return 1, 2
	}
	if n.Kind == yaml.AliasNode {
		c.aliases = true
		return c.size(n.Alias, depth+1)
	}
	if n.Anchor != "" {
		if s, ok := c.memo[n]; ok {
			return s[0], s[1]
		}
		if c.memo == nil {
			c.memo = map[*yaml.Node][2]int64{}
		}
		c.memo[n] = [2]int64{1, 2} // a cycle counts once
	}
	values, size = 1, int64(len(n.Value))+2
	for _, child := range n.Content {
		v, s := c.size(child, depth+1)
		values, size = values+v, size+s
		if values > MaxExpandedValues || size > stop {
			values, size = min(values, stop), min(size, stop)
			break
		}
	}
	if n.Anchor != "" {
		c.memo[n] = [2]int64{values, size}
	}
	return values, size
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
	v := c.value(d.Root)
	return v, c.problems
}

// JSON is Object marshalled to JSON. A document whose aliases expand past
// MaxExpandedValues is an error wrapping ErrAliasExpansion.
func (d *Document) JSON() ([]byte, []Problem, error) {
	v, problems := d.Object()
	for _, p := range problems {
		if p.Kind == "alias-expansion" {
			return nil, problems, aliasError(p.Msg)
		}
	}
	b, err := json.Marshal(v)
	return b, problems, err
}

// aliasError is JSON's error for a document past the alias caps.
type aliasError string

func (e aliasError) Error() string {
	return string(e) + ": write the repeated parts out, or use fewer nested aliases"
}

func (e aliasError) Is(target error) bool { return target == ErrAliasExpansion }

type converter struct {
	problems []Problem
	depth    int
	// at is the path to the value being converted, one step a level:
	// the path string is only built for a problem.
	at []step
}

// step is a key of a mapping, or an index of a list when index >= 0.
type step struct {
	key   string
	index int
}

// path is the field path of c.at: "spec.ports[0].port".
func (c *converter) path() string {
	var b strings.Builder
	for _, s := range c.at {
		switch {
		case s.index >= 0:
			fmt.Fprintf(&b, "[%d]", s.index)
		case b.Len() > 0:
			b.WriteString("." + s.key)
		default:
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// maxDepth bounds recursion so that hostile input (deeply nested or
// self-referencing aliases) cannot exhaust the stack.
const maxDepth = 10000

func (c *converter) value(n *yaml.Node) any {
	c.depth++
	defer func() { c.depth-- }()
	if n == nil || c.depth > maxDepth {
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.value(n.Alias)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return c.value(n.Content[0])
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			c.at = append(c.at, step{index: i})
			out = append(out, c.value(item))
			c.at = c.at[:len(c.at)-1]
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		c.mapping(n, out)
		return out
	default:
		return scalar(n)
	}
}

// smallMapping is the size up to which a mapping's duplicate keys are found
// by looking back over its keys rather than with a map.
const smallMapping = 16

func (c *converter) mapping(n *yaml.Node, out map[string]any) {
	var seen map[string]Position
	if len(n.Content) > 2*smallMapping {
		seen = map[string]Position{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			c.merge(resolve(v), out)
			continue
		}
		name, ok := keyName(k)
		if !ok {
			c.problems = append(c.problems, Problem{Path: c.path(), Pos: nodePos(k), Kind: "non-string-key",
				Msg: "mapping key is not a string"})
			continue
		}
		c.at = append(c.at, step{key: name, index: -1})
		if first, dup := firstKey(n, i, name, seen); dup {
			c.problems = append(c.problems, Problem{Path: c.path(), Pos: nodePos(k), Kind: "duplicate-key",
				Msg: fmt.Sprintf("duplicate key %q (first at line %d)", name, first.Line), First: first})
		} else if seen != nil {
			seen[name] = nodePos(k)
		}
		out[name] = c.value(v)
		c.at = c.at[:len(c.at)-1]
	}
}

func isMergeKey(k *yaml.Node) bool {
	return k.Tag == "!!merge" || (k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0)
}

// keyName is the JSON name of mapping key k, false when it is not a scalar.
func keyName(k *yaml.Node) (string, bool) {
	rk := resolve(k)
	if rk == nil || rk.Kind != yaml.ScalarNode {
		return "", false
	}
	name := rk.Value
	if rk.Tag != "!!str" && rk.Tag != "" {
		// kubectl stringifies non-string keys (1: x becomes "1": x).
		if s, ok := scalar(rk).(string); ok {
			name = s
		}
	}
	return name, true
}

// firstKey returns where name first appears among the keys of mapping n
// before index i (merge keys aside): in seen for a large mapping, else by
// looking back.
func firstKey(n *yaml.Node, i int, name string, seen map[string]Position) (Position, bool) {
	if seen != nil {
		p, ok := seen[name]
		return p, ok
	}
	for j := 0; j < i; j += 2 {
		k := n.Content[j]
		if isMergeKey(k) {
			continue
		}
		if kn, ok := keyName(k); ok && kn == name {
			return nodePos(k), true
		}
	}
	return Position{}, false
}

// merge applies a YAML merge key ("<<: *base"): keys of the merged mappings
// that the mapping does not set itself.
func (c *converter) merge(v *yaml.Node, out map[string]any) {
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
		c.mapping(s, tmp)
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
