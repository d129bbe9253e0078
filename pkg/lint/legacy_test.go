package lint

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// TestLegacyFieldForEveryRename writes each name of api.Renames into a
// document of a generation that has another name (or none) for it, where
// the table says it goes, and expects a legacy-field finding on it naming
// the generation it comes from: the rule knows every rename convert knows.
func TestLegacyFieldForEveryRename(t *testing.T) {
	apiVersions := map[api.Generation]string{api.GenV1: api.APIVersionV1, api.GenMid2024: api.APIVersionV1beta1}
	settings := map[v1.Method]map[string]any{
		v1.MethodServiceAccountToken: {"audiences": []string{"aio-internal"}},
		v1.MethodX509:                {"trustedClientCaCert": "client-ca"},
		v1.MethodCustom:              {"endpoint": "https://auth.example.com"},
	}
	for _, gen := range []api.Generation{api.GenV1, api.GenMid2024} {
		for _, r := range api.Renames {
			if r.Where == api.MethodValue {
				continue
			}
			for _, from := range api.Generations {
				key := r.Names[from]
				if from == gen || key == "" || key == r.Names[gen] || newerNames(r, from, gen, key) {
					continue
				}
				t.Run(fmt.Sprintf("%s in %v", key, gen), func(t *testing.T) {
					m := r.Method
					if m == "" {
						m = v1.MethodX509
					}
					block := map[string]any{}
					for k, v := range settings[m] {
						block[k] = v
					}
					entry := map[string]any{"method": gen.MethodValue(m), gen.Block(m): block}
					spec := map[string]any{"authenticationMethods": []any{entry}}
					path := "spec.authenticationMethods[0]"
					switch r.Where {
					case api.InSpec:
						spec[key], path = []string{"listener"}, "spec."+key
					case api.InEntry:
						entry[key], path = map[string]any{}, path+"."+key
					case api.InBlock:
						in := block
						path += "." + gen.Block(m)
						if r.Path != "" {
							for _, k := range strings.Split(r.Path, ".") {
								next := map[string]any{}
								in[k], in = next, next
							}
							path += "." + r.Path
						}
						in[key], path = "value", path+"."+key
					}
					doc := map[string]any{"apiVersion": apiVersions[gen], "kind": api.KindBrokerAuthentication,
						"metadata": map[string]any{"name": "authn", "namespace": api.BrokerNamespace}, "spec": spec}
					data, err := yaml.Marshal(doc)
					if err != nil {
						t.Fatal(err)
					}
					res := Lint([]*manifest.File{manifest.Parse("a.yaml", data)}, Options{Now: testNow})
					want := RuleLegacyField
					if gen == api.GenMid2024 && r.Where == api.InEntry && from == api.GenV1 && r.Method != "" {
						// A v1 settings block beside a mid-2024 one mixes the
						// two v1beta1 shapes: one finding in the entry says so.
						want, path = RuleGenerationMismatch, "spec.authenticationMethods[0]."
					}
					for _, f := range res.Findings {
						if want == RuleGenerationMismatch && f.Rule == want && strings.HasPrefix(f.Field, path) {
							return
						}
						if want == RuleLegacyField && f.Rule == want && f.Field == path {
							if want := fmt.Sprintf("%s is the %v name", key, from); !strings.Contains(f.Message, want) {
								t.Errorf("message %q lacks %q", f.Message, want)
							}
							return
						}
					}
					t.Errorf("no %s finding at %s in:\n%s\nfindings: %+v", want, path, data, res.Findings)
				})
			}
		}
	}
}

// newerNames reports whether a generation newer than from, other than gen,
// also calls the field key: the finding names the newest.
func newerNames(r *api.Rename, from, gen api.Generation, key string) bool {
	for g := from + 1; g <= api.GenV1; g++ {
		if g != gen && r.Names[g] == key {
			return true
		}
	}
	return false
}
