package authn

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "azure-iot-operations"}, Data: data}
}

func authentication(methods ...v1.BrokerAuthenticatorMethods) *v1.BrokerAuthentication {
	a := &v1.BrokerAuthentication{Spec: v1.BrokerAuthenticationSpec{AuthenticationMethods: methods}}
	a.Name, a.Namespace = "default", "azure-iot-operations"
	return a
}

func x509Entry(attrs map[string]v1.BrokerAuthenticatorMethodX509Attributes) v1.BrokerAuthenticatorMethods {
	return v1.BrokerAuthenticatorMethods{Method: v1.MethodX509, X509Settings: &v1.BrokerAuthenticatorMethodX509{AuthorizationAttributes: attrs}}
}

func attr(subject string, kv ...string) v1.BrokerAuthenticatorMethodX509Attributes {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return v1.BrokerAuthenticatorMethodX509Attributes{Subject: subject, Attributes: m}
}

func checkByName(s Step, n string) (Check, bool) {
	for _, c := range s.Checks {
		if c.Name == n {
			return c, true
		}
	}
	return Check{}, false
}

func TestX509(t *testing.T) {
	p := newTestPKI(t)
	trustRoot := map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"client_ca.pem": pemOf(p.root.Cert)})}
	bothMatch := map[string]v1.BrokerAuthenticatorMethodX509Attributes{
		"intermediate": attr("CN = Contoso Intermediate CA, OU = Engineering, C = US", "organization", "contoso"),
		"fan":          attr("C=US,OU=Devices,CN=smart-fan", "building", "17"),
	}
	issuerOnly := map[string]v1.BrokerAuthenticatorMethodX509Attributes{
		"root":         attr("CN = Contoso Root CA Cert, OU = Engineering, C = US", "tier", "root"),
		"intermediate": attr("CN = Contoso Intermediate CA, OU = Engineering, C = US", "organization", "contoso"),
	}
	rootOnly := map[string]v1.BrokerAuthenticatorMethodX509Attributes{"root": attr("CN=Contoso Root CA Cert, OU=Engineering, C=US", "tier", "root")}

	interAnchor := map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"any-key.crt": pemOf(p.intermediate.Cert)})}

	rsaInter := certSpec{subject: name("RSA Intermediate"), key: rsaKeys[0], ca: true}.issue(t, p.root)
	rsaLeaf := certSpec{subject: name("rsa-device"), key: rsaKeys[1]}.issue(t, rsaInter)
	ecUnderRSA := certSpec{subject: name("ec-device"), key: ecKeys[3]}.issue(t, rsaInter)
	serverOnly := certSpec{subject: name("server-cert"), key: ecKeys[3], profile: pki.ProfileServer}.issue(t, p.intermediate)
	// pkg/pki mints no leaf without extended key usage, nor one that
	// outlives its issuer: those two are forged.
	noEKU := testpki.Forge(t, &x509.Certificate{Subject: pkix.Name{CommonName: "legacy-device", Country: []string{"US"}},
		NotBefore: t0.Add(-24 * time.Hour), NotAfter: t0.Add(365 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}, ecKeys[3], p.intermediate)
	shortLived := certSpec{subject: name("short"), key: ecKeys[3], notAfter: t0.Add(72 * time.Hour)}.issue(t, p.intermediate)
	// A freshly minted test leaf (certs chain's default is 30 days) is not
	// "expiring soon".
	monthLeft := certSpec{subject: name("month"), key: ecKeys[3], notAfter: t0.Add(20 * 24 * time.Hour)}.issue(t, p.intermediate)
	stranger := certSpec{subject: name("Other Root"), key: ecKeys[3], ca: true}.issue(t, nil)
	strangerLeaf := certSpec{subject: name("intruder"), key: ecKeys[2]}.issue(t, stranger)
	expiredRoot := certSpec{subject: name("Old Root"), key: ecKeys[0], ca: true, notBefore: t0.Add(-800 * 24 * time.Hour), notAfter: t0.Add(-time.Hour)}.issue(t, nil)
	underExpiredRoot := testpki.Forge(t, &x509.Certificate{Subject: pkix.Name{CommonName: "old-device", Country: []string{"US"}},
		NotBefore: t0.Add(-700 * 24 * time.Hour), NotAfter: t0.Add(365 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ecKeys[2], expiredRoot)

	for _, tc := range []struct {
		name       string
		configMaps map[string]*corev1.ConfigMap
		attrs      map[string]v1.BrokerAuthenticatorMethodX509Attributes
		chain      []*x509.Certificate
		plain      bool
		now        time.Time
		result     Result
		failed     string // the check that failed
		reason     string
		attributes map[string]string
		warning    string
		noWarnings bool
	}{
		{name: "leaf and issuer both match: the leaf's entry wins", configMaps: trustRoot, attrs: bothMatch,
			chain: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}, result: Granted,
			reason: `chain verified to trusted CA "CN = Contoso Root CA Cert, OU = Engineering, C = US"`, attributes: map[string]string{"building": "17"}},
		{name: "only the issuer matches", configMaps: trustRoot, attrs: issuerOnly,
			chain: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}, result: Granted, attributes: map[string]string{"organization": "contoso"}},
		{name: "root from the ConfigMap matches", configMaps: trustRoot, attrs: rootOnly,
			chain: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}, result: Granted, attributes: map[string]string{"tier": "root"}},
		{name: "intermediate as the only anchor", configMaps: interAnchor, attrs: rootOnly,
			chain: []*x509.Certificate{p.leaf.Cert}, result: Granted, reason: `trusted CA "CN = Contoso Intermediate CA`, attributes: map[string]string{}},
		{name: "no chain to the trusted CA", configMaps: trustRoot,
			chain: []*x509.Certificate{strangerLeaf.Cert}, result: Denied, failed: "chain", reason: `no chain from "CN = intruder, C = US" (issued by "CN = Other Root, C = US") to a CA in ConfigMap client-ca`},
		{name: "intermediate not presented", configMaps: trustRoot,
			chain: []*x509.Certificate{p.leaf.Cert}, result: Denied, failed: "chain"},
		{name: "RSA intermediate under an EC root", configMaps: trustRoot,
			chain: []*x509.Certificate{rsaLeaf.Cert, rsaInter.Cert}, result: Denied, failed: "key-algorithms",
			reason: `the leaf "CN = rsa-device, C = US" is RSA 2048 but "CN = Contoso Root CA Cert, OU = Engineering, C = US" (anchor of the chain) is EC P-256`},
		{name: "EC leaf under an RSA intermediate", configMaps: trustRoot,
			chain: []*x509.Certificate{ecUnderRSA.Cert, rsaInter.Cert}, result: Denied, failed: "key-algorithms"},
		{name: "expired leaf (--now after notAfter)", configMaps: trustRoot, now: p.leaf.Cert.NotAfter.Add(time.Second),
			chain: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}, result: Denied, failed: "validity", reason: `"CN = smart-fan, OU = Devices, C = US" (leaf of the chain) expired`},
		{name: "not yet valid", configMaps: trustRoot, now: p.leaf.Cert.NotBefore.Add(-time.Minute),
			chain: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}, result: Denied, failed: "validity", reason: "is not valid until"},
		{name: "expired trusted root", configMaps: map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"ca.pem": pemOf(expiredRoot.Cert)})},
			chain: []*x509.Certificate{underExpiredRoot.Cert}, result: Denied, failed: "validity", reason: `"CN = Old Root, C = US" (anchor of the chain) expired`},
		{name: "leaf for servers only", configMaps: trustRoot,
			chain: []*x509.Certificate{serverOnly.Cert, p.intermediate.Cert}, result: Denied, failed: "client-auth", reason: "does not allow clientAuth (extended key usage: serverAuth)"},
		{name: "leaf without extended key usage", configMaps: trustRoot,
			chain: []*x509.Certificate{noEKU.Cert, p.intermediate.Cert}, result: Granted},
		{name: "expiring soon", configMaps: trustRoot,
			chain: []*x509.Certificate{shortLived.Cert, p.intermediate.Cert}, result: Granted, warning: `certificate "CN = short, C = US" (leaf of the chain) expires in 3d`},
		{name: "weeks left is no warning", configMaps: trustRoot,
			chain: []*x509.Certificate{monthLeft.Cert, p.intermediate.Cert}, result: Granted, noWarnings: true},
		{name: "trusted CA ConfigMap missing", configMaps: nil,
			chain: []*x509.Certificate{p.leaf.Cert}, result: Indeterminate, reason: "ConfigMap client-ca (the trusted client CAs) is not in the bundle: add it with -f"},
		{name: "trusted CA ConfigMap empty", configMaps: map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"readme": "nothing here"})},
			chain: []*x509.Certificate{p.leaf.Cert}, result: Denied, failed: "chain", reason: "holds no PEM certificate"},
		{name: "no certificate", configMaps: trustRoot, result: Denied, reason: "no client certificate presented"},
		{name: "plain TCP port", configMaps: trustRoot, plain: true, chain: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert},
			result: Denied, reason: "the port has no TLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			e := New(Config{Authentication: authentication(x509Entry(tc.attrs)), ConfigMaps: tc.configMaps}, Options{})
			d := e.Explain(context.Background(), Credentials{Certificates: tc.chain, PlainTCP: tc.plain}, now)
			if d.Decision != tc.result {
				t.Fatalf("decision %s, want %s: %+v", d.Decision, tc.result, d.Steps)
			}
			step := d.Steps[0]
			if !strings.Contains(step.Reason, tc.reason) {
				t.Errorf("reason %q\nwant it to contain %q", step.Reason, tc.reason)
			}
			if tc.failed != "" {
				c, ok := checkByName(step, tc.failed)
				if !ok || c.OK {
					t.Errorf("check %s: %+v, want it failed; checks %+v", tc.failed, c, step.Checks)
				}
				for _, c := range step.Checks {
					if c.Name != tc.failed && !c.OK && c.Name != "validity" {
						t.Errorf("check %s also failed: %s", c.Name, c.Detail)
					}
				}
			}
			if tc.result == Granted {
				leaf := tc.chain[0]
				if d.Username == nil || *d.Username != leaf.Subject.CommonName {
					t.Errorf("username %v, want the leaf CN %q", d.Username, leaf.Subject.CommonName)
				}
				if d.ExpiresAt == nil || !d.ExpiresAt.Equal(leaf.NotAfter) {
					t.Errorf("expiresAt %v, want the leaf's notAfter %v", d.ExpiresAt, leaf.NotAfter)
				}
				if d.Connack.Code != 0 || *d.MethodIndex != 0 || *d.Method != v1.MethodX509 {
					t.Errorf("decision %+v", d)
				}
			}
			if tc.attributes != nil && !equalMaps(d.Attributes, tc.attributes) {
				t.Errorf("attributes %v, want %v", d.Attributes, tc.attributes)
			}
			if tc.warning != "" && !strings.Contains(strings.Join(d.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q, want one containing %q", d.Warnings, tc.warning)
			}
			if tc.noWarnings && len(d.Warnings) > 0 {
				t.Errorf("warnings %q, want none", d.Warnings)
			}
			if tc.result == Denied && d.Connack.Code != CodeNotAuthorized {
				t.Errorf("connack %+v, want 0x87", d.Connack)
			}
		})
	}
}

