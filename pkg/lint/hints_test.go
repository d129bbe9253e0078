package lint

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// hintInputs are manifests that trigger every rule whose hint shows YAML,
// beyond the example and corpus files.
var hintInputs = map[string]string{
	"api-version.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v2
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`,
	"legacy.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountToken: {audiences: [aio-internal]}
  - sat: {audiences: [aio-internal]}
  - method: Custom
    customSettings:
      endpoint: http://auth.example.com
      caCert: server-ca
      auth: {x509: {secretName: client-cert}}
  - method: X509
    x509Settings:
      attributes: {secretName: x509-attributes}
`,
	"mid-2024.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: Custom
    custom:
      endpoint: https://auth.example.com
      caCertConfigMap: server-ca
  - method: x509Credentials
    x509Credentials: {trustedClientCaCert: client-ca}
  - method: ServiceAccountToken
`,
	"audiences.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-mq]}
  - method: Custom
    customSettings: {endpoint: "https://a.example"}
    serviceAccountTokenSettings: {audiences: []}
---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {namespace: other}
spec:
  authenticationMethods:
  - method: serviceAccountToken
    serviceAccountTokenSettings: {audiences: []}
`,
	"toml-parses.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: X509
    x509Settings:
      authorizationAttributes:
        root:
          subject = "CN = Contoso Root CA Cert, OU = Engineering, C = US"
`,
}

// yamlKeyLine is a line that starts a mapping entry at the top level.
var yamlKeyLine = regexp.MustCompile(`^[A-Za-z_][\w.-]*:( |$)`)

// hintKey is a field name as hints write them.
var hintKey = regexp.MustCompile(`^[A-Za-z_][\w.-]*$`)

// hintSnippet takes the YAML out of a hint: the hint itself, or the lines
// indented under an introduction ending in a colon, up to the next line
// that is not indented. ok is false when that is not YAML with field names
// as keys (prose, a command, a question).
func hintSnippet(hint string) (snippet string, ok bool) {
	lines := strings.Split(hint, "\n")
	var out []string
	if intro := lines[0]; strings.HasSuffix(intro, ":") && strings.Contains(intro, " ") {
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "  ") {
				break
			}
			out = append(out, l[2:])
		}
	} else {
		out = append(out, lines[0])
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, " ") && !yamlKeyLine.MatchString(l) {
				break
			}
			out = append(out, l)
		}
	}
	snippet = strings.Join(out, "\n")
	var n yaml.Node
	if snippet == "" || yaml.Unmarshal([]byte(snippet), &n) != nil || len(n.Content) == 0 {
		return "", false
	}
	root := n.Content[0]
	if root.Kind == yaml.SequenceNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return "", false
	}
	for i := 0; i < len(root.Content); i += 2 {
		if !hintKey.MatchString(root.Content[i].Value) {
			return "", false
		}
	}
	return snippet, true
}

// TestHintsAreValidYAML renders every hint that shows YAML into the
// document it is meant for, at the place its finding names, and validates
// the result: the finding must go away and the document must not gain an
// error. A YAML hint that cannot be placed fails the test, so a new one
// needs a way to be checked here.
func TestHintsAreValidYAML(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/validate/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../testdata/realworld/*.yaml")
	paths = append(paths, more...)
	more, _ = filepath.Glob("../../testdata/schema/rejected/*.yaml")
	paths = append(paths, more...)
	inputs := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.ToSlash(strings.TrimPrefix(p, "../../"))] = data
	}
	for name, data := range hintInputs {
		inputs[name] = []byte(data)
	}
	rendered := map[string]int{}
	for name, data := range inputs {
		before := Lint([]*manifest.File{manifest.Parse(name, data)}, Options{Now: testNow})
		for _, f := range before.Findings {
			snippet, ok := hintSnippet(f.Hint)
			if !ok {
				continue
			}
			t.Run(fmt.Sprintf("%s:%d:%s", name, f.Line, f.Rule), func(t *testing.T) {
				fixed, err := applyHint(data, f, snippet)
				if err != nil {
					t.Fatalf("hint %q: %v", f.Hint, err)
				}
				after := Lint([]*manifest.File{manifest.Parse(name, fixed)}, Options{Now: testNow})
				for _, g := range after.Findings {
					if g.Rule == f.Rule && g.Field == f.Field && g.Document == f.Document && g.Message == f.Message {
						t.Errorf("the finding stays after its hint is applied:\n%s\n--- fixed document\n%s", f.Hint, fixed)
					}
				}
				if a, b := errorsIn(after, f.Document), errorsIn(before, f.Document); a > b {
					var buf bytes.Buffer
					_ = (&TextReporter{Styles: ui.PlainStyles()}).Report(&buf, after)
					t.Errorf("applying the hint adds errors (%d, was %d):\n%s\n--- fixed document\n%s\n--- findings\n%s", a, b, f.Hint, fixed, buf.String())
				}
			})
			rendered[f.Rule]++
		}
	}
	// Every rule known to show YAML must have been exercised.
	for _, r := range []string{RuleAPIVersion, RuleSATAudiences, RuleCustomHTTPS, RuleSettingsBlock, RuleTOMLSyntax,
		RuleLegacyField, RuleAudienceMix, RuleListenerX509TLS, RuleNoAuthn, RuleNoncanonical, RuleGenerationMismatch, RuleName} {
		if rendered[r] == 0 {
			t.Errorf("no YAML hint of rule %s was rendered and validated", r)
		}
	}
}

func errorsIn(res *Result, doc int) int {
	n := 0
	for _, f := range res.Findings {
		if f.Severity == SeverityError && f.Document == doc {
			n++
		}
	}
	return n
}

// applyHint puts the hint's YAML where the finding says and returns the
// file. A file that does not parse (TOML lines) gets the lines replaced as
// the hint shows them; otherwise the snippet's keys go into the mapping
// that holds the finding's field (a renamed field is removed), or its list
// item replaces the entry the field is in.
func applyHint(data []byte, f Finding, snippet string) ([]byte, error) {
	file := manifest.Parse(f.File, data)
	if file.Err != nil {
		if f.Rule != RuleTOMLSyntax {
			return nil, fmt.Errorf("a YAML hint for a file that does not parse (rule %s)", f.Rule)
		}
		lines := strings.Split(string(data), "\n")
		repl := strings.Split(snippet, "\n")
		base := strings.Repeat(" ", f.Column-1)
		for i := range repl {
			repl[i] = base + repl[i]
		}
		start := f.Line - 1
		out := append(append(append([]string(nil), lines[:start]...), repl...), lines[start+len(repl):]...)
		return []byte(strings.Join(out, "\n")), nil
	}
	if f.Document >= len(file.Documents) {
		return nil, fmt.Errorf("document %d not found", f.Document)
	}
	d := file.Documents[f.Document]
	var sn yaml.Node
	if err := yaml.Unmarshal([]byte(snippet), &sn); err != nil {
		return nil, err
	}
	patch := sn.Content[0]
	segs := splitPath(f.Field)
	if patch.Kind == yaml.SequenceNode {
		// An entry of the chain: replace the list item the field is in.
		i := len(segs) - 1
		for i >= 0 && segs[i].index < 0 {
			i--
		}
		if i < 0 {
			return nil, fmt.Errorf("an entry hint for %s, which is in no list", f.Field)
		}
		list := nodeAt(d.Root, segs[:i])
		if list == nil || list.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("no list at %s", f.Field)
		}
		list.Content[segs[i].index] = patch.Content[0]
		return encodeFile(file, d)
	}
	first := patch.Content[0].Value
	target := segs
	if len(target) > 0 {
		target = target[:len(target)-1]
	}
	for len(target) > 0 && target[len(target)-1].index < 0 && target[len(target)-1].key == first {
		target = target[:len(target)-1]
	}
	m := nodeAt(d.Root, target)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("no mapping holds %s", f.Field)
	}
	own := lastKey(f.Field)
	if f.Rule == RuleLegacyField && len(segs) > 0 && segs[len(segs)-1].index < 0 {
		removeKey(m, own)
	}
	for i := 0; i+1 < len(patch.Content); i += 2 {
		removeKey(m, patch.Content[i].Value)
		m.Content = append(m.Content, patch.Content[i], patch.Content[i+1])
	}
	return encodeFile(file, d)
}

func nodeAt(n *yaml.Node, segs []pathSegment) *yaml.Node {
	for _, s := range segs {
		if s.index >= 0 {
			n = resolve(n)
			if n == nil || n.Kind != yaml.SequenceNode || s.index >= len(n.Content) {
				return nil
			}
			n = resolve(n.Content[s.index])
			continue
		}
		n = child(n, s.key)
	}
	return resolve(n)
}

func removeKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// encodeFile writes every document of the file, the changed one included.
func encodeFile(file *manifest.File, _ *manifest.Document) ([]byte, error) {
	var buf bytes.Buffer
	for i, d := range file.Documents {
		if i > 0 {
			buf.WriteString("---\n")
		}
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(d.Root); err != nil {
			return nil, err
		}
		_ = enc.Close()
	}
	return buf.Bytes(), nil
}
