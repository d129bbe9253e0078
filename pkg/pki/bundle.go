package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.step.sm/crypto/x509util"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
)

// This file is the one place that reads CA bundles and judges them, shared by
// `ca import`, `ca inspect`, validate's CA rules and explain's trusted-CA
// loading, so that all of them agree on what a bundle holds and what is wrong
// with it.

// KeyAlgorithm is the family of a certificate's public key. The broker
// requires one family across a whole chain (EC or RSA); curves and sizes may
// differ.
type KeyAlgorithm string

// The key algorithms.
const (
	KeyEC      KeyAlgorithm = "EC"
	KeyRSA     KeyAlgorithm = "RSA"
	KeyEd25519 KeyAlgorithm = "Ed25519"
	KeyUnknown KeyAlgorithm = "unknown"
)

// KeyAlgorithmOf returns the family of c's public key.
func KeyAlgorithmOf(c *x509.Certificate) KeyAlgorithm {
	switch c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return KeyEC
	case *rsa.PublicKey:
		return KeyRSA
	case ed25519.PublicKey:
		return KeyEd25519
	}
	return KeyUnknown
}

// KeyDescription describes c's public key: "EC P-256", "RSA 2048", "Ed25519".
func KeyDescription(c *x509.Certificate) string {
	if spec, err := KeySpecOf(c.PublicKey); err == nil {
		return spec.String()
	}
	return c.PublicKeyAlgorithm.String()
}

// IsCA reports whether c may sign certificates: basic constraints present and
// CA true, which is what every TLS verifier, the broker's included, checks.
func IsCA(c *x509.Certificate) bool { return c.BasicConstraintsValid && c.IsCA }

// PathLength returns c's path length constraint and whether it has one.
func PathLength(c *x509.Certificate) (int, bool) {
	if !IsCA(c) || (c.MaxPathLen <= 0 && !c.MaxPathLenZero) {
		return 0, false
	}
	return c.MaxPathLen, true
}

// IsSelfSigned reports whether c is issued by itself (a root): same subject
// and issuer, and its signature verifies with its own key.
func IsSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

// Fingerprint is the SHA-256 fingerprint of c in lowercase hex, as
// `step certificate fingerprint` prints it (`openssl x509 -fingerprint
// -sha256` prints the same digits in upper case with colons).
func Fingerprint(c *x509.Certificate) string { return x509util.Fingerprint(c) }

// SubjectString writes c's subject in the authorizationAttributes notation
// ("CN = thermostat, O = Contoso"), ready to paste into a manifest.
func SubjectString(c *x509.Certificate) string { return nameString(c.RawSubject, c.Subject.String()) }

// IssuerString writes c's issuer in the authorizationAttributes notation.
func IssuerString(c *x509.Certificate) string { return nameString(c.RawIssuer, c.Issuer.String()) }

func nameString(raw []byte, fallback string) string {
	n, err := dn.FromRawSubject(raw)
	if err != nil || len(n) == 0 {
		return fallback
	}
	return n.String()
}

// BundleCertificate is one certificate of a PEM bundle and where it was found,
// so that messages can say file:line.
type BundleCertificate struct {
	Cert *x509.Certificate
	// Source names the bundle: a file path, "-" for stdin, or whatever the
	// caller passed (e.g. "configmap azure-iot-operations/client-ca key client_ca.pem").
	Source string
	// Index counts certificates in the bundle, from 0.
	Index int
	// Line is the line of the "-----BEGIN CERTIFICATE-----" marker, from 1.
	Line int
}

// Position is "source:line", how messages locate the certificate.
func (b BundleCertificate) Position() string { return fmt.Sprintf("%s:%d", b.Source, b.Line) }

// ErrNoCertificate is wrapped by ParseBundle's error for input that holds no
// PEM certificate at all.
var ErrNoCertificate = errors.New("no PEM certificate found")

// ErrTruncatedBlock is the Err of a last certificate block whose PEM does
// not decode.
var ErrTruncatedBlock = errors.New("the certificate block is not valid PEM (truncated, or missing its -----END CERTIFICATE----- line)")

// BundleBlock is one "CERTIFICATE" block of a PEM bundle as ScanBundle finds
// it: its certificate, or why it gives none.
type BundleBlock struct {
	// BundleCertificate locates the block (Source, Index among the
	// bundle's certificate blocks, Line of its BEGIN marker); its Cert is
	// nil when Err is set.
	BundleCertificate
	// Err is x509's reason the block does not parse, or ErrTruncatedBlock.
	Err error
}

