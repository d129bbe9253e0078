package crds_test

// The schema tests check the embedded CRDs through validate's checks
// (pkg/lint), which import this package: hence the external test package.

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
)

// TestSchema checks that the schema enforces the API's rules (the REST API's schema and
// the constraints its descriptions state)
// the way the API server would: each case is a manifest and the errors it
// must (or must not) produce.
func TestSchema(t *testing.T) {
	const authn = `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default, namespace: azure-iot-operations}
`
	const listener = `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: default, namespace: azure-iot-operations}
`
	tests := []struct {
		name    string
		in      string
		errors  []string // substrings, each in a distinct error
		unknown []string
	}{
		{name: "valid v1 chain", in: authn + `
spec:
  authenticationMethods:
  - method: Custom
    customSettings:
      endpoint: https://auth.example:8443
      caCertConfigMap: custom-auth-ca
      auth: {x509: {secretRef: custom-auth-client-cert}}
      headers: {Authorization: "Bearer x", X-Tenant: contoso}
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
  - method: X509
    x509Settings:
      authorizationAttributes:
        root: {subject: "CN = Contoso Root CA Cert, OU = Engineering, C = US", attributes: {organization: contoso}}
        thermostat: {subject: CN = thermostat, attributes: {}}
`},
		{name: "method in another letter case", in: authn + `
spec:
  authenticationMethods:
  - method: serviceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
  - method: x509
    x509Settings: {additionalValidation: azureDeviceRegistry}
`},
		{name: "method typo", in: authn + `
spec:
  authenticationMethods:
  - method: ServiceAcountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`, errors: []string{`spec.authenticationMethods[0].method: Invalid value: "ServiceAcountToken": spec.authenticationMethods[0].method in body should match '^(?i)(Custom|ServiceAccountToken|X509)$'`}}, // the settings rule holds for known methods only
		{name: "no methods", in: authn + `
spec: {authenticationMethods: []}
`, errors: []string{"spec.authenticationMethods: Invalid value: 0: spec.authenticationMethods in body should have at least 1 items"}},
		{name: "no spec", in: authn, errors: []string{"spec: Required value"}},
		{name: "http endpoint", in: authn + `
spec:
  authenticationMethods:
  - method: Custom
    customSettings: {endpoint: "http://auth"}
`, errors: []string{`spec.authenticationMethods[0].customSettings.endpoint: Invalid value: "http://auth": spec.authenticationMethods[0].customSettings.endpoint in body should match '^https://'`}},
		{name: "empty audiences", in: authn + `
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: []}
`, errors: []string{"audiences in body should have at least 1 items"}},
		{name: "auth without secretRef", in: authn + `
spec:
  authenticationMethods:
  - method: Custom
    customSettings: {endpoint: "https://a", auth: {x509: {}}}
`, errors: []string{"spec.authenticationMethods[0].customSettings.auth.x509.secretRef: Required value"}},
		{name: "settings block of another method", in: authn + `
spec:
  authenticationMethods:
  - method: Custom
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`, errors: []string{"spec.authenticationMethods[0]: Invalid value: \"object\": each entry needs the settings block of its method"}},
		{name: "a settings block of another method beside the method's own", in: authn + `
spec:
  authenticationMethods:
  - method: x509
    x509Settings: {}
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`},
		{name: "no settings block", in: authn + `
spec:
  authenticationMethods:
  - method: X509
`, errors: []string{"each entry needs the settings block of its method"}},
		{name: "no settings block, method in another letter case", in: authn + `
spec:
  authenticationMethods:
  - method: serviceaccounttoken
    x509Settings: {}
`, errors: []string{"each entry needs the settings block of its method"}},
		{name: "attribute without subject", in: authn + `
spec:
  authenticationMethods:
  - method: X509
    x509Settings:
      authorizationAttributes:
        root: {attributes: {a: b}}
`, errors: []string{"spec.authenticationMethods[0].x509Settings.authorizationAttributes.root.subject: Required value"}},
		{name: "v1beta1 names under v1 are unknown", in: authn + `
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountToken: {audiences: [aio-mq]}
`, errors: []string{"each entry needs the settings block of its method"},
			unknown: []string{"spec.authenticationMethods[0].serviceAccountToken"}},
		{name: "name too short", in: strings.Replace(authn, "name: default", "name: ab", 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`, errors: []string{"metadata.name must be 3-63 characters"}},
		{name: "name with capitals", in: strings.Replace(authn, "name: default", "name: Default", 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`, errors: []string{`metadata.name: Invalid value: "Default": a lowercase RFC 1123 subdomain`,
			// An Invalid error does not stop the CEL rules: a real API
			// server reports the CRD's own name rule too.
			"metadata.name must be 3-63 characters"}},
		{name: "name with dots", in: strings.Replace(authn, "name: default", "name: my.authn", 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`, errors: []string{"metadata.name must be 3-63 characters"}},
		{name: "name 64 chars", in: strings.Replace(authn, "name: default", "name: "+strings.Repeat("a", 64), 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`, errors: []string{"metadata.name must be 3-63 characters"}},
		{name: "name 63 chars", in: strings.Replace(authn, "name: default", "name: "+strings.Repeat("a", 63), 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`},
		{name: "no name", in: strings.Replace(authn, "name: default, ", "", 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`, errors: []string{"metadata.name: Required value: name or generateName is required"}},
		{name: "generated name", in: strings.Replace(authn, "name: default, ", "generateName: authn-, ", 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`},
		{name: "unknown metadata field", in: strings.Replace(authn, "name: default, ", "name: default, labelz: {a: b}, ", 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`, unknown: []string{"metadata.labelz"}},
		{name: "bad label", in: strings.Replace(authn, "name: default, ", "name: default, labels: {a: -b}, ", 1) + `
spec: {authenticationMethods: [{method: X509, x509Settings: {}}]}
`, errors: []string{`metadata.labels: Invalid value: "-b"`}},
		{name: "wrong type", in: authn + `
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: aio-internal}
`, errors: []string{`spec.authenticationMethods[0].serviceAccountTokenSettings.audiences: Invalid value: "string": spec.authenticationMethods[0].serviceAccountTokenSettings.audiences in body must be of type array`}},
		{name: "additionalValidation enum", in: authn + `
spec:
  authenticationMethods:
  - method: X509
    x509Settings: {additionalValidation: Azure}
`, errors: []string{`should match '^(?i)(None|AzureDeviceRegistry)$'`}},
		{name: "v1beta1 preview shape", in: `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: Custom
    custom: {endpoint: "https://a", caCert: ca, auth: {x509: {secretName: s, namespace: other}}}
  - method: ServiceAccountToken
    serviceAccountToken: {audiences: [aio-mq]}
  - method: x509Credentials
    x509Credentials: {trustedClientCaCert: client-ca}
  - method: X509Credentials
    x509Credentials: {}
`},
		{name: "v1beta1 with v1 block", in: `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: x509Credentials
    x509Settings: {}
`, errors: []string{"should match '^(?i)(Custom|ServiceAccountToken|X509)$'"}},
		{name: "v1beta1 in the 2025 preview shape", in: `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: aio-broker-authn}
spec:
  authenticationMethods:
  - method: X509
    x509Settings: {trustedClientCaCert: client-ca, additionalValidation: AzureDeviceRegistry}
`},
		{name: "valid listener", in: listener + `
spec:
  serviceName: aio-broker
  serviceType: LoadBalancer
  ports:
  - {port: 18883, authenticationRef: default, tls: {mode: Automatic}}
  - {port: 1883, protocol: WebSockets}
  - port: 8883
    tls:
      mode: Manual
      manual: {secretRef: server-cert}
`},
		{name: "listener enums in another letter case", in: listener + `
spec:
  brokerRef: default
  serviceType: clusterIP
  ports:
  - port: 1883
    protocol: websockets
    tls:
      mode: automatic
      certManagerCertificateSpec:
        issuerRef: {kind: clusterIssuer, name: azure-iot-operations-aio-certificate-issuer}
        privateKey: {algorithm: ec256, rotationPolicy: always}
        san: {dns: [aio-broker, localhost], ip: [127.0.0.1]}
`},
		{name: "listener service type typo", in: listener + `
spec: {serviceType: ClusterIPP, ports: [{port: 1883}]}
`, errors: []string{`spec.serviceType: Invalid value: "ClusterIPP": spec.serviceType in body should match '^(?i)(ClusterIp|LoadBalancer|NodePort)$'`}},
		{name: "listener cert-manager spec without issuerRef", in: listener + `
spec: {ports: [{port: 8883, tls: {mode: Automatic, certManagerCertificateSpec: {duration: 720h}}}]}
`, errors: []string{"spec.ports[0].tls.certManagerCertificateSpec.issuerRef: Required value"}},
		{name: "listener private key incomplete", in: listener + `
spec: {ports: [{port: 8883, tls: {mode: Automatic, certManagerCertificateSpec: {issuerRef: {kind: Issuer, name: i}, privateKey: {algorithm: Rsa1024}}}}]}
`, errors: []string{"privateKey.rotationPolicy: Required value", "should match '^(?i)(Ec256|Ec384|Ec521|Ed25519|Rsa2048|Rsa4096|Rsa8192)$'"}},
		{name: "listener port range", in: listener + `
spec: {ports: [{port: 65536}]}
`, errors: []string{"spec.ports[0].port: Invalid value: 65536: spec.ports[0].port in body should be less than or equal to 65535"}},
		{name: "listener duplicate port", in: listener + `
spec: {ports: [{port: 1883}, {port: 1883, protocol: WebSockets}]}
`, errors: []string{`spec.ports[1]: Duplicate value: {"port":1883}`}},
		{name: "listener manual TLS without secret", in: listener + `
spec: {ports: [{port: 8883, tls: {mode: Manual}}]}
`, errors: []string{"tls.mode Manual needs tls.manual.secretRef"}},
		{name: "listener no ports", in: listener + `
spec: {ports: []}
`, errors: []string{"spec.ports in body should have at least 1 items"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(tt.in), &obj); err != nil {
				t.Fatal(err)
			}
			res, err := lint.CheckSchema(obj)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range res.Errors {
				got = append(got, e.Error())
			}
			used := make([]bool, len(got))
		want:
			for _, w := range tt.errors {
				for i, g := range got {
					if !used[i] && strings.Contains(g, w) {
						used[i] = true
						continue want
					}
				}
				t.Errorf("missing error %q", w)
			}
			for i, g := range got {
				if !used[i] {
					t.Errorf("unexpected error %q", g)
				}
			}
			if strings.Join(res.Unknown, ",") != strings.Join(tt.unknown, ",") {
				t.Errorf("unknown fields %q, want %q", res.Unknown, tt.unknown)
			}
		})
	}
}

func TestCheckSchemaDoesNotModifyInput(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "mqttbroker.iotoperations.azure.com/v1", "kind": "BrokerAuthentication",
		"metadata": map[string]any{"name": "default"},
		"spec": map[string]any{"authenticationMethods": []any{
			map[string]any{"method": "X509", "x509Settings": map[string]any{}, "extra": true}}},
	}
	before := runtime.DeepCopyJSON(obj)
	res, err := lint.CheckSchema(obj)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unknown) != 1 {
		t.Errorf("unknown %q", res.Unknown)
	}
	if !equalJSON(before, obj) {
		t.Errorf("CheckSchema changed its input (defaults or pruning leaked): %v", obj)
	}
	if _, err := lint.CheckSchema(map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}); err == nil {
		t.Error("no error for a kind with no CRD")
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := yaml.Marshal(a)
	y, _ := yaml.Marshal(b)
	return bytes.Equal(x, y)
}
