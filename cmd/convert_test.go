package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runConvert runs convert in dir and returns stdout, stderr and the exit code.
func runConvert(t *testing.T, dir string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	t.Chdir(dir)
	r := runCmd(t, stdin, append([]string{"convert"}, args...)...)
	return r.stdout, r.stderr, r.code
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	v1beta1Authn = `# keep me
apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: x509Credentials
    x509Credentials: {trustedClientCaCert: client-ca}
`
	v1Authn = `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: X509
    x509Settings: {trustedClientCaCert: client-ca}
`
	configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: client-ca}\n"
	password  = `apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - usernamePassword: {secretName: db}
`
)

func TestConvertCommand(t *testing.T) {
	t.Run("stdout joins files into one stream", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"a/authn.yaml": v1beta1Authn, "a/cm.yaml": strings.TrimSuffix(configMap, "\n")})
		out, errOut, code := runConvert(t, dir, "", "a")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		want := "# keep me\n" + v1Authn + "---\n" + strings.TrimSuffix(configMap, "\n")
		if out != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
		}
		if !strings.Contains(errOut, "a/authn.yaml:2: BrokerAuthentication authn: mqttbroker.iotoperations.azure.com/v1beta1 → mqttbroker.iotoperations.azure.com/v1") ||
			!strings.Contains(errOut, "a/authn.yaml:7: spec.authenticationMethods[0].method x509Credentials → X509") {
			t.Errorf("stderr:\n%s", errOut)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "a/authn.yaml")); string(b) != v1beta1Authn {
			t.Error("the file was changed without --in-place")
		}
	})
	t.Run("stdin", func(t *testing.T) {
		out, _, code := runConvert(t, t.TempDir(), v1beta1Authn, "-")
		if code != 0 || out != "# keep me\n"+v1Authn {
			t.Errorf("exit %d, stdout:\n%s", code, out)
		}
	})
	t.Run("in place rewrites only converted files, keeping their mode", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"authn.yaml": v1beta1Authn, "cm.yaml": configMap})
		if err := os.Chmod(filepath.Join(dir, "authn.yaml"), 0o640); err != nil {
			t.Fatal(err)
		}
		before, _ := os.Stat(filepath.Join(dir, "cm.yaml"))
		out, errOut, code := runConvert(t, dir, "", "--in-place", ".")
		if code != 0 || out != "" {
			t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "authn.yaml"))
		if string(got) != "# keep me\n"+v1Authn {
			t.Errorf("authn.yaml:\n%s", got)
		}
		info, _ := os.Stat(filepath.Join(dir, "authn.yaml"))
		if info.Mode().Perm() != 0o640 {
			t.Errorf("mode %v", info.Mode().Perm())
		}
		after, _ := os.Stat(filepath.Join(dir, "cm.yaml"))
		if !after.ModTime().Equal(before.ModTime()) {
			t.Error("cm.yaml was rewritten although nothing changed in it")
		}
		if !strings.Contains(errOut, "wrote authn.yaml") || strings.Contains(errOut, "wrote cm.yaml") {
			t.Errorf("stderr:\n%s", errOut)
		}
	})
	t.Run("an unconvertible document stops everything", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"a.yaml": v1beta1Authn, "b.yaml": password, "c.yaml": password})
		out, errOut, code := runConvert(t, dir, "", "--in-place", "a.yaml", "b.yaml", "c.yaml")
		if code != 2 || out != "" {
			t.Errorf("exit %d, stdout %q", code, out)
		}
		for _, want := range []string{"error: b.yaml:6: spec.authenticationMethods[0].usernamePassword: username/password authentication ended with the 2023 preview",
			"error: c.yaml:6:"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "a.yaml")); string(b) != v1beta1Authn {
			t.Error("a.yaml was rewritten although the run failed")
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"a.yaml": v1beta1Authn})
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"--to", "v1beta1", "a.yaml"}, `error: --to "v1beta1": convert only writes v1`},
			{[]string{"--in-place", "-"}, "error: --in-place cannot rewrite standard input"},
			{[]string{"missing.yaml"}, "error: missing.yaml: no such file or directory"},
			{[]string{}, "error: requires at least 1 arg(s)"},
		} {
			_, errOut, code := runConvert(t, dir, "", tt.args...)
			if code != 2 || !strings.HasPrefix(errOut, tt.want) {
				t.Errorf("%v: exit %d, stderr %q", tt.args, code, errOut)
			}
		}
	})
}
