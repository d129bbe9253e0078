package api

import (
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api/mid2024"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// EnumField is a field whose value is one of the API's enums. The cluster
// takes the values in any letter case; Values are the canonical spellings,
// which generate and convert write and validate suggests.
type EnumField struct {
	// Kind is BrokerAuthentication or BrokerListener.
	Kind string
	// Path is the field path, with [*] for any list item.
	Path   string
	Values []string
}

// EnumFields are the enum fields of v1, which the 2025 v1beta1 shares. The
// CRD schema gives each a case-insensitive pattern of the same values (a
// test in pkg/api/crds checks that they agree).
var EnumFields = []EnumField{
	{KindBrokerAuthentication, "spec.authenticationMethods[*].method", values(v1.Methods)},
	{KindBrokerAuthentication, "spec.authenticationMethods[*].x509Settings.additionalValidation", values(v1.AdditionalValidations)},
	{KindBrokerListener, "spec.serviceType", values(v1.ServiceTypes)},
	{KindBrokerListener, "spec.ports[*].protocol", values(v1.Protocols)},
	{KindBrokerListener, "spec.ports[*].tls.mode", values(v1.TLSModes)},
	{KindBrokerListener, "spec.ports[*].tls.certManagerCertificateSpec.issuerRef.kind", values(v1.IssuerKinds)},
	{KindBrokerListener, "spec.ports[*].tls.certManagerCertificateSpec.privateKey.algorithm", values(v1.PrivateKeyAlgorithms)},
	{KindBrokerListener, "spec.ports[*].tls.certManagerCertificateSpec.privateKey.rotationPolicy", values(v1.RotationPolicies)},
}

// Mid2024EnumFields are the enum fields of the mid-2024 preview
// BrokerAuthentication.
var Mid2024EnumFields = []EnumField{
	{KindBrokerAuthentication, "spec.authenticationMethods[*].method", values(mid2024.Methods)},
}

func values[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

var listIndex = regexp.MustCompile(`\[\d+\]`)

// EnumAt returns the enum field of kind at path (a concrete field path such
// as spec.ports[2].tls.mode) among fields, if there is one.
func EnumAt(fields []EnumField, kind, path string) (EnumField, bool) {
	return enumAtGeneric(fields, kind, listIndex.ReplaceAllString(path, "[*]"))
}

// enumAtGeneric is EnumAt of a path with [*] for list indexes already.
func enumAtGeneric(fields []EnumField, kind, generic string) (EnumField, bool) {
	for _, f := range fields {
		if f.Kind == kind && f.Path == generic {
			return f, true
		}
	}
	return EnumField{}, false
}

// Spelling is an enum value written in another letter case than the API's.
type Spelling struct {
	// Path is the field path, e.g. spec.ports[0].tls.mode.
	Path string
	// Node is the value's scalar, with its position and text.
	Node *yaml.Node
	// Canonical is the API's spelling.
	Canonical string
}

// NoncanonicalSpellings finds, in a document of kind, the enum fields whose
// value is a known one in another letter case: what the cluster accepts and
// validate notes, and what convert rewrites.
func NoncanonicalSpellings(root *yaml.Node, kind string, fields []EnumField) []Spelling {
	var out []Spelling
	// generic is the path with [*] for list indexes, as EnumAt reads
	// the path (its list indexes cannot run across keys, which follow a
	// dot): the walk goes only where an enum field of kind may be, and
	// builds a child's path only then.
	var walk func(n *yaml.Node, path, generic string, depth int)
	walk = func(n *yaml.Node, path, generic string, depth int) {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || depth > 32 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p, g := n.Content[i].Value, n.Content[i].Value
				if strings.ContainsRune(g, '[') {
					g = listIndex.ReplaceAllString(g, "[*]")
				}
				if path != "" {
					g = generic + "." + g
				}
				if !enumUnder(fields, kind, g) {
					continue
				}
				if path != "" {
					p = path + "." + p
				}
				walk(n.Content[i+1], p, g, depth+1)
			}
		case yaml.SequenceNode:
			g := generic + "[*]"
			if !enumUnder(fields, kind, g) {
				return
			}
			for i, it := range n.Content {
				walk(it, path+"["+strconv.Itoa(i)+"]", g, depth+1)
			}
		case yaml.ScalarNode:
			f, ok := enumAtGeneric(fields, kind, generic)
			if !ok {
				return
			}
			if c, ok := v1.Canonical(n.Value, f.Values); ok && c != n.Value {
				out = append(out, Spelling{Path: path, Node: n, Canonical: c})
			}
		}
	}
	walk(root, "", "", 0)
	return out
}

// enumUnder reports whether an enum field of kind is at generic (a path
// with [*] for list indexes) or under it.
func enumUnder(fields []EnumField, kind, generic string) bool {
	if generic == "" {
		return true
	}
	for _, f := range fields {
		if f.Kind == kind && strings.HasPrefix(f.Path, generic) &&
			(len(f.Path) == len(generic) || f.Path[len(generic)] == '.' || f.Path[len(generic)] == '[') {
			return true
		}
	}
	return false
}
