package pki

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.step.sm/crypto/keyutil"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// ParseSubject reads a certs create SUBJECT: a distinguished name in the
// authorizationAttributes notation ("CN = Fleet CA, O = Contoso") when it
// contains '=', else a bare common name, as step takes it.
func ParseSubject(s string) (dn.Name, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty SUBJECT: give a common name (thermostat) or a distinguished name (\"CN = Fleet CA, O = Contoso\")")
	}
	if !strings.Contains(s, "=") {
		return dn.Name{{OID: "2.5.4.3", Value: strings.TrimSpace(s)}}, nil
	}
	n, err := dn.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("SUBJECT: %w", err)
	}
	if err := checkSubject("SUBJECT", n); err != nil {
		return nil, err
	}
	return n, nil
}

// checkSubject refuses a subject with an empty value. A DN may hold one, but
// a certificate whose subject says nothing ("CN = ") matches no
// authorizationAttributes entry and gives no username.
func checkSubject(what string, n dn.Name) error {
	for _, a := range n {
		if strings.TrimSpace(a.Value) == "" {
			attr := strings.TrimSuffix(strings.TrimSpace(dn.Name{a}.String()), " =")
			return fmt.Errorf("%s %q: %s has an empty value: give it one, e.g. \"CN = thermostat\"", what, n.String(), attr)
		}
	}
	return nil
}

// CreateSpec says what `certs create` mints: one certificate and its key.
type CreateSpec struct {
	Profile  Profile
	Subject  dn.Name
	CertFile string
	KeyFile  string
	// CAFile and CAKeyFile sign the certificate; both empty for a root.
	CAFile    string
	CAKeyFile string
	SANs      []string
	// Key is the new key's kind; the zero value means the issuer's kind
	// (or EC P-256 for a root), so a chain keeps one key algorithm.
	Key KeySpec
	// NotAfter ends the certificate; zero means the profile's default
	// lifetime from Now.
	NotAfter time.Time
	// Bundle appends the issuer's certificate to CertFile.
	Bundle bool
	Force  bool
	Now    time.Time
}

// Created is what CreateCertificate made.
type Created struct {
	Spec   CreateSpec
	Cert   *x509.Certificate
	Issuer *x509.Certificate // nil for a root
	Key    KeySpec
	// Warnings are worth telling the operator but did not stop minting.
	Warnings []string
}

