package lint

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/assumption"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// authnInfo is what the cross-reference rules need from a
// BrokerAuthentication.
type authnInfo struct {
	hdr     docHeader
	name    string
	ns      string
	x509    bool
	entries []authnEntry
}

type authnEntry struct {
	index  int
	path   string
	method v1.Method // "" when unknown
	refs   []objectRef
}

// objectRef is a reference from an authn to a ConfigMap or Secret.
type objectRef struct {
	kind string // ConfigMap or Secret
	role refRole
	name string
	path string
	// defaulted is true when the name is the default (field absent).
	defaulted bool
	// pos is where a finding about the reference points.
	pos manifest.Position
}

type refRole int

const (
	roleClientCA   refRole = iota // trusted client CAs (X509)
	roleServerCA                  // CA of the custom auth server's certificate
	roleClientCert                // the broker's client certificate for the custom auth server
)

func (r refRole) String() string {
	switch r {
	case roleClientCA:
		return "trusted client CA"
	case roleServerCA:
		return "custom auth server CA"
	default:
		return "custom auth client certificate"
	}
}

const methodsPath = "spec.authenticationMethods"

// checkAuthn runs the semantic rules of a mqttbroker BrokerAuthentication
// (v1 or v1beta1) and collects what cross-references need.
func (c *docCheck) checkAuthn() *authnInfo {
	d := c.doc
	gen := c.gen
	info := &authnInfo{hdr: headerOf(d), name: d.Name, ns: d.Namespace}
	switch {
	case c.shape.Kind() == api.ShapeMixed:
		c.at(c.shape.FirstPath(), false, RuleGenerationMismatch, c.shape.MixedMessage(),
			"the 2025 shape is v1's: customSettings, serviceAccountTokenSettings, x509Settings and method X509; "+
				"`kubectl aio-authn convert` rewrites a mid-2024 document once it has no 2025 names")
	case gen == api.GenMid2024:
		c.oldAPI()
	case d.Version() == "v1beta1":
		c.previewAPI()
	case d.Name == "authn":
		c.at("metadata.name", false, RuleDefaultName,
			`"authn" is the preview's default BrokerAuthentication name; the GA default is "default"`,
			"keep it if your listeners reference authn; the GA default listener references \"default\"")
	}

	spec := child(d.Root, "spec")
	entries := items(child(spec, "authenticationMethods"))
	seen := map[v1.Method]int{}
	var audiences []audienceAt
	for i, e := range entries {
		path := fmt.Sprintf("%s[%d]", methodsPath, i)
		entry := authnEntry{index: i, path: path}
		raw, _ := str(child(e, "method"))
		entry.method, _ = gen.Method(raw)
		c.settingsBlock(gen, e, path, raw, entry.method)
		switch entry.method {
		case v1.MethodX509:
			info.x509 = true
			block := child(e, gen.Block(v1.MethodX509))
			if block != nil {
				name, ok := str(child(block, "trustedClientCaCert"))
				ref := objectRef{kind: "ConfigMap", role: roleClientCA, name: name, path: path + "." + gen.Block(v1.MethodX509) + ".trustedClientCaCert"}
				if !ok || name == "" {
					ref.name, ref.defaulted, ref.path = v1.DefaultTrustedClientCACert, true, path+"."+gen.Block(v1.MethodX509)
				}
				entry.refs = append(entry.refs, ref)
			}
		case v1.MethodCustom:
			block := child(e, gen.Block(v1.MethodCustom))
			caField, secretField := gen.Field(v1.MethodCustom, "", "caCertConfigMap"), gen.Field(v1.MethodCustom, "auth.x509", "secretRef")
			if name, ok := str(child(block, caField)); ok && name != "" {
				entry.refs = append(entry.refs, objectRef{kind: "ConfigMap", role: roleServerCA, name: name, path: path + "." + gen.Block(v1.MethodCustom) + "." + caField})
			}
			if name, ok := str(child(child(child(block, "auth"), "x509"), secretField)); ok && name != "" {
				entry.refs = append(entry.refs, objectRef{kind: "Secret", role: roleClientCert, name: name, path: path + "." + gen.Block(v1.MethodCustom) + ".auth.x509." + secretField})
			}
		case v1.MethodServiceAccountToken:
			for j, a := range items(child(child(e, gen.Block(v1.MethodServiceAccountToken)), "audiences")) {
				if s, ok := str(a); ok {
					audiences = append(audiences, audienceAt{value: s, path: fmt.Sprintf("%s.%s.audiences[%d]", path, gen.Block(v1.MethodServiceAccountToken), j)})
				}
			}
		}
		if entry.method != "" {
			if first, dup := seen[entry.method]; dup {
				c.at(path+".method", false, RuleDuplicateMethod,
					fmt.Sprintf("method %s appears again (first in entry %d)", raw, first),
					fmt.Sprintf("merge entry %d into entry %d: the first %s entry decides for every client it is relevant to", i, first, raw))
			} else {
				seen[entry.method] = i
			}
		}
		for k := range entry.refs {
			if entry.refs[k].defaulted {
				entry.refs[k].pos = d.KeyPosition(entry.refs[k].path)
			} else {
				entry.refs[k].pos = d.Position(entry.refs[k].path)
			}
		}
		info.entries = append(info.entries, entry)
	}
	c.customFallthrough(info, entries)
	c.audienceMix(gen, audiences)
	return info
}