// ScanBundle reads every "CERTIFICATE" block of PEM data, in order, going on
// past blocks that do not parse, for callers that report on each block
// (validate). Other blocks (keys, requests) and text between blocks are
// skipped, as OpenSSL skips them.
func ScanBundle(source string, data []byte) []BundleBlock {
	var out []BundleBlock
	rest := data
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		// pem.Decode skips text before the block: its BEGIN line is the
		// first one at or after the consumed prefix that starts with
		// the marker.
		consumed := len(data) - len(rest)
		begin := bytes.Index(rest, []byte("-----BEGIN "))
		line := 1 + bytes.Count(data[:consumed+max(begin, 0)], []byte("\n"))
		rest = next
		if block.Type != "CERTIFICATE" {
			continue
		}
		b := BundleBlock{BundleCertificate: BundleCertificate{Source: source, Index: len(out), Line: line}}
		b.Cert, b.Err = x509.ParseCertificate(block.Bytes)
		out = append(out, b)
	}
	if i := bytes.Index(rest, []byte("-----BEGIN CERTIFICATE-----")); i >= 0 {
		line := 1 + bytes.Count(data[:len(data)-len(rest)+i], []byte("\n"))
		out = append(out, BundleBlock{BundleCertificate: BundleCertificate{Source: source, Index: len(out), Line: line}, Err: ErrTruncatedBlock})
	}
	return out
}

// ParseBundle reads every "CERTIFICATE" block of PEM data, in order, as
// ScanBundle does, but all must parse: the first block that does not is an
// error naming source and line. Data without any certificate wraps
// ErrNoCertificate.
func ParseBundle(source string, data []byte) ([]BundleCertificate, error) {
	blocks := ScanBundle(source, data)
	out := make([]BundleCertificate, 0, len(blocks))
	for _, b := range blocks {
		switch {
		case errors.Is(b.Err, ErrTruncatedBlock):
			return nil, fmt.Errorf("%s: %w", b.Position(), b.Err)
		case b.Err != nil:
			return nil, fmt.Errorf("%s: certificate %d does not parse: %v", b.Position(), b.Index, b.Err)
		}
		out = append(out, b.BundleCertificate)
	}
	if len(out) == 0 {
		hint := "pass a PEM file with -----BEGIN CERTIFICATE----- blocks"
		if _, err := x509.ParseCertificate(data); err == nil {
			hint = "the file is DER: convert it with openssl x509 -inform der -in " + source + " -out ca.pem"
		} else if bytes.Contains(data, []byte("PRIVATE KEY-----")) {
			hint = "this looks like a private key: pass the certificate file instead"
		}
		return nil, fmt.Errorf("%s: %w: %s", source, ErrNoCertificate, hint)
	}
	return out, nil
}

// ReadBundle reads a PEM bundle from a file.
func ReadBundle(path string) ([]BundleCertificate, error) {
	data, err := input.ReadFile(path, input.PEM)
	if err != nil {
		return nil, err
	}
	return ParseBundle(path, data)
}

// ReadCertPool reads a PEM bundle from a file into a pool of the
// certificates to trust.
func ReadCertPool(path string) (*x509.CertPool, error) {
	certs, err := ReadBundle(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c.Cert)
	}
	return pool, nil
}

// ExpiringSoon is how close to its end a CA counts as expiring soon when the
// caller does not say: a month leaves time to roll a new CA out to devices.
const ExpiringSoon = 30 * 24 * time.Hour

// Validity is where now falls in a certificate's validity period.
type Validity string

// The validity states.
const (
	ValidityOK           Validity = "valid"
	ValidityExpiringSoon Validity = "expiring-soon"
	ValidityExpired      Validity = "expired"
	ValidityNotYetValid  Validity = "not-yet-valid"
)

// ValidityAt says whether c is valid at now, expired, not yet valid, or
// valid but ending within warnWithin (zero means ExpiringSoon).
func ValidityAt(c *x509.Certificate, now time.Time, warnWithin time.Duration) Validity {
	if warnWithin == 0 {
		warnWithin = ExpiringSoon
	}
	switch {
	case now.Before(c.NotBefore):
		return ValidityNotYetValid
	case now.After(c.NotAfter):
		return ValidityExpired
	case c.NotAfter.Sub(now) <= warnWithin:
		return ValidityExpiringSoon
	}
	return ValidityOK
}

// Relative says how far t is from now in words: "in 29d", "3h ago".
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	if d >= 0 {
		return "in " + duration.HumanDuration(d)
	}
	return duration.HumanDuration(-d) + " ago"
}

// Severity is how bad a bundle problem is.
type Severity string

// The severities: an error makes `ca import` refuse the bundle and validate
// report an error; a warning is reported and the bundle is used.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// The rules CheckCABundle applies, stable for scripts and for validate's
// findings.
const (
	RuleNotCA         = "ca-not-ca"
	RuleMixedKeys     = "ca-mixed-key-algorithms"
	RuleExpired       = "ca-expired"
	RuleExpiringSoon  = "ca-expiring-soon"
	RuleNotYetValid   = "ca-not-yet-valid"
	RuleUnsupportedKA = "ca-unsupported-key-algorithm"
)

// BundleProblem is one thing wrong with a CA bundle.
type BundleProblem struct {
	Rule     string
	Severity Severity
	// Certificate is the certificate concerned; for a bundle-wide problem
	// (mixed key algorithms) the first certificate that differs.
	Certificate BundleCertificate
	Message     string
	Hint        string
}

