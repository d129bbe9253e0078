// Package crds embeds the CustomResourceDefinitions of BrokerAuthentication and
// BrokerListener that controller-gen generates from pkg/api (hack/gen-crds.sh).
// validate checks manifests against them; `crds` prints them.
package crds

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.yaml
var files embed.FS

// YAML returns the CRD manifests, one per kind, sorted by file name.
func YAML() [][]byte {
	names, err := fs.Glob(files, "*.yaml")
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
