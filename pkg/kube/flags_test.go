package kube

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
)

// The tool's ConfigFlags and PrintFlags stand in for cli-runtime's, which
// the binary does not link. These tests hold them to cli-runtime's: the
// same flags (names, shorthands, defaults, help), the same client
// configuration from the same command line, the same output and errors.

// flagDescriptions describes every flag of fs the way --help shows it.
func flagDescriptions(fs *pflag.FlagSet) map[string]string {
	out := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) {
		out[f.Name] = strings.Join([]string{f.Shorthand, f.Value.Type(), f.DefValue, f.Usage}, "|")
	})
	return out
}

func TestConfigFlagsAreKubectls(t *testing.T) {
	t.Setenv("KUBECACHEDIR", "")
	ours, theirs := pflag.NewFlagSet("ours", pflag.ContinueOnError), pflag.NewFlagSet("theirs", pflag.ContinueOnError)
	NewConfigFlags().AddFlags(ours)
	genericclioptions.NewConfigFlags(true).AddFlags(theirs)
	if got, want := flagDescriptions(ours), flagDescriptions(theirs); !reflect.DeepEqual(got, want) {
		t.Errorf("flags differ from cli-runtime's:\n ours   %v\n theirs %v", got, want)
	}
}

func TestConfigFlagsConfigureAsKubectls(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cert, key, ca := write("client.crt", "cert"), write("client.key", "key"), write("ca.crt", "ca")
	kubeconfig := write("config", `apiVersion: v1
kind: Config
current-context: one
clusters:
- name: one
  cluster: {server: "https://one.example:6443", certificate-authority-data: Y2E=}
- name: two
  cluster: {server: "https://two.example", insecure-skip-tls-verify: true}
users:
- name: token
  user: {token: secret}
- name: certs
  user: {client-certificate: `+cert+`, client-key: `+key+`}
contexts:
- name: one
  context: {cluster: one, user: token, namespace: alpha}
- name: two
  context: {cluster: two, user: certs}
`)
	for _, args := range [][]string{
		{},
		{"--context", "two"},
		{"-n", "other"},
		{"--namespace=other", "--context=two"},
		{"--cluster", "two", "--user", "certs"},
		{"--context", "two", "--server", "https://three.example:443", "--tls-server-name", "three"},
		{"--server", "https://three.example", "--insecure-skip-tls-verify"},
		{"--certificate-authority", ca},
		{"--token", "other", "--as", "jane", "--as-group", "g1", "--as-group", "g2", "--as-uid", "42"},
		{"--client-certificate", cert, "--client-key", key},
		{"--request-timeout", "5s", "--disable-compression"},
		{"--request-timeout", "soon"},
		{"--context", "elsewhere"},
		{"--user", "nobody"},
		{"--kubeconfig", filepath.Join(dir, "missing")},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if !hasFlag(args, "--kubeconfig") {
				args = append([]string{"--kubeconfig", kubeconfig}, args...)
			}
			ours, theirs := NewConfigFlags(), genericclioptions.NewConfigFlags(true)
			parse(t, ours.AddFlags, args)
			parse(t, theirs.AddFlags, args)

			got, gotErr := ours.ToRESTConfig()
			want, wantErr := theirs.ToRESTConfig()
			sameError(t, "rest config", gotErr, wantErr)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rest config:\n ours   %+v\n theirs %+v", got, want)
			}
			gotNS, gotExplicit, gotErr := ours.ToRawKubeConfigLoader().Namespace()
			wantNS, wantExplicit, wantErr := theirs.ToRawKubeConfigLoader().Namespace()
			sameError(t, "namespace", gotErr, wantErr)
			if gotNS != wantNS || gotExplicit != wantExplicit {
				t.Errorf("namespace %q (explicit %v), cli-runtime's %q (%v)", gotNS, gotExplicit, wantNS, wantExplicit)
			}
		})
	}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

func parse(t *testing.T, add func(*pflag.FlagSet), args []string) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	add(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
}