// CreateCertificate checks spec, mints the certificate and writes it and its
// key (0600), never overwriting without Force.
func CreateCertificate(spec CreateSpec) (*Created, error) {
	out := &Created{Spec: spec}
	if spec.CertFile == "" || spec.KeyFile == "" {
		return nil, fmt.Errorf("give SUBJECT, CERT_FILE and KEY_FILE")
	}
	if filepath.Clean(spec.CertFile) == filepath.Clean(spec.KeyFile) {
		return nil, fmt.Errorf("CERT_FILE and KEY_FILE are the same file %s: give two names", spec.CertFile)
	}
	if len(spec.Subject) == 0 {
		return nil, fmt.Errorf("empty SUBJECT")
	}
	now := spec.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Second)

	var ca *CA
	switch {
	case spec.Profile == ProfileRootCA && (spec.CAFile != "" || spec.CAKeyFile != ""):
		return nil, fmt.Errorf("flags --ca and --ca-key do not apply to --profile root-ca: a root CA signs itself")
	case spec.Profile != ProfileRootCA && spec.CAFile == "":
		return nil, fmt.Errorf("--profile %s requires flag --ca (the issuing CA's certificate) and --ca-key", spec.Profile)
	case spec.CAFile != "" && spec.CAKeyFile == "":
		return nil, fmt.Errorf("flag --ca requires flag --ca-key")
	case spec.CAFile != "":
		var err error
		if ca, err = LoadCA(spec.CAFile, spec.CAKeyFile); err != nil {
			return nil, err
		}
		out.Issuer = ca.Certificate
	}

	sans := spec.SANs
	if spec.Profile.IsCA() && len(sans) > 0 {
		return nil, fmt.Errorf("flag --san requires --profile leaf or server: CA certificates carry no subject alternative names")
	}
	if !spec.Profile.IsCA() && len(sans) == 0 {
		if cn := spec.Subject.CommonName(); cn != "" {
			sans = []string{cn}
		}
	}
	if spec.Profile == ProfileServer {
		for _, san := range sans {
			if err := checkServerSAN(san); err != nil {
				return nil, fmt.Errorf("%s (a server certificate names hosts)", strings.Replace(err.Error(), "--server-san", "--san", 1))
			}
		}
	}

	keySpec := spec.Key
	if keySpec == (KeySpec{}) && ca != nil {
		var err error
		if keySpec, err = KeySpecOf(ca.Certificate.PublicKey); err != nil {
			return nil, err
		}
	}
	var err error
	if out.Key, err = keySpec.Normalize(); err != nil {
		return nil, err
	}
	if ca != nil && out.Key.Algorithm() != KeyAlgorithmOf(ca.Certificate) {
		out.Warnings = append(out.Warnings, fmt.Sprintf("the new %s key differs from the issuer's %s key: the broker refuses chains that mix key algorithms",
			out.Key, KeyDescription(ca.Certificate)))
	}
	if out.Key.Type == KeyTypeOKP {
		out.Warnings = append(out.Warnings, "Ed25519 keys: the broker documents EC and RSA only")
	}

	notAfter := spec.NotAfter
	if notAfter.IsZero() {
		notAfter = now.Add(spec.Profile.DefaultValidity())
		// A default that would outlive the issuer ends with it instead.
		if ca != nil && notAfter.After(ca.Certificate.NotAfter) {
			notAfter = ca.Certificate.NotAfter
		}
	}
	req := Request{Profile: spec.Profile, Subject: spec.Subject, SANs: sans, NotBefore: now.Add(-Backdate), NotAfter: notAfter}
	if ca != nil && req.NotBefore.Before(ca.Certificate.NotBefore) {
		req.NotBefore = ca.Certificate.NotBefore
	}

	if !spec.Force {
		if err := atomicfile.CheckFree([]string{spec.CertFile, spec.KeyFile}); err != nil {
			return nil, err
		}
	}
	key, err := out.Key.Generate()
	if err != nil {
		return nil, err
	}
	var m Minter
	if ca == nil {
		out.Cert, err = m.SelfSign(req, key)
	} else {
		out.Cert, err = m.Issue(req, key.Public(), ca)
	}
	if err != nil {
		return nil, err
	}
	chain := []*x509.Certificate{out.Cert}
	if spec.Bundle {
		if ca == nil {
			return nil, fmt.Errorf("flag --bundle requires flag --ca: a root has no issuer to bundle")
		}
		chain = append(chain, ca.Certificate)
	}
	keyPEM, err := EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(spec.KeyFile); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	if dir := filepath.Dir(spec.CertFile); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.Write([]atomicfile.File{
		{Path: spec.KeyFile, Data: keyPEM, Perm: PrivateFileMode},
		{Path: spec.CertFile, Data: EncodeCertificates(chain...), Perm: PublicFileMode},
	}, spec.Force); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadCA reads a CA certificate (the first certificate of certFile) and its
// private key, and checks that they belong together and can sign.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certs, err := ReadBundle(certFile)
	if err != nil {
		return nil, fmt.Errorf("--ca: %w", err)
	}
	cert := certs[0].Cert
	if !IsCA(cert) {
		return nil, fmt.Errorf("--ca %s: %q is not a CA certificate: sign with a root or intermediate CA", certFile, SubjectString(cert))
	}
	data, err := input.ReadFile(keyFile, input.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("--ca-key: %w", err)
	}
	key, err := ParsePrivateKey(keyFile, data)
	if err != nil {
		return nil, fmt.Errorf("--ca-key: %w", err)
	}
	if err := keyutil.VerifyPair(cert.PublicKey, crypto.PrivateKey(key)); err != nil {
		return nil, fmt.Errorf("--ca-key %s does not belong to --ca %s (%q): pass the CA's own key", keyFile, certFile, SubjectString(cert))
	}
	return &CA{Certificate: cert, Key: key}, nil
}

// WriteSummary tells what was written, for stderr.
func (c *Created) WriteSummary(w io.Writer) {
	kind := map[Profile]string{ProfileRootCA: "root CA", ProfileIntermediateCA: "intermediate CA", ProfileLeaf: "client certificate", ProfileServer: "server certificate"}[c.Spec.Profile]
	fmt.Fprintf(w, "Wrote %s %s and its key %s (%s, mode 0600)\n", kind, ui.Escape(c.Spec.CertFile), ui.Escape(c.Spec.KeyFile), c.Key)
	fmt.Fprintf(w, "  subject  %s\n", ui.Escape(SubjectString(c.Cert)))
	if c.Issuer != nil {
		fmt.Fprintf(w, "  issuer   %s\n", ui.Escape(SubjectString(c.Issuer)))
	}
	if s := sanList(c.Cert); s != "" {
		fmt.Fprintf(w, "  SANs     %s\n", s)
	}
	fmt.Fprintf(w, "  valid    %s to %s\n", formatTime(c.Cert.NotBefore), formatTime(c.Cert.NotAfter))
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}
