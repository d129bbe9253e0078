package lint

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// The API server's errors are exact but terse ("Unsupported value"). A
// refinement turns the errors of well-known fields into the project's rules,
// with a message in the operator's terms and a hint; every other error keeps
// the server's message under a generic rule.
type refinement struct {
	rule string
	// field matches the error's field path.
	field *regexp.Regexp
	// types the refinement applies to; empty means any.
	types []field.ErrorType
	// cel restricts it to CEL rule errors (true) or to other errors (false);
	// nil means both.
	cel *bool
	// explain returns the message and hint; ok false passes the error on to
	// the next refinement.
	explain func(c *docCheck, is serverIssue) (msg, hint string, ok bool)
}

var (
	yes = true
	no  = false
)

var refinements = []refinement{
	{rule: RuleMethodEnum, field: regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]\.method$`),
		types: []field.ErrorType{field.ErrorTypeNotSupported, field.ErrorTypeInvalid}, explain: explainMethod},
	{rule: RuleEnum, field: regexp.MustCompile(`.`), types: []field.ErrorType{field.ErrorTypeInvalid}, cel: &no,
		explain: func(c *docCheck, is serverIssue) (string, string, bool) { return c.enumTypo(is) }},
	{rule: RuleSATAudiences, field: regexp.MustCompile(`\.(serviceAccountTokenSettings|serviceAccountToken)\.audiences(\[\d+\])?$`),
		explain: explainAudiences},
	{rule: RuleCustomHTTPS, field: regexp.MustCompile(`\.(customSettings|custom)\.endpoint$`),
		types: []field.ErrorType{field.ErrorTypeInvalid}, explain: explainEndpoint},
	{rule: RuleName, field: regexp.MustCompile(`^metadata\.name$`), cel: &no, explain: explainName},
	{rule: RuleName, field: regexp.MustCompile(`^$`), cel: &yes, explain: explainRootName},
	{rule: RuleSettingsBlock, field: regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]$`), cel: &yes,
		explain: func(c *docCheck, is serverIssue) (string, string, bool) {
			return is.err.Detail, "each entry needs the settings block named after its method", true
		}},
	{rule: RuleTOMLSyntax, field: regexp.MustCompile(`\.authorizationAttributes(\.[^.]+|\[[^\]]+\])?(\.attributes)?$`),
		types: []field.ErrorType{field.ErrorTypeTypeInvalid}, explain: explainTOML},
	{rule: RuleDuplicatePort, field: regexp.MustCompile(`^spec\.ports\[\d+\]$`),
		types: []field.ErrorType{field.ErrorTypeDuplicate}, explain: func(c *docCheck, is serverIssue) (string, string, bool) {
			port := "this port"
			if p, ok := str(lookupValue(c, is.path+".port")); ok {
				port = "port " + p
			}
			return port + " appears twice in this listener", "ports are unique across all listeners of a broker", true
		}},
}

// serverFinding turns one reason the API server would refuse the document
// into a finding.
func (c *docCheck) serverFinding(is serverIssue, v *crdVersion) {
	var f *Finding
	switch is.kind {
	case issueMeta:
		f = c.at("metadata", true, RuleMetadata, is.msg, "metadata holds name, namespace, labels and annotations (string maps)")
	case issueUnknown:
		f = c.unknownField(is.path, v)
	default:
		f = c.fieldError(is)
	}
	f.rejects = true
}

func (c *docCheck) fieldError(is serverIssue) *Finding {
	e := is.err
	for _, r := range refinements {
		if !r.field.MatchString(is.path) {
			continue
		}
		if r.cel != nil && *r.cel != (is.kind == issueCEL) {
			continue
		}
		if len(r.types) > 0 && !hasType(r.types, e.Type) {
			continue
		}
		msg, hint, ok := r.explain(c, is)
		if !ok {
			continue
		}
		path := is.path
		if r.rule == RuleName {
			path = "metadata.name"
		}
		f := c.at(path, false, r.rule, msg, hint)
		if r.rule == RuleSettingsBlock {
			// The semantic rule says the same with a corrected snippet;
			// settle hides this one when it fired.
			f.Field = is.path
		}
		return f
	}
	return c.genericError(is)
}

