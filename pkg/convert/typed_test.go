package convert

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// testdataRoots hold the manifests the tests read, older generations
// among them.
var testdataRoots = []string{"../../testdata", "../api/testdata", "../generate/testdata", "../lint/testdata", "../../e2e/testdata"}

// TestNodeConversionIsTheTypedConversion converts every BrokerAuthentication
// of an older generation in the test data twice, as convert rewrites YAML
// and as explain and audit decode it, and requires the same v1 object. The
// two share the rename table but not the code that walks a document.
func TestNodeConversionIsTheTypedConversion(t *testing.T) {
	compared := 0
	for _, root := range testdataRoots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if os.IsNotExist(err) && path == root {
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() || !manifest.IsManifestName(path) {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, c := range split(data) {
				compared += compareConversions(t, path, c)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if compared < 10 {
		t.Fatalf("only %d documents of an older generation found: the test data moved?", compared)
	}
	t.Logf("%d documents compared", compared)
}

// compareConversions compares the two conversions of the chunk's document,
// if it is a BrokerAuthentication of an older generation, and returns how
// many it compared.
func compareConversions(t *testing.T, path string, c chunk) int {
	t.Helper()
	f := manifest.Parse(path, c.body)
	if f.Err != nil || len(f.Documents) != 1 {
		return 0
	}
	d := f.Documents[0]
	if d.Kind != api.KindBrokerAuthentication || (d.APIVersion != api.APIVersionV1beta1 && d.APIVersion != api.APIVersion2023) {
		return 0
	}
	where := fmt.Sprintf("%s:%d", path, c.bodyLine)
	data, _, err := d.JSON()
	if err != nil {
		return 0 // not a document either reader takes
	}
	typed, notes, typedErr := api.DecodeBrokerAuthentication(d.APIVersion, data)
	res, nodeErr := File(path, c.body)
	switch {
	case nodeErr != nil && typedErr != nil:
		return 1
	case nodeErr != nil:
		// convert refuses what it cannot carry over; the lenient reader
		// must at least say it dropped it.
		if !strings.Contains(strings.Join(notes, "\n"), "ignored") {
			t.Errorf("%s: convert refuses (%v), the typed conversion accepts it without a word: %v", where, nodeErr, notes)
		}
		return 1
	case typedErr != nil:
		t.Errorf("%s: the typed conversion refuses (%v), convert accepts it", where, typedErr)
		return 1
	}
	out := manifest.Parse(path, res.Output)
	if out.Err != nil || len(out.Documents) != 1 {
		t.Fatalf("%s: convert's output does not parse: %v", where, out.Err)
	}
	data, _, err = out.Documents[0].JSON()
	if err != nil {
		t.Fatal(err)
	}
	node, _, err := api.DecodeBrokerAuthentication(out.Documents[0].APIVersion, data)
	if err != nil {
		t.Fatalf("%s: convert's output does not decode: %v", where, err)
	}
	if !reflect.DeepEqual(node, typed) {
		t.Errorf("%s: the conversions differ\nconvert:\n%s\ntyped:\n%s", where, dump(node), dump(typed))
	}
	return 1
}

func dump(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
