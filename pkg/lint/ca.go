package lint

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// pemCert is one PEM certificate block of a ConfigMap or Secret value.
type pemCert struct {
	cert *x509.Certificate
	err  error
	// path is the data key's field path; pos where the block starts.
	path string
	pos  manifest.Position
}

// certsIn decodes the PEM certificate blocks of one value. Positions point
// at each block's BEGIN line when the value is written literally in the
// file (data), else at the value.
func (c *docCheck) certsIn(path string, value *yaml.Node, data []byte) []pemCert {
	var out []pemCert
	begin := 0
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		pc := pemCert{path: path, pos: c.beginLine(value, begin)}
		begin++
		pc.cert, pc.err = x509.ParseCertificate(block.Bytes)
		out = append(out, pc)
	}
	return out
}

// beginLine finds the n-th "-----BEGIN" line of a value written as text in
// the file (a block scalar spans the lines after its indicator).
func (c *docCheck) beginLine(value *yaml.Node, n int) manifest.Position {
	pos := manifest.Position{Line: value.Line, Column: value.Column}
	if !strings.Contains(value.Value, "-----BEGIN") {
		return pos
	}
	lines := c.lines()
	last := value.Line + strings.Count(value.Value, "\n") + 1
	seen := 0
	for i := value.Line - 1; i >= 0 && i < len(lines) && i < last; i++ {
		if col := strings.Index(lines[i], "-----BEGIN"); col >= 0 {
			if seen == n {
				return manifest.Position{Line: i + 1, Column: col + 1}
			}
			seen++
		}
	}
	return pos
}

// dataEntries returns the key, value node and decoded bytes of data (and of
// binaryData when binary is true, base64-decoded).
type dataEntry struct {
	path  string
	value *yaml.Node
	bytes []byte
	bad   bool
}

func (c *docCheck) entries(field string, base64Encoded bool) []dataEntry {
	m := child(c.doc.Root, field)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out []dataEntry
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i].Value, resolve(m.Content[i+1])
		s, ok := str(v)
		if !ok {
			continue
		}
		e := dataEntry{path: fmt.Sprintf("%s[%s]", field, k), value: v, bytes: []byte(s)}
		if base64Encoded {
			b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
			e.bytes, e.bad = b, err != nil
		}
		out = append(out, e)
	}
	return out
}

// checkCABundle checks a ConfigMap used as a CA bundle: at least one CA
// certificate, every block parses, one key algorithm, none expired or
// expiring soon.
func (c *docCheck) checkCABundle(role refRole) {
	var certs []pemCert
	for _, e := range append(c.entries("data", false), c.entries("binaryData", true)...) {
		certs = append(certs, c.certsIn(e.path, e.value, e.bytes)...)
	}
	cas, parsed := 0, 0
	algos := map[string]pemCert{}
	var algoOrder []string
	for _, pc := range certs {
		if pc.err != nil {
			c.atPos(pc.pos, pc.path, RuleCABadPEM, fmt.Sprintf("certificate does not parse: %v", pc.err), "replace the PEM block with the CA certificate")
			continue
		}
		parsed++
		subject := pc.cert.Subject.String()
		if !pc.cert.IsCA {
			c.atPos(pc.pos, pc.path, RuleCANotCA,
				fmt.Sprintf("certificate %q is not a CA certificate", subject),
				"a trust bundle holds the CA (root or intermediate) that issued the certificates, not the certificates themselves")
		} else {
			cas++
		}
		a := keyAlgorithm(pc.cert)
		if _, ok := algos[a]; !ok {
			algos[a] = pc
			algoOrder = append(algoOrder, a)
		}
		c.expiry(pc, "CA certificate")
	}
	if len(algoOrder) > 1 {
		second := algos[algoOrder[1]]
		c.atPos(second.pos, second.path, RuleCAMixedKeys,
			fmt.Sprintf("the %s bundle mixes key algorithms: %s (%q) and %s (%q)", role, algoOrder[0], algos[algoOrder[0]].cert.Subject.String(), algoOrder[1], second.cert.Subject.String()),
			"every certificate of a client's chain must use the same key algorithm; keep the CAs of one algorithm per chain")
	}
	if cas == 0 {
		msg := fmt.Sprintf("ConfigMap %s (%s) holds no CA certificate", c.doc.Name, role)
		if parsed > 0 {
			msg = fmt.Sprintf("ConfigMap %s (%s) holds certificates but none of them is a CA certificate", c.doc.Name, role)
		}
		path := "data"
		if child(c.doc.Root, "data") == nil {
			path = "metadata.name"
		}
		c.at(path, true, RuleCANone, msg,
			"put the PEM CA certificate(s) under a data key, e.g. with\n  kubectl aio-authn ca import client_ca.pem --name "+c.doc.Name+" --dry-run=client -o yaml")
	}
}

