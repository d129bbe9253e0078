package pki

import (
	"crypto"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
)

// fixtureDir holds certificates with fixed dates, committed so that docs and
// golden tests print stable output. `go test ./pkg/pki -run TestFixtures
// -update` mints them afresh (new keys, same names and dates).
var fixtureDir = filepath.Join(testdataDir, "..", "..", "..", "testdata", "pki")

// fixtureEpoch is when the fixtures start; docs pass --now after it.
var fixtureEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type fixture struct {
	file    string
	profile Profile
	subject string
	sans    []string
	key     KeySpec
	issuer  string // file of the issuing fixture; "" for self-signed
	from    time.Time
	until   time.Time
	// bundle appends the issuer's certificate (and its issuer's...).
	bundle bool
}

var fixtures = []fixture{
	{file: "root_ca_cert.pem", profile: ProfileRootCA, subject: "CN = Contoso Test Root, O = Contoso", key: DefaultKeySpec,
		from: fixtureEpoch, until: fixtureEpoch.AddDate(10, 0, 0)},
	{file: "intermediate_ca_cert.pem", profile: ProfileIntermediateCA, subject: "CN = Contoso Test Devices, O = Contoso", key: DefaultKeySpec,
		issuer: "root_ca_cert.pem", from: fixtureEpoch, until: fixtureEpoch.AddDate(10, 0, 0)},
	{file: "chain.pem", profile: ProfileIntermediateCA, issuer: "root_ca_cert.pem", bundle: true},
	{file: "thermostat_cert.pem", profile: ProfileLeaf, subject: "CN = thermostat", sans: []string{"thermostat"}, key: DefaultKeySpec,
		issuer: "intermediate_ca_cert.pem", from: fixtureEpoch, until: fixtureEpoch.AddDate(5, 0, 0)},
	{file: "rsa_root_ca_cert.pem", profile: ProfileRootCA, subject: "CN = Fabrikam RSA Root, O = Fabrikam", key: KeySpec{Type: KeyTypeRSA, Size: 2048},
		from: fixtureEpoch, until: fixtureEpoch.AddDate(10, 0, 0)},
	{file: "expired_root_ca_cert.pem", profile: ProfileRootCA, subject: "CN = Retired Root, O = Contoso", key: DefaultKeySpec,
		from: fixtureEpoch.AddDate(-6, 0, 0), until: fixtureEpoch.AddDate(-1, 0, 0)},
}

// TestFixtures mints the fixtures under -update, and otherwise checks that
// the committed ones are still what the docs and tests expect.
func TestFixtures(t *testing.T) {
	if golden.Update() {
		writeFixtures(t)
	}
	for _, f := range fixtures {
		if f.file == "chain.pem" {
			continue
		}
		certs, err := ReadBundle(filepath.Join(fixtureDir, f.file))
		if err != nil {
			t.Fatalf("%v (regenerate with go test ./pkg/pki -run TestFixtures -update)", err)
		}
		c := certs[0].Cert
		want, _ := dn.Parse(f.subject)
		got, _ := dn.FromRawSubject(c.RawSubject)
		if !dn.Equal(want, got) || !c.NotBefore.Equal(f.from) || !c.NotAfter.Equal(f.until) || IsCA(c) != f.profile.IsCA() {
			t.Errorf("%s: subject %q %s..%s CA %v, want %q %s..%s CA %v", f.file, got, c.NotBefore, c.NotAfter, IsCA(c),
				f.subject, f.from, f.until, f.profile.IsCA())
		}
	}
	chain, err := ReadBundle(filepath.Join(fixtureDir, "chain.pem"))
	if err != nil || len(chain) != 2 {
		t.Fatalf("chain.pem: %d certificates, %v", len(chain), err)
	}
}

func writeFixtures(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var m Minter
	cas := map[string]*CA{}
	certs := map[string][]*x509.Certificate{}
	for _, f := range fixtures {
		if f.bundle && f.subject == "" {
			// chain.pem: the intermediate then the root.
			chain := append([]*x509.Certificate{certs["intermediate_ca_cert.pem"][0]}, certs[f.issuer]...)
			if err := atomicfile.WriteFile(filepath.Join(fixtureDir, f.file), EncodeCertificates(chain...), PublicFileMode, true); err != nil {
				t.Fatal(err)
			}
			continue
		}
		spec, err := f.key.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		key, err := spec.Generate()
		if err != nil {
			t.Fatal(err)
		}
		subject, err := dn.Parse(f.subject)
		if err != nil {
			t.Fatal(err)
		}
		req := Request{Profile: f.profile, Subject: subject, SANs: f.sans, NotBefore: f.from, NotAfter: f.until}
		var cert *x509.Certificate
		if f.issuer == "" {
			cert, err = m.SelfSign(req, key)
		} else {
			cert, err = m.Issue(req, key.Public(), cas[f.issuer])
		}
		if err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		certs[f.file] = []*x509.Certificate{cert}
		if f.profile.IsCA() {
			cas[f.file] = &CA{Certificate: cert, Key: key}
		}
		keyFile := f.file[:len(f.file)-len("_cert.pem")] + "_key.pem"
		writeKey(t, filepath.Join(fixtureDir, keyFile), key)
		if err := atomicfile.WriteFile(filepath.Join(fixtureDir, f.file), EncodeCertificates(cert), PublicFileMode, true); err != nil {
			t.Fatal(err)
		}
	}
}

func writeKey(t *testing.T, path string, key crypto.Signer) {
	t.Helper()
	data, err := EncodePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, data, PrivateFileMode, true); err != nil {
		t.Fatal(err)
	}
}
