package lint

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// legacyName describes a field of another API generation found where the
// document's generation has a different name (or none).
type legacyName struct {
	// gen is the document's generation the row applies to.
	gen *generation
	// parent matches the path of the mapping holding the field.
	parent *regexp.Regexp
	key    string
	// use is the name this generation uses ("" when there is none).
	use string
	// note says where the field comes from and what to do.
	note string
	// method, when set, is the method the renamed block needs.
	method string
}

var (
	entryPath    = regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]$`)
	v1CustomPath = regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]\.customSettings$`)
	betaCustom   = regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]\.custom$`)
	v1AuthX509   = regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]\.customSettings\.auth\.x509$`)
	betaAuthX509 = regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]\.custom\.auth\.x509$`)
	x509Block    = regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]\.(x509Settings|x509Credentials)$`)
	specPath     = regexp.MustCompile(`^spec$`)
)

// legacyNames is the table of renamed and removed fields, generation by
// generation.
var legacyNames = []legacyName{
	{gen: genV1, parent: entryPath, key: "custom", use: "customSettings", note: "custom is the mid-2024 v1beta1 name", method: methodCustom},
	{gen: genV1, parent: entryPath, key: "serviceAccountToken", use: "serviceAccountTokenSettings", note: "serviceAccountToken is the mid-2024 v1beta1 name", method: methodSAT},
	{gen: genV1, parent: entryPath, key: "x509Credentials", use: "x509Settings", note: "x509Credentials is the mid-2024 v1beta1 name", method: methodX509},
	{gen: genV1, parent: entryPath, key: "sat", use: "serviceAccountTokenSettings", note: "sat is the 2023 preview's entry", method: methodSAT},
	{gen: genV1, parent: entryPath, key: "x509", use: "x509Settings", note: "x509 is the 2023 preview's entry", method: methodX509},
	{gen: genV1, parent: entryPath, key: "usernamePassword", note: "username/password authentication was removed after the 2023 preview; use a Custom auth server for it"},
	{gen: genV1beta1, parent: entryPath, key: "customSettings", use: "custom", note: "customSettings is the v1 name", method: methodCustom},
	{gen: genV1beta1, parent: entryPath, key: "serviceAccountTokenSettings", use: "serviceAccountToken", note: "serviceAccountTokenSettings is the v1 name", method: methodSAT},
	{gen: genV1beta1, parent: entryPath, key: "x509Settings", use: "x509Credentials", note: "x509Settings is the v1 name", method: methodX509},
	{gen: genV1beta1, parent: entryPath, key: "sat", use: "serviceAccountToken", note: "sat is the 2023 preview's entry", method: methodSAT},
	{gen: genV1beta1, parent: entryPath, key: "x509", use: "x509Credentials", note: "x509 is the 2023 preview's entry", method: methodX509},
	{gen: genV1beta1, parent: entryPath, key: "usernamePassword", note: "username/password authentication was removed after the 2023 preview; use a Custom auth server for it"},
	{gen: genV1, parent: v1CustomPath, key: "caCert", use: "caCertConfigMap", note: "caCert is the mid-2024 v1beta1 name"},
	{gen: genV1beta1, parent: betaCustom, key: "caCertConfigMap", use: "caCert", note: "caCertConfigMap is the v1 name"},
	{gen: genV1, parent: v1AuthX509, key: "secretName", use: "secretRef", note: "secretName is the mid-2024 v1beta1 name"},
	{gen: genV1, parent: v1AuthX509, key: "namespace", note: "v1 has no namespace here: the Secret is in the broker's namespace"},
	{gen: genV1beta1, parent: betaAuthX509, key: "secretRef", use: "secretName", note: "secretRef is the v1 name"},
	{gen: genV1, parent: x509Block, key: "attributes", use: "authorizationAttributes", note: "attributes.secretName (a TOML file in a Secret) is the 2023 shape; newer APIs take the attributes inline"},
	{gen: genV1beta1, parent: x509Block, key: "attributes", use: "authorizationAttributes", note: "attributes.secretName (a TOML file in a Secret) is the 2023 shape; newer APIs take the attributes inline"},
	{gen: genV1beta1, parent: x509Block, key: "additionalValidation", note: "additionalValidation belongs to the 2025 preview shape, v1's: write the entry as method: X509 with x509Settings (the 2025 v1beta1 and v1 both take it)"},
	{gen: genV1, parent: specPath, key: "listenerRef", note: "listenerRef is the 2023 shape; listener ports now reference the authn with authenticationRef"},
	{gen: genV1beta1, parent: specPath, key: "listenerRef", note: "listenerRef is the 2023 shape; listener ports now reference the authn with authenticationRef"},
}

