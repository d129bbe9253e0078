package authn

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// CertificateExpiringSoon is how close to its notAfter a certificate of a
// granted chain earns a warning. It is shorter than the 30 days validate and
// ca import use for CAs: test leaves are minted for 30 days, and device
// certificates rotate on their own schedule, so only an imminent expiry (the
// broker closes the connection then) is worth a warning at connect time.
const CertificateExpiringSoon = 7 * 24 * time.Hour

// x509Method is an X509 entry with its trusted CAs parsed once.
type x509Method struct {
	index     int
	configMap string
	// trusted is nil when the ConfigMap is not in the bundle.
	trusted []*x509.Certificate
	pool    *x509.CertPool
	missing bool
	// attributes are the authorizationAttributes entries in name order,
	// so that two entries for one subject resolve the same way every run.
	attributes []subjectAttributes
	// unparsed are the entries whose subject does not parse: configured,
	// but never matching.
	unparsed []string
	warnings []string
	// adr is set by additionalValidation AzureDeviceRegistry; device is
	// what the operator stated about the client's device.
	adr    bool
	device ADRDevice
}

type subjectAttributes struct {
	entry      string
	subject    dn.Name
	attributes map[string]string
}

func newX509Method(index int, namespace string, s *v1.BrokerAuthenticatorMethodX509, configMaps map[string]*corev1.ConfigMap, device ADRDevice) *x509Method {
	m := &x509Method{index: index, configMap: v1.DefaultTrustedClientCACert, device: device}
	if s == nil {
		s = &v1.BrokerAuthenticatorMethodX509{}
	}
	if s.TrustedClientCACert != "" {
		m.configMap = s.TrustedClientCACert
	}
	field := fmt.Sprintf("authenticationMethods[%d].x509Settings", index)
	if cm, ok := configMaps[m.configMap]; ok {
		m.trusted, m.warnings = trustedCAs(cm, namespace)
		m.pool = x509.NewCertPool()
		for _, c := range m.trusted {
			m.pool.AddCert(c)
		}
	} else {
		m.missing = true
	}
	names := make([]string, 0, len(s.AuthorizationAttributes))
	for name := range s.AuthorizationAttributes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := s.AuthorizationAttributes[name]
		subject, err := dn.Parse(a.Subject)
		if err != nil {
			m.warnings = append(m.warnings, fmt.Sprintf("%s.authorizationAttributes.%s.subject %q does not parse (%v): the entry never matches", field, name, a.Subject, err))
			m.unparsed = append(m.unparsed, name)
			continue
		}
		m.attributes = append(m.attributes, subjectAttributes{entry: name, subject: subject, attributes: a.Attributes})
	}
	m.adr = s.AdditionalValidation == v1.AdditionalValidationAzureDeviceRegistry
	return m
}