// expiry reports an expired, not yet valid or soon expiring certificate.
func (c *docCheck) expiry(pc pemCert, what string) {
	now := c.opts.Now
	subject := pc.cert.Subject.String()
	switch {
	case now.After(pc.cert.NotAfter):
		c.atPos(pc.pos, pc.path, RuleCAExpired,
			fmt.Sprintf("%s %q expired on %s", what, subject, pc.cert.NotAfter.UTC().Format(time.RFC3339)),
			"replace it with a valid certificate")
	case now.Before(pc.cert.NotBefore):
		c.atPos(pc.pos, pc.path, RuleCAExpired,
			fmt.Sprintf("%s %q is not valid before %s", what, subject, pc.cert.NotBefore.UTC().Format(time.RFC3339)),
			"check the clock of the machine that issued it")
	case pc.cert.NotAfter.Sub(now) < c.opts.WarnWithin:
		days := int(pc.cert.NotAfter.Sub(now).Hours() / 24)
		c.atPos(pc.pos, pc.path, RuleCAExpiring,
			fmt.Sprintf("%s %q expires on %s (in %s)", what, subject, pc.cert.NotAfter.UTC().Format(time.RFC3339), plural(days, "day")),
			"renew it before it expires")
	}
}

func keyAlgorithm(cert *x509.Certificate) string {
	switch cert.PublicKeyAlgorithm {
	case x509.ECDSA:
		return "EC"
	case x509.RSA:
		return "RSA"
	case x509.Ed25519:
		return "Ed25519"
	}
	return cert.PublicKeyAlgorithm.String()
}

// checkTLSSecret checks the Secret the broker presents to the custom auth
// server: type kubernetes.io/tls with tls.crt and tls.key, a certificate
// that parses and is valid. The key is never printed.
func (c *docCheck) checkTLSSecret() {
	typ, _ := str(child(c.doc.Root, "type"))
	if typ != "kubernetes.io/tls" {
		got := "no type (Opaque)"
		if typ != "" {
			got = fmt.Sprintf("type %s", typ)
		}
		path := "type"
		if child(c.doc.Root, "type") == nil {
			path = "metadata.name"
		}
		c.at(path, false, RuleTLSSecret,
			fmt.Sprintf("Secret %s has %s; the custom auth client certificate needs a kubernetes.io/tls Secret", c.doc.Name, got),
			"type: kubernetes.io/tls")
	}
	found := map[string]dataEntry{}
	for _, e := range c.entries("data", true) {
		found[strings.TrimSuffix(strings.TrimPrefix(e.path, "data["), "]")] = e
	}
	for _, e := range c.entries("stringData", false) {
		found[strings.TrimSuffix(strings.TrimPrefix(e.path, "stringData["), "]")] = e
	}
	for _, k := range []string{"tls.crt", "tls.key"} {
		if _, ok := found[k]; !ok {
			path := "data"
			if child(c.doc.Root, "data") == nil && child(c.doc.Root, "stringData") != nil {
				path = "stringData"
			} else if child(c.doc.Root, "data") == nil {
				path = "metadata.name"
			}
			c.at(path, true, RuleTLSSecret, fmt.Sprintf("Secret %s has no %s", c.doc.Name, k),
				"a kubernetes.io/tls Secret holds tls.crt (certificate chain) and tls.key (private key)")
		}
	}
	crt, ok := found["tls.crt"]
	if !ok {
		return
	}
	if crt.bad {
		c.at(crt.path, false, RuleTLSSecret, "tls.crt is not valid base64", "data values are base64; use stringData for plain PEM")
		return
	}
	certs := c.certsIn(crt.path, crt.value, crt.bytes)
	if len(certs) == 0 {
		c.at(crt.path, false, RuleTLSSecret, "tls.crt holds no PEM certificate", "tls.crt holds the client certificate, then its intermediates, in PEM")
		return
	}
	leaf := certs[0]
	if leaf.err != nil {
		c.atPos(leaf.pos, leaf.path, RuleCABadPEM, fmt.Sprintf("certificate does not parse: %v", leaf.err), "replace tls.crt with the client certificate")
		return
	}
	c.expiry(leaf, "client certificate")
}
