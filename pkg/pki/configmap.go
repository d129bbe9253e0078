package pki

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// DefaultCAConfigMapKey is the key `ca import` stores the bundle under: the
// one older broker documentation requires (GA trusts every PEM under any key,
// so it is right for both).
const DefaultCAConfigMapKey = "client_ca.pem"

// CAImport is a trusted-CA ConfigMap about to be created: the certificates it
// will hold and what was wrong with them. Build it with NewCAImport; the
// command then prints ConfigMap() (--dry-run=client) or applies it.
type CAImport struct {
	Name      string
	Namespace string
	Key       string
	// Certificates are the CAs to store, in the order given, each once.
	Certificates []BundleCertificate
	// Duplicates were given more than once and are stored once.
	Duplicates []BundleCertificate
	// Problems are CheckCABundle's findings; Refused() says whether any
	// is an error.
	Problems []BundleProblem
}

// NewCAImport checks the ConfigMap's name, namespace and key, removes
// duplicate certificates (same SHA-256 fingerprint) and judges the bundle.
// Its error is about the names; the certificates' problems are in Problems.
func NewCAImport(name, namespace, key string, certs []BundleCertificate, now time.Time) (*CAImport, error) {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, fmt.Errorf("invalid --name %q: %s", name, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return nil, fmt.Errorf("invalid namespace %q: %s", namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
		return nil, fmt.Errorf("invalid --key %q: %s", key, strings.Join(errs, "; "))
	}
	imp := &CAImport{Name: name, Namespace: namespace, Key: key}
	seen := map[string]bool{}
	for _, c := range certs {
		fp := Fingerprint(c.Cert)
		if seen[fp] {
			imp.Duplicates = append(imp.Duplicates, c)
			continue
		}
		seen[fp] = true
		imp.Certificates = append(imp.Certificates, c)
	}
	imp.Problems = CheckCABundle(imp.Certificates, now, 0)
	return imp, nil
}

// Refused reports whether a problem is an error, so the ConfigMap must not be
// created.
func (imp *CAImport) Refused() bool {
	for _, p := range imp.Problems {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// ConfigMap is the trusted-CA ConfigMap: one key holding every CA as PEM.
func (imp *CAImport) ConfigMap() *corev1.ConfigMap {
	certs := make([]*x509.Certificate, len(imp.Certificates))
	for i, c := range imp.Certificates {
		certs[i] = c.Cert
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: imp.Name, Namespace: imp.Namespace},
		Data:       map[string]string{imp.Key: string(EncodeCertificates(certs...))},
	}
}