func hasType(ts []field.ErrorType, t field.ErrorType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

var mustBeType = regexp.MustCompile(`must be of type (\w+)`)

// genericError keeps the server's wording for errors no refinement knows.
func (c *docCheck) genericError(is serverIssue) *Finding {
	e := is.err
	path := is.path
	name := lastKey(path)
	switch {
	case is.kind == issueCEL:
		if strings.Contains(e.Detail, "some validation rules were not checked") {
			f := c.at(path, false, RuleSchemaRule, e.Detail, "")
			f.hidden = true
			return f
		}
		return c.at(path, false, RuleSchemaRule, e.Detail, "")
	case e.Type == field.ErrorTypeRequired:
		msg := fmt.Sprintf("missing required field %q", name)
		if e.Detail != "" {
			msg += ": " + e.Detail
		}
		return c.at(path, true, RuleRequired, msg, fmt.Sprintf("add %s: under %s", name, parentOf(path)))
	case e.Type == field.ErrorTypeTypeInvalid:
		want := "another type"
		if m := mustBeType.FindStringSubmatch(e.Detail); m != nil {
			want = m[1]
		}
		_, value, _ := c.doc.Lookup(path)
		return c.at(path, false, RuleFieldType, fmt.Sprintf("%s must be of type %s, not %s", displayPath(path), want, yamlType(value)), "")
	case e.Type == field.ErrorTypeNotSupported:
		got := fmt.Sprint(e.BadValue)
		hint := ""
		if s := closest(got, e.Detail); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		return c.at(path, false, RuleEnum, e.ErrorBody(), hint)
	case strings.HasPrefix(path, "metadata"):
		return c.at(path, false, RuleMetadata, e.ErrorBody(), "")
	}
	return c.at(path, false, RuleSchema, e.ErrorBody(), "")
}

func lastKey(path string) string {
	segs := splitPath(path)
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i].index < 0 {
			return segs[i].key
		}
	}
	return path
}

func parentOf(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i <= 0 {
		return "the document root"
	}
	return path[:i]
}