// trustedCAs reads every PEM certificate under any key of the ConfigMap
// (GA trusts them all; older docs required the key client_ca.pem).
func trustedCAs(cm *corev1.ConfigMap, namespace string) ([]*x509.Certificate, []string) {
	keys := make([]string, 0, len(cm.Data)+len(cm.BinaryData))
	values := map[string][]byte{}
	for k, v := range cm.Data {
		keys = append(keys, k)
		values[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		keys = append(keys, k)
		values[k] = v
	}
	sort.Strings(keys)
	var certs []*x509.Certificate
	var warnings []string
	for _, k := range keys {
		source := fmt.Sprintf("ConfigMap %s key %s", cm.Name, k)
		found, err := pki.ParseBundle(source, values[k])
		if errors.Is(err, pki.ErrNoCertificate) {
			continue
		}
		if err != nil {
			warnings = append(warnings, err.Error()+": the key is ignored")
			continue
		}
		for _, b := range found {
			certs = append(certs, b.Cert)
		}
	}
	return certs, warnings
}

func (m *x509Method) evaluate(_ context.Context, creds *Credentials, now time.Time) outcome {
	if len(creds.Certificates) == 0 {
		return outcome{reason: "no client certificate presented"}
	}
	if creds.PlainTCP {
		return outcome{reason: "the port has no TLS, so no client certificate can be presented (X.509 needs a TLS port)"}
	}
	o := outcome{relevant: true, warnings: append([]string(nil), m.warnings...)}
	if m.missing {
		o.result = Indeterminate
		o.reason = fmt.Sprintf("ConfigMap %s (the trusted client CAs) is not in the bundle: add it with -f", m.configMap)
		return o
	}
	if len(m.trusted) == 0 {
		o.result = Denied
		o.reason = fmt.Sprintf("ConfigMap %s holds no PEM certificate, so no client certificate is trusted", m.configMap)
		o.checks = []Check{{Name: "chain", OK: false, Detail: o.reason}}
		return o
	}
	leaf := creds.Certificates[0]
	v := m.verify(creds.Certificates, now)

	o.checks = append(o.checks, v.chainCheck, validityCheck(v.chain, now, v.chainCheck.OK))
	o.checks = append(o.checks, v.clientAuthCheck)
	keyCheck := keyAlgorithmCheck(v.chain, v.chainCheck.OK)
	o.checks = append(o.checks, keyCheck)
	for _, c := range o.checks {
		if !c.OK {
			o.result = Denied
			o.reason = c.Detail
			return o
		}
	}
	anchor := v.chain[len(v.chain)-1]
	o.result = Granted
	o.reason = fmt.Sprintf("chain verified to trusted CA %q", pki.SubjectString(anchor))
	attrs, attrCheck := m.matchAttributes(v.chain)
	o.checks = append(o.checks, attrCheck)
	username := leaf.Subject.CommonName
	o.username = &username
	o.checks = append(o.checks, Check{Name: "username", OK: true, Detail: fmt.Sprintf("leaf CN %q", username)})
	if m.adr {
		adr := m.deviceCheck(username)
		o.checks = append(o.checks, adr)
		if !adr.OK {
			o.result, o.reason = Denied, adr.Detail
			if m.device == ADRUnknown && username != "" {
				o.result = Indeterminate
			}
			return o
		}
		o.reason += "; " + adr.Detail
	}
	o.attributes = attrs
	expiry := leaf.NotAfter.UTC()
	o.expiresAt = &expiry
	for i, c := range v.chain {
		if pki.ValidityAt(c, now, CertificateExpiringSoon) == pki.ValidityExpiringSoon {
			o.warnings = append(o.warnings, fmt.Sprintf("certificate %s (%s of the chain) expires %s, at %s",
				quote(pki.SubjectString(c)), ordinal(i, len(v.chain), true), pki.Relative(c.NotAfter, now), c.NotAfter.UTC().Format(time.RFC3339)))
		}
	}
	return o
}

// deviceCheck is the extra requirement of additionalValidation
// AzureDeviceRegistry: the leaf's CN names an enabled device in Azure Device
// Registry. Only the operator can say whether it does (--adr-device); the
// broker looks it up at connect time and every 10 minutes after.
func (m *x509Method) deviceCheck(cn string) Check {
	c := Check{Name: "azure-device-registry"}
	switch {
	case cn == "":
		c.Detail = "additionalValidation AzureDeviceRegistry: the leaf certificate has no CN, so it names no device in Azure Device Registry"
	case m.device == ADREnabled:
		c.OK = true
		c.Detail = fmt.Sprintf("what-if --adr-device enabled: device %q taken as enabled in Azure Device Registry (not looked up; the broker checks it at connect time and every 10 minutes)", cn)
	case m.device == ADRDisabled:
		c.Detail = fmt.Sprintf("what-if --adr-device disabled: device %q is disabled in Azure Device Registry, and the broker lets in only enabled devices", cn)
	case m.device == ADRMissing:
		c.Detail = fmt.Sprintf("what-if --adr-device missing: Azure Device Registry has no device %q, and the broker requires the leaf's CN to name one", cn)
	default:
		c.Detail = fmt.Sprintf("additionalValidation AzureDeviceRegistry: the broker also requires an enabled device named %q (the leaf's CN) in Azure Device Registry, "+
			"which cannot be looked up offline; state it with --adr-device enabled|disabled|missing", cn)
	}
	return c
}

// verification is what chain building found, with the failure attributed to
// the right check.
type verification struct {
	// chain is the verified chain (leaf to anchor), or the presented
	// certificates when no chain to a trusted CA exists.
	chain           []*x509.Certificate
	chainCheck      Check
	clientAuthCheck Check
}

// verify builds the chain the way a TLS server does (crypto/x509 with the
// trusted CAs as roots, so an intermediate may be the anchor, and the
// presented certificates after the leaf as intermediates). When that fails
// it tries again without the time or usage constraint, so that an expired
// certificate or a leaf without clientAuth is reported as such instead of
// as a broken chain.
func (m *x509Method) verify(presented []*x509.Certificate, now time.Time) verification {
	leaf := presented[0]
	intermediates := x509.NewCertPool()
	for _, c := range presented[1:] {
		intermediates.AddCert(c)
	}
	opts := x509.VerifyOptions{
		Roots:         m.pool,
		Intermediates: intermediates,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		CurrentTime:   now,
	}
	chains, err := leaf.Verify(opts)
	if err == nil {
		chain := pickChain(chains)
		return verification{
			chain:           chain,
			chainCheck:      Check{Name: "chain", OK: true, Detail: chainDetail(chain)},
			clientAuthCheck: clientAuthOK(leaf),
		}
	}
	// Find a chain regardless of time and usage, to see what failed.
	relaxed := opts
	relaxed.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	for _, at := range candidateTimes(now, presented, m.trusted) {
		relaxed.CurrentTime = at
		found, rerr := leaf.Verify(relaxed)
		if rerr != nil {
			continue
		}
		chain := pickChain(found)
		v := verification{chain: chain, chainCheck: Check{Name: "chain", OK: true, Detail: chainDetail(chain)}}
		strict := opts
		strict.CurrentTime = at
		if _, uerr := leaf.Verify(strict); uerr != nil {
			v.clientAuthCheck = Check{Name: "client-auth", OK: false, Detail: usageDetail(leaf, uerr)}
		} else {
			v.clientAuthCheck = clientAuthOK(leaf)
		}
		return v
	}
	return verification{
		chain:           presented,
		chainCheck:      Check{Name: "chain", OK: false, Detail: m.chainFailure(leaf, err)},
		clientAuthCheck: leafUsageCheck(leaf),
	}
}

// pickChain prefers a chain whose certificates share one key algorithm,
// since the broker refuses the others.
func pickChain(chains [][]*x509.Certificate) []*x509.Certificate {
	for _, c := range chains {
		if ok, _ := sameKeyAlgorithm(c); ok {
			return c
		}
	}
	return chains[0]
}

// candidateTimes are instants to retry chain building at: now, then each
// certificate's notBefore (where it is surely valid), latest first.
func candidateTimes(now time.Time, sets ...[]*x509.Certificate) []time.Time {
	times := []time.Time{now}
	seen := map[time.Time]bool{now: true}
	var more []time.Time
	for _, set := range sets {
		for _, c := range set {
			if !seen[c.NotBefore] {
				seen[c.NotBefore] = true
				more = append(more, c.NotBefore)
			}
		}
	}
	sort.Slice(more, func(i, j int) bool { return more[i].After(more[j]) })
	if len(more) > 16 {
		more = more[:16]
	}
	return append(times, more...)
}

func chainDetail(chain []*x509.Certificate) string {
	parts := make([]string, len(chain))
	for i, c := range chain {
		parts[i] = quote(pki.SubjectString(c))
	}
	return strings.Join(parts, " → ") + " (trusted)"
}

func (m *x509Method) chainFailure(leaf *x509.Certificate, err error) string {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("no chain from %q (issued by %q) to a CA in ConfigMap %s (%s)",
			pki.SubjectString(leaf), pki.IssuerString(leaf), m.configMap, describeCAs(m.trusted))
	case errors.As(err, &invalid):
		return fmt.Sprintf("chain to ConfigMap %s rejected: %v", m.configMap, invalid)
	}
	return fmt.Sprintf("chain to ConfigMap %s rejected: %v", m.configMap, err)
}