// unknownField reports a field the API server's strict field validation
// refuses: as a legacy field when it is another generation's name, else
// with the closest sibling name as a suggestion.
func (c *docCheck) unknownField(path string, v *crdVersion) *Finding {
	segs := splitPath(path)
	key := ""
	if n := len(segs); n > 0 && segs[n-1].index < 0 {
		key = segs[n-1].key
	}
	parent := parentPath(path, key)
	gen := c.gen
	for _, l := range legacyNames {
		if l.gen != gen || l.key != key || !l.parent.MatchString(parent) {
			continue
		}
		return c.at(path, true, RuleLegacyField, fmt.Sprintf("unknown field %q: %s", path, l.note), c.legacyHint(l, path))
	}
	var siblings []string
	if len(segs) > 0 {
		if s := schemaAt(v.structural, segs[:len(segs)-1]); s != nil {
			for p := range s.Properties {
				siblings = append(siblings, p)
			}
		}
	}
	if parent == "metadata" {
		siblings = metadataFields
	}
	hint := ""
	if s := suggest(key, siblings); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	} else if len(siblings) > 0 {
		sort.Strings(siblings)
		hint = "known fields here: " + strings.Join(siblings, ", ")
	}
	return c.at(path, true, RuleUnknownField, fmt.Sprintf("unknown field %q", path), hint)
}

var metadataFields = []string{"name", "generateName", "namespace", "labels", "annotations", "finalizers", "ownerReferences"}

func parentPath(path, key string) string {
	p := strings.TrimSuffix(path, key)
	return strings.TrimSuffix(p, ".")
}

// legacyHint shows the field under this generation's name, with its value.
func (c *docCheck) legacyHint(l legacyName, path string) string {
	if l.use == "" {
		return l.note
	}
	_, value, _ := c.doc.Lookup(path)
	gen := l.gen
	if l.key == "attributes" {
		return "give the attributes inline, one entry per certificate subject:\n" + indent(renderYAML(mapNode("authorizationAttributes",
			mapNode("root", mapNode("subject", "CN = Contoso Root CA, O = Contoso", "attributes", mapNode("organization", "contoso"))))), "  ")
	}
	if l.method != "" {
		body := value
		if l.key == "sat" || l.key == "x509" {
			body = nil // the 2023 settings differ; show a template
		}
		return fmt.Sprintf("%s writes this entry as:\n%s", c.doc.APIVersion, strings.TrimRight(entrySnippet(gen, l.method, body), "\n"))
	}
	if value == nil {
		value = scalarNode("...")
	}
	return fmt.Sprintf("rename it to %s:\n%s", l.use, indent(renderYAML(mapNode(l.use, value)), "  "))
}

// suggest returns the candidate closest to got: an exact case-insensitive
// match first, else the one at the smallest edit distance when that
// distance is small for the word's length.
func suggest(got string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, got) && c != got {
			return c
		}
	}
	best, bestD := "", 1<<30
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if c == got {
			continue
		}
		d := editDistance(strings.ToLower(got), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(got) > 8 {
		limit = 3
	}
	if bestD <= limit && bestD < len(got) {
		return best
	}
	return ""
}

// closest finds the candidate closest to got among the quoted values of a
// server message such as `supported values: "Custom", "X509"`.
var quoted = regexp.MustCompile(`"([^"]*)"`)

func closest(got, detail string) string {
	var cands []string
	for _, m := range quoted.FindAllStringSubmatch(detail, -1) {
		cands = append(cands, m[1])
	}
	return suggest(got, cands)
}

// editDistance is the Levenshtein distance.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// isTOMLScalar reports whether n is a plain scalar that holds `key = value`.
func isTOMLScalar(n *yaml.Node) bool {
	s, ok := str(n)
	return ok && strings.Contains(s, "=") && tomlAssign.MatchString(s)
}
