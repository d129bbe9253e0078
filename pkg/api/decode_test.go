package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api/mid2024"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// toJSON turns a YAML manifest into the JSON the decoders take, the way
// manifest.Document.JSON does.
func toJSON(t *testing.T, y string) []byte {
	t.Helper()
	b, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatalf("bad test YAML: %v", err)
	}
	return b
}

func wantV1(t *testing.T, y string) *v1.BrokerAuthentication {
	t.Helper()
	var out v1.BrokerAuthentication
	if err := json.Unmarshal(toJSON(t, y), &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestDecodeBrokerAuthentication(t *testing.T) {
	tests := []struct {
		name       string
		apiVersion string
		in         string
		want       string   // v1 YAML
		notes      []string // each must appear in a note (substring), in order
		noNotes    bool
		absent     []string // must appear in no note
	}{
		{
			name:       "v1 as is",
			apiVersion: APIVersionV1,
			in: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
  - method: X509
    x509Settings:
      trustedClientCaCert: client-ca
      authorizationAttributes:
        root: {subject: "CN = Contoso Root CA Cert, OU = Engineering, C = US", attributes: {organization: contoso}}
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
  - method: X509
    x509Settings:
      trustedClientCaCert: client-ca
      authorizationAttributes:
        root: {subject: "CN = Contoso Root CA Cert, OU = Engineering, C = US", attributes: {organization: contoso}}
`,
			noNotes: true,
		},
		{
			name:       "v1 unknown field ignored without notes",
			apiVersion: APIVersionV1,
			in: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: X509
    x509Settings: {trustedClientCaCert: ca, colour: blue}
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: X509
    x509Settings: {trustedClientCaCert: ca}
`,
			noNotes: true,
		},
		{
			name:       "mid-2024 v1beta1 every rename",
			apiVersion: APIVersionV1beta1,
			in: `
apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: Custom
    custom:
      endpoint: https://auth-server-template
      caCert: custom-auth-ca
      auth:
        x509: {secretName: custom-auth-client-cert, namespace: azure-iot-operations}
      headers: {header_key: header_value}
  - method: ServiceAccountToken
    serviceAccountToken: {audiences: [aio-mq, my-audience]}
  - method: x509Credentials
    x509Credentials:
      trustedClientCaCert: client-ca
      authorizationAttributes:
        thermostat: {subject: CN = thermostat, attributes: {group: thermostat_group}}
  - method: X509Credentials
    x509Credentials: {}
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: authn, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: Custom
    customSettings:
      endpoint: https://auth-server-template
      caCertConfigMap: custom-auth-ca
      auth:
        x509: {secretRef: custom-auth-client-cert}
      headers: {header_key: header_value}
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-mq, my-audience]}
  - method: X509
    x509Settings:
      trustedClientCaCert: client-ca
      authorizationAttributes:
        thermostat: {subject: CN = thermostat, attributes: {group: thermostat_group}}
  - method: X509
    x509Settings: {}
`,
			notes: []string{
				"apiVersion mqttbroker.iotoperations.azure.com/v1beta1 converted to mqttbroker.iotoperations.azure.com/v1",
				"spec.authenticationMethods[0].custom → customSettings",
				"spec.authenticationMethods[0].custom.caCert → customSettings.caCertConfigMap",
				"spec.authenticationMethods[0].custom.auth.x509.secretName → customSettings.auth.x509.secretRef",
				"spec.authenticationMethods[1].serviceAccountToken → serviceAccountTokenSettings",
				"spec.authenticationMethods[2].method x509Credentials → X509",
				"spec.authenticationMethods[2].x509Credentials → x509Settings",
				"spec.authenticationMethods[3].method X509Credentials → X509",
			},
		},
		{
			name:       "v1beta1 secret in another namespace",
			apiVersion: APIVersionV1beta1,
			in: `
apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: Custom
    custom:
      endpoint: https://auth
      auth: {x509: {secretName: cert, namespace: other}}
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: authn, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: Custom
    customSettings:
      endpoint: https://auth
      auth: {x509: {secretRef: cert}}
`,
			notes: []string{`spec.authenticationMethods[0].custom.auth.x509.namespace "other" dropped: v1 secretRef names a Secret in the BrokerAuthentication's namespace "azure-iot-operations"`},
		},
		{
			name:       "v1beta1 mixed with the 2023 attributes secret",
			apiVersion: APIVersionV1beta1,
			in: `
apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountToken: {audiences: [aio-mq]}
  - method: x509Credentials
    x509Credentials:
      trustedClientCaCert: client-ca
      attributes: {secretName: x509-attributes}
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-mq]}
  - method: X509
    x509Settings: {trustedClientCaCert: client-ca}
`,
			notes: []string{
				"spec.authenticationMethods[0].serviceAccountToken → serviceAccountTokenSettings",
				"spec.authenticationMethods[1].x509Credentials.attributes ignored: a TOML Secret of attributes has no later equivalent",
			},
			absent: []string{`unknown field`},
		},
		{
			name:       "v1beta1 in the 2025 preview shape keeps additionalValidation",
			apiVersion: APIVersionV1beta1,
			in: `
apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: aio-broker-authn, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: X509
    x509Settings:
      trustedClientCaCert: client-ca
      additionalValidation: AzureDeviceRegistry
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: aio-broker-authn, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: X509
    x509Settings:
      trustedClientCaCert: client-ca
      additionalValidation: AzureDeviceRegistry
`,
			noNotes: true,
		},
		{
			name:       "enum values in any letter case read canonically",
			apiVersion: APIVersionV1,
			in: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: serviceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
  - method: x509
    x509Settings: {additionalValidation: azuredeviceregistry}
  - method: ServiceAcountToken
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
  - method: X509
    x509Settings: {additionalValidation: AzureDeviceRegistry}
  - method: ServiceAcountToken
`,
			noNotes: true,
		},
		{
			name:       "2023 apiVersion with the v1 shape",
			apiVersion: APIVersion2023,
			in: `
apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: Custom
    customSettings: {endpoint: "https://auth"}
  - sat: {audiences: [aio-mq]}
  - method: X509Credentials
    x509Credentials: {}
  - colour: blue
    method: X509
    x509Settings: {}
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: Custom
    customSettings: {endpoint: "https://auth"}
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-mq]}
  - method: X509
    x509Settings: {}
  - method: X509
    x509Settings: {}
`,
			notes: []string{
				"apiVersion mq.iotoperations.azure.com/v1beta1 converted",
				"spec.authenticationMethods[0].customSettings is the v1 name: used as is",
				"spec.authenticationMethods[1].sat → method ServiceAccountToken",
				"spec.authenticationMethods[2].method X509Credentials → X509",
				"spec.authenticationMethods[3].x509Settings is the v1 name: used as is",
				`unknown field "spec.authenticationMethods[3].colour" ignored`,
			},
		},
		{
			name:       "2023 sat, x509, custom",
			apiVersion: APIVersion2023,
			in: `
apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn, namespace: azure-iot-operations}
spec:
  listenerRef: [az-mqtt-non-tls-listener, tls-listener]
  authenticationMethods:
  - sat: {audiences: [aio-mq, my-audience]}
  - x509: {trustedClientCaCert: client-ca}
  - custom:
      endpoint: https://auth-server-template
      caCert: custom-auth-ca
      auth: {x509: {secretName: custom-auth-client-cert}}
      headers: {k: v}
`,
			want: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: authn, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-mq, my-audience]}
  - method: X509
    x509Settings: {trustedClientCaCert: client-ca}
  - method: Custom
    customSettings:
      endpoint: https://auth-server-template
      caCertConfigMap: custom-auth-ca
      auth: {x509: {secretRef: custom-auth-client-cert}}
      headers: {k: v}
`,
			notes: []string{
				"apiVersion mq.iotoperations.azure.com/v1beta1 converted",
				"spec.listenerRef dropped: in v1 a listener port names its BrokerAuthentication (ports[].authenticationRef); set authenticationRef: authn on the ports of az-mqtt-non-tls-listener, tls-listener",
				"spec.authenticationMethods[0].sat → method ServiceAccountToken",
				"spec.authenticationMethods[1].x509 → method X509",
				"spec.authenticationMethods[2].custom → method Custom",
				"spec.authenticationMethods[2].custom.caCert → customSettings.caCertConfigMap",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notes, err := DecodeBrokerAuthentication(tt.apiVersion, toJSON(t, tt.in))
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if want := wantV1(t, tt.want); !reflect.DeepEqual(got, want) {
				g, _ := yaml.Marshal(got)
				w, _ := yaml.Marshal(want)
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
			if tt.noNotes && len(notes) > 0 {
				t.Errorf("notes for v1 input: %q", notes)
			}
			i := 0
			for _, n := range notes {
				if i < len(tt.notes) && strings.Contains(n, tt.notes[i]) {
					i++
				}
			}
			for _, a := range tt.absent {
				for _, n := range notes {
					if strings.Contains(n, a) {
						t.Errorf("unexpected note %q", n)
					}
				}
			}
			if i < len(tt.notes) {
				t.Errorf("note %q missing (in order) from:\n%s", tt.notes[i], strings.Join(notes, "\n"))
			}
		})
	}
}