func describeCAs(certs []*x509.Certificate) string {
	const shown = 3
	parts := make([]string, 0, shown)
	for i, c := range certs {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(certs)-shown))
			break
		}
		parts = append(parts, quote(pki.SubjectString(c)))
	}
	return strings.Join(parts, ", ")
}

func clientAuthOK(leaf *x509.Certificate) Check {
	if len(leaf.ExtKeyUsage) == 0 && len(leaf.UnknownExtKeyUsage) == 0 {
		return Check{Name: "client-auth", OK: true, Detail: "leaf has no extended key usage, so any use is allowed"}
	}
	return Check{Name: "client-auth", OK: true, Detail: "leaf allows clientAuth"}
}

// leafUsageCheck judges the leaf alone, for when no chain could be built.
func leafUsageCheck(leaf *x509.Certificate) Check {
	if len(leaf.ExtKeyUsage) == 0 && len(leaf.UnknownExtKeyUsage) == 0 {
		return clientAuthOK(leaf)
	}
	for _, u := range leaf.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny {
			return clientAuthOK(leaf)
		}
	}
	return Check{Name: "client-auth", OK: false, Detail: fmt.Sprintf("leaf %q does not allow clientAuth (extended key usage: %s)", pki.SubjectString(leaf), extKeyUsages(leaf))}
}

func usageDetail(leaf *x509.Certificate, err error) string {
	if c := leafUsageCheck(leaf); !c.OK {
		return c.Detail
	}
	return fmt.Sprintf("an issuer of %q does not allow clientAuth: %v", pki.SubjectString(leaf), err)
}

func extKeyUsages(c *x509.Certificate) string {
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
		x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
		x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
	}
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("usage %d", u))
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return strings.Join(out, ", ")
}

