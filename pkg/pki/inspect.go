package pki

import (
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// CertificateInfo is what `ca inspect` shows about one certificate; its JSON
// form is the stable `-o json` contract.
type CertificateInfo struct {
	// Source and Index locate the certificate: the file (or "stdin") and
	// its position among the file's certificates, from 0. Line is the line
	// of its BEGIN marker.
	Source string `json:"source"`
	Index  int    `json:"index"`
	Line   int    `json:"line"`
	// Subject and Issuer are in the authorizationAttributes notation.
	Subject    string `json:"subject"`
	Issuer     string `json:"issuer"`
	SelfSigned bool   `json:"selfSigned"`
	// KeyAlgorithm is the family the broker compares (EC, RSA, Ed25519);
	// Key adds the curve or size ("EC P-256").
	KeyAlgorithm KeyAlgorithm `json:"keyAlgorithm"`
	Key          string       `json:"key"`
	IsCA         bool         `json:"isCA"`
	// PathLength is the CA's path length constraint, when it has one.
	PathLength *int `json:"pathLength,omitempty"`
	// ExtKeyUsage lists clientAuth, serverAuth, ... for leaves.
	ExtKeyUsage  []string  `json:"extKeyUsage,omitempty"`
	DNSNames     []string  `json:"dnsNames,omitempty"`
	IPAddresses  []string  `json:"ipAddresses,omitempty"`
	NotBefore    time.Time `json:"notBefore"`
	NotAfter     time.Time `json:"notAfter"`
	Validity     Validity  `json:"validity"`
	SerialNumber string    `json:"serialNumber"`
	SHA256       string    `json:"sha256"`
}

// Inspection is the `ca inspect -o json` document.
type Inspection struct {
	Certificates []CertificateInfo `json:"certificates"`
}

var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "any",
	x509.ExtKeyUsageServerAuth:      "serverAuth",
	x509.ExtKeyUsageClientAuth:      "clientAuth",
	x509.ExtKeyUsageCodeSigning:     "codeSigning",
	x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping:    "timeStamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
}

// Describe gathers what `ca inspect` shows about b at now.
func Describe(b BundleCertificate, now time.Time) CertificateInfo {
	c := b.Cert
	info := CertificateInfo{
		Source: b.Source, Index: b.Index, Line: b.Line,
		Subject: SubjectString(c), Issuer: IssuerString(c), SelfSigned: IsSelfSigned(c),
		KeyAlgorithm: KeyAlgorithmOf(c), Key: KeyDescription(c), IsCA: IsCA(c),
		DNSNames: c.DNSNames, NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		Validity: ValidityAt(c, now, 0), SerialNumber: hex.EncodeToString(c.SerialNumber.Bytes()), SHA256: Fingerprint(c),
	}
	if n, ok := PathLength(c); ok {
		info.PathLength = &n
	}
	for _, u := range c.ExtKeyUsage {
		name, ok := extKeyUsageNames[u]
		if !ok {
			name = fmt.Sprintf("unknown(%d)", u)
		}
		info.ExtKeyUsage = append(info.ExtKeyUsage, name)
	}
	for _, ip := range c.IPAddresses {
		info.IPAddresses = append(info.IPAddresses, ip.String())
	}
	return info
}

// WriteInspection writes certificates for a person, one block each. What the
// certificates say (subjects, SANs) and the file names are escaped for the
// terminal.
func WriteInspection(w io.Writer, infos []CertificateInfo, now time.Time, st *ui.Styles) {
	for i, in := range infos {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n", st.Bold.Render(fmt.Sprintf("%s:%d: certificate %d", ui.Escape(in.Source), in.Line, in.Index)))
		field := func(name, value string) { fmt.Fprintf(w, "  %-12s %s\n", name, ui.Escape(value)) }
		field("subject", in.Subject)
		issuer := in.Issuer
		if in.SelfSigned {
			issuer += " (self-signed)"
		}
		field("issuer", issuer)
		field("key", in.Key)
		switch {
		case in.IsCA && in.PathLength != nil:
			field("CA", fmt.Sprintf("yes, path length %d", *in.PathLength))
		case in.IsCA:
			field("CA", "yes")
		default:
			field("CA", "no (leaf)")
		}
		if len(in.ExtKeyUsage) > 0 {
			field("key usage", strings.Join(in.ExtKeyUsage, ", "))
		}
		var sans []string
		for _, d := range in.DNSNames {
			sans = append(sans, "DNS:"+d)
		}
		for _, ip := range in.IPAddresses {
			sans = append(sans, "IP:"+ip)
		}
		if len(sans) > 0 {
			field("SANs", strings.Join(sans, ", "))
		}
		state := ""
		switch in.Validity {
		case ValidityExpired:
			state = st.Error.Render("EXPIRED " + Relative(in.NotAfter, now))
		case ValidityNotYetValid:
			state = st.Warning.Render("not valid yet, starts " + Relative(in.NotBefore, now))
		case ValidityExpiringSoon:
			state = st.Warning.Render("expires " + Relative(in.NotAfter, now))
		default:
			state = "expires " + Relative(in.NotAfter, now)
		}
		field("valid", fmt.Sprintf("%s to %s (%s)", formatTime(in.NotBefore), formatTime(in.NotAfter), state))
		field("serial", in.SerialNumber)
		field("sha256", in.SHA256)
	}
}