// String is "source:line: message: hint", one line.
func (p BundleProblem) String() string {
	s := p.Certificate.Position() + ": " + p.Message
	if p.Hint != "" {
		s += ": " + p.Hint
	}
	return s
}

// CheckCABundle judges certificates meant as trusted client CAs, in the order
// given: every certificate must be a CA (errors), all must share one key
// algorithm (an error: the broker rejects chains that mix them), and
// expired, not yet valid or soon expiring (within warnWithin; zero means
// ExpiringSoon) CAs are warnings. Ed25519 CAs are warnings too: the broker
// documents EC and RSA only.
func CheckCABundle(certs []BundleCertificate, now time.Time, warnWithin time.Duration) []BundleProblem {
	var out []BundleProblem
	for _, b := range certs {
		c := b.Cert
		name := fmt.Sprintf("certificate %d %q", b.Index, SubjectString(c))
		if !IsCA(c) {
			out = append(out, BundleProblem{Rule: RuleNotCA, Severity: SeverityError, Certificate: b,
				Message: name + " is not a CA (it is a leaf certificate)",
				Hint:    "trust the CA that issued it (" + IssuerString(c) + "), not the leaf"})
			// A leaf's dates and key are beside the point: it must go.
			continue
		}
		switch ValidityAt(c, now, warnWithin) {
		case ValidityExpired:
			out = append(out, BundleProblem{Rule: RuleExpired, Severity: SeverityWarning, Certificate: b,
				Message: fmt.Sprintf("%s expired on %s (%s)", name, c.NotAfter.UTC().Format(time.RFC3339), Relative(c.NotAfter, now)),
				Hint:    "clients chaining to it are refused: replace it with a current CA"})
		case ValidityNotYetValid:
			out = append(out, BundleProblem{Rule: RuleNotYetValid, Severity: SeverityWarning, Certificate: b,
				Message: fmt.Sprintf("%s is not valid before %s (%s)", name, c.NotBefore.UTC().Format(time.RFC3339), Relative(c.NotBefore, now)),
				Hint:    "check the clock of the machine that minted it"})
		case ValidityExpiringSoon:
			out = append(out, BundleProblem{Rule: RuleExpiringSoon, Severity: SeverityWarning, Certificate: b,
				Message: fmt.Sprintf("%s expires on %s (%s)", name, c.NotAfter.UTC().Format(time.RFC3339), Relative(c.NotAfter, now)),
				Hint:    "add its successor to the bundle before it ends"})
		}
		if alg := KeyAlgorithmOf(c); alg != KeyEC && alg != KeyRSA {
			out = append(out, BundleProblem{Rule: RuleUnsupportedKA, Severity: SeverityWarning, Certificate: b,
				Message: fmt.Sprintf("%s has a %s key", name, KeyDescription(c)),
				Hint:    "the broker documents EC and RSA keys only"})
		}
	}
	// Leaves are refused on their own; the algorithm rule is about the CAs.
	var cas []BundleCertificate
	for _, b := range certs {
		if IsCA(b.Cert) {
			cas = append(cas, b)
		}
	}
	if p, ok := MixedKeyAlgorithms(cas); ok {
		out = append(out, p)
	}
	return out
}

// MixedKeyAlgorithms reports certificates that use more than one key
// algorithm: the problem names each algorithm with its certificates and is
// about the first certificate whose algorithm differs from the first one's.
// CheckCABundle applies it to the CAs of a bundle.
func MixedKeyAlgorithms(certs []BundleCertificate) (BundleProblem, bool) {
	if len(certs) == 0 {
		return BundleProblem{}, false
	}
	first := KeyAlgorithmOf(certs[0].Cert)
	groups := map[KeyAlgorithm][]string{}
	var differing *BundleCertificate
	for i, b := range certs {
		alg := KeyAlgorithmOf(b.Cert)
		groups[alg] = append(groups[alg], fmt.Sprintf("%q", SubjectString(b.Cert)))
		if alg != first && differing == nil {
			differing = &certs[i]
		}
	}
	if differing == nil {
		return BundleProblem{}, false
	}
	algs := make([]string, 0, len(groups))
	for alg := range groups {
		algs = append(algs, string(alg))
	}
	sort.Strings(algs)
	parts := make([]string, len(algs))
	for i, alg := range algs {
		parts[i] = fmt.Sprintf("%s (%s)", alg, strings.Join(groups[KeyAlgorithm(alg)], ", "))
	}
	return BundleProblem{Rule: RuleMixedKeys, Severity: SeverityError, Certificate: *differing,
		Message: "the CAs mix key algorithms: " + strings.Join(parts, " and "),
		Hint:    "the broker requires one key algorithm across a chain: keep only the CAs of the algorithm your clients use"}, true
}

// EncodeCertificates writes certificates as PEM, one block each, in order.
func EncodeCertificates(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}
