package crds

import (
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
)

// TestEnumPatterns proves that the case-insensitive pattern the CRD gives
// each enum field lists exactly the values of api.EnumFields, which validate
// suggests and convert writes: the two cannot drift apart.
func TestEnumPatterns(t *testing.T) {
	check := func(t *testing.T, docs [][]byte, fields []api.EnumField) {
		t.Helper()
		for _, data := range docs {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := yaml.Unmarshal(data, &crd); err != nil {
				t.Fatal(err)
			}
			for _, v := range crd.Spec.Versions {
				n := 0
				for _, f := range fields {
					if f.Kind != crd.Spec.Names.Kind {
						continue
					}
					n++
					s := v.Schema.OpenAPIV3Schema
					for _, seg := range strings.Split(f.Path, ".") {
						name, list := strings.CutSuffix(seg, "[*]")
						p, ok := s.Properties[name]
						if !ok {
							t.Fatalf("%s %s: no field %s in the schema", crd.Name, v.Name, f.Path)
						}
						s = &p
						if list {
							s = s.Items.Schema
						}
					}
					want := "^(?i)(" + strings.Join(f.Values, "|") + ")$"
					if s.Pattern != want {
						t.Errorf("%s %s %s: pattern %q, want %q", crd.Name, v.Name, f.Path, s.Pattern, want)
					}
					if len(s.Enum) > 0 {
						t.Errorf("%s %s %s: a strict enum refuses other letter cases, which the cluster accepts", crd.Name, v.Name, f.Path)
					}
				}
				if n == 0 {
					t.Errorf("%s: no enum field checked", crd.Name)
				}
			}
		}
	}
	check(t, YAML(), api.EnumFields)
	check(t, Mid2024YAML(), api.Mid2024EnumFields)
}
