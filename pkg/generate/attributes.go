package generate

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// attributesExample is the shape an --x509-attributes file has, for error
// messages.
const attributesExample = `root: {subject: "CN = Contoso Root CA Cert, OU = Engineering, C = US", attributes: {organization: contoso}}`

// LoadAttributes reads an --x509-attributes file: a YAML or JSON mapping of
// names to {subject, attributes}, the value of x509Settings.authorizationAttributes
// (a file holding that one key is accepted too). Errors name the file and
// line.
func LoadAttributes(path string) (map[string]v1.BrokerAuthenticatorMethodX509Attributes, error) {
	data, err := input.ReadFile(path, input.Attributes)
	if err != nil {
		return nil, err
	}
	return ParseAttributes(path, data)
}

// ParseAttributes is LoadAttributes for data already read; name is used in
// errors.
func ParseAttributes(name string, data []byte) (map[string]v1.BrokerAuthenticatorMethodX509Attributes, error) {
	f := manifest.ParseAs(name, data, input.Attributes)
	if f.Err != nil {
		return nil, f.Err
	}
	for _, d := range f.Documents {
		if p := d.AliasProblem(); p != nil {
			return nil, fmt.Errorf("%s:%d: %s: write the repeated parts out", name, p.Pos.Line, p.Msg)
		}
	}
	if len(f.Documents) == 0 {
		return nil, fmt.Errorf("%s: no attributes: write a mapping like %s", name, attributesExample)
	}
	if len(f.Documents) > 1 {
		return nil, fmt.Errorf("%s:%d: more than one YAML document: put every entry in one mapping", name, f.Documents[1].Line)
	}
	p := attributesParser{file: name}
	root := manifest.Resolve(f.Documents[0].Root)
	if root.Kind == yaml.MappingNode && len(root.Content) == 2 && root.Content[0].Value == "authorizationAttributes" {
		root = manifest.Resolve(root.Content[1])
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errorf(root, "expected a mapping of names to {subject, attributes}, like %s", attributesExample)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Value == "apiVersion" || k.Value == "kind" {
			return nil, p.errorf(k, "this is a Kubernetes manifest; the file holds only the attributes mapping, like %s", attributesExample)
		}
	}
	out := map[string]v1.BrokerAuthenticatorMethodX509Attributes{}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := manifest.Resolve(root.Content[i]), manifest.Resolve(root.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, p.errorf(k, "entry names must be non-empty strings")
		}
		if line, dup := seen[k.Value]; dup {
			return nil, p.errorf(k, "entry %q appears twice (first at line %d)", k.Value, line)
		}
		seen[k.Value] = k.Line
		entry, err := p.entry(k.Value, v)
		if err != nil {
			return nil, err
		}
		out[k.Value] = entry
	}
	return out, nil
}

type attributesParser struct{ file string }

func (p attributesParser) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
}

func (p attributesParser) entry(name string, v *yaml.Node) (v1.BrokerAuthenticatorMethodX509Attributes, error) {
	var e v1.BrokerAuthenticatorMethodX509Attributes
	if v.Kind != yaml.MappingNode {
		return e, p.errorf(v, "%s: expected {subject, attributes}, like %s", name, attributesExample)
	}
	var subject, attrs *yaml.Node
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := manifest.Resolve(v.Content[i]), manifest.Resolve(v.Content[i+1])
		switch k.Value {
		case "subject":
			subject = val
		case "attributes":
			attrs = val
		default:
			return e, p.errorf(k, "%s: unknown key %q: an entry has only subject and attributes", name, k.Value)
		}
	}
	if subject == nil {
		return e, p.errorf(v, "%s: subject is missing: the distinguished name of a certificate in the client's chain", name)
	}
	if subject.Kind != yaml.ScalarNode || subject.Tag != "!!str" || subject.Value == "" {
		return e, p.errorf(subject, "%s.subject: expected a distinguished name like \"CN = my-device, O = Contoso\"", name)
	}
	if _, err := dn.Parse(subject.Value); err != nil {
		return e, p.errorf(subject, "%s.subject: %v", name, err)
	}
	e.Subject = subject.Value
	if attrs == nil {
		return e, p.errorf(v, "%s: attributes are missing: write attributes: {} for none", name)
	}
	if attrs.Kind != yaml.MappingNode {
		return e, p.errorf(attrs, "%s.attributes: expected a mapping of attribute names to string values", name)
	}
	e.Attributes = map[string]string{}
	for i := 0; i+1 < len(attrs.Content); i += 2 {
		k, val := manifest.Resolve(attrs.Content[i]), manifest.Resolve(attrs.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return e, p.errorf(k, "%s.attributes: names must be non-empty strings", name)
		}
		if val.Kind != yaml.ScalarNode || val.Tag == "!!null" {
			return e, p.errorf(val, "%s.attributes.%s: expected a string value", name, k.Value)
		}
		if val.Tag != "!!str" || (val.Style == 0 && yaml11Bools[val.Value]) {
			// kubectl would send 17 or true, which the schema refuses.
			return e, p.errorf(val, "%s.attributes.%s: %s is not a string: quote it (%q)", name, k.Value, val.Value, val.Value)
		}
		if _, dup := e.Attributes[k.Value]; dup {
			return e, p.errorf(k, "%s.attributes: %q appears twice", name, k.Value)
		}
		e.Attributes[k.Value] = val.Value
	}
	return e, nil
}

// yaml11Bools are the unquoted words kubectl's YAML 1.1 reader turns into
// booleans, which yaml.v3 reads as strings.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true, "off": true, "Off": true, "OFF": true,
}