func TestX509SubjectThatDoesNotParseIsAWarning(t *testing.T) {
	p := newTestPKI(t)
	cms := map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"ca": pemOf(p.root.Cert)})}
	e := New(Config{Authentication: authentication(x509Entry(map[string]v1.BrokerAuthenticatorMethodX509Attributes{
		"broken": attr("this is not a DN", "a", "b"),
	})), ConfigMaps: cms}, Options{})
	d := e.Explain(context.Background(), Credentials{Certificates: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}}, t0)
	if d.Decision != Granted || len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "authorizationAttributes.broken.subject") {
		t.Errorf("decision %s warnings %q", d.Decision, d.Warnings)
	}
	// An entry is configured: the attributes check must not say none is.
	want := `no authorizationAttributes entry can match (the subject of entry "broken" does not parse, so it never matches): no attributes`
	if c, _ := checkByName(d.Steps[0], "attributes"); c.Detail != want {
		t.Errorf("attributes check %q\nwant %q", c.Detail, want)
	}
}

// TestX509ValidityWording: one certificate is "the certificate is valid".
func TestX509ValidityWording(t *testing.T) {
	p := newTestPKI(t)
	cms := map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"ca": pemOf(p.intermediate.Cert)})}
	d := New(Config{Authentication: authentication(x509Entry(nil)), ConfigMaps: cms}, Options{}).
		Explain(context.Background(), Credentials{Certificates: []*x509.Certificate{p.leaf.Cert}}, t0)
	c, _ := checkByName(d.Steps[0], "validity")
	// The chain the broker verifies is the leaf and its anchor.
	if want := "all 2 certificates valid at 2026-06-01T12:00:00Z; leaf until " + p.leaf.Cert.NotAfter.UTC().Format(time.RFC3339); c.Detail != want {
		t.Errorf("validity %q\nwant %q", c.Detail, want)
	}
	single := validityCheck([]*x509.Certificate{p.root.Cert}, t0, true)
	if want := "the certificate is valid at 2026-06-01T12:00:00Z, until " + p.root.Cert.NotAfter.UTC().Format(time.RFC3339); single.Detail != want {
		t.Errorf("validity %q\nwant %q", single.Detail, want)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestX509AzureDeviceRegistry: with additionalValidation AzureDeviceRegistry
// a verified chain is not enough; the leaf's CN must name an enabled
// device, which only the operator can state offline.
func TestX509AzureDeviceRegistry(t *testing.T) {
	p := newTestPKI(t)
	cms := map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"ca": pemOf(p.root.Cert)})}
	entry := x509Entry(nil)
	entry.X509Settings.AdditionalValidation = v1.AdditionalValidationAzureDeviceRegistry
	chain := []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}
	noCN := certSpec{subject: name(""), key: ecKeys[3]}.issue(t, p.intermediate)
	for _, tc := range []struct {
		device ADRDevice
		chain  []*x509.Certificate
		result Result
		detail string
	}{
		{ADRUnknown, chain, Indeterminate, `requires an enabled device named "smart-fan" (the leaf's CN) in Azure Device Registry, which cannot be looked up offline; state it with --adr-device enabled|disabled|missing`},
		{ADREnabled, chain, Granted, `what-if --adr-device enabled: device "smart-fan" taken as enabled`},
		{ADRDisabled, chain, Denied, `device "smart-fan" is disabled in Azure Device Registry`},
		{ADRMissing, chain, Denied, `Azure Device Registry has no device "smart-fan"`},
		{ADREnabled, []*x509.Certificate{noCN.Cert, p.intermediate.Cert}, Denied, "the leaf certificate has no CN"},
		{ADRUnknown, []*x509.Certificate{noCN.Cert, p.intermediate.Cert}, Denied, "the leaf certificate has no CN"},
	} {
		t.Run(string(tc.device)+"/"+tc.chain[0].Subject.CommonName, func(t *testing.T) {
			e := New(Config{Authentication: authentication(entry), ConfigMaps: cms}, Options{ADRDevice: tc.device})
			d := e.Explain(context.Background(), Credentials{Certificates: tc.chain}, t0)
			if d.Decision != tc.result {
				t.Fatalf("decision %s, want %s: %+v", d.Decision, tc.result, d.Steps)
			}
			c, ok := checkByName(d.Steps[0], "azure-device-registry")
			if !ok || !strings.Contains(c.Detail, tc.detail) || c.OK != (tc.result == Granted) {
				t.Errorf("check %+v, want detail %q", c, tc.detail)
			}
			switch tc.result {
			case Indeterminate:
				if d.Connack != nil || !strings.Contains(d.Steps[0].Reason, "cannot be looked up offline") {
					t.Errorf("indeterminate with connack %v, reason %q", d.Connack, d.Steps[0].Reason)
				}
			case Denied:
				if d.Connack == nil || d.Connack.Code != CodeNotAuthorized {
					t.Errorf("connack %v, want 0x87", d.Connack)
				}
			case Granted:
				if d.Username == nil || *d.Username != "smart-fan" || !strings.Contains(d.Steps[0].Reason, "chain verified") {
					t.Errorf("granted %+v", d)
				}
			}
		})
	}
}
