package lint

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
)

// enumFields returns the enum fields of the document's shape.
func (c *docCheck) enumFields() []api.EnumField {
	if c.gen == genV1beta1 {
		return api.Mid2024EnumFields
	}
	return api.EnumFields
}

// enumSpellings notes the enum values written in another letter case than
// the API's: the cluster accepts them, and so does every reader here, but
// the canonical spelling is what the documentation and generated manifests
// use.
func (c *docCheck) enumSpellings() {
	fields := c.enumFields()
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		n = resolve(n)
		if n == nil || depth > 32 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "." + p
				}
				walk(n.Content[i+1], p, depth+1)
			}
		case yaml.SequenceNode:
			for i, it := range n.Content {
				walk(it, fmt.Sprintf("%s[%d]", path, i), depth+1)
			}
		case yaml.ScalarNode:
			f, ok := api.EnumAt(fields, c.doc.Kind, path)
			if !ok {
				return
			}
			for _, v := range f.Values {
				if strings.EqualFold(v, n.Value) && v != n.Value {
					c.at(path, false, RuleNoncanonical,
						fmt.Sprintf("%s %q is accepted (the cluster takes any letter case); the API spells it %q", lastKey(path), n.Value, v),
						renderYAML(mapNode(lastKey(path), v)))
				}
			}
		}
	}
	walk(c.doc.Root, "", 0)
}

// enumTypo explains a value that the schema's case-insensitive pattern
// refused: a misspelt or unknown enum value. ok is false when path is not
// an enum field.
func (c *docCheck) enumTypo(is serverIssue) (msg, hint string, ok bool) {
	f, ok := api.EnumAt(c.enumFields(), c.doc.Kind, is.path)
	if !ok {
		return "", "", false
	}
	got := fmt.Sprint(is.err.BadValue)
	msg = fmt.Sprintf("unsupported value %q for %s: supported values are %s (any letter case)", got, lastKey(is.path), quoteList(f.Values))
	if s := suggest(got, f.Values); s != "" {
		return msg, fmt.Sprintf("did you mean %q?", s), true
	}
	return msg, "", true
}
