package lint

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

const v1Authn = `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata:
  name: default
  namespace: azure-iot-operations
spec:
  authenticationMethods:
`

const v1Listener = `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata:
  name: listener
  namespace: azure-iot-operations
spec:
  ports:
`

// satAuthn is a valid authn for listener tests (lines 1-10).
const satAuthn = v1Authn + `  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
---
`

// ruleCase is one input and the findings it must produce, written
// "rule@line" (severity from the rule table unless given as
// "rule@line:severity"), in sorted order.
type ruleCase struct {
	name  string
	files map[string]string
	want  []string
	// rejected, when set, is the API server's expected verdict on the
	// whole input.
	rejected *bool
	strict   bool
}

func rejected(b bool) *bool { return &b }

func ruleCases(t testing.TB) []ruleCase {
	ecCA := makeCert(t, certSpec{cn: "EC Root", ca: true})
	ecCA2 := makeCert(t, certSpec{cn: "EC Intermediate", ca: true})
	rsaCA := makeCert(t, certSpec{cn: "RSA Root", rsa: true, ca: true})
	leaf := makeCert(t, certSpec{cn: "device"})
	expired := makeCert(t, certSpec{cn: "Old Root", ca: true, notBefore: testNow.AddDate(-3, 0, 0), notAfter: testNow.AddDate(0, 0, -1)})
	future := makeCert(t, certSpec{cn: "Future Root", ca: true, notBefore: testNow.AddDate(0, 0, 2), notAfter: testNow.AddDate(3, 0, 0)})
	expiring := makeCert(t, certSpec{cn: "Soon Root", ca: true, notAfter: testNow.AddDate(0, 0, 10)})
	expiredLeaf := makeCert(t, certSpec{cn: "old device", notBefore: testNow.AddDate(-3, 0, 0), notAfter: testNow.AddDate(0, 0, -1)})
	rsaLeaf := makeCert(t, certSpec{cn: "rsa device", rsa: true})
	const keyBlock = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
	x509Authn := v1Authn + `  - method: X509
    x509Settings:
      trustedClientCaCert: client-ca
---
`
	caMap := func(data string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client-ca\n  namespace: azure-iot-operations\n" + data
	}
	// x509Authn is 11 lines; the ConfigMap starts at line 12, data is at
	// line 17, its key at 18, the first PEM line at 19.
	bundle := func(pems ...string) string {
		return caMap("data:\n  client_ca.pem: |\n" + literal(strings.Join(pems, ""), 4) + "\n")
	}

	return []ruleCase{
		{name: "valid authn and listener", rejected: rejected(false), files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: 8883
    authenticationRef: default
    tls:
      mode: Automatic
`}},
		{name: "yaml syntax", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + "  - method: X509: x\n"},
			want: []string{"yaml-syntax@8"}},
		{name: "alias bomb", rejected: rejected(true), files: map[string]string{"a.yaml": satAuthn + strings.Replace(v1Listener, "spec:", `x1: &a [x, x, x, x, x, x, x, x, x, x]
x2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
x3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
x4: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
x5: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
x6: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
x7: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
spec:`, 1) + "  - port: 1883\n"}, want: []string{"yaml-syntax@12"}},
		{name: "duplicate key", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
    method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
`}, want: []string{"duplicate-key@9"}},
		{name: "non-string key", files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
    ? [a, b]
    : c
`}, want: []string{"non-string-key@11:warning"}},
		{name: "api version", rejected: rejected(true), files: map[string]string{"a.yaml": strings.Replace(satAuthn, "/v1", "/v2", 1)},
			want: []string{"api-version@1"}},
		{name: "api version without a version", files: map[string]string{"a.yaml": strings.Replace(satAuthn, "azure.com/v1", "azure.com", 1)},
			want: []string{"api-version@1"}},
		{name: "api version with a misspelt group", files: map[string]string{"a.yaml": strings.Replace(satAuthn, "mqttbroker.", "mqtbroker.", 1)},
			want: []string{"api-version@1"}},
		{name: "metadata", rejected: rejected(true), files: map[string]string{"a.yaml": strings.Replace(satAuthn, "  name: default\n", "  name: default\n  labels: {a: [1]}\n", 1)},
			want: []string{"metadata@3"}},
		{name: "metadata unknown field", rejected: rejected(true), files: map[string]string{"a.yaml": strings.Replace(satAuthn, "  name: default\n", "  name: default\n  nmae: x\n", 1)},
			want: []string{"unknown-field@5"}},
		{name: "name format", rejected: rejected(true), files: map[string]string{"a.yaml": strings.Replace(satAuthn, "name: default", "name: Default_Authn", 1)},
			want: []string{"name-format@4"}},
		{name: "name too short for the broker", rejected: rejected(true), files: map[string]string{"a.yaml": strings.Replace(satAuthn, "name: default", "name: ab", 1)},
			want: []string{"name-format@4"}},
		{name: "name missing", rejected: rejected(true), files: map[string]string{"a.yaml": strings.Replace(satAuthn, "  name: default\n", "", 1)},
			want: []string{"name-format@3"}},
		{name: "generateName is accepted", rejected: rejected(false), files: map[string]string{"a.yaml": strings.Replace(satAuthn, "  name: default\n", "  generateName: authn-\n", 1)}},
		{name: "required field", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: Custom
    customSettings:
      caCertConfigMap: server-ca
`}, want: []string{"ref-not-in-inputs@10", "required-field@9"}},
		{name: "field type", rejected: rejected(true), files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: "8883"
    authenticationRef: default
`}, want: []string{"field-type@19"}},
		{name: "enum", rejected: rejected(true), files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: 8883
    protocol: mqqt
    authenticationRef: default
`}, want: []string{"enum@20"}},
		{name: "noncanonical spelling", rejected: rejected(false), files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: 8883
    protocol: mqtt
    authenticationRef: default
`}, want: []string{"noncanonical-spelling@20"}},
		{name: "schema range", rejected: rejected(true), files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: 70000
    authenticationRef: default
`}, want: []string{"schema@19"}},
		{name: "schema CEL rule", rejected: rejected(true), files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: 8883
    authenticationRef: default
    tls:
      mode: Manual
`}, want: []string{"schema-rule@21"}},
		{name: "unknown field with suggestion", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
      audience: [aio-internal]
`}, want: []string{"unknown-field@11"}},
		{name: "method enum", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAcountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
`}, want: []string{"method-enum@8"}},
		{name: "settings block missing", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
`}, want: []string{"settings-block@8"}},
		{name: "settings block under the wrong method", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: Custom
    serviceAccountTokenSettings:
      audiences: [aio-internal]
`}, want: []string{"settings-block@9"}},
		{name: "a settings block of another method beside the method's own", rejected: rejected(false), files: map[string]string{"a.yaml": v1Authn + `  - method: custom
    customSettings:
      endpoint: https://auth.example.com
    x509Settings: {}
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`}, want: []string{"noncanonical-spelling@8", "unused-settings@11", "unused-settings@12"}},
		{name: "strict makes unused settings an error", strict: true, rejected: rejected(false), files: map[string]string{"a.yaml": v1Authn + `  - method: X509
    x509Settings: {}
    customSettings:
      endpoint: https://auth.example.com
`}, want: []string{"ref-not-in-inputs@9", "unused-settings@10:error"}},
		{name: "blocks of other methods do not stand in for the method's own", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: x509
    customSettings:
      endpoint: https://auth.example.com
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`}, want: []string{"noncanonical-spelling@8", "settings-block@9", "settings-block@11"}},
		{name: "mid-2024 v1beta1 with a block of another method", rejected: rejected(true), files: map[string]string{"a.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata:
  name: authn
spec:
  authenticationMethods:
  - method: x509Credentials
    x509Credentials: {}
    serviceAccountToken: {audiences: [aio-mq]}
`}, want: []string{"old-api-generation@1:warning", "ref-not-in-inputs@8", "unused-settings@9"}},
		{name: "v1beta1 settings block names", rejected: rejected(true), files: map[string]string{"a.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata:
  name: authn
spec:
  authenticationMethods:
  - method: x509Credentials
`}, want: []string{"old-api-generation@1:warning", "settings-block@7"}},
		{name: "sat audiences empty", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: []
`}, want: []string{"sat-audiences@10"}},
		{name: "sat audiences missing", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
    serviceAccountTokenSettings: {}
`}, want: []string{"sat-audiences@9"}},
		{name: "custom https", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: Custom
    customSettings:
      endpoint: http://auth.example.com
`}, want: []string{"custom-https@10"}},
		{name: "custom fallthrough", rejected: rejected(false), files: map[string]string{"a.yaml": v1Authn + `  - method: Custom
    customSettings:
      endpoint: https://auth.example.com
  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
`}, want: []string{"custom-fallthrough@8"}},
		{name: "duplicate method", rejected: rejected(false), files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [other]
`}, want: []string{"duplicate-method@11"}},
		{name: "preview api: v1beta1 listener is served", rejected: rejected(false), files: map[string]string{"a.yaml": satAuthn + strings.Replace(v1Listener, "/v1", "/v1beta1", 1) + `  - port: 8883
    authenticationRef: default
`}, want: []string{"preview-api@12"}},
		{name: "preview api: v1beta1 authn of the 2025 shape is served", rejected: rejected(false), files: map[string]string{"a.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata:
  name: aio-broker-authn
spec:
  authenticationMethods:
  - method: X509
    x509Settings:
      trustedClientCaCert: client-ca
      additionalValidation: AzureDeviceRegistry
`}, want: []string{"preview-api@1", "ref-not-in-inputs@9"}},
		{name: "generation mismatch: v1beta1 mixing both shapes", rejected: rejected(true), files: map[string]string{"a.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata:
  name: authn
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
  - method: x509Credentials
    x509Credentials: {}
`}, want: []string{"generation-mismatch@10", "method-enum@10", "legacy-field@11"}},
		{name: "old api generation: v1beta1 authn is not served", rejected: rejected(true), files: map[string]string{"a.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata:
  name: authn
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountToken:
      audiences: [aio-mq]
`}, want: []string{"old-api-generation@1"}},
		{name: "old api generation: 2023", files: map[string]string{"a.yaml": `apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata:
  name: authn
spec:
  listenerRef: [listener]
  authenticationMethods:
  - sat:
      audiences: [aio-mq]
`}, want: []string{"old-api-generation@1"}},
		{name: "strict makes warnings errors", strict: true, files: map[string]string{"a.yaml": `apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerListener
metadata:
  name: listener
spec:
  port: 8883
`}, want: []string{"old-api-generation@1:error"}},
		{name: "generation mismatch", files: map[string]string{"a.yaml": strings.Replace(satAuthn, "mqttbroker.iotoperations.azure.com/v1", "mq.iotoperations.azure.com/v1beta1", 1)},
			want: []string{"generation-mismatch@1"}},
		{name: "legacy field: v1beta1 block in v1", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: X509
    x509Credentials:
      trustedClientCaCert: client-ca
`}, want: []string{"legacy-field@9"}},
		{name: "legacy field: 2023 attributes.secretName", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: X509
    x509Settings:
      trustedClientCaCert: client-ca
      attributes:
        secretName: x509-attributes
`}, want: []string{"legacy-field@11", "ref-not-in-inputs@10"}},
		{name: "legacy field: v1beta1 caCert in v1", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: Custom
    customSettings:
      endpoint: https://auth.example.com
      caCert: server-ca
`}, want: []string{"legacy-field@11"}},
		{name: "toml inside yaml that parses", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: X509
    x509Settings:
      authorizationAttributes:
        root:
          subject = "CN = Contoso Root CA Cert, OU = Engineering, C = US"
`}, want: []string{"ref-not-in-inputs@9", "toml-syntax@12"}},
		{name: "toml inside yaml that breaks it", rejected: rejected(true), files: map[string]string{"a.yaml": v1Authn + `  - method: X509
    x509Settings:
      authorizationAttributes:
        root:
          subject = "CN = Contoso Root CA Cert, OU = Engineering, C = US"
          attributes:
            organization = contoso
`}, want: []string{"toml-syntax@12"}},
		{name: "audience mix", files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal, aio-mq]
`}, want: []string{"audience-mix@10"}},
		{name: "preview audience under v1", files: map[string]string{"a.yaml": v1Authn + `  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-mq]
`}, want: []string{"audience-mix@10"}},
		{name: "default name of the preview", files: map[string]string{"a.yaml": strings.Replace(satAuthn, "name: default", "name: authn", 1)},
			want: []string{"default-name@4"}},
		{name: "x509 needs tls", rejected: rejected(false), files: map[string]string{"a.yaml": x509Authn + caMap("data:\n  ca.pem: |\n"+literal(ecCA, 4)+"\n---\n") + v1Listener + `  - port: 1883
    authenticationRef: default
`}, want: []string{"x509-needs-tls@38"}},
		{name: "authn ref", rejected: rejected(false), files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: 8883
    authenticationRef: defualt
    tls: {mode: Automatic}
`}, want: []string{"authn-ref@20"}},
		{name: "authn ref across files", files: map[string]string{"a.yaml": satAuthn, "b.yaml": v1Listener + `  - port: 8883
    authenticationRef: default
    tls: {mode: Automatic}
`}},
		{name: "items of a List are checked", files: map[string]string{"a.yaml": `apiVersion: v1
kind: List
items:
- apiVersion: mqttbroker.iotoperations.azure.com/v1
  kind: BrokerAuthentication
  metadata:
    name: default
  spec:
    authenticationMethods:
    - method: ServiceAcountToken
      serviceAccountTokenSettings:
        audiences: [aio-internal]
- apiVersion: mqttbroker.iotoperations.azure.com/v1
  kind: BrokerListener
  metadata:
    name: listener
  spec:
    ports:
    - port: 8883
      authenticationRef: default
      tls: {mode: Automatic}
`}, want: []string{"method-enum@10"}},
		{name: "no authentication", files: map[string]string{"a.yaml": v1Listener + `  - port: 1883
`}, want: []string{"no-authentication@8"}},
		{name: "duplicate port in a listener", rejected: rejected(true), files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: 8883
    authenticationRef: default
  - port: 8883
    authenticationRef: default
`}, want: []string{"duplicate-port@21"}},
		{name: "duplicate port across listeners", files: map[string]string{"a.yaml": satAuthn + v1Listener + `  - port: 8883
    authenticationRef: default
---
` + strings.Replace(v1Listener, "name: listener", "name: second", 1) + `  - port: 8883
    authenticationRef: default
`}, want: []string{"duplicate-port@29"}},
		{name: "ref not in inputs", files: map[string]string{"a.yaml": x509Authn},
			want: []string{"ref-not-in-inputs@10"}},
		{name: "ca bundle ok", files: map[string]string{"a.yaml": x509Authn + bundle(ecCA, ecCA2)}},
		{name: "ca none", files: map[string]string{"a.yaml": x509Authn + caMap("data:\n  note: nothing here\n")},
			want: []string{"ca-none@17"}},
		{name: "ca bad pem", files: map[string]string{"a.yaml": x509Authn + bundle("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")},
			want: []string{"ca-bad-pem@19", "ca-none@17"}},
		{name: "ca not a ca", files: map[string]string{"a.yaml": x509Authn + bundle(ecCA, leaf)},
			want: []string{"ca-not-ca@29"}},
		{name: "ca mixed keys", files: map[string]string{"a.yaml": x509Authn + bundle(ecCA, rsaCA)},
			want: []string{"ca-mixed-keys@29"}},
		{name: "ca expired", files: map[string]string{"a.yaml": x509Authn + bundle(expired)},
			want: []string{"ca-expired@19"}},
		{name: "ca not yet valid", files: map[string]string{"a.yaml": x509Authn + bundle(future)},
			want: []string{"ca-expired@19"}},
		{name: "ca expiring", files: map[string]string{"a.yaml": x509Authn + bundle(expiring)},
			want: []string{"ca-expiring@19"}},
		// A leaf is only a warning here, so it stays in the bundle: its
		// dates and key algorithm still count.
		{name: "ca expired leaf", files: map[string]string{"a.yaml": x509Authn + bundle(ecCA, expiredLeaf)},
			want: []string{"ca-expired@29", "ca-not-ca@29"}},
		{name: "ca leaf of another key algorithm", files: map[string]string{"a.yaml": x509Authn + bundle(ecCA, rsaLeaf)},
			want: []string{"ca-mixed-keys@29", "ca-not-ca@29"}},
		// Positions count every BEGIN line of the value, a key's too.
		{name: "ca after a key block", files: map[string]string{"a.yaml": x509Authn + bundle(keyBlock, expired)},
			want: []string{"ca-expired@22"}},
		{name: "ca truncated block", files: map[string]string{"a.yaml": x509Authn + bundle(ecCA, ecCA2[:len(ecCA2)/2])},
			want: []string{"ca-bad-pem@29"}},
		{name: "custom auth server CA without a certificate", files: map[string]string{"a.yaml": v1Authn + `  - method: Custom
    customSettings:
      endpoint: https://auth.example.com
      caCertConfigMap: auth-server-ca
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: auth-server-ca
data:
  ca.crt: ""
`}, want: []string{"ca-none@17"}},
		{name: "tls secret with an expired base64 certificate", files: map[string]string{"a.yaml": v1Authn + `  - method: Custom
    customSettings:
      endpoint: https://auth.example.com
      auth:
        x509:
          secretRef: broker-client
---
apiVersion: v1
kind: Secret
metadata:
  name: broker-client
type: kubernetes.io/tls
data:
  tls.crt: ` + base64.StdEncoding.EncodeToString([]byte(expired)) + `
  tls.key: ` + base64.StdEncoding.EncodeToString([]byte("not shown")) + `
`}, want: []string{"ca-expired@21"}},
		{name: "tls secret", files: map[string]string{"a.yaml": v1Authn + `  - method: Custom
    customSettings:
      endpoint: https://auth.example.com
      auth:
        x509:
          secretRef: broker-client
---
apiVersion: v1
kind: Secret
metadata:
  name: broker-client
  namespace: azure-iot-operations
type: Opaque
stringData:
  tls.crt: |
` + literal(leaf, 4) + "\n"}, want: []string{"tls-secret@20", "tls-secret@21"}},
	}
}

