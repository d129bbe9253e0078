package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// pkiFixture is a committed certificate of testdata/pki.
func pkiFixture(name string) string { return filepath.Join("..", "testdata", "pki", name) }

func TestCaImportCommand(t *testing.T) {
	root := pkiFixture("root_ca_cert.pem")
	now := "--now=2026-06-01T00:00:00Z"
	r := runCmd(t, "", "ca", "import", root, "--dry-run=client", "-o", "yaml", now).mustSucceed(t)
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(r.stdout), &cm); err != nil {
		t.Fatalf("-o yaml is not a ConfigMap: %v\n%s", err, r.stdout)
	}
	pemData, _ := os.ReadFile(root)
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || cm.Name != "client-ca" || cm.Namespace != "azure-iot-operations" ||
		len(cm.Data) != 1 || cm.Data["client_ca.pem"] != string(pemData) {
		t.Errorf("ConfigMap %+v", cm)
	}
	if r.stderr != "" {
		t.Errorf("stderr for a good CA: %q", r.stderr)
	}

	r = runCmd(t, "", "ca", "import", pkiFixture("chain.pem"), root, "--name", "fleet-ca", "-n", "mqtt", "--key", "ca.crt",
		"--dry-run=client", "-o", "json", now).mustSucceed(t)
	if err := json.Unmarshal([]byte(r.stdout), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Name != "fleet-ca" || cm.Namespace != "mqtt" || strings.Count(cm.Data["ca.crt"], "BEGIN CERTIFICATE") != 2 {
		t.Errorf("ConfigMap %s/%s with %d certificates under ca.crt", cm.Namespace, cm.Name, strings.Count(cm.Data["ca.crt"], "BEGIN CERTIFICATE"))
	}
	if !strings.Contains(r.stderr, "note: "+root+":1: certificate 0 \"CN = Contoso Test Root, O = Contoso\" was given before; it is stored once") {
		t.Errorf("no note about the duplicate:\n%s", r.stderr)
	}

	r = runCmd(t, "", "ca", "import", root, "--dry-run=client", now).mustSucceed(t)
	if r.stdout != "configmap/client-ca serverside-applied (dry run)\n" {
		t.Errorf("default output %q", r.stdout)
	}
	r = runCmd(t, "", "ca", "import", root, "--dry-run", "-o", "name", now).mustSucceed(t)
	if r.stdout != "configmap/client-ca\n" {
		t.Errorf("-o name: %q", r.stdout)
	}
	// From standard input.
	r = runCmd(t, string(pemData), "ca", "import", "-", "--dry-run=client", "-o", "yaml", now).mustSucceed(t)
	if !strings.Contains(r.stdout, "client_ca.pem: |") {
		t.Errorf("stdin: %s", r.stdout)
	}

	// Expired CAs are imported with a warning.
	r = runCmd(t, "", "ca", "import", pkiFixture("expired_root_ca_cert.pem"), "--dry-run=client", now).mustSucceed(t)
	if !strings.Contains(r.stderr, "warning: "+pkiFixture("expired_root_ca_cert.pem")+":1: certificate 0 \"CN = Retired Root, O = Contoso\" expired on 2025-01-01T00:00:00Z") {
		t.Errorf("no expiry warning:\n%s", r.stderr)
	}

	notPEM := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := "--dry-run=client"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{pkiFixture("thermostat_cert.pem"), c}, pkiFixture("thermostat_cert.pem") + `:1: certificate 0 "CN = thermostat" is not a CA (it is a leaf certificate): trust the CA that issued it (CN = Contoso Test Devices, O = Contoso), not the leaf`},
		{[]string{pkiFixture("chain.pem"), pkiFixture("rsa_root_ca_cert.pem"), c}, "the CAs mix key algorithms: EC"},
		{[]string{notPEM, c}, notPEM + ": no PEM certificate found"},
		{[]string{pkiFixture("root_ca_key.pem"), c}, "this looks like a private key"},
		{[]string{filepath.Join(t.TempDir(), "missing.pem"), c}, "no such file or directory"},
		{[]string{root, "--name", "Client_CA", c}, `invalid --name "Client_CA"`},
		{[]string{root, "--dry-run=maybe"}, `invalid --dry-run "maybe"`},
		{[]string{root, c, "-o", "wide"}, "unable to match a printer"},
	} {
		runCmd(t, "", append(append([]string{"ca", "import"}, tt.args...), now)...).mustFail(t, 2, tt.want)
	}
}

func TestCaInspectCommand(t *testing.T) {
	now := "--now=2026-06-01T00:00:00Z"
	r := runCmd(t, "", "ca", "inspect", pkiFixture("chain.pem"), now).mustSucceed(t)
	for _, want := range []string{
		pkiFixture("chain.pem") + ":1: certificate 0", "  subject      CN = Contoso Test Devices, O = Contoso",
		"  issuer       CN = Contoso Test Root, O = Contoso (self-signed)", "  CA           yes, path length 1",
		"  key          EC P-256", "  valid        2026-01-01T00:00:00Z to 2036-01-01T00:00:00Z (expires in 9y)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCmd(t, "", "ca", "inspect", pkiFixture("thermostat_cert.pem"), pkiFixture("expired_root_ca_cert.pem"), "-o", "json", now).mustSucceed(t)
	var doc pki.Inspection
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Certificates) != 2 {
		t.Fatalf("-o json: %v\n%s", err, r.stdout)
	}
	leaf, expired := doc.Certificates[0], doc.Certificates[1]
	if leaf.IsCA || leaf.Subject != "CN = thermostat" || strings.Join(leaf.ExtKeyUsage, ",") != "clientAuth" || len(leaf.SHA256) != 64 ||
		expired.Validity != pki.ValidityExpired || !expired.SelfSigned || expired.KeyAlgorithm != pki.KeyEC {
		t.Errorf("inspect -o json: %+v", doc)
	}
	data, _ := os.ReadFile(pkiFixture("root_ca_cert.pem"))
	r = runCmd(t, string(data), "ca", "inspect", "-", now).mustSucceed(t)
	if !strings.HasPrefix(r.stdout, "stdin:1: certificate 0\n") {
		t.Errorf("stdin: %s", r.stdout)
	}
	runCmd(t, "", "ca", "inspect", pkiFixture("root_ca_key.pem")).mustFail(t, 2, "no PEM certificate found: this looks like a private key")
	runCmd(t, "", "ca", "inspect", "-", "-").mustFail(t, 2, "- (standard input) is given 2 times")
	runCmd(t, "", "ca", "inspect", pkiFixture("chain.pem"), "--now", "June").mustFail(t, 2, `--now "June" is not an RFC 3339 time`)
}