// validityCheck checks every certificate of the chain at now: the broker
// refuses a chain with any certificate out of its validity period.
func validityCheck(chain []*x509.Certificate, now time.Time, anchored bool) Check {
	var bad []string
	for i, c := range chain {
		switch pki.ValidityAt(c, now, CertificateExpiringSoon) {
		case pki.ValidityExpired:
			bad = append(bad, fmt.Sprintf("%s (%s of the chain) expired %s, at %s", quote(pki.SubjectString(c)), ordinal(i, len(chain), anchored),
				pki.Relative(c.NotAfter, now), c.NotAfter.UTC().Format(time.RFC3339)))
		case pki.ValidityNotYetValid:
			bad = append(bad, fmt.Sprintf("%s (%s of the chain) is not valid until %s", quote(pki.SubjectString(c)), ordinal(i, len(chain), anchored),
				c.NotBefore.UTC().Format(time.RFC3339)))
		}
	}
	if len(bad) > 0 {
		return Check{Name: "validity", OK: false, Detail: strings.Join(bad, "; ") + " (now is " + now.UTC().Format(time.RFC3339) + ")"}
	}
	if len(chain) == 1 {
		return Check{Name: "validity", OK: true, Detail: fmt.Sprintf("the certificate is valid at %s, until %s",
			now.UTC().Format(time.RFC3339), chain[0].NotAfter.UTC().Format(time.RFC3339))}
	}
	return Check{Name: "validity", OK: true, Detail: fmt.Sprintf("all %d certificates valid at %s; leaf until %s", len(chain),
		now.UTC().Format(time.RFC3339), chain[0].NotAfter.UTC().Format(time.RFC3339))}
}

// ordinal names a certificate's place: the last one of a verified chain is
// the trust anchor; a chain that did not verify has none.
func ordinal(i, n int, anchored bool) string {
	switch {
	case i == 0:
		return "leaf"
	case i == n-1 && anchored:
		return "anchor"
	}
	return fmt.Sprintf("certificate %d", i+1)
}

func sameKeyAlgorithm(chain []*x509.Certificate) (bool, int) {
	first := pki.KeyAlgorithmOf(chain[0])
	for i, c := range chain[1:] {
		if pki.KeyAlgorithmOf(c) != first {
			return false, i + 1
		}
	}
	return true, 0
}

// keyAlgorithmCheck: the broker requires one key algorithm (EC or RSA)
// across the chain; curves and sizes may differ.
func keyAlgorithmCheck(chain []*x509.Certificate, anchored bool) Check {
	ok, at := sameKeyAlgorithm(chain)
	if !ok {
		return Check{Name: "key-algorithms", OK: false, Detail: fmt.Sprintf("the leaf %q is %s but %q (%s of the chain) is %s: the broker requires one key algorithm across the chain",
			pki.SubjectString(chain[0]), pki.KeyDescription(chain[0]), pki.SubjectString(chain[at]), ordinal(at, len(chain), anchored), pki.KeyDescription(chain[at]))}
	}
	descs := make([]string, len(chain))
	for i, c := range chain {
		descs[i] = pki.KeyDescription(c)
	}
	return Check{Name: "key-algorithms", OK: true, Detail: fmt.Sprintf("all %s (%s)", pki.KeyAlgorithmOf(chain[0]), strings.Join(descs, ", "))}
}

// matchAttributes walks from the leaf up: the first certificate whose
// subject matches an entry gives that entry's attributes, and the walk stops.
func (m *x509Method) matchAttributes(chain []*x509.Certificate) (map[string]string, Check) {
	unparsed := ""
	if len(m.unparsed) > 0 {
		unparsed = fmt.Sprintf(" (the subject of %s does not parse, so it never matches)", strings.Join(entryNames(m.unparsed), ", "))
	}
	if len(m.attributes) == 0 {
		if unparsed != "" {
			return map[string]string{}, Check{Name: "attributes", OK: true, Detail: "no authorizationAttributes entry can match" + unparsed + ": no attributes"}
		}
		return map[string]string{}, Check{Name: "attributes", OK: true, Detail: "no authorizationAttributes configured"}
	}
	for i, c := range chain {
		name, err := dn.FromRawSubject(c.RawSubject)
		if err != nil {
			continue
		}
		for _, a := range m.attributes {
			if dn.Equal(a.subject, name) {
				attrs := make(map[string]string, len(a.attributes))
				for k, v := range a.attributes {
					attrs[k] = v
				}
				return attrs, Check{Name: "attributes", OK: true, Detail: fmt.Sprintf("entry %q matches %q (%s of the chain): %s",
					a.entry, name.String(), ordinal(i, len(chain), true), FormatAttributes(attrs, "(none)"))}
			}
		}
	}
	return map[string]string{}, Check{Name: "attributes", OK: true, Detail: "no authorizationAttributes entry matches a subject of the chain" + unparsed + ": no attributes"}
}

func entryNames(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = "entry " + quote(s)
	}
	return out
}

// FormatAttributes writes attributes as "k=v, k=v" sorted by name, or none
// when there are no attributes.
func FormatAttributes(attrs map[string]string, none string) string {
	if len(attrs) == 0 {
		return none
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + attrs[k]
	}
	return strings.Join(parts, ", ")
}