func lintStrings(files map[string]string, strict bool) *Result {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var parsed []*manifest.File
	for _, n := range names {
		parsed = append(parsed, manifest.Parse(n, []byte(files[n])))
	}
	return Lint(parsed, Options{Now: testNow, Strict: strict})
}

// verdictOf is the API server's verdict on every document of a result.
func verdictOf(files map[string]string) bool {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if len(schemaRejections(manifest.Parse(n, []byte(files[n])), EngineFast)) > 0 {
			return true
		}
	}
	return false
}

func TestRules(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range ruleCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			res := lintStrings(tc.files, tc.strict)
			var got []string
			for _, f := range res.Findings {
				rule, _ := RuleByID(f.Rule)
				s := fmt.Sprintf("%s@%d", f.Rule, f.Line)
				if f.Severity != rule.Severity {
					s += ":" + string(f.Severity)
				}
				got = append(got, s)
				if f.Line < 1 || f.Column < 1 || f.File == "" || f.Message == "" {
					t.Errorf("finding without position or message: %+v", f)
				}
				if strings.Contains(f.Message+f.Hint, "not shown") || strings.Contains(f.Message+f.Hint, "bm90IHNob3du") {
					t.Errorf("a finding prints a Secret's key: %+v", f)
				}
			}
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			for i, w := range want {
				if !strings.Contains(w, ":") {
					continue
				}
				id, sev, _ := strings.Cut(w, ":")
				rule, _ := RuleByID(strings.Split(id, "@")[0])
				if string(rule.Severity) == sev {
					want[i] = id
				}
			}
			sort.Strings(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				var b strings.Builder
				r, _ := NewReporter("text", ReportOptions{})
				_ = r.Report(&b, res)
				t.Errorf("findings = %v, want %v\n%s", got, want, b.String())
			}
			if tc.rejected != nil {
				if v := verdictOf(tc.files); v != *tc.rejected {
					t.Errorf("API server verdict: rejected = %v, want %v", v, *tc.rejected)
				}
			}
		})
		for _, w := range tc.want {
			covered[strings.Split(w, "@")[0]] = true
		}
	}
	for _, r := range Rules {
		if !covered[r.ID] {
			t.Errorf("rule %s has no test case", r.ID)
		}
	}
}