func displayPath(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

func yamlType(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "null"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (object)"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	}
	return "a string"
}

func explainMethod(c *docCheck, is serverIssue) (string, string, bool) {
	got := fmt.Sprint(is.err.BadValue)
	gen := c.gen
	msg := fmt.Sprintf("unknown method %q", got)
	// The other generations' spellings of the same method.
	for _, other := range []api.Generation{api.GenV1, api.GenMid2024} {
		if other == gen {
			continue
		}
		if m, ok := other.Method(got); ok {
			return msg, fmt.Sprintf("%q is the %s spelling; %s writes %q", got, other, c.describeShape(), gen.MethodValue(m)), true
		}
	}
	var names []string
	for _, m := range v1.Methods {
		names = append(names, gen.MethodValue(m))
	}
	if s := suggest(got, names); s != "" {
		return msg, fmt.Sprintf("did you mean %q?", s), true
	}
	return msg, "methods are " + quoteList(names) + " (any letter case)", true
}

// describeShape names the document's API generation for a message: its
// apiVersion, with the shape for v1beta1.
func (c *docCheck) describeShape() string {
	switch {
	case c.doc.Version() != "v1beta1":
		return c.doc.APIVersion
	case c.gen == api.GenMid2024:
		return c.doc.APIVersion + " (mid-2024 shape)"
	}
	return c.doc.APIVersion + " (2025 shape)"
}

func explainAudiences(c *docCheck, is serverIssue) (string, string, bool) {
	gen := c.gen
	hint := renderYAML(mapNode("audiences", flowSeq(gen.DefaultAudience())))
	switch {
	case is.err.Type == field.ErrorTypeRequired:
		return "serviceAccountToken settings need audiences: a token must carry one of them", hint, true
	case strings.HasSuffix(is.path, "]"):
		return "an audience is empty", "remove it or write the audience the tokens carry", true
	case is.err.Type == field.ErrorTypeTypeInvalid:
		return "audiences must be a list of strings", hint, true
	}
	return "audiences is empty: no token can pass", hint, true
}

func explainEndpoint(c *docCheck, is serverIssue) (string, string, bool) {
	got := fmt.Sprint(is.err.BadValue)
	_, v, _ := c.doc.Lookup(is.path)
	if s, ok := str(v); ok {
		got = s
	}
	fixed := "https://" + strings.TrimPrefix(strings.TrimPrefix(got, "http://"), "https://")
	if !strings.Contains(got, "://") || strings.HasPrefix(got, "http://") {
		return fmt.Sprintf("custom auth endpoint %q is not HTTPS: the broker sends client credentials to it", got),
			renderYAML(mapNode("endpoint", fixed)), true
	}
	return fmt.Sprintf("custom auth endpoint %q must start with https://", got), renderYAML(mapNode("endpoint", fixed)), true
}

func explainName(c *docCheck, is serverIssue) (string, string, bool) {
	if is.err.Type == field.ErrorTypeRequired {
		return "metadata.name is required", "metadata:\n  name: default", true
	}
	return "metadata.name: " + is.err.ErrorBody(), nameHint(c.doc.Name), true
}

func explainRootName(c *docCheck, is serverIssue) (string, string, bool) {
	if !strings.Contains(is.err.Detail, "metadata.name") {
		return "", "", false
	}
	return is.err.Detail, nameHint(c.doc.Name), true
}

var nameCleaner = regexp.MustCompile(`[^a-z0-9-]+`)

// nameHint proposes a name that passes the broker's naming rule.
func nameHint(name string) string {
	n := nameCleaner.ReplaceAllString(strings.ToLower(name), "-")
	n = strings.Trim(n, "-")
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	for len(n) < 3 {
		n += "x"
	}
	return fmt.Sprintf("for example name: %s", n)
}

// tomlAssign matches `key = value` as written in TOML.
var tomlAssign = regexp.MustCompile(`([A-Za-z_][\w.-]*)\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"']+)`)

func explainTOML(c *docCheck, is serverIssue) (string, string, bool) {
	_, v, _ := c.doc.Lookup(is.path)
	s, ok := str(v)
	if !ok || !tomlAssign.MatchString(s) || !strings.Contains(s, "=") {
		return "", "", false
	}
	return fmt.Sprintf("%s is written in TOML (`key = value`); YAML needs a mapping", displayPath(is.path)),
		tomlHint(lastKey(is.path), s), true
}

// tomlHint rewrites TOML assignments as the YAML mapping the field expects:
// subject becomes subject:, every other key an attribute.
func tomlHint(name, s string) string {
	var subject string
	var attrs []string
	for _, m := range tomlAssign.FindAllStringSubmatch(s, -1) {
		val := strings.Trim(m[2], `"'`)
		if strings.EqualFold(m[1], "subject") {
			subject = val
			continue
		}
		attrs = append(attrs, m[1], val)
	}
	if name == "attributes" {
		kv := []any{}
		for i := 0; i+1 < len(attrs); i += 2 {
			kv = append(kv, attrs[i], attrs[i+1])
		}
		return "write a YAML mapping:\n" + indent(renderYAML(mapNode("attributes", mapNode(kv...))), "  ")
	}
	if subject == "" {
		subject = "CN = ..."
	}
	kv := []any{}
	for i := 0; i+1 < len(attrs); i += 2 {
		kv = append(kv, attrs[i], attrs[i+1])
	}
	if len(kv) == 0 {
		kv = []any{"key", "value"}
	}
	return "write a YAML mapping:\n" + indent(renderYAML(mapNode(name, mapNode("subject", subject, "attributes", mapNode(kv...)))), "  ")
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// settle hides the server's settings-block CEL error of an entry when a
// more precise finding about that entry exists, and keeps one finding per
// name problem.
func (c *docCheck) settle() {
	for i := range c.findings {
		f := &c.findings[i]
		if f.Rule != RuleSettingsBlock || !f.rejects {
			continue
		}
		for j := range c.findings {
			g := &c.findings[j]
			if j == i || g.hidden || !strings.HasPrefix(g.Field, f.Field+".") {
				continue
			}
			switch g.Rule {
			case RuleSettingsBlock, RuleLegacyField, RuleMethodEnum, RuleUnknownField:
				f.hidden = true
			}
		}
	}
	// The broker's name rule (CEL) and the generic DNS name rule often fire
	// together; the broker's message is the one to act on.
	var names []int
	for i, f := range c.findings {
		if f.Rule == RuleName && !f.hidden {
			names = append(names, i)
		}
	}
	if len(names) > 1 {
		sort.SliceStable(names, func(a, b int) bool {
			return strings.Contains(c.findings[names[a]].Message, "3-63") && !strings.Contains(c.findings[names[b]].Message, "3-63")
		})
		for _, i := range names[1:] {
			c.findings[i].hidden = true
		}
	}
}

func lookupValue(c *docCheck, path string) *yaml.Node {
	_, v, found := c.doc.Lookup(path)
	if !found {
		return nil
	}
	return v
}
