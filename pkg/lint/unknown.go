package lint

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
)

// legacyName is a field of another API generation found where the
// document's generation has a different name (or none): a row of
// api.Renames seen from the document's generation.
type legacyName struct {
	*api.Rename
	// gen is the document's generation; from is the newest other one that
	// has the field under this name.
	gen, from api.Generation
	key       string
}

// use is the name the document's generation has for the field ("" when
// none).
func (l legacyName) use() string { return l.Names[l.gen] }

// note says where the field comes from and what to do.
func (l legacyName) note() string {
	note := fmt.Sprintf("%s is the %s name", l.key, l.from)
	if l.use() == "" && l.Note != "" {
		note += "; " + l.Note
	}
	return note
}

var (
	entryPath  = regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]$`)
	inBlockRef = regexp.MustCompile(`^spec\.authenticationMethods\[\d+\]\.([^.\[]+)(?:\.(.+))?$`)
)

// findLegacy looks key, a field unknown to gen at the path parent, up in
// api.Renames.
func findLegacy(gen api.Generation, parent, key string) (legacyName, bool) {
	for _, r := range api.Renames {
		if r.Names[gen] == key || !legacyPlace(r, parent) {
			continue
		}
		for i := len(api.Generations) - 1; i >= 0; i-- {
			if from := api.Generations[i]; from != gen && r.Names[from] == key {
				return legacyName{Rename: r, gen: gen, from: from, key: key}, true
			}
		}
	}
	return legacyName{}, false
}

// legacyPlace reports whether parent is where r's field is, its settings
// block written in any generation's name.
func legacyPlace(r *api.Rename, parent string) bool {
	switch r.Where {
	case api.InSpec:
		return parent == "spec"
	case api.InEntry:
		return entryPath.MatchString(parent)
	case api.InBlock:
		m := inBlockRef.FindStringSubmatch(parent)
		if m == nil || m[2] != r.Path {
			return false
		}
		for _, g := range api.Generations {
			if g.Block(r.Method) == m[1] {
				return true
			}
		}
	}
	return false
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
	if l, ok := findLegacy(c.gen, parent, key); ok {
		return c.at(path, true, RuleLegacyField, fmt.Sprintf("unknown field %q: %s", path, l.note()), c.legacyHint(l, path))
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
	_, value, _ := c.doc.Lookup(path)
	if l.Successor != "" {
		return "give the attributes inline, one entry per certificate subject:\n" + indent(renderYAML(mapNode(l.Successor,
			mapNode("root", mapNode("subject", "CN = Contoso Root CA, O = Contoso", "attributes", mapNode("organization", "contoso"))))), "  ")
	}
	if l.Where == api.InEntry && l.Method != "" {
		body := value
		if l.from == api.Gen2023 {
			body = nil // the 2023 settings differ; show a template
		}
		return fmt.Sprintf("%s writes this entry as:\n%s", c.doc.APIVersion, strings.TrimRight(entrySnippet(l.gen, l.Method, body), "\n"))
	}
	use := l.use()
	if use == "" {
		return l.note()
	}
	if value == nil {
		value = scalarNode("...")
	}
	return fmt.Sprintf("rename it to %s:\n%s", use, indent(renderYAML(mapNode(use, value)), "  "))
}

// suggest returns the candidate closest to got: an exact case-insensitive
// match first, else the one at the smallest edit distance (of the
// lowercased words; the first in sorted order among equals) when that
// distance is small for the word's length.
func suggest(got string, candidates []string) string {
	return newNameIndex(candidates).suggest(got)
}

// nameIndex holds candidates for suggest, for asking about many words:
// the lowercased candidates in a trie, so that the edit distances to all
// of them are computed together, sharing prefixes, and only as far as the
// limit.
type nameIndex struct {
	names []string
	root  trieNode
}

type trieNode struct {
	// children are the nodes under n, the rune that leads to each in
	// runes.
	runes    []rune
	children []*trieNode
	// names are the candidates that end here, lowercased.
	names []string
}

func newNameIndex(names []string) *nameIndex {
	x := &nameIndex{names: names}
	for _, name := range names {
		n := &x.root
		for _, r := range strings.ToLower(name) {
			i := slices.Index(n.runes, r)
			if i < 0 {
				i = len(n.runes)
				n.runes = append(n.runes, r)
				n.children = append(n.children, &trieNode{})
			}
			n = n.children[i]
		}
		n.names = append(n.names, name)
	}
	return x
}

func (x *nameIndex) suggest(got string) string {
	for _, c := range x.names {
		if strings.EqualFold(c, got) && c != got {
			return c
		}
	}
	limit := 2
	if len(got) > 8 {
		limit = 3
	}
	g := []rune(strings.ToLower(got))
	best, bestD := "", limit+1
	// rows[d] is, at a node of depth d, the edit distances between the
	// node's prefix and each prefix of g: the Levenshtein table, a row
	// per trie level.
	rows := [][]int{make([]int, len(g)+1)}
	for j := range rows[0] {
		rows[0][j] = j
	}
	var walk func(n *trieNode, depth int)
	walk = func(n *trieNode, depth int) {
		prev := rows[depth]
		if d := prev[len(g)]; d <= limit {
			for _, name := range n.names {
				if name != got && (d < bestD || (d == bestD && name < best)) {
					best, bestD = name, d
				}
			}
		}
		// A row's smallest value never decreases further down.
		if len(n.children) == 0 || slices.Min(prev) > limit {
			return
		}
		if depth+1 == len(rows) {
			rows = append(rows, make([]int, len(g)+1))
		}
		for i, c := range n.children {
			cur := rows[depth+1]
			cur[0] = prev[0] + 1
			for j := 1; j <= len(g); j++ {
				cost := 1
				if g[j-1] == n.runes[i] {
					cost = 0
				}
				cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			}
			walk(c, depth+1)
		}
	}
	walk(&x.root, 0)
	if best != "" && bestD < len(got) {
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

// isTOMLScalar reports whether n is a plain scalar that holds `key = value`.
func isTOMLScalar(n *yaml.Node) bool {
	s, ok := str(n)
	return ok && strings.Contains(s, "=") && tomlAssign.MatchString(s)
}