// TestLargeFileGroups checks that a file read in groups of documents across
// cores gives the same findings, in the same order and with the same
// document indexes, as one checked by a single worker, and that a syntax
// error in a late group stops the file there.
func TestLargeFileGroups(t *testing.T) {
	var b strings.Builder
	n := 3*groupDocs + 5
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString("---\n")
		}
		if i%10 == 3 {
			b.WriteString("# a comment-only document, not counted\n---\n")
		}
		doc := strings.Replace(satAuthn, "name: default", fmt.Sprintf("name: authn-%03d", i), 1)
		if i%7 == 0 {
			doc = strings.Replace(doc, "method: ServiceAccountToken", "method: ServiceAcountToken", 1)
		}
		b.WriteString(strings.TrimSuffix(doc, "---\n"))
	}
	good := b.String()
	broken := good + "---\nkind: [unclosed\n---\n" + strings.Replace(satAuthn, "method: ServiceAccountToken", "method: serviceAccountToken", 1)
	for _, data := range []string{good, broken} {
		one := Lint([]*manifest.File{manifest.Parse("big.yaml", []byte(data))}, Options{Now: testNow, Workers: 1})
		many := Lint([]*manifest.File{manifest.Parse("big.yaml", []byte(data))}, Options{Now: testNow, Workers: 4})
		if one.Summary.Documents != n || one.Summary.Errors == 0 {
			t.Fatalf("summary %+v", one.Summary)
		}
		if fmt.Sprint(one.Findings) != fmt.Sprint(many.Findings) || one.Summary != many.Summary {
			t.Errorf("findings differ between 1 and 4 workers:\n%v\n%v", one.Summary, many.Summary)
		}
		syntax := 0
		for _, f := range many.Findings {
			if f.Rule == RuleYAMLSyntax {
				syntax++
				if f.Document != n {
					t.Errorf("syntax error in document %d, want %d", f.Document, n)
				}
				continue
			}
			if f.Name != "" && f.Name != fmt.Sprintf("authn-%03d", f.Document) {
				t.Errorf("finding about %s says document %d", f.Name, f.Document)
			}
			if f.Document >= n {
				t.Errorf("a finding after the syntax error: %+v", f)
			}
		}
		if want := strings.Count(data, "[unclosed"); syntax != want {
			t.Errorf("%d syntax findings, want %d", syntax, want)
		}
	}
}
