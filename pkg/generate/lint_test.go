package generate

import (
	"sort"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// lintBundle renders the objects into files and runs validate's engine on
// them together, as `kubectl aio-authn validate` would.
func lintBundle(t *testing.T, files map[string][]any) *lint.Result {
	t.Helper()
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var parsed []*manifest.File
	for _, name := range names {
		parsed = append(parsed, manifest.Parse(name, render(t, "yaml", nil, files[name]...)))
	}
	return lint.Lint(parsed, lint.Options{})
}

func findings(r *lint.Result) string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, string(f.Severity)+" "+f.Rule+" "+f.File+": "+f.Message)
	}
	return strings.Join(s, "\n")
}

// TestGeneratedBundlesPassValidate lints what generate writes with validate's
// own rules: a chain with its listener and test client has no error or
// warning, and the one combination generate warns about (X.509 on a port
// without TLS) is what validate reports too.
func TestGeneratedBundlesPassValidate(t *testing.T) {
	attrs, err := LoadAttributes("../../testdata/generate/attributes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	authn, err := Authn(AuthnOptions{Methods: []string{"custom", "sat", "x509"}, CustomEndpoint: "https://auth.example:8443",
		CustomCAConfigMap: "custom-auth-ca", CustomClientSecret: "auth-client", CustomHeaders: []string{"X-Tenant=contoso"},
		X509Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	listener, _, err := Listener(ListenerOptions{Authn: "default", Ports: []int{8883, 8884}})
	if err != nil {
		t.Fatal(err)
	}
	sa, pod, err := SATClient(SATClientOptions{CAConfigMap: DefaultCAConfigMap})
	if err != nil {
		t.Fatal(err)
	}
	res := lintBundle(t, map[string][]any{"authn.yaml": {authn}, "listener.yaml": {listener}, "client.yaml": {sa, pod}})
	if res.Summary.Errors > 0 || res.Summary.Warnings > 0 {
		t.Errorf("validate finds problems in generated manifests:\n%s", findings(res))
	}
	if res.Summary.Resources < 2 {
		t.Errorf("validate checked %d resources, want the authn and the listener at least", res.Summary.Resources)
	}

	plain, warnings, err := Listener(ListenerOptions{Authn: "default", Ports: []int{1883}, NoTLS: true})
	if err != nil || len(warnings) == 0 {
		t.Fatalf("no warning for --no-tls: %v", err)
	}
	res = lintBundle(t, map[string][]any{"authn.yaml": {authn}, "listener.yaml": {plain}})
	found := false
	for _, f := range res.Findings {
		if f.Rule == lint.RuleListenerX509TLS {
			found = true
		}
	}
	if !found {
		t.Errorf("validate does not report X509 on a plain port, which generate warned about:\n%s", findings(res))
	}
}