// sameError fails unless both are nil or both say the same. cli-runtime
// words the "no kubeconfig" error its own way; NewClient replaces both.
func sameError(t *testing.T, what string, got, want error) {
	t.Helper()
	switch {
	case (got == nil) != (want == nil):
		t.Errorf("%s: error %v, cli-runtime's %v", what, got, want)
	case got == nil:
	case clientcmd.IsEmptyConfig(want):
		if !clientcmd.IsEmptyConfig(got) {
			t.Errorf("%s: error %v, want an empty-config error", what, got)
		}
	case got.Error() != want.Error():
		t.Errorf("%s: error %q, cli-runtime's %q", what, got, want)
	}
}

func TestPrintFlagsPrintAsKubectls(t *testing.T) {
	dir := t.TempDir()
	goTemplate := filepath.Join(dir, "name.tmpl")
	jsonPath := filepath.Join(dir, "data.jsonpath")
	if err := os.WriteFile(goTemplate, []byte("{{.metadata.name}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jsonPath, []byte("{.data}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		kyaml bool
	}{
		{args: nil},
		{args: []string{"-o", "name"}},
		{args: []string{"-o", "json"}},
		{args: []string{"-o", "yaml"}},
		{args: []string{"-o", "YAML"}},
		{args: []string{"-o", "yaml", "--show-managed-fields"}},
		{args: []string{"-o", "kyaml"}},
		{args: []string{"-o", "kyaml"}, kyaml: true},
		{args: []string{"-o", "wide"}},
		{args: []string{"-o", "go-template={{.metadata.name}} {{.data}}"}},
		{args: []string{"-o", "go-template", "--template", "{{.kind}}"}},
		{args: []string{"--template", "{{.apiVersion}}"}},
		{args: []string{"-o", "template"}},
		{args: []string{"-o", "go-template={{.nope}}"}},
		{args: []string{"-o", "go-template={{.nope}}", "--allow-missing-template-keys=false"}},
		{args: []string{"-o", "go-template={{"}},
		{args: []string{"-o", "go-template-file=" + goTemplate}},
		{args: []string{"-o", "templatefile", "--template", filepath.Join(dir, "missing")}},
		{args: []string{"-o", "jsonpath={.data}"}},
		{args: []string{"-o", "jsonpath-as-json={.metadata.name}"}},
		{args: []string{"-o", "jsonpath-file=" + jsonPath}},
		{args: []string{"-o", "jsonpath={.nope}", "--allow-missing-template-keys=false"}},
		{args: []string{"-o", "jsonpath={"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if tc.kyaml {
				t.Setenv("KUBECTL_KYAML", "true")
			}
			ours := NewPrintFlags("serverside-applied")
			theirs := genericclioptions.NewPrintFlags("serverside-applied").WithTypeSetter(scheme.Scheme)
			oursCmd, theirsCmd := &cobra.Command{}, &cobra.Command{}
			ours.AddFlags(oursCmd)
			theirs.AddFlags(theirsCmd)
			if got, want := flagDescriptions(oursCmd.Flags()), flagDescriptions(theirsCmd.Flags()); !reflect.DeepEqual(got, want) {
				t.Fatalf("flags differ from cli-runtime's:\n ours   %v\n theirs %v", got, want)
			}
			if err := oursCmd.Flags().Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := theirsCmd.Flags().Parse(tc.args); err != nil {
				t.Fatal(err)
			}

			got, gotErr := printWith(ours.ToPrinter)
			want, wantErr := printWith(theirs.ToPrinter)
			if gotErr != wantErr || got != want {
				t.Errorf("ours printed %q (error %q), cli-runtime's %q (error %q)", got, gotErr, want, wantErr)
			}
		})
	}
}

// printWith prints a ConfigMap with the printer toPrinter returns and says
// what it printed and the error, of toPrinter or of printing.
func printWith(toPrinter func() (printers.ResourcePrinter, error)) (string, string) {
	p, err := toPrinter()
	if err != nil {
		return "", err.Error()
	}
	var out bytes.Buffer
	if err := p.PrintObj(sampleConfigMap(), &out); err != nil {
		return out.String(), err.Error()
	}
	return out.String(), ""
}

func sampleConfigMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name: "client-ca", Namespace: "azure-iot-operations",
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationApply}},
		},
		Data: map[string]string{"client_ca.pem": "PEM"},
	}
}
