package pki

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
)

// TestCreateChainStepByStep builds root → intermediate → leaf and server with
// CreateCertificate, as an operator would with `certs create`, and checks the
// result with OpenSSL.
func TestCreateChainStepByStep(t *testing.T) {
	dir := t.TempDir()
	// OpenSSL checks validity against the real clock.
	now := time.Now().UTC().Truncate(time.Second)
	p := func(name string) string { return filepath.Join(dir, name) }
	create := func(spec CreateSpec) *Created {
		t.Helper()
		spec.Now = now
		c, err := CreateCertificate(spec)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	root := create(CreateSpec{Profile: ProfileRootCA, Subject: mustDN(t, "CN = Contoso Root, O = Contoso"), CertFile: p("root.pem"), KeyFile: p("root.key"),
		Key: KeySpec{Type: KeyTypeRSA}})
	if root.Key.String() != "RSA 2048" || root.Issuer != nil || !root.Cert.NotAfter.Equal(now.Add(DefaultCAValidity)) {
		t.Errorf("root: %s issuer %v ends %s", root.Key, root.Issuer, root.Cert.NotAfter)
	}
	inter := create(CreateSpec{Profile: ProfileIntermediateCA, Subject: mustDN(t, "CN = Contoso Devices, O = Contoso"), CertFile: p("inter.pem"), KeyFile: p("inter.key"),
		CAFile: p("root.pem"), CAKeyFile: p("root.key")})
	// The key follows the issuer's kind when --kty is not given.
	if inter.Key.String() != "RSA 2048" || len(inter.Warnings) != 0 {
		t.Errorf("intermediate key %s, warnings %v; want RSA 2048 like its issuer, no warnings", inter.Key, inter.Warnings)
	}
	leaf := create(CreateSpec{Profile: ProfileLeaf, Subject: mustDN(t, "CN = thermostat"), CertFile: p("leaf.pem"), KeyFile: p("leaf.key"),
		CAFile: p("inter.pem"), CAKeyFile: p("inter.key"), Bundle: true})
	if !leaf.Cert.NotAfter.Equal(now.Add(DefaultLeafValidity)) || len(leaf.Cert.DNSNames) != 1 || leaf.Cert.DNSNames[0] != "thermostat" {
		t.Errorf("leaf ends %s with SANs %v; want 30 days and the CN as SAN", leaf.Cert.NotAfter, leaf.Cert.DNSNames)
	}
	server := create(CreateSpec{Profile: ProfileServer, Subject: mustDN(t, "CN = broker"), CertFile: p("server.pem"), KeyFile: p("server.key"),
		CAFile: p("inter.pem"), CAKeyFile: p("inter.key"), SANs: []string{"broker.local", "10.0.0.5"}, NotAfter: now.Add(48 * time.Hour)})
	if !server.Cert.NotAfter.Equal(now.Add(48 * time.Hour)) {
		t.Errorf("server ends %s, want --not-after", server.Cert.NotAfter)
	}

	out := openssl(t, dir, "verify", "-purpose", "sslclient", "-CAfile", "root.pem", "-untrusted", "inter.pem", "leaf.pem")
	mustContain(t, "openssl verify leaf", out, "leaf.pem: OK")
	out = openssl(t, dir, "verify", "-purpose", "sslserver", "-CAfile", "root.pem", "-untrusted", "inter.pem", "server.pem")
	mustContain(t, "openssl verify server", out, "server.pem: OK")
	text := openssl(t, dir, "x509", "-noout", "-text", "-in", "inter.pem")
	mustContain(t, "intermediate", text, "CA:TRUE, pathlen:0", "rsaEncryption", "Subject: O = Contoso, CN = Contoso Devices")
	text = openssl(t, dir, "x509", "-noout", "-text", "-in", "server.pem")
	mustContain(t, "server", text, "TLS Web Server Authentication", "DNS:broker.local, IP Address:10.0.0.5")
	// --bundle: the leaf file holds the leaf then its issuer.
	if b, err := ReadBundle(p("leaf.pem")); err != nil || len(b) != 2 || !b[1].Cert.Equal(inter.Cert) {
		t.Errorf("--bundle: %d certificates (%v), want leaf + intermediate", len(b), err)
	}
	for _, k := range []string{"root.key", "inter.key", "leaf.key", "server.key"} {
		if info, err := os.Stat(p(k)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", k, info.Mode().Perm(), err)
		}
	}
	var summary bytes.Buffer
	leaf.WriteSummary(&summary)
	mustContain(t, "summary", summary.String(), "Wrote client certificate", "(RSA 2048, mode 0600)", "subject  CN = thermostat",
		"issuer   CN = Contoso Devices, O = Contoso", "SANs     DNS:thermostat")

	// A key of another kind than the issuer's is minted, with a warning.
	mixed := create(CreateSpec{Profile: ProfileLeaf, Subject: mustDN(t, "CN = ec-device"), CertFile: p("ec.pem"), KeyFile: p("ec.key"),
		CAFile: p("inter.pem"), CAKeyFile: p("inter.key"), Key: KeySpec{Type: KeyTypeEC}})
	if len(mixed.Warnings) != 1 || !strings.Contains(mixed.Warnings[0], "mix key algorithms") {
		t.Errorf("warnings %v, want one about mixing key algorithms", mixed.Warnings)
	}
}

func TestCreateRefusals(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	if _, err := CreateCertificate(CreateSpec{Profile: ProfileRootCA, Subject: mustDN(t, "CN = Root"), CertFile: p("root.pem"), KeyFile: p("root.key")}); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateCertificate(CreateSpec{Profile: ProfileIntermediateCA, Subject: mustDN(t, "CN = Inter"), CertFile: p("inter.pem"), KeyFile: p("inter.key"),
		CAFile: p("root.pem"), CAKeyFile: p("root.key")}); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateCertificate(CreateSpec{Profile: ProfileLeaf, Subject: mustDN(t, "CN = leaf"), CertFile: p("leaf.pem"), KeyFile: p("leaf.key"),
		CAFile: p("inter.pem"), CAKeyFile: p("inter.key")}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("existing.pem"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	leafSpec := func(mod func(*CreateSpec)) CreateSpec {
		s := CreateSpec{Profile: ProfileLeaf, Subject: mustDN(t, "CN = dev"), CertFile: p("new.pem"), KeyFile: p("new.key"),
			CAFile: p("inter.pem"), CAKeyFile: p("inter.key")}
		mod(&s)
		return s
	}
	tests := []struct {
		name string
		spec CreateSpec
		want string
	}{
		{"root with --ca", CreateSpec{Profile: ProfileRootCA, Subject: mustDN(t, "CN = R"), CertFile: p("r.pem"), KeyFile: p("r.key"), CAFile: p("root.pem")},
			"do not apply to --profile root-ca"},
		{"leaf without --ca", leafSpec(func(s *CreateSpec) { s.CAFile, s.CAKeyFile = "", "" }), "--profile leaf requires flag --ca"},
		{"--ca without --ca-key", leafSpec(func(s *CreateSpec) { s.CAKeyFile = "" }), "flag --ca requires flag --ca-key"},
		{"a leaf as --ca", leafSpec(func(s *CreateSpec) { s.CAFile, s.CAKeyFile = p("leaf.pem"), p("leaf.key") }), "is not a CA certificate"},
		{"the wrong key", leafSpec(func(s *CreateSpec) { s.CAKeyFile = p("root.key") }), "does not belong to --ca"},
		{"a certificate as key", leafSpec(func(s *CreateSpec) { s.CAKeyFile = p("root.pem") }), "not a private key"},
		{"no such CA", leafSpec(func(s *CreateSpec) { s.CAFile = p("missing.pem") }), "missing.pem"},
		{"CA below a path length 0 CA", leafSpec(func(s *CreateSpec) { s.Profile = ProfileIntermediateCA }), "path length 0 and cannot sign another CA"},
		{"outliving the issuer", leafSpec(func(s *CreateSpec) { s.NotAfter = time.Now().AddDate(20, 0, 0) }), "would outlive its issuer"},
		{"SAN on a CA", CreateSpec{Profile: ProfileRootCA, Subject: mustDN(t, "CN = R"), CertFile: p("r.pem"), KeyFile: p("r.key"), SANs: []string{"x"}},
			"flag --san requires --profile leaf or server"},
		{"bad server SAN", leafSpec(func(s *CreateSpec) { s.Profile, s.SANs = ProfileServer, []string{"a b"} }), `invalid --san "a b"`},
		{"same file twice", leafSpec(func(s *CreateSpec) { s.KeyFile = s.CertFile }), "are the same file"},
		{"existing file", leafSpec(func(s *CreateSpec) { s.CertFile = p("existing.pem") }), "existing.pem already exists"},
		{"small RSA", leafSpec(func(s *CreateSpec) { s.Key = KeySpec{Type: "RSA", Size: 1024} }), "too small"},
		{"bundle a root", CreateSpec{Profile: ProfileRootCA, Subject: mustDN(t, "CN = R"), CertFile: p("r.pem"), KeyFile: p("r.key"), Bundle: true},
			"flag --bundle requires flag --ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CreateCertificate(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if _, err := os.Stat(p("new.key")); err == nil {
				t.Errorf("a refused run wrote new.key")
			}
		})
	}
	if data, _ := os.ReadFile(p("existing.pem")); string(data) != "keep me" {
		t.Errorf("existing.pem was overwritten")
	}
	var exists *atomicfile.ExistsError
	_, err := CreateCertificate(leafSpec(func(s *CreateSpec) { s.CertFile = p("existing.pem") }))
	if !errors.As(err, &exists) {
		t.Errorf("err = %v, want an *atomicfile.ExistsError", err)
	}
}

func TestParseSubject(t *testing.T) {
	for _, tt := range []struct{ in, want, wantErr string }{
		{in: "thermostat", want: "CN = thermostat"},
		{in: "  smart fan ", want: "CN = smart fan"},
		{in: "CN=Fleet CA,O=Contoso", want: "CN = Fleet CA, O = Contoso"},
		{in: "XX = y", wantErr: "unknown attribute type"},
		{in: " ", wantErr: "empty SUBJECT"},
		{in: "CN = ", wantErr: `SUBJECT "CN = ": CN has an empty value`},
		{in: "CN = x, O =", wantErr: "O has an empty value"},
	} {
		got, err := ParseSubject(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSubject(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseSubject(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// BenchmarkMintFleet measures `certs chain --count 1000`: 1,000 EC P-256
// client certificates and keys, written to disk. hack/bench-mint.sh compares
// the same run with step and openssl.
func BenchmarkMintFleet(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		if _, err := MintChain(ChainSpec{OutDir: dir, Count: 1000, ClientPrefix: "dev-"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueLeaf measures signing one leaf in memory, without the disk.
func BenchmarkIssueLeaf(b *testing.B) {
	var m Minter
	key, _ := DefaultKeySpec.Generate()
	now := time.Now()
	ca, err := m.SelfSign(Request{Profile: ProfileIntermediateCA, Subject: mustDNB(b, "CN = CA"), NotBefore: now, NotAfter: now.Add(time.Hour)}, key)
	if err != nil {
		b.Fatal(err)
	}
	issuer := &CA{Certificate: ca, Key: key}
	subject := mustDNB(b, "CN = dev")
	for b.Loop() {
		leafKey, err := DefaultKeySpec.Generate()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Issue(Request{Profile: ProfileLeaf, Subject: subject, SANs: []string{"dev"}, NotBefore: now, NotAfter: now.Add(time.Minute)}, leafKey.Public(), issuer); err != nil {
			b.Fatal(err)
		}
	}
}

func mustDNB(b *testing.B, s string) dn.Name {
	b.Helper()
	n, err := ParseSubject(s)
	if err != nil {
		b.Fatal(err)
	}
	return n
}
