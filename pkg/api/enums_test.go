package api

import (
	"fmt"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestNoncanonicalSpellings checks where the walk looks for enum values:
// every list item and nested field of an enum path, through aliases, and
// nowhere else (a field of another kind or path, a value already
// canonical).
func TestNoncanonicalSpellings(t *testing.T) {
	tests := []struct {
		name, kind, doc string
		want            []string
	}{
		{"methods", KindBrokerAuthentication, `
spec:
  authenticationMethods:
  - method: custom
  - method: X509
    x509Settings: {additionalValidation: azuredeviceregistry}
  - method: SERVICEACCOUNTTOKEN
`, []string{
			"spec.authenticationMethods[0].method=custom->Custom",
			"spec.authenticationMethods[1].x509Settings.additionalValidation=azuredeviceregistry->AzureDeviceRegistry",
			"spec.authenticationMethods[2].method=SERVICEACCOUNTTOKEN->ServiceAccountToken",
		}},
		{"listener ports and aliases", KindBrokerListener, `
spec:
  serviceType: loadbalancer
  ports:
  - port: 1883
    protocol: &p mqtt
    tls: {mode: automatic}
  - port: 8883
    protocol: *p
    tls:
      mode: Manual
      certManagerCertificateSpec:
        issuerRef: {kind: clusterissuer}
        privateKey: {algorithm: ec256, rotationPolicy: always}
`, []string{
			"spec.serviceType=loadbalancer->LoadBalancer",
			"spec.ports[0].protocol=mqtt->Mqtt",
			"spec.ports[0].tls.mode=automatic->Automatic",
			"spec.ports[1].protocol=mqtt->Mqtt",
			"spec.ports[1].tls.certManagerCertificateSpec.issuerRef.kind=clusterissuer->ClusterIssuer",
			"spec.ports[1].tls.certManagerCertificateSpec.privateKey.algorithm=ec256->Ec256",
			"spec.ports[1].tls.certManagerCertificateSpec.privateKey.rotationPolicy=always->Always",
		}},
		{"not an enum path", KindBrokerListener, `
spec:
  port: {protocol: mqtt}
  authenticationMethods: [{method: custom}]
metadata: {name: mqtt}
`, nil},
		// A key written like a list index reads as one, as EnumAt reads
		// the path of a server error.
		{"key like an index", KindBrokerListener, `
spec:
  ports[0]: {protocol: mqtt}
`, []string{"spec.ports[0].protocol=mqtt->Mqtt"}},
		{"other kind", "ConfigMap", `
spec:
  serviceType: loadbalancer
`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(strings.TrimPrefix(tt.doc, "\n")), &doc); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, sp := range NoncanonicalSpellings(doc.Content[0], tt.kind, EnumFields) {
				got = append(got, fmt.Sprintf("%s=%s->%s", sp.Path, sp.Node.Value, sp.Canonical))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
