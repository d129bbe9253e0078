package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	return mustRead(t, filepath.Join(fixtureDir, name))
}

func TestParseBundlePositions(t *testing.T) {
	root, inter := readFixture(t, "root_ca_cert.pem"), readFixture(t, "intermediate_ca_cert.pem")
	key := readFixture(t, "thermostat_key.pem")
	// Comments, a key and blank lines around the certificates, as people
	// assemble bundles by hand.
	var data bytes.Buffer
	data.WriteString("# Contoso CAs\n\n")
	data.Write(key)
	data.WriteString("intermediate:\n")
	data.Write(inter)
	data.WriteString("\n")
	data.Write(root)
	certs, err := ParseBundle("bundle.pem", data.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 {
		t.Fatalf("%d certificates, want 2 (the key skipped)", len(certs))
	}
	keyLines := bytes.Count(key, []byte("\n"))
	interLines := bytes.Count(inter, []byte("\n"))
	wantLines := []int{3 + keyLines + 1, 3 + keyLines + 1 + interLines + 1}
	for i, c := range certs {
		if c.Index != i || c.Line != wantLines[i] || c.Source != "bundle.pem" {
			t.Errorf("certificate %d: index %d line %d source %q, want line %d", i, c.Index, c.Line, c.Source, wantLines[i])
		}
		lines := strings.Split(data.String(), "\n")
		if lines[c.Line-1] != "-----BEGIN CERTIFICATE-----" {
			t.Errorf("line %d is %q, not the BEGIN marker", c.Line, lines[c.Line-1])
		}
	}
	if SubjectString(certs[0].Cert) != "CN = Contoso Test Devices, O = Contoso" || certs[0].Position() != "bundle.pem:"+strconv.Itoa(wantLines[0]) {
		t.Errorf("first certificate %q at %s", SubjectString(certs[0].Cert), certs[0].Position())
	}
}

func TestParseBundleErrors(t *testing.T) {
	root := readFixture(t, "root_ca_cert.pem")
	der := mustDER(t, root)
	broken := strings.Replace(string(root), "MII", "MIX", 1)
	truncated := string(root[:len(root)/2])
	tests := []struct {
		name, data, want string
		noCert           bool
	}{
		{"empty", "", "no PEM certificate found: pass a PEM file", true},
		{"text", "hello\n", "no PEM certificate found", true},
		{"a key", string(readFixture(t, "root_ca_key.pem")), "looks like a private key", true},
		{"DER", string(der), "the file is DER: convert it with openssl x509 -inform der", true},
		{"bad certificate", "\n\n" + broken, "in.pem:3: certificate 0 does not parse", false},
		{"truncated", string(root) + truncated, "in.pem:", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBundle("in.pem", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if errors.Is(err, ErrNoCertificate) != tt.noCert {
				t.Errorf("errors.Is(err, ErrNoCertificate) = %v, want %v", !tt.noCert, tt.noCert)
			}
		})
	}
	_, err := ParseBundle("in.pem", []byte(string(root)+truncated))
	wantAt := "in.pem:" + strconv.Itoa(bytes.Count(root, []byte("\n"))+1) + ": the certificate block is not valid PEM"
	if err == nil || !strings.Contains(err.Error(), wantAt) {
		t.Errorf("truncated second block: %v, want %q", err, wantAt)
	}
}

func TestScanBundleGoesOnPastBadBlocks(t *testing.T) {
	root, inter := readFixture(t, "root_ca_cert.pem"), readFixture(t, "intermediate_ca_cert.pem")
	key := readFixture(t, "thermostat_key.pem")
	broken := strings.Replace(string(root), "MII", "MIX", 1)
	truncated := string(root[:len(root)/2])
	data := string(key) + broken + string(inter) + truncated
	lineOf := func(prefix string) int { return strings.Count(prefix, "\n") + 1 }
	blocks := ScanBundle("bundle.pem", []byte(data))
	want := []struct {
		line      int
		ok        bool
		truncated bool
	}{
		{lineOf(string(key)), false, false},
		{lineOf(string(key) + broken), true, false},
		{lineOf(string(key) + broken + string(inter)), false, true},
	}
	if len(blocks) != len(want) {
		t.Fatalf("%d blocks, want %d (the key skipped): %+v", len(blocks), len(want), blocks)
	}
	for i, b := range blocks {
		w := want[i]
		if b.Index != i || b.Line != w.line || b.Source != "bundle.pem" || (b.Cert != nil) != w.ok || (b.Err == nil) != w.ok ||
			errors.Is(b.Err, ErrTruncatedBlock) != w.truncated {
			t.Errorf("block %d: index %d line %d cert %v err %v, want line %d parsed %v truncated %v", i, b.Index, b.Line, b.Cert != nil, b.Err, w.line, w.ok, w.truncated)
		}
	}
	if SubjectString(blocks[1].Cert) != "CN = Contoso Test Devices, O = Contoso" {
		t.Errorf("second block is %q", SubjectString(blocks[1].Cert))
	}
}

func mustDER(t *testing.T, pemData []byte) []byte {
	t.Helper()
	certs, err := ParseBundle("x", pemData)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0].Cert.Raw
}