func TestDecodeBrokerAuthenticationErrors(t *testing.T) {
	tests := []struct {
		name       string
		apiVersion string
		in         string
		want       string
		conversion string // path of a *ConversionError, if that is the error
	}{
		{
			name:       "unknown apiVersion",
			apiVersion: "mqttbroker.iotoperations.azure.com/v2",
			in:         `kind: BrokerAuthentication`,
			want:       `unsupported apiVersion "mqttbroker.iotoperations.azure.com/v2" for BrokerAuthentication: supported are mqttbroker.iotoperations.azure.com/v1, mqttbroker.iotoperations.azure.com/v1beta1 or mq.iotoperations.azure.com/v1beta1`,
		},
		{
			name:       "no apiVersion",
			apiVersion: "",
			in:         `kind: BrokerAuthentication`,
			want:       "BrokerAuthentication has no apiVersion: set it to mqttbroker.iotoperations.azure.com/v1",
		},
		{
			name:       "audiences a string",
			apiVersion: APIVersionV1,
			in: `
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: aio-internal}
`,
			want: "spec.authenticationMethods.serviceAccountTokenSettings.audiences: expected array of strings, got string",
		},
		{
			name:       "methods a mapping",
			apiVersion: APIVersionV1beta1,
			in:         `spec: {authenticationMethods: {method: Custom}}`,
			want:       "spec.authenticationMethods: expected array of objects, got object",
		},
		{
			name:       "headers a list",
			apiVersion: APIVersion2023,
			in:         `spec: {authenticationMethods: [{custom: {endpoint: https://a, headers: [a]}}]}`,
			want:       "spec.authenticationMethods.custom.headers: expected object of strings, got array",
		},
		{
			name:       "document not a mapping",
			apiVersion: APIVersionV1,
			in:         `[1, 2]`,
			want:       "document: expected object, got array",
		},
		{
			name:       "v1beta1 mixing the two preview shapes",
			apiVersion: APIVersionV1beta1,
			in:         `spec: {authenticationMethods: [{method: Custom, customSettings: {endpoint: "https://a"}}, {method: x509Credentials, x509Credentials: {}}]}`,
			want: "spec.authenticationMethods[1].method: the document mixes the mid-2024 preview shape " +
				"(spec.authenticationMethods[1].method: x509Credentials, spec.authenticationMethods[1].x509Credentials) " +
				"with the 2025 preview shape (spec.authenticationMethods[0].customSettings)",
			conversion: "spec.authenticationMethods[1].method",
		},
		{
			name:       "2023 usernamePassword",
			apiVersion: APIVersion2023,
			in:         `spec: {authenticationMethods: [{sat: {audiences: [aio-mq]}}, {usernamePassword: {secretName: password-db}}]}`,
			want:       "spec.authenticationMethods[1].usernamePassword: username/password authentication ended with the 2023 preview",
			conversion: "spec.authenticationMethods[1].usernamePassword",
		},
		{
			name:       "2023 attributes secret",
			apiVersion: APIVersion2023,
			in:         `spec: {authenticationMethods: [{x509: {trustedClientCaCert: client-ca, attributes: {secretName: x509-attributes}}}]}`,
			want:       "spec.authenticationMethods[0].x509.attributes: a TOML Secret of attributes has no later equivalent: inline them by hand",
			conversion: "spec.authenticationMethods[0].x509.attributes",
		},
		{
			name:       "2023 two keys in one entry",
			apiVersion: APIVersion2023,
			in:         `spec: {authenticationMethods: [{sat: {audiences: [a]}, x509: {}}]}`,
			want:       "spec.authenticationMethods[0]: expected exactly one of sat, x509, custom, usernamePassword (the 2023 shape) or a method (the v1 shape); found sat, x509: split them",
			conversion: "spec.authenticationMethods[0]",
		},
		{
			name:       "2023 entry with no known key",
			apiVersion: APIVersion2023,
			in:         `spec: {authenticationMethods: [{password: {secretName: db}}]}`,
			want:       "spec.authenticationMethods[0]: expected exactly one of sat, x509, custom, usernamePassword (the 2023 shape)",
			conversion: "spec.authenticationMethods[0]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := DecodeBrokerAuthentication(tt.apiVersion, toJSON(t, tt.in))
			if err == nil {
				t.Fatalf("no error, got %+v", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
			var ce *ConversionError
			if tt.conversion != "" && (!errors.As(err, &ce) || ce.Path != tt.conversion) {
				t.Errorf("want a ConversionError at %s, got %#v", tt.conversion, err)
			}
		})
	}
}

func TestDecodeBrokerListener(t *testing.T) {
	in := `
apiVersion: %s
kind: BrokerListener
metadata: {name: default, namespace: azure-iot-operations}
spec:
  serviceType: LoadBalancer
  ports:
  - port: 18883
    authenticationRef: default
    tls: {mode: Automatic}
  - port: 1883
`
	for _, av := range []string{APIVersionV1, APIVersionV1beta1} {
		t.Run(av, func(t *testing.T) {
			got, notes, err := DecodeBrokerListener(av, toJSON(t, strings.Replace(in, "%s", av, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if got.APIVersion != APIVersionV1 || len(got.Spec.Ports) != 2 || got.Spec.Ports[0].AuthenticationRef != "default" ||
				got.Spec.Ports[0].TLS == nil || got.Spec.Ports[0].TLS.Mode != v1.TLSModeAutomatic || got.Spec.Ports[1].TLS != nil ||
				got.Spec.ServiceType != v1.ServiceTypeLoadBalancer {
				t.Errorf("decoded %+v", got)
			}
			if (av == APIVersionV1) != (len(notes) == 0) {
				t.Errorf("notes %q for %s", notes, av)
			}
		})
	}
	if _, _, err := DecodeBrokerListener(APIVersion2023, toJSON(t, `spec: {port: 8883}`)); err == nil ||
		!strings.Contains(err.Error(), "generate listener") {
		t.Errorf("2023 listener: %v", err)
	}
	if _, _, err := DecodeBrokerListener(APIVersionV1, toJSON(t, `spec: {ports: [{port: "18883"}]}`)); err == nil ||
		err.Error() != "spec.ports.port: expected integer, got string" {
		t.Errorf("port as a string: %v", err)
	}
	if _, _, err := DecodeBrokerListener("v1", toJSON(t, `{}`)); err == nil || !strings.Contains(err.Error(), `unsupported apiVersion "v1" for BrokerListener`) {
		t.Errorf("core v1: %v", err)
	}
}

// TestConvertAuthenticationDoesNotAlias proves the result shares no maps or
// slices with the input, so a caller may change one without the other.
func TestConvertAuthenticationDoesNotAlias(t *testing.T) {
	in := &mid2024.BrokerAuthentication{}
	in.Labels = map[string]string{"a": "b"}
	in.Spec.AuthenticationMethods = []mid2024.BrokerAuthenticatorMethods{
		{Method: mid2024.MethodServiceAccountToken, ServiceAccountToken: &mid2024.BrokerAuthenticatorMethodSat{Audiences: []string{"aio-mq"}}},
		{Method: mid2024.MethodCustom, Custom: &mid2024.BrokerAuthenticatorMethodCustom{Endpoint: "https://a", Headers: map[string]string{"k": "v"}}},
		{Method: mid2024.MethodX509Credentials, X509Credentials: &mid2024.BrokerAuthenticatorMethodX509{
			AuthorizationAttributes: map[string]v1.BrokerAuthenticatorMethodX509Attributes{"r": {Subject: "CN=r", Attributes: map[string]string{"x": "y"}}}}},
	}
	want := in.DeepCopy()
	got, _ := ConvertAuthentication(in)
	got.Labels["a"] = "changed"
	got.Spec.AuthenticationMethods[0].ServiceAccountTokenSettings.Audiences[0] = "changed"
	got.Spec.AuthenticationMethods[1].CustomSettings.Headers["k"] = "changed"
	got.Spec.AuthenticationMethods[2].X509Settings.AuthorizationAttributes["r"].Attributes["x"] = "changed"
	if !reflect.DeepEqual(in, want) {
		t.Errorf("converting shares memory with the input: input now %+v", in)
	}
}