// settingsBlock checks that the entry carries the settings block of its
// method, in this generation's spelling. Blocks of other methods beside it
// are only a warning: the REST API's schema allows them and the broker reads
// the block of the method.
func (c *docCheck) settingsBlock(gen api.Generation, e *yaml.Node, path, raw string, method v1.Method) {
	if method == "" {
		return // no method or an unknown one: method-enum or required-field says so
	}
	want := gen.Block(method)
	hasWant := false
	var wrong []string
	legacyAlias := false
	for _, k := range keys(e) {
		if k == "method" {
			continue
		}
		if k == want {
			hasWant = true
			continue
		}
		if _, ok := gen.BlockMethod(k); ok {
			wrong = append(wrong, k)
			continue
		}
		for _, other := range api.Generations {
			if other != gen && other.Block(method) == k {
				legacyAlias = true
			}
		}
	}
	if hasWant && len(wrong) == 0 {
		return
	}
	if !hasWant && len(wrong) == 0 {
		if legacyAlias {
			return // legacy-field names the block this generation expects
		}
		c.at(path+".method", false, RuleSettingsBlock,
			fmt.Sprintf("method %s has no %s block", raw, want),
			fmt.Sprintf("method %s takes its settings in %s:\n%s", raw, want, entrySnippet(gen, method, nil)))
		return
	}
	for _, k := range wrong {
		m, _ := gen.BlockMethod(k)
		if hasWant {
			c.at(path+"."+k, true, RuleUnusedSettings,
				fmt.Sprintf("%s is ignored: the broker reads only %s, the block of this entry's method %s", k, want, raw),
				fmt.Sprintf("delete %s (or move it to its own entry with method: %s); "+
					"%s", k, gen.MethodValue(m), assumption.OtherBlocksIgnored.Says))
			continue
		}
		hint := fmt.Sprintf("under method: %s the settings block is %s:\n%s", raw, want, entrySnippet(gen, method, child(e, want)))
		hint += fmt.Sprintf("or, if %s is what you meant, set method: %s", k, gen.MethodValue(m))
		c.at(path+"."+k, true, RuleSettingsBlock,
			fmt.Sprintf("%s is the settings block of method %s, not of method %s", k, gen.MethodValue(m), raw), hint)
	}
}

// customFallthrough notes the entries that only run when a Custom entry's
// server is unreachable.
func (c *docCheck) customFallthrough(info *authnInfo, nodes []*yaml.Node) {
	for i, e := range info.entries {
		if e.method != v1.MethodCustom || i == len(info.entries)-1 {
			continue
		}
		var later []string
		for _, l := range info.entries[i+1:] {
			raw, _ := str(child(nodes[l.index], "method"))
			later = append(later, fmt.Sprintf("%d (%s)", l.index, raw))
		}
		word, verb := "entry", "decides"
		if len(later) > 1 {
			word, verb = "entries", "decide"
		}
		c.at(e.path+".method", false, RuleCustomFallthrough,
			fmt.Sprintf("%s %s after this Custom entry %s only when the custom auth server is unreachable", word, strings.Join(later, ", "), verb),
			"the custom server's Pass or Fail ends the chain; move the Custom entry last if the other methods should decide first")
		return
	}
}

type audienceAt struct {
	value, path string
}

