package lint

import (
	"fmt"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/assumption"
)

// enumFields returns the enum fields of the document's shape.
func (c *docCheck) enumFields() []api.EnumField {
	if c.gen == api.GenMid2024 {
		return api.Mid2024EnumFields
	}
	return api.EnumFields
}

// enumSpellings notes the enum values written in another letter case than
// the API's: the cluster accepts them, and so does every reader here, but
// the canonical spelling is what the documentation and generated manifests
// use.
func (c *docCheck) enumSpellings() {
	for _, sp := range api.NoncanonicalSpellings(c.doc.Root, c.doc.Kind, c.enumFields()) {
		key := lastKey(sp.Path)
		c.at(sp.Path, false, RuleNoncanonical,
			fmt.Sprintf("%s %q is accepted (%s); the API spells it %q", key, sp.Node.Value, assumption.EnumsAnyCase.Says, sp.Canonical),
			renderYAML(mapNode(key, sp.Canonical)))
	}
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
