package lint

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/crds"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// TestDifferential sends every case of testdata/schema to a real
// kube-apiserver with the project's CRDs installed, as a server-side
// dry-run create with fieldValidation=Strict (what `kubectl apply
// --dry-run=server` does), and checks that the server's verdict (accepted
// or rejected) is the offline schema verdict of validate. The directory a
// case is in (accepted/ or rejected/) states the verdict both must give.
// validate's two schema engines must give the same reasons.
func TestDifferential(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/schema/*/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no schema cases: %v", err)
	}
	cp := testenv.StartDifferential(t, testenv.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cp.InstallCRDs(ctx, crds.YAML()); err != nil {
		t.Fatal(err)
	}
	httpClient, err := rest.HTTPClientFor(cp.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	token := cp.RESTConfig().BearerToken
	namespaces := map[string]bool{}

	for _, path := range paths {
		name := filepath.ToSlash(strings.TrimPrefix(path, "../../"))
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f := manifest.Parse(name, data)
			if len(f.Documents) != 1 {
				t.Fatalf("a schema case holds exactly one document, got %d", len(f.Documents))
			}
			d := f.Documents[0]
			reasons := schemaRejections(f, EngineFast)[0]
			if machinery := schemaRejections(f, EngineAPIServer)[0]; !slices.Equal(reasons, machinery) {
				t.Errorf("the schema engines differ: fast %q, apiserver %q", reasons, machinery)
			}
			offline := len(reasons) > 0

			ns := d.Namespace
			if ns == "" {
				ns = requestNamespace
			}
			if !namespaces[ns] {
				if err := cp.CreateNamespace(ns); err != nil {
					t.Fatal(err)
				}
				namespaces[ns] = true
			}
			plural := strings.ToLower(d.Kind) + "s"
			url := fmt.Sprintf("%s/apis/%s/%s/namespaces/%s/%s?dryRun=All&fieldValidation=Strict",
				cp.Server(), d.Group(), d.Version(), ns, plural)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/yaml")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var server bool
			switch {
			case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
				server = false
			case resp.StatusCode >= 400 && resp.StatusCode < 500:
				server = true
			default:
				t.Fatalf("unexpected response %s: %s", resp.Status, body)
			}
			if offline != server {
				t.Errorf("verdicts differ: API server rejected=%v (%s: %s), validate rejected=%v %q",
					server, resp.Status, body, offline, reasons)
			}
			want := strings.Contains(name, "/rejected/")
			if server != want {
				t.Errorf("the case is under %s but the API server said rejected=%v (%s)", filepath.Base(filepath.Dir(name)), server, body)
			}
		})
	}
}