func TestCertificateFacts(t *testing.T) {
	load := func(name string) *x509.Certificate {
		certs, err := ReadBundle(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return certs[0].Cert
	}
	tests := []struct {
		file       string
		alg        KeyAlgorithm
		key        string
		ca         bool
		pathLen    int
		hasPathLen bool
		selfSigned bool
	}{
		{"root_ca_cert.pem", KeyEC, "EC P-256", true, 1, true, true},
		{"intermediate_ca_cert.pem", KeyEC, "EC P-256", true, 0, true, false},
		{"thermostat_cert.pem", KeyEC, "EC P-256", false, 0, false, false},
		{"rsa_root_ca_cert.pem", KeyRSA, "RSA 2048", true, 1, true, true},
	}
	for _, tt := range tests {
		c := load(tt.file)
		n, has := PathLength(c)
		if KeyAlgorithmOf(c) != tt.alg || KeyDescription(c) != tt.key || IsCA(c) != tt.ca || n != tt.pathLen || has != tt.hasPathLen || IsSelfSigned(c) != tt.selfSigned {
			t.Errorf("%s: %s %q CA %v pathlen %d/%v self-signed %v", tt.file, KeyAlgorithmOf(c), KeyDescription(c), IsCA(c), n, has, IsSelfSigned(c))
		}
		// The fingerprint is OpenSSL's, in step's spelling.
		out := openssl(t, fixtureDir, "x509", "-noout", "-fingerprint", "-sha256", "-in", tt.file)
		want := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(out[strings.Index(out, "=")+1:]), ":", ""))
		if Fingerprint(c) != want {
			t.Errorf("%s: fingerprint %s, openssl says %s", tt.file, Fingerprint(c), want)
		}
	}
}

