package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const authnV1 = `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata:
  name: default
  namespace: azure-iot-operations
spec:
  authenticationMethods:
    - method: X509
      x509Settings:
        trustedClientCaCert: client-ca
`

const others = `apiVersion: v1
kind: ConfigMap
metadata:
  name: client-ca
data:
  ca.pem: "x"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: client-ca
  namespace: elsewhere
data:
  other: "y"
---
apiVersion: v1
kind: Secret
metadata:
  name: broker-client
type: kubernetes.io/tls
stringData:
  tls.crt: CERT
data:
  tls.key: S0VZ
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: mqtt-client
  annotations:
    aio-broker-auth/group: g
---
apiVersion: v1
kind: Pod
metadata:
  name: mqtt-client
  namespace: azure-iot-operations
  uid: 9b4c3b4e-2f0e-4a8e-9c51-4f7c2a1d2e10
spec:
  serviceAccountName: mqtt-client
  containers:
    - name: client
      image: example
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ignored
---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata:
  name: default
spec:
  ports:
    - port: 18883
      authenticationRef: default
      tls:
        mode: Automatic
    - port: 1883
`

func TestReadBundle(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "authn.yaml", authnV1)
	write(t, dir, "others.yaml", others)
	write(t, dir, "notes.txt", "not read from a directory")
	b, err := Read([]string{dir}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Authentications) != 1 || len(b.Listeners) != 1 || len(b.ConfigMaps) != 2 || len(b.Secrets) != 1 || len(b.ServiceAccounts) != 1 || len(b.Pods) != 1 {
		t.Fatalf("bundle %+v", b)
	}
	a, err := b.Authentication("")
	if err != nil || a.Name != "default" || !strings.HasSuffix(a.Position, "authn.yaml:1") {
		t.Fatalf("Authentication() = %+v, %v", a, err)
	}
	cfg := b.Config(a)
	if cm := cfg.ConfigMaps["client-ca"]; cm == nil || cm.Data["ca.pem"] != "x" {
		t.Errorf("client-ca resolved to %+v; the one without a namespace belongs to the authn's", cm)
	}
	if s := cfg.Secrets["broker-client"]; s == nil || string(s.Data["tls.crt"]) != "CERT" || string(s.Data["tls.key"]) != "KEY" {
		t.Errorf("secret data %v: stringData must be merged and data decoded", s)
	}
	if _, ok := cfg.ServiceAccounts["azure-iot-operations/mqtt-client"]; !ok {
		t.Errorf("service accounts %v", cfg.ServiceAccounts)
	}
	if pod := cfg.Pods["azure-iot-operations/mqtt-client"]; pod == nil || pod.UID != "9b4c3b4e-2f0e-4a8e-9c51-4f7c2a1d2e10" {
		t.Errorf("pods %v", cfg.Pods)
	}
	p, err := b.Port("default", 18883)
	if err != nil || !p.TLS() || p.Port.AuthenticationRef != "default" {
		t.Errorf("Port(18883) = %+v, %v", p, err)
	}
	if p, err := b.Port("default", 1883); err != nil || p.TLS() || p.Port.AuthenticationRef != "" {
		t.Errorf("Port(1883) = %+v, %v", p, err)
	}
}

func TestReadBundleConvertsOlderGenerations(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "old.yaml", `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata:
  name: authn
spec:
  authenticationMethods:
    - method: ServiceAccountToken
      serviceAccountToken:
        audiences: [aio-mq]
`)
	b, err := Read([]string{dir}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := b.Authentication("authn")
	s := a.Spec.AuthenticationMethods[0].ServiceAccountTokenSettings
	if s == nil || s.Audiences[0] != "aio-mq" {
		t.Errorf("converted spec %+v", a.Spec)
	}
}

func TestBundleErrors(t *testing.T) {
	dir := t.TempDir()
	broken := write(t, dir, "broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: {}\n")
	badType := write(t, dir, "badtype.yaml", authnV1+"---\n"+strings.Replace(authnV1, "trustedClientCaCert: client-ca", "trustedClientCaCert: [1]", 1))
	two := write(t, dir, "two.yaml", authnV1+"---\n"+strings.Replace(authnV1, "name: default", "name: second", 1))
	noAuthn := write(t, dir, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")

	for _, tc := range []struct {
		name string
		path string
		pick string
		want string
	}{
		{"syntax", broken, "", "broken.yaml:4: did not find expected key"},
		{"wrong type", badType, "", "badtype.yaml:12: BrokerAuthentication \"default\" does not decode"},
		{"missing file", filepath.Join(dir, "nope.yaml"), "", "no such file"},
		{"none", noAuthn, "", "no BrokerAuthentication in " + noAuthn + ": add its manifest with -f"},
		{"ambiguous", two, "", "the bundle holds 2 BrokerAuthentications (default at " + two + ":1, second at " + two + ":12): choose one with --authn NAME"},
		{"unknown name", two, "third", `no BrokerAuthentication named "third"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Read([]string{tc.path}, nil, manifest.Limits{})
			if err == nil {
				_, err = b.Authentication(tc.pick)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}

	b, err := Read([]string{two}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Port("default", 1); err == nil || !strings.Contains(err.Error(), "no BrokerListener in") {
		t.Errorf("Port without listeners: %v", err)
	}
}

// TestReadBundleFromAList: `kubectl get -o yaml` prints a List; its items
// are read like documents of their own, and a duplicated key is a warning.
func TestReadBundleFromAList(t *testing.T) {
	dir := t.TempDir()
	item := strings.ReplaceAll(strings.TrimSpace(authnV1), "\n", "\n  ")
	write(t, dir, "list.yaml", "apiVersion: v1\nkind: List\nitems:\n- "+item+"\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: client-ca, name: client-ca}\n  data: {ca.pem: x}\n")
	b, err := Read([]string{filepath.Join(dir, "list.yaml")}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Authentications) != 1 || len(b.ConfigMaps) != 1 {
		t.Fatalf("%d authentications, %d ConfigMaps from the List", len(b.Authentications), len(b.ConfigMaps))
	}
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], `duplicate key "name"`) || !strings.Contains(b.Warnings[0], "list.yaml:") {
		t.Errorf("warnings %q, want one about the duplicated key", b.Warnings)
	}
}

// TestReadBundleThroughALinkedDirectory: a symbolic link to a directory is
// read like the directory.
func TestReadBundleThroughALinkedDirectory(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, real, "authn.yaml", authnV1)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skip(err)
	}
	b, err := Read([]string{link}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := b.Authentication(""); err != nil || !strings.HasPrefix(a.Position, filepath.Join(link, "authn.yaml")) {
		t.Fatalf("Authentication() = %+v, %v", a, err)
	}
}