// audienceMix notes preview and GA default audiences used together, or the
// preview one under v1.
func (c *docCheck) audienceMix(gen api.Generation, auds []audienceAt) {
	preview, ga := api.GenMid2024.DefaultAudience(), api.GenV1.DefaultAudience()
	var mq, internal *audienceAt
	for i := range auds {
		switch auds[i].value {
		case preview:
			if mq == nil {
				mq = &auds[i]
			}
		case ga:
			if internal == nil {
				internal = &auds[i]
			}
		}
	}
	switch {
	case mq != nil && internal != nil:
		c.at(mq.path, false, RuleAudienceMix,
			fmt.Sprintf("audiences mix %q (the preview default) with %q (the GA default)", preview, ga),
			fmt.Sprintf("GA brokers' own clients use %s; keep %s only for clients still requesting preview tokens", ga, preview))
	case mq != nil && gen == api.GenV1:
		c.at(mq.path, false, RuleAudienceMix,
			fmt.Sprintf("%q is the preview's default audience; GA brokers use %q", preview, ga),
			renderYAML(mapNode("audiences", flowSeq(ga))))
	}
}

// previewAPI notes a v1beta1 resource of the 2025 preview shape, which is
// v1's: valid as it is, and convertible by changing the apiVersion alone.
func (c *docCheck) previewAPI() {
	d := c.doc
	what := "v1beta1 " + d.Kind + " of the 2025 preview, whose shape is v1's"
	if d.Kind == api.KindBrokerAuthentication {
		what = "v1beta1 " + d.Kind + " in " + c.shape.Describe()
	}
	c.at("apiVersion", false, RulePreviewAPI,
		fmt.Sprintf("%s: valid; every field it has is in %s/v1 too", what, api.Group),
		"to move to v1, change only the apiVersion:\n  kubectl aio-authn convert "+ui.ShellQuote(convertFile(d.File))+" --to v1")
}

// oldAPI reports a resource of the mid-2024 preview. When the CRD does not
// serve the version, the API server refuses it: the finding carries the
// verdict, though its severity stays the contract's warning.
func (c *docCheck) oldAPI() {
	d := c.doc
	msg := fmt.Sprintf("%s in %s, which no broker serves any more", d.APIVersion, c.shape.Describe())
	f := c.at("apiVersion", false, RuleOldAPI, msg, convertHint(d.File))
	f.rejects = c.unserved
}

// convertHint is the command that rewrites a file of an older generation.
func convertHint(file string) string {
	return fmt.Sprintf("convert it to v1:\n  kubectl aio-authn convert %s --to v1", ui.ShellQuote(convertFile(file)))
}

// convertFile is how convert names the input: "-" for stdin.
func convertFile(file string) string {
	if file == "" || file == input.StdinName {
		return "-"
	}
	return file
}

// check2023 checks a resource of the 2023 preview group: it is always an
// older generation, and published examples pair its apiVersion with the v1
// shape.
func (c *docCheck) check2023() {
	d := c.doc
	entries := items(child(child(d.Root, "spec"), "authenticationMethods"))
	v1Shape := ""
	for i, e := range entries {
		for _, k := range keys(e) {
			if k == "method" {
				v1Shape = fmt.Sprintf("%s[%d].method", methodsPath, i)
				break
			}
			if _, ok := api.GenV1.BlockMethod(k); ok {
				v1Shape = fmt.Sprintf("%s[%d].%s", methodsPath, i, k)
				break
			}
		}
		if v1Shape != "" {
			break
		}
	}
	if d.Kind == api.KindBrokerListener {
		for i, p := range items(child(child(d.Root, "spec"), "ports")) {
			if child(p, "authenticationRef") != nil {
				v1Shape = fmt.Sprintf("spec.ports[%d].authenticationRef", i)
				break
			}
		}
	}
	if v1Shape != "" {
		c.at("apiVersion", false, RuleGenerationMismatch,
			fmt.Sprintf("apiVersion %s is the 2023 preview, but %s is of the v1 shape", d.APIVersion, v1Shape),
			fmt.Sprintf("apiVersion: %s/v1\nor let convert rewrite the whole document:\n  kubectl aio-authn convert %s --to v1", api.Group, ui.ShellQuote(convertFile(d.File))))
		return
	}
	c.at("apiVersion", false, RuleOldAPI,
		fmt.Sprintf("%s is the 2023 preview API, which current brokers do not serve", d.APIVersion),
		convertHint(d.File))
}