func TestCheckCABundle(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	read := func(names ...string) []BundleCertificate {
		var out []BundleCertificate
		for _, n := range names {
			certs, err := ParseBundle(n, readFixture(t, n))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, certs...)
		}
		return out
	}
	type want struct{ rule, at string }
	tests := []struct {
		name  string
		certs []BundleCertificate
		now   time.Time
		want  []want
	}{
		{"a good chain", read("chain.pem"), now, nil},
		{"a leaf", read("root_ca_cert.pem", "thermostat_cert.pem"), now, []want{{RuleNotCA, "thermostat_cert.pem:1"}}},
		{"EC and RSA", read("chain.pem", "rsa_root_ca_cert.pem"), now, []want{{RuleMixedKeys, "rsa_root_ca_cert.pem:1"}}},
		{"expired", read("expired_root_ca_cert.pem", "root_ca_cert.pem"), now, []want{{RuleExpired, "expired_root_ca_cert.pem:1"}}},
		{"expiring soon", read("root_ca_cert.pem"), fixtureEpoch.AddDate(10, 0, -10), []want{{RuleExpiringSoon, "root_ca_cert.pem:1"}}},
		{"not yet valid", read("root_ca_cert.pem"), fixtureEpoch.Add(-time.Hour), []want{{RuleNotYetValid, "root_ca_cert.pem:1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckCABundle(tt.certs, tt.now, 0)
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %v, want %v", got, tt.want)
			}
			for i, p := range got {
				if p.Rule != tt.want[i].rule || p.Certificate.Position() != tt.want[i].at {
					t.Errorf("problem %d = %s at %s, want %s at %s", i, p.Rule, p.Certificate.Position(), tt.want[i].rule, tt.want[i].at)
				}
				wantSeverity := SeverityWarning
				if p.Rule == RuleNotCA || p.Rule == RuleMixedKeys {
					wantSeverity = SeverityError
				}
				if p.Severity != wantSeverity || strings.Contains(p.String(), "\n") {
					t.Errorf("problem %s: severity %s (want %s), %q", p.Rule, p.Severity, wantSeverity, p)
				}
			}
		})
	}
	mixed := CheckCABundle(read("chain.pem", "rsa_root_ca_cert.pem"), now, 0)
	mustContain(t, "mixed message", mixed[0].String(),
		`EC ("CN = Contoso Test Devices, O = Contoso", "CN = Contoso Test Root, O = Contoso") and RSA ("CN = Fabrikam RSA Root, O = Fabrikam")`,
		"one key algorithm")
	// The warning window is the caller's to choose (validate's --warn-within).
	if got := CheckCABundle(read("root_ca_cert.pem"), fixtureEpoch.AddDate(9, 0, 0), 400*24*time.Hour); len(got) != 1 || got[0].Rule != RuleExpiringSoon {
		t.Errorf("with a 400-day window: %v, want expiring soon", got)
	}
	// Ed25519 CAs are allowed, with a warning.
	dir := t.TempDir()
	if _, err := MintChain(ChainSpec{OutDir: dir, Clients: []string{"a"}, Key: KeySpec{Type: KeyTypeOKP}}); err != nil {
		t.Fatal(err)
	}
	certs, err := ReadBundle(filepath.Join(dir, ChainFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := CheckCABundle(certs, time.Now(), 0); len(got) != 2 || got[0].Rule != RuleUnsupportedKA || got[0].Severity != SeverityWarning {
		t.Errorf("Ed25519 chain: %v, want two unsupported-key warnings", got)
	}
}

func TestInspection(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var infos []CertificateInfo
	for _, name := range []string{"chain.pem", "thermostat_cert.pem", "expired_root_ca_cert.pem"} {
		certs, err := ParseBundle(name, readFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range certs {
			infos = append(infos, Describe(c, now))
		}
	}
	// Fingerprints and serial numbers change when the fixtures are
	// regenerated: the golden files hold placeholders, checked here.
	for i := range infos {
		if len(infos[i].SHA256) != 64 || infos[i].SerialNumber == "" {
			t.Errorf("certificate %d: fingerprint %q serial %q", i, infos[i].SHA256, infos[i].SerialNumber)
		}
		infos[i].SHA256, infos[i].SerialNumber = "SHA256", "SERIAL"
	}
	var text bytes.Buffer
	WriteInspection(&text, infos, now, ui.PlainStyles())
	golden.Check(t, filepath.Join(testdataDir, "inspect.txt"), text.Bytes())
	data, err := json.MarshalIndent(Inspection{Certificates: infos}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join(testdataDir, "inspect.json"), append(data, '\n'))
}

func TestCAImport(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	chain, err := ParseBundle("chain.pem", readFixture(t, "chain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := ParseBundle("root_ca_cert.pem", readFixture(t, "root_ca_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	imp, err := NewCAImport("client-ca", "azure-iot-operations", DefaultCAConfigMapKey, append(chain, root...), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Certificates) != 2 || len(imp.Duplicates) != 1 || imp.Duplicates[0].Source != "root_ca_cert.pem" || imp.Refused() {
		t.Fatalf("certificates %d duplicates %v refused %v", len(imp.Certificates), imp.Duplicates, imp.Refused())
	}
	cm := imp.ConfigMap()
	if cm.Name != "client-ca" || cm.Namespace != "azure-iot-operations" || cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || len(cm.Data) != 1 {
		t.Fatalf("configmap %+v", cm)
	}
	stored, err := ParseBundle("configmap", []byte(cm.Data["client_ca.pem"]))
	if err != nil || len(stored) != 2 || !stored[0].Cert.Equal(chain[0].Cert) || !stored[1].Cert.Equal(chain[1].Cert) {
		t.Errorf("the ConfigMap holds %d certificates (%v), want the intermediate and the root", len(stored), err)
	}
	// OpenSSL reads the stored bundle as a trust store.
	storeFile := filepath.Join(t.TempDir(), "store.pem")
	if err := os.WriteFile(storeFile, []byte(cm.Data["client_ca.pem"]), 0o644); err != nil {
		t.Fatal(err)
	}
	out := openssl(t, fixtureDir, "verify", "-CAfile", storeFile, "thermostat_cert.pem")
	mustContain(t, "openssl verify against the ConfigMap's bundle", out, "thermostat_cert.pem: OK")

	for _, tt := range []struct{ name, ns, key, want string }{
		{"Client_CA", "azure-iot-operations", "client_ca.pem", "invalid --name"},
		{"client-ca", "Azure IoT", "client_ca.pem", "invalid namespace"},
		{"client-ca", "azure-iot-operations", "ca/pem", "invalid --key"},
	} {
		if _, err := NewCAImport(tt.name, tt.ns, tt.key, root, now); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewCAImport(%q, %q, %q) = %v, want %q", tt.name, tt.ns, tt.key, err, tt.want)
		}
	}
	leaf, _ := ParseBundle("thermostat_cert.pem", readFixture(t, "thermostat_cert.pem"))
	imp, err = NewCAImport("client-ca", "azure-iot-operations", "client_ca.pem", append(root, leaf...), now)
	if err != nil || !imp.Refused() {
		t.Errorf("a leaf in the bundle: refused = %v (%v), want refused", imp != nil && imp.Refused(), err)
	}
}
