package cmd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// runPlugin runs the plugin in-process and returns its stdout; it fails the
// test unless the command succeeds.
func runPlugin(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Execute(pluginName, args, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("kubectl aio-authn %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.Bytes()
}

// TestCRDsAndGeneratedManifestsOnARealAPIServer does what the docs tell
// operators to do, against a real kube-apiserver with real kubectl:
// `crds | kubectl apply -f -`, then apply what generate writes. The API
// server enforces the CRD schema (including CEL rules) and kubectl's strict
// field validation, so this proves the generated manifests are accepted and
// the CRDs reject what they should.
func TestCRDsAndGeneratedManifestsOnARealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane; skipped under -short")
	}
	kubectlBin := testenv.RequireProgram(t, "kubectl")
	cp := testenv.Start(t)
	kubectl := func(stdin []byte, args ...string) (string, error) {
		cmd := exec.Command(kubectlBin, append([]string{"--kubeconfig", cp.Kubeconfig()}, args...)...)
		cmd.Stdin = bytes.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mustKubectl := func(stdin []byte, args ...string) string {
		t.Helper()
		out, err := kubectl(stdin, args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s\ninput:\n%s", strings.Join(args, " "), err, out, stdin)
		}
		return out
	}

	out := mustKubectl(runPlugin(t, "crds"), "apply", "-f", "-")
	for _, crd := range []string{"brokerauthentications", "brokerlisteners"} {
		if !strings.Contains(out, "customresourcedefinition.apiextensions.k8s.io/"+crd+".mqttbroker.iotoperations.azure.com created") {
			t.Errorf("kubectl apply of the CRDs said:\n%s", out)
		}
	}
	mustKubectl(nil, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/brokerauthentications.mqttbroker.iotoperations.azure.com", "crd/brokerlisteners.mqttbroker.iotoperations.azure.com")
	mustKubectl(nil, "create", "namespace", "azure-iot-operations")
	mustKubectl(nil, "create", "namespace", "devices")

	accepted := [][]string{
		{"generate", "authn", "--method", "sat", "--method", "x509"},
		{"generate", "authn", "--name", "custom-first", "--method", "custom", "--custom-endpoint", "https://auth.example:8443",
			"--custom-ca-configmap", "custom-auth-ca", "--custom-client-secret", "auth-client", "--custom-header", "X-Tenant=contoso",
			"--method", "sat", "--sat-audience", "my-audience", "-o", "json"},
		{"generate", "authn", "--name", "certs", "-n", "devices", "--method", "x509", "--x509-trusted-ca", "contoso-ca",
			"--x509-attributes", "../testdata/generate/attributes.yaml"},
		{"generate", "listener", "--authn", "default"},
		{"generate", "listener", "--name", "tls-listener", "--port", "8883,8884", "--tls-secret", "server-cert",
			"--service-type", "NodePort", "--protocol", "WebSockets", "-o", "json"},
		{"generate", "listener", "--name", "v1beta1-listener", "--api-version", "v1beta1", "--port", "1883", "--no-tls", "--service-type", "ClusterIp"},
		{"generate", "sat-client"},
		{"generate", "sat-client", "--name", "sensor", "-n", "devices", "--audience", "my-audience", "--ca-configmap", "", "--port", "1883", "-o", "json"},
	}
	for _, args := range accepted {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			mustKubectl(runPlugin(t, args...), "apply", "-f", "-")
		})
	}

	// The manifests Microsoft applies and documents, which validate passes,
	// pass the API server with these CRDs too: enum values in camelCase,
	// brokerRef, privateKey, san, the 2025 v1beta1 with additionalValidation,
	// an entry with the settings blocks of other methods beside its own.
	corpus, err := filepath.Glob("../testdata/realworld/*.yaml")
	if err != nil || len(corpus) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, path := range corpus {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// "valid", or "valid; warnings: ..."; no rule is named valid...
		if !bytes.Contains(data, []byte("\n# expect: valid")) {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			mustKubectl(data, "apply", "--dry-run=server", "-f", "-")
		})
	}

	// The projected token volume of the generated Pod is as the API server
	// stored it: the file the client reads is the file the kubelet writes.
	got := mustKubectl(nil, "get", "pod", "mqtt-client", "-n", "azure-iot-operations", "-o",
		`jsonpath={.spec.containers[0].volumeMounts[0].mountPath}/{.spec.volumes[0].projected.sources[0].serviceAccountToken.path} {.spec.volumes[0].projected.sources[0].serviceAccountToken.audience}`)
	if got != "/var/run/secrets/tokens/broker-sat aio-internal" {
		t.Errorf("stored pod token file and audience: %q", got)
	}

	refused := []struct {
		name, manifest, want string
	}{
		{"the mid-2024 v1beta1 BrokerAuthentication is not served", string(runPlugin(t, "generate", "authn", "--api-version", "v1beta1", "--method", "sat")),
			`unknown field "spec.authenticationMethods[0].serviceAccountToken"`},
		{"http endpoint", `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: plain-http, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: Custom
    customSettings: {endpoint: "http://auth"}
`, `spec.authenticationMethods[0].customSettings.endpoint: Invalid value: "http://auth": spec.authenticationMethods[0].customSettings.endpoint in body should match '^https://'`},
		{"settings block of another method", `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: mixed, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: Custom
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`, "each entry needs the settings block of its method"},
		{"unknown field", `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: unknown, namespace: azure-iot-operations}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountToken: {audiences: [aio-internal]}
`, `unknown field "spec.authenticationMethods[0].serviceAccountToken"`},
		{"short name", `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: ab, namespace: azure-iot-operations}
spec: {ports: [{port: 1883}]}
`, "metadata.name must be 3-63 characters"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			out, err := kubectl([]byte(tt.manifest), "apply", "-f", "-")
			if err == nil {
				t.Fatalf("the API server accepted it:\n%s", out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("kubectl said:\n%s\nwant it to contain %q", out, tt.want)
			}
		})
	}
}
