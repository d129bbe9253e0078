package lint

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// pemCert is one certificate block of a ConfigMap or Secret value, as
// pkg/pki reads it for ca import and explain too.
type pemCert struct {
	pki.BundleBlock
	// path is the data key's field path; pos where the block starts.
	path string
	pos  manifest.Position
}

// certsIn reads the PEM certificate blocks of one value, going on past
// blocks that do not parse. Positions point at each block's BEGIN line when
// the value is written literally in the file, else at the value.
func (c *docCheck) certsIn(e dataEntry) []pemCert {
	var out []pemCert
	for _, b := range pki.ScanBundle(e.path, e.bytes) {
		out = append(out, pemCert{BundleBlock: b, path: e.path, pos: c.beginLine(e.value, beginsAbove(e.bytes, b.Line))})
	}
	return out
}

// beginsAbove counts the "-----BEGIN" markers of data above line (from 1):
// blocks of every type, as beginLine counts them in the file.
func beginsAbove(data []byte, line int) int {
	off := 0
	for i := 1; i < line; i++ {
		j := bytes.IndexByte(data[off:], '\n')
		if j < 0 {
			break
		}
		off += j + 1
	}
	return bytes.Count(data[:off], []byte("-----BEGIN"))
}

// beginLine finds the n-th "-----BEGIN" line of a value written as text in
// the file (a block scalar spans the lines after its indicator).
func (c *docCheck) beginLine(value *yaml.Node, n int) manifest.Position {
	pos := manifest.Position{Line: value.Line, Column: value.Column}
	if !strings.Contains(value.Value, "-----BEGIN") {
		return pos
	}
	last := value.Line + strings.Count(value.Value, "\n") + 1
	seen := 0
	for i := value.Line; i <= last; i++ {
		l, ok := c.src.line(i)
		if !ok {
			break
		}
		if col := strings.Index(l, "-----BEGIN"); col >= 0 {
			if seen == n {
				return manifest.Position{Line: i, Column: col + 1}
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
// expiring soon. The judgements are pkg/pki's, shared with ca import, ca
// inspect and explain; this maps them to validate's rules and positions.
func (c *docCheck) checkCABundle(role refRole) {
	var parsed []pki.BundleCertificate
	at := map[pki.BundleCertificate]pemCert{}
	for _, e := range append(c.entries("data", false), c.entries("binaryData", true)...) {
		for _, pc := range c.certsIn(e) {
			if pc.Err != nil {
				c.badPEM(pc, "replace the PEM block with the CA certificate")
				continue
			}
			parsed = append(parsed, pc.BundleCertificate)
			at[pc.BundleCertificate] = pc
		}
	}
	for _, p := range pki.CheckCABundle(parsed, c.opts.Now, c.opts.WarnWithin) {
		pc := at[p.Certificate]
		switch p.Rule {
		case pki.RuleNotCA:
			c.atPos(pc.pos, pc.path, RuleCANotCA,
				fmt.Sprintf("certificate %q is not a CA certificate", pc.Cert.Subject.String()),
				"a trust bundle holds the CA (root or intermediate) that issued the certificates, not the certificates themselves")
			// ca import refuses a leaf, so pki does not judge its dates;
			// validate only warns about it, so they still matter.
			c.expiry(pc, "CA certificate")
		case pki.RuleExpired, pki.RuleNotYetValid, pki.RuleExpiringSoon:
			c.expiry(pc, "CA certificate")
		}
		// RuleMixedKeys is judged below over every certificate, leaves
		// included; RuleUnsupportedKA has no validate rule.
	}
	cas := 0
	for _, b := range parsed {
		if pki.IsCA(b.Cert) {
			cas++
		}
	}
	// Leaves stay in a bundle validate only warns about, so their key
	// algorithm counts too (pki's CheckCABundle looks at the CAs).
	if p, ok := pki.MixedKeyAlgorithms(parsed); ok {
		first, second := parsed[0], at[p.Certificate]
		c.atPos(second.pos, second.path, RuleCAMixedKeys,
			fmt.Sprintf("the %s bundle mixes key algorithms: %s (%q) and %s (%q)", role,
				pki.KeyAlgorithmOf(first.Cert), first.Cert.Subject.String(), pki.KeyAlgorithmOf(second.Cert), second.Cert.Subject.String()),
			"every certificate of a client's chain must use the same key algorithm; keep the CAs of one algorithm per chain")
	}
	if cas == 0 {
		msg := fmt.Sprintf("ConfigMap %s (%s) holds no CA certificate", c.doc.Name, role)
		if len(parsed) > 0 {
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

// badPEM reports a certificate block that gives no certificate.
func (c *docCheck) badPEM(pc pemCert, hint string) {
	msg := fmt.Sprintf("certificate does not parse: %v", pc.Err)
	if errors.Is(pc.Err, pki.ErrTruncatedBlock) {
		msg = pc.Err.Error()
	}
	c.atPos(pc.pos, pc.path, RuleCABadPEM, msg, hint)
}

// expiry reports an expired, not yet valid or soon expiring certificate,
// as pki.ValidityAt judges it.
func (c *docCheck) expiry(pc pemCert, what string) {
	now := c.opts.Now
	subject := pc.Cert.Subject.String()
	switch pki.ValidityAt(pc.Cert, now, c.opts.WarnWithin) {
	case pki.ValidityExpired:
		c.atPos(pc.pos, pc.path, RuleCAExpired,
			fmt.Sprintf("%s %q expired on %s", what, subject, pc.Cert.NotAfter.UTC().Format(time.RFC3339)),
			"replace it with a valid certificate")
	case pki.ValidityNotYetValid:
		c.atPos(pc.pos, pc.path, RuleCAExpired,
			fmt.Sprintf("%s %q is not valid before %s", what, subject, pc.Cert.NotBefore.UTC().Format(time.RFC3339)),
			"check the clock of the machine that issued it")
	case pki.ValidityExpiringSoon:
		days := int(pc.Cert.NotAfter.Sub(now).Hours() / 24)
		c.atPos(pc.pos, pc.path, RuleCAExpiring,
			fmt.Sprintf("%s %q expires on %s (in %s)", what, subject, pc.Cert.NotAfter.UTC().Format(time.RFC3339), ui.Plural(days, "day")),
			"renew it before it expires")
	}
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
	certs := c.certsIn(crt)
	if len(certs) == 0 {
		c.at(crt.path, false, RuleTLSSecret, "tls.crt holds no PEM certificate", "tls.crt holds the client certificate, then its intermediates, in PEM")
		return
	}
	leaf := certs[0]
	if leaf.Err != nil {
		c.badPEM(leaf, "replace tls.crt with the client certificate")
		return
	}
	c.expiry(leaf, "client certificate")
}
