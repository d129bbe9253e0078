// Package crds embeds the CustomResourceDefinitions of BrokerAuthentication and
// BrokerListener that controller-gen generates from pkg/api (hack/gen-crds.sh).
// validate checks manifests against them (pkg/lint); `crds` prints them.
package crds

import (
	"embed"
	"io/fs"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

//go:embed *.yaml mid2024/*.yaml json/*.json json/mid2024/*.json
var files embed.FS

// YAML returns the CRD manifests, one per kind, sorted by file name.
func YAML() [][]byte { return read("*.yaml") }

// Mid2024YAML returns the schema of the mid-2024 preview
// BrokerAuthentication, in the form of a CRD. It shares its apiVersion
// (v1beta1) with the 2025 preview in YAML but not its shape, and no broker
// serves it: it is not a CRD to install, only what validate checks such
// manifests against.
func Mid2024YAML() [][]byte { return read("mid2024/*.yaml") }

// JSON returns the CRDs of YAML, in the same order, as JSON: what validate
// decodes, faster than YAML at startup. A test checks that both decode to
// the same CRDs (hack/gen-crds.sh writes them).
func JSON() [][]byte { return read("json/*.json") }

// Mid2024JSON is Mid2024YAML as JSON.
func Mid2024JSON() [][]byte { return read("json/mid2024/*.json") }

func read(pattern string) [][]byte {
	names, err := fs.Glob(files, pattern)
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	sort.Strings(names)
	out := make([][]byte, 0, len(names))
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		out = append(out, b)
	}
	return out
}

// Kinds lists "apiVersion kind" for every version of every embedded CRD,
// sorted.
func Kinds() []string {
	var out []string
	for _, data := range YAML() {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil {
			panic(err) // the embedded CRDs are generated and tested
		}
		for _, v := range crd.Spec.Versions {
			out = append(out, crd.Spec.Group+"/"+v.Name+" "+crd.Spec.Names.Kind)
		}
	}
	sort.Strings(out)
	return out
}
