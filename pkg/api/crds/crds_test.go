package crds

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// TestCommittedCRDsAreGenerated proves the embedded CRDs are exactly what
// controller-gen makes of the Go types and markers now: the CRDs are the
// schema validate uses, so a marker changed without regenerating would make
// validate and the types disagree.
func TestCommittedCRDsAreGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs controller-gen; skipped under -short")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(root, "hack", "gen-crds.sh"), out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/gen-crds.sh: %v\n%s", err, b)
	}
	var generated, committed []string
	for _, pattern := range []string{"*.yaml", filepath.Join("mid2024", "*.yaml")} {
		g, err := filepath.Glob(filepath.Join(out, pattern))
		if err != nil {
			t.Fatal(err)
		}
		c, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		generated, committed = append(generated, g...), append(committed, c...)
	}
	if len(generated) != len(committed) {
		t.Fatalf("controller-gen made %d CRDs, %d are committed: run `bash hack/gen-crds.sh`", len(generated), len(committed))
	}
	for _, g := range generated {
		want, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel(out, g)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(rel)
		if err != nil {
			t.Fatalf("%s is generated but not committed: run `bash hack/gen-crds.sh`", rel)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("pkg/api/crds/%s is stale: run `bash hack/gen-crds.sh` and commit the result", rel)
		}
	}
}

// TestCRDsAreAcceptedByTheAPIServer runs the API server's own validation of
// CustomResourceDefinitions on the embedded ones, including the static cost
// estimate of the CEL rules, which rejects rules that may be too expensive
// on large objects.
func TestCRDsAreAcceptedByTheAPIServer(t *testing.T) {
	docs := YAML()
	if len(docs) != 2 {
		t.Fatalf("%d CRDs embedded, want 2", len(docs))
	}
	for _, data := range docs {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			t.Fatal(err)
		}
		t.Run(crd.Name, func(t *testing.T) {
			scheme := runtime.NewScheme()
			if err := apiextensionsv1.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			if err := apiextensions.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			scheme.Default(&crd)
			var internal apiextensions.CustomResourceDefinition
			if err := scheme.Convert(&crd, &internal, nil); err != nil {
				t.Fatal(err)
			}
			if errs := apiextensionsvalidation.ValidateCustomResourceDefinition(context.Background(), &internal); len(errs) > 0 {
				t.Errorf("the API server would reject %s:\n%v", crd.Name, errs.ToAggregate())
			}
		})
	}
}

func TestKinds(t *testing.T) {
	want := strings.Join([]string{
		"mqttbroker.iotoperations.azure.com/v1 BrokerAuthentication",
		"mqttbroker.iotoperations.azure.com/v1 BrokerListener",
		"mqttbroker.iotoperations.azure.com/v1beta1 BrokerAuthentication",
		"mqttbroker.iotoperations.azure.com/v1beta1 BrokerListener",
	}, "\n")
	if got := strings.Join(Kinds(), "\n"); got != want {
		t.Errorf("Kinds:\n%s\nwant\n%s", got, want)
	}
}

// TestEmbeddedJSONMatchesYAML checks that the JSON copies of the CRDs
// decode to the same CRDs as the YAML. With UPDATE_CRD_JSON=1 it writes
// them (hack/gen-crds.sh does).
func TestEmbeddedJSONMatchesYAML(t *testing.T) {
	for _, dir := range []string{".", "mid2024"} {
		names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil || len(names) == 0 {
			t.Fatalf("no CRDs in %s: %v", dir, err)
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			var fromYAML, fromJSON apiextensionsv1.CustomResourceDefinition
			if err := yaml.Unmarshal(data, &fromYAML); err != nil {
				t.Fatal(err)
			}
			jsonName := filepath.Join("json", dir, strings.TrimSuffix(filepath.Base(name), ".yaml")+".json")
			if os.Getenv("UPDATE_CRD_JSON") != "" {
				b, err := json.Marshal(&fromYAML)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Dir(jsonName), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(jsonName, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(jsonName)
			if err != nil {
				t.Fatalf("%v: run hack/gen-crds.sh", err)
			}
			if err := json.Unmarshal(b, &fromJSON); err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(fromYAML, fromJSON) {
				t.Errorf("%s does not decode to the CRD of %s: run hack/gen-crds.sh", jsonName, name)
			}
		}
	}
	if len(JSON()) != len(YAML()) || len(Mid2024JSON()) != len(Mid2024YAML()) {
		t.Errorf("embedded: %d JSON for %d YAML CRDs, %d for %d mid-2024", len(JSON()), len(YAML()), len(Mid2024JSON()), len(Mid2024YAML()))
	}
}
