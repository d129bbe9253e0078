package pki

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mustDN(t *testing.T, s string) dn.Name {
	t.Helper()
	n, err := dn.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChainVerifiesWithOpenSSL checks every minted certificate with OpenSSL,
// not with our own parser: the chain verifies for its purpose, and the text
// dump shows the extensions the broker and mosquitto rely on.
func TestChainVerifiesWithOpenSSL(t *testing.T) {
	tests := []struct {
		name    string
		key     KeySpec
		keyText []string
	}{
		{"EC P-256 default", KeySpec{}, []string{"id-ecPublicKey", "NIST CURVE: P-256"}},
		{"EC P-384", KeySpec{Type: "EC", Curve: "P-384"}, []string{"id-ecPublicKey", "NIST CURVE: P-384"}},
		{"RSA 2048", KeySpec{Type: "RSA"}, []string{"rsaEncryption", "(2048 bit)"}},
		{"RSA 3072", KeySpec{Type: "RSA", Size: 3072}, []string{"rsaEncryption", "(3072 bit)"}},
		{"Ed25519", KeySpec{Type: "OKP"}, []string{"ED25519"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := MintChain(ChainSpec{OutDir: dir, Clients: []string{"thermostat", "smart-fan"},
				ServerSANs: []string{"localhost", "127.0.0.1"}, Key: tt.key})
			if err != nil {
				t.Fatal(err)
			}
			for _, leaf := range []string{"thermostat_cert.pem", "smart-fan_cert.pem"} {
				out := openssl(t, dir, "verify", "-purpose", "sslclient", "-CAfile", RootCertFile, "-untrusted", IntermediateCertFile, leaf)
				mustContain(t, "openssl verify "+leaf, out, leaf+": OK")
				// The files the operator page and `ca import` use.
				out = openssl(t, dir, "verify", "-purpose", "sslclient", "-CAfile", ClientCAFile, "-untrusted", ChainFile, leaf)
				mustContain(t, "openssl verify with client_ca.pem "+leaf, out, leaf+": OK")
			}
			out := openssl(t, dir, "verify", "-purpose", "sslserver", "-CAfile", RootCertFile, "-untrusted", ServerCertFile, ServerCertFile)
			mustContain(t, "openssl verify server", out, ServerCertFile+": OK")
			// A client certificate is not a server certificate and vice
			// versa: each carries only its own extended key usage.
			if out, err := opensslResult(t, dir, "verify", "-purpose", "sslserver", "-CAfile", RootCertFile, "-untrusted", IntermediateCertFile, "thermostat_cert.pem"); err == nil && strings.Contains(out, ": OK") {
				t.Errorf("a client certificate verified as a server certificate:\n%s", out)
			}

			text := openssl(t, dir, "x509", "-noout", "-text", "-in", "thermostat_cert.pem")
			mustContain(t, "client certificate", text, append([]string{"Subject: CN = thermostat", "TLS Web Client Authentication",
				"DNS:thermostat", "Issuer: O = kubectl-aio-authn, CN = Test Intermediate CA"}, tt.keyText...)...)
			mustNotContain(t, "client certificate", text, "TLS Web Server Authentication", "CA:TRUE")

			text = openssl(t, dir, "x509", "-noout", "-text", "-in", IntermediateCertFile)
			mustContain(t, "intermediate CA", text, append([]string{"CA:TRUE, pathlen:0", "Certificate Sign"}, tt.keyText...)...)
			text = openssl(t, dir, "x509", "-noout", "-text", "-in", RootCertFile)
			mustContain(t, "root CA", text, append([]string{"CA:TRUE, pathlen:1", "Certificate Sign",
				"Issuer: O = kubectl-aio-authn, CN = Test Root CA", "Subject: O = kubectl-aio-authn, CN = Test Root CA"}, tt.keyText...)...)
			text = openssl(t, dir, "x509", "-noout", "-text", "-in", ServerCertFile)
			mustContain(t, "server certificate", text, append([]string{"Subject: CN = localhost", "TLS Web Server Authentication",
				"DNS:localhost, IP Address:127.0.0.1"}, tt.keyText...)...)
			mustNotContain(t, "server certificate", text, "TLS Web Client Authentication")

			// The private keys are what OpenSSL reads, and match.
			for _, pair := range [][2]string{{RootCertFile, RootKeyFile}, {"thermostat_cert.pem", "thermostat_key.pem"}, {ServerCertFile, ServerKeyFile}} {
				certPub := openssl(t, dir, "x509", "-noout", "-pubkey", "-in", pair[0])
				keyPub := openssl(t, dir, "pkey", "-pubout", "-in", pair[1])
				if certPub != keyPub {
					t.Errorf("%s does not hold the key of %s", pair[1], pair[0])
				}
			}
		})
	}
}

func TestChainFilesAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	chain, err := MintChain(ChainSpec{OutDir: dir, Clients: []string{"thermostat"}, ServerSANs: []string{"broker.local"}})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o644)
		if strings.HasSuffix(e.Name(), "_key.pem") {
			want = 0o600
		}
		// Files are created with the mode asked for, less the umask.
		if info.Mode().Perm()&^want != 0 || (want == 0o600 && info.Mode().Perm() != 0o600) {
			t.Errorf("%s has mode %v, want %v", e.Name(), info.Mode().Perm(), want)
		}
	}
	want := []string{"chain.pem", "client_ca.pem", "intermediate_ca_cert.pem", "intermediate_ca_key.pem", "root_ca_cert.pem",
		"root_ca_key.pem", "server_cert.pem", "server_key.pem", "thermostat_cert.pem", "thermostat_key.pem"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("files = %v, want exactly %v (no temporary files left)", names, want)
	}
	// The new directory was staged beside it and renamed: nothing else
	// is left there.
	if siblings, _ := os.ReadDir(filepath.Dir(dir)); len(siblings) != 1 || siblings[0].Name() != "dir" {
		t.Errorf("next to the output directory: %v, want only dir", siblings)
	}
	if info, _ := os.Stat(dir); info.Mode().Perm()&0o055 == 0 {
		t.Errorf("the output directory has mode %v: others cannot read the certificates", info.Mode().Perm())
	}

	bundle := func(name string) []BundleCertificate {
		b, err := ReadBundle(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := bundle(ChainFile); len(b) != 2 || !b[0].Cert.Equal(chain.Intermediate) || !b[1].Cert.Equal(chain.Root) {
		t.Errorf("chain.pem must hold the intermediate then the root")
	}
	if b := bundle(ClientCAFile); len(b) != 1 || !b[0].Cert.Equal(chain.Root) {
		t.Errorf("client_ca.pem must hold the root only")
	}
	if b := bundle(ServerCertFile); len(b) != 2 || !b[0].Cert.Equal(chain.Server) || !b[1].Cert.Equal(chain.Intermediate) {
		t.Errorf("server_cert.pem must hold the server certificate then the intermediate")
	}
	if b := bundle(RootCertFile); !IsSelfSigned(b[0].Cert) {
		t.Errorf("the root is not self-signed")
	}
}

func TestChainNeverOverwritesWithoutForce(t *testing.T) {
	dir := t.TempDir()
	spec := ChainSpec{OutDir: dir, Clients: []string{"thermostat"}}
	if _, err := MintChain(spec); err != nil {
		t.Fatal(err)
	}
	before := readAll(t, dir)

	_, err := MintChain(spec)
	var exists *atomicfile.ExistsError
	if !errors.As(err, &exists) {
		t.Fatalf("second run: err = %v, want an *atomicfile.ExistsError", err)
	}
	if exists.Path != filepath.Join(dir, RootCertFile) || exists.More != 7 {
		t.Errorf("blocking file %q (+%d), want %s (+7)", exists.Path, exists.More, RootCertFile)
	}
	mustContain(t, "error", err.Error(), RootCertFile, "already exists", "--force")
	if after := readAll(t, dir); !equalFiles(before, after) {
		t.Errorf("a refused run changed the files")
	}

	// One existing file blocks everything, and is named.
	dir2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir2, "thermostat_key.pem"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = MintChain(ChainSpec{OutDir: dir2, Clients: []string{"thermostat"}})
	if !errors.As(err, &exists) || exists.Path != filepath.Join(dir2, "thermostat_key.pem") || exists.More != 0 {
		t.Fatalf("err = %v, want thermostat_key.pem named as blocking", err)
	}
	if entries, _ := os.ReadDir(dir2); len(entries) != 1 {
		t.Errorf("a refused run wrote files: %d entries", len(entries))
	}

	// --force replaces every file, and the keys stay private.
	if err := os.Chmod(filepath.Join(dir, "thermostat_key.pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec.Force = true
	if _, err := MintChain(spec); err != nil {
		t.Fatal(err)
	}
	after := readAll(t, dir)
	for name, data := range after {
		if bytes.Equal(before[name], data) {
			t.Errorf("--force left %s unchanged", name)
		}
	}
	if info, _ := os.Stat(filepath.Join(dir, "thermostat_key.pem")); info.Mode().Perm() != 0o600 {
		t.Errorf("overwritten key has mode %v, want 0600", info.Mode().Perm())
	}
}

func TestWriteFileRefusesAFileThatAppearedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.WriteFile(path, []byte("ours"), PrivateFileMode, false)
	var exists *atomicfile.ExistsError
	if !errors.As(err, &exists) || exists.Path != path {
		t.Fatalf("err = %v, want *atomicfile.ExistsError for %s", err, path)
	}
	if data, _ := os.ReadFile(path); string(data) != "someone else's" {
		t.Errorf("the file was overwritten")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary file left behind: %d entries", len(entries))
	}
	if err := atomicfile.WriteFile(path, []byte("ours"), PrivateFileMode, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "ours" {
		t.Errorf("overwrite did not replace the content")
	}
}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestChainValidity(t *testing.T) {
	notAfter, err := ParseNotAfter("90d", testNow)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := MintChain(ChainSpec{OutDir: t.TempDir(), Clients: []string{"thermostat"}, ServerSANs: []string{"localhost"},
		LeafNotAfter: notAfter, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	leaf := readLeaf(t, chain, "thermostat")
	start := testNow.Add(-Backdate)
	if !leaf.NotBefore.Equal(start) || !leaf.NotAfter.Equal(testNow.Add(90*24*time.Hour)) {
		t.Errorf("leaf valid %s..%s, want %s..%s", leaf.NotBefore, leaf.NotAfter, start, testNow.Add(90*24*time.Hour))
	}
	if !chain.Server.NotAfter.Equal(leaf.NotAfter) {
		t.Errorf("server ends %s, want %s like the clients", chain.Server.NotAfter, leaf.NotAfter)
	}
	for _, ca := range []*x509.Certificate{chain.Root, chain.Intermediate} {
		if !ca.NotAfter.Equal(testNow.Add(DefaultCAValidity)) {
			t.Errorf("%s ends %s, want 10 years from now", SubjectString(ca), ca.NotAfter)
		}
	}

	// The default is 30 days.
	chain, err = MintChain(ChainSpec{OutDir: t.TempDir(), Clients: []string{"thermostat"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if leaf := readLeaf(t, chain, "thermostat"); !leaf.NotAfter.Equal(testNow.Add(30 * 24 * time.Hour)) {
		t.Errorf("default leaf end %s, want 30 days from now", leaf.NotAfter)
	}
}

func readLeaf(t *testing.T, chain *Chain, name string) *x509.Certificate {
	t.Helper()
	b, err := ReadBundle(filepath.Join(chain.Dir(), ClientCertFile(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b[0].Cert
}

func TestParseNotAfter(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "720h", want: testNow.Add(720 * time.Hour)},
		{in: "30d", want: testNow.Add(30 * 24 * time.Hour)},
		{in: "1.5d", want: testNow.Add(36 * time.Hour)},
		{in: "2026-12-31T00:00:00Z", want: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
		{in: "", wantErr: "empty --not-after"},
		{in: "soon", wantErr: "invalid --not-after"},
		{in: "-1h", wantErr: "not in the future"},
		{in: "0s", wantErr: "not in the future"},
		{in: "2020-01-01T00:00:00Z", wantErr: "in the past"},
		// Durations that overflow are too long, not in the past.
		{in: "3000000d", wantErr: "longer than a duration can be (106751d"},
		{in: "3000000000h", wantErr: "longer than a duration can be"},
		{in: "s", wantErr: `invalid --not-after "s"`},
		{in: ".s", wantErr: `invalid --not-after ".s"`},
		{in: "106751d", want: testNow.Add(106751 * 24 * time.Hour)},
		{in: "NaNd", wantErr: "invalid --not-after"},
	}
	for _, tt := range tests {
		got, err := ParseNotAfter(tt.in, testNow)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseNotAfter(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseNotAfter(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestChainFleet(t *testing.T) {
	var progress []int
	chain, err := MintChain(ChainSpec{OutDir: t.TempDir(), Clients: []string{"gateway"}, Count: 25, ClientPrefix: "dev-",
		Progress: func(done, total int) {
			if total != 26 {
				t.Errorf("progress total %d, want 26", total)
			}
			progress = append(progress, done)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(chain.Clients) != 26 || chain.Clients[0] != "gateway" || chain.Clients[1] != "dev-01" || chain.Clients[25] != "dev-25" {
		t.Errorf("clients = %v, want gateway, dev-01 ... dev-25", chain.Clients)
	}
	if len(progress) != 26 || !sort.IntsAreSorted(progress) || progress[25] != 26 {
		t.Errorf("progress calls = %v, want 1..26 in order", progress)
	}
	roots := x509.NewCertPool()
	roots.AddCert(chain.Root)
	inter := x509.NewCertPool()
	inter.AddCert(chain.Intermediate)
	serials := map[string]bool{}
	for _, name := range chain.Clients {
		leaf := readLeaf(t, chain, name)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if leaf.Subject.CommonName != name || len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != name {
			t.Errorf("%s: CN %q SANs %v", name, leaf.Subject.CommonName, leaf.DNSNames)
		}
		serials[leaf.SerialNumber.String()] = true
	}
	if len(serials) != 26 {
		t.Errorf("%d distinct serial numbers for 26 leaves", len(serials))
	}
	// An independent check of one fleet leaf.
	out := openssl(t, chain.Dir(), "verify", "-CAfile", ClientCAFile, "-untrusted", ChainFile, "dev-13_cert.pem")
	mustContain(t, "openssl verify", out, "dev-13_cert.pem: OK")
}

func TestFleetNames(t *testing.T) {
	for _, tt := range []struct {
		count       int
		first, last string
	}{{1, "d-1", "d-1"}, {9, "d-1", "d-9"}, {10, "d-01", "d-10"}, {1000, "d-0001", "d-1000"}} {
		names := FleetNames("d-", tt.count)
		if len(names) != tt.count || names[0] != tt.first || names[len(names)-1] != tt.last || !sort.StringsAreSorted(names) {
			t.Errorf("FleetNames(d-, %d) = %s ... %s, want %s ... %s, sorted", tt.count, names[0], names[len(names)-1], tt.first, tt.last)
		}
	}
}

func TestChainRefusals(t *testing.T) {
	tests := []struct {
		name string
		spec ChainSpec
		want string
	}{
		{"no out dir", ChainSpec{Clients: []string{"a"}}, "--out-dir is required"},
		{"no clients", ChainSpec{OutDir: "x"}, "no clients to mint"},
		{"prefix without count", ChainSpec{OutDir: "x", Clients: []string{"a"}, ClientPrefix: "dev-"}, "flag --client-prefix requires flag --count"},
		{"negative count", ChainSpec{OutDir: "x", Count: -1}, "--count -1"},
		{"count over the bound", ChainSpec{OutDir: "x", Count: 1_000_000}, "--count 1000000: at most 100000 clients in one run"},
		{"bad prefix", ChainSpec{OutDir: "x", Count: 2, ClientPrefix: "../"}, "invalid --client-prefix"},
		{"path in client name", ChainSpec{OutDir: "x", Clients: []string{"../etc/passwd"}}, `invalid --client "../etc/passwd"`},
		{"space in client name", ChainSpec{OutDir: "x", Clients: []string{"my device"}}, "invalid --client"},
		{"long client name", ChainSpec{OutDir: "x", Clients: []string{strings.Repeat("a", 65)}}, "at most 64"},
		{"duplicate client", ChainSpec{OutDir: "x", Clients: []string{"a", "a"}}, `client "a" is given twice`},
		{"duplicate with fleet", ChainSpec{OutDir: "x", Clients: []string{"dev-1"}, Count: 3, ClientPrefix: "dev-"}, "given twice"},
		{"client named like the root", ChainSpec{OutDir: "x", Clients: []string{"root_ca"}}, "root_ca_cert.pem, one of the chain's own files"},
		{"client named like the server", ChainSpec{OutDir: "x", Clients: []string{"server"}, ServerSANs: []string{"localhost"}}, "server_cert.pem"},
		{"bad server SAN", ChainSpec{OutDir: "x", Clients: []string{"a"}, ServerSANs: []string{"not a host"}}, `invalid --server-san "not a host"`},
		{"small RSA", ChainSpec{OutDir: "x", Clients: []string{"a"}, Key: KeySpec{Type: "RSA", Size: 1024}}, "--size 1024 is too small"},
		{"unknown key type", ChainSpec{OutDir: "x", Clients: []string{"a"}, Key: KeySpec{Type: "DSA"}}, `unknown --kty "DSA"`},
		{"empty root subject value", ChainSpec{OutDir: "x", Clients: []string{"a"}, RootSubject: mustDN(t, "CN = ")}, `--root-subject "CN = ": CN has an empty value`},
		{"same CA subjects", ChainSpec{OutDir: "x", Clients: []string{"a"}, RootSubject: mustDN(t, "CN = CA"), IntermediateSubject: mustDN(t, "cn=CA")}, "are the same name"},
		{"leaves outlive the CAs", ChainSpec{OutDir: "x", Clients: []string{"a"}, Now: testNow, LeafNotAfter: testNow.AddDate(11, 0, 0)}, "after the CAs end"},
		{"leaves already ended", ChainSpec{OutDir: "x", Clients: []string{"a"}, Now: testNow, LeafNotAfter: testNow.Add(-time.Hour)}, "not in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.spec.OutDir = strings.Replace(tt.spec.OutDir, "x", filepath.Join(dir, "out"), 1)
			_, err := MintChain(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if _, statErr := os.Stat(filepath.Join(dir, "out")); statErr == nil {
				t.Errorf("a refused run created the output directory")
			}
		})
	}
}

func TestKeySpecNormalize(t *testing.T) {
	tests := []struct {
		in      KeySpec
		want    string
		wantErr string
	}{
		{KeySpec{}, "EC P-256", ""},
		{KeySpec{Type: "ec", Curve: "p384"}, "EC P-384", ""},
		{KeySpec{Type: "EC", Curve: "P-521"}, "EC P-521", ""},
		{KeySpec{Type: "RSA"}, "RSA 2048", ""},
		{KeySpec{Type: "RSA", Size: 4096}, "RSA 4096", ""},
		{KeySpec{Type: "OKP"}, "Ed25519", ""},
		{KeySpec{Type: "OKP", Curve: "ed25519"}, "Ed25519", ""},
		{KeySpec{Type: "RSA", Size: 2047}, "", "too small"},
		{KeySpec{Type: "RSA", Size: 16384}, "", "too large"},
		{KeySpec{Type: "RSA", Curve: "P-256"}, "", "flag --crv requires --kty EC or OKP"},
		{KeySpec{Type: "EC", Size: 2048}, "", "flag --size requires --kty RSA"},
		{KeySpec{Type: "EC", Curve: "secp256k1"}, "", `unknown --crv "secp256k1"`},
		{KeySpec{Type: "OKP", Curve: "X25519"}, "", "X25519 cannot sign"},
		{KeySpec{Type: "oct"}, "", `unknown --kty "oct"`},
	}
	for _, tt := range tests {
		got, err := tt.in.Normalize()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("%+v: %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// TestChainSubjects checks that the subjects given in the
// authorizationAttributes notation end up in the certificates in the order
// written, as OpenSSL reads them, and that the summary prints them back the
// same way.
func TestChainSubjects(t *testing.T) {
	dir := t.TempDir()
	root := `CN = Contoso Root CA Cert, OU = Engineering, O = Contoso\, Ltd, C = US`
	inter := "CN = Contoso Devices, OU = Engineering, O = Contoso, C = US"
	chain, err := MintChain(ChainSpec{OutDir: dir, Clients: []string{"thermostat"}, RootSubject: mustDN(t, root), IntermediateSubject: mustDN(t, inter)})
	if err != nil {
		t.Fatal(err)
	}
	if SubjectString(chain.Root) != root || SubjectString(chain.Intermediate) != inter || IssuerString(chain.Intermediate) != root {
		t.Errorf("subjects %q / %q (issuer %q), want %q / %q", SubjectString(chain.Root), SubjectString(chain.Intermediate), IssuerString(chain.Intermediate), root, inter)
	}
	out := openssl(t, dir, "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", RootCertFile)
	mustContain(t, "openssl subject", out, `subject=CN=Contoso Root CA Cert,OU=Engineering,O=Contoso\, Ltd,C=US`)
	var summary bytes.Buffer
	chain.WriteSummary(&summary, ui.PlainStyles())
	mustContain(t, "summary", summary.String(), `subject: "CN = Contoso Root CA Cert, OU = Engineering, O = Contoso\\, Ltd, C = US"`,
		`subject: "`+inter+`"`, `subject: "CN = thermostat"`)
}

func TestChainSummary(t *testing.T) {
	tests := []struct {
		golden string
		spec   ChainSpec
	}{
		{"summary-x509.txt", ChainSpec{OutDir: "certs", Clients: []string{"thermostat", "smart-fan"}, ServerSANs: []string{"localhost", "127.0.0.1"}}},
		{"summary-fleet.txt", ChainSpec{OutDir: "my fleet", Count: 1000, ClientPrefix: "dev-", LeafNotAfter: testNow.Add(90 * 24 * time.Hour)}},
		{"summary-okp.txt", ChainSpec{OutDir: ".", Clients: []string{"thermostat"}, Key: KeySpec{Type: "OKP"}}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Chdir(t.TempDir())
			tt.spec.Now = testNow
			chain, err := MintChain(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			chain.WriteSummary(&b, ui.PlainStyles())
			golden.Check(t, filepath.Join(testdataDir, tt.golden), b.Bytes())
		})
	}
}
