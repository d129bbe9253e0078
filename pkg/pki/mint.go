package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"reflect"
	"sync"
	"time"

	"go.step.sm/crypto/x509util"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
)

// Profile is the kind of certificate to mint, named as step's --profile names
// them.
type Profile string

// The profiles.
const (
	// ProfileRootCA is a self-signed CA that may sign one level of CAs below
	// it (path length 1): root → intermediate → leaves.
	ProfileRootCA Profile = "root-ca"
	// ProfileIntermediateCA is a CA that signs leaves only (path length 0).
	ProfileIntermediateCA Profile = "intermediate-ca"
	// ProfileLeaf is a client certificate (clientAuth): what a device presents
	// to the broker.
	ProfileLeaf Profile = "leaf"
	// ProfileServer is a TLS server certificate (serverAuth) for a test
	// broker's listener.
	ProfileServer Profile = "server"
)

// Profiles lists the profiles in the order help text shows them.
var Profiles = []Profile{ProfileRootCA, ProfileIntermediateCA, ProfileLeaf, ProfileServer}

// ParseProfile reads a --profile value.
func ParseProfile(s string) (Profile, error) {
	for _, p := range Profiles {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown --profile %q: use root-ca, intermediate-ca, leaf or server", s)
}

// IsCA reports whether certificates of the profile are CAs.
func (p Profile) IsCA() bool { return p == ProfileRootCA || p == ProfileIntermediateCA }

// DefaultValidity is how long a certificate of the profile lives when
// --not-after is not given.
func (p Profile) DefaultValidity() time.Duration {
	if p.IsCA() {
		return DefaultCAValidity
	}
	return DefaultLeafValidity
}

// serverTemplate is step's default leaf template narrowed to serverAuth: a
// test broker's certificate should not double as a client credential.
const serverTemplate = `{
	"subject": {{ toJson .Subject }},
	"sans": {{ toJson .SANs }},
{{- if typeIs "*rsa.PublicKey" .Insecure.CR.PublicKey }}
	"keyUsage": ["keyEncipherment", "digitalSignature"],
{{- else }}
	"keyUsage": ["digitalSignature"],
{{- end }}
	"extKeyUsage": ["serverAuth"]
}`

// template returns the x509util template text of the profile: step's own
// root and intermediate templates (path lengths 1 and 0), its clientAuth-only
// leaf template for clients, and serverTemplate for servers.
func (p Profile) template() string {
	switch p {
	case ProfileRootCA:
		return x509util.DefaultRootTemplate
	case ProfileIntermediateCA:
		return x509util.DefaultIntermediateTemplate
	case ProfileServer:
		return serverTemplate
	default:
		return x509util.DefaultAttestedLeafTemplate
	}
}

// Request describes one certificate to mint.
type Request struct {
	Profile Profile
	// Subject is the certificate's subject, encoded in exactly the order
	// given (most specific first, as written).
	Subject dn.Name
	// SANs are subject alternative names; each is typed the way step types
	// them (IP address, e-mail, URI, else DNS name).
	SANs      []string
	NotBefore time.Time
	NotAfter  time.Time
}

// CA is a certificate authority ready to sign: its certificate and private
// key, parsed once and shared by every certificate it signs.
type CA struct {
	Certificate *x509.Certificate
	Key         crypto.Signer
}

// Minter turns requests into signed certificates. It executes a profile's
// x509util template once per kind of key and reuses the result for every
// certificate of that profile, which is what keeps minting a thousand leaves
// cheap. A Minter is safe for concurrent use; the zero value is ready.
type Minter struct {
	mu         sync.Mutex
	prototypes map[prototypeKey]*x509util.Certificate
}

type prototypeKey struct {
	profile Profile
	keyType reflect.Type
}

// prototype returns the profile's template executed for keys like pub, with
// an empty subject and no SANs: the parts every certificate of the profile
// shares (key usages, basic constraints).
func (m *Minter) prototype(p Profile, pub crypto.PublicKey) (*x509util.Certificate, error) {
	k := prototypeKey{p, reflect.TypeOf(pub)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.prototypes[k]; ok {
		return c, nil
	}
	data := x509util.TemplateData{x509util.SubjectKey: x509util.Subject{}, x509util.SANsKey: []x509util.SubjectAlternativeName{}}
	c, err := x509util.NewCertificateFromX509(&x509.Certificate{PublicKey: pub}, x509util.WithTemplate(p.template(), data))
	if err != nil {
		return nil, fmt.Errorf("building the %s template: %w", p, err)
	}
	if m.prototypes == nil {
		m.prototypes = map[prototypeKey]*x509util.Certificate{}
	}
	m.prototypes[k] = c
	return c, nil
}

// template builds the x509.Certificate to sign for req and pub.
func (m *Minter) template(req Request, pub crypto.PublicKey) (*x509.Certificate, error) {
	if len(req.Subject) == 0 {
		return nil, fmt.Errorf("a %s certificate needs a subject", req.Profile)
	}
	if !req.NotAfter.After(req.NotBefore) {
		return nil, fmt.Errorf("the certificate would end (%s) before it starts (%s)",
			req.NotAfter.UTC().Format(time.RFC3339), req.NotBefore.UTC().Format(time.RFC3339))
	}
	proto, err := m.prototype(req.Profile, pub)
	if err != nil {
		return nil, err
	}
	subject, err := req.Subject.PKIX()
	if err != nil {
		return nil, fmt.Errorf("subject %q: %w", req.Subject, err)
	}
	rawSubject, err := asn1.Marshal(subject.ToRDNSequence())
	if err != nil {
		return nil, fmt.Errorf("encoding subject %q: %w", req.Subject, err)
	}
	c := *proto
	c.PublicKey = pub
	c.RawSubject = rawSubject
	c.SANs = x509util.CreateSANs(req.SANs)
	c.NotBefore = req.NotBefore.UTC().Truncate(time.Second)
	c.NotAfter = req.NotAfter.UTC().Truncate(time.Second)
	return c.GetCertificate(), nil
}

// SelfSign mints a self-signed certificate (a root CA) for key.
func (m *Minter) SelfSign(req Request, key crypto.Signer) (*x509.Certificate, error) {
	tmpl, err := m.template(req, key.Public())
	if err != nil {
		return nil, err
	}
	cert, err := x509util.CreateCertificate(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("signing %q: %w", req.Subject, err)
	}
	return cert, nil
}

// Issue mints a certificate for pub signed by ca. It refuses what would make
// a chain that verifiers reject: a signer that is not a CA, a CA below a CA
// of path length 0, a certificate outliving its issuer.
func (m *Minter) Issue(req Request, pub crypto.PublicKey, ca *CA) (*x509.Certificate, error) {
	if err := ca.check(req); err != nil {
		return nil, err
	}
	tmpl, err := m.template(req, pub)
	if err != nil {
		return nil, err
	}
	cert, err := x509util.CreateCertificate(tmpl, ca.Certificate, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("signing %q: %w", req.Subject, err)
	}
	return cert, nil
}

func (ca *CA) check(req Request) error {
	c := ca.Certificate
	name := SubjectString(c)
	if !IsCA(c) {
		return fmt.Errorf("the issuer %q is not a CA certificate: sign with a root or intermediate CA", name)
	}
	if req.Profile.IsCA() && c.MaxPathLen == 0 && c.MaxPathLenZero {
		return fmt.Errorf("the issuer %q has path length 0 and cannot sign another CA: sign the %s with the root CA", name, req.Profile)
	}
	if req.NotAfter.After(c.NotAfter) {
		return fmt.Errorf("the certificate would outlive its issuer %q (valid until %s): choose an earlier --not-after",
			name, c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}
