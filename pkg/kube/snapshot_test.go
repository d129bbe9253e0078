package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// createYAML creates the objects of a multi-document YAML in ns as admin.
func createYAML(t *testing.T, c *Client, ns, docs string) {
	t.Helper()
	resources := map[string]schema.GroupVersionResource{
		"BrokerAuthentication": BrokerAuthenticationsResource,
		"BrokerListener":       BrokerListenersResource,
		"ConfigMap":            {Version: "v1", Resource: "configmaps"},
		"Secret":               {Version: "v1", Resource: "secrets"},
		"ServiceAccount":       {Version: "v1", Resource: "serviceaccounts"},
		"Pod":                  {Version: "v1", Resource: "pods"},
	}
	for _, doc := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("seed YAML: %v\n%s", err, doc)
		}
		gvr, ok := resources[u.GetKind()]
		if !ok {
			t.Fatalf("seed YAML: no resource for kind %s", u.GetKind())
		}
		if _, err := c.Dynamic.Resource(gvr).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

const snapshotSeed = `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
  - method: X509
    x509Settings: {trustedClientCaCert: client-ca}
---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: custom}
spec:
  authenticationMethods:
  - method: Custom
    customSettings:
      endpoint: https://auth.example:8443
      caCertConfigMap: auth-server-ca
      auth: {x509: {secretRef: broker-client-cert}}
---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: default}
spec:
  serviceType: ClusterIp
  ports:
  - port: 18883
    authenticationRef: default
    tls: {mode: Manual, manual: {secretRef: listener-cert}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: client-ca}
data: {client_ca.pem: "pem"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
data: {key: value}
---
apiVersion: v1
kind: Secret
metadata: {name: listener-cert}
type: Opaque
stringData: {tls.crt: x}
---
apiVersion: v1
kind: Secret
metadata: {name: unrelated}
stringData: {password: hunter2}
`

func TestReadSnapshot(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "snapshot", "client")
	createYAML(t, adminClient(t, cp, ns), ns, snapshotSeed)
	pod(t, adminClient(t, cp, ns), ns, "client-0", "client")

	var log requestLog
	c, err := NewClientForConfig(log.wrap(cp.RESTConfig()), ns)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.ReadSnapshot(context.Background(), SnapshotOptions{Pods: true})
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, a := range s.Authentications {
		names = append(names, "authn/"+a.Name)
	}
	for _, l := range s.Listeners {
		names = append(names, "listener/"+l.Name)
	}
	for _, cm := range s.ConfigMaps {
		names = append(names, "configmap/"+cm.Name)
	}
	for _, sec := range s.Secrets {
		names = append(names, "secret/"+sec.Name)
	}
	for _, p := range s.Pods {
		names = append(names, "pod/"+p.Name)
	}
	want := "authn/custom authn/default listener/default configmap/client-ca secret/listener-cert pod/client-0"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("snapshot holds %s\nwant %s (referenced ConfigMaps/Secrets only; the missing ones absent)", got, want)
	}
	if a := s.Authentication(ns, "default"); a == nil || a.Spec.AuthenticationMethods[1].Method != v1.MethodX509 {
		t.Errorf("authn default decoded as %+v", a)
	}
	if s.ConfigMap(ns, "auth-server-ca") != nil || s.Secret(ns, "broker-client-cert") != nil {
		t.Error("snapshot has objects the cluster does not")
	}

	lists := log.lists()
	wantLists := map[string]int{
		"/apis/mqttbroker.iotoperations.azure.com/v1/namespaces/snapshot/brokerauthentications": 1,
		"/apis/mqttbroker.iotoperations.azure.com/v1/namespaces/snapshot/brokerlisteners":       1,
		"/api/v1/namespaces/snapshot/configmaps":                                                1,
		"/api/v1/namespaces/snapshot/secrets":                                                   1,
		"/api/v1/namespaces/snapshot/pods":                                                      1,
	}
	if fmt.Sprint(lists) != fmt.Sprint(wantLists) || len(log.all()) != len(wantLists) {
		t.Errorf("requests:\n%s\nwant exactly one LIST per type: %v", strings.Join(log.all(), "\n"), wantLists)
	}
}

func TestReadSnapshotPages(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "snapshot-pages")
	admin := adminClient(t, cp, ns)
	for i := range 7 {
		createYAML(t, admin, ns, fmt.Sprintf(`
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: authn-%d}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`, i))
	}
	var log requestLog
	c, err := NewClientForConfig(log.wrap(cp.RESTConfig()), ns)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.ReadSnapshot(context.Background(), SnapshotOptions{PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Authentications) != 7 {
		t.Errorf("read %d authns over pages of 3, want 7", len(s.Authentications))
	}
	// 7 objects in pages of 3: three LISTs, then one for the listeners.
	if got := log.lists()["/apis/mqttbroker.iotoperations.azure.com/v1/namespaces/snapshot-pages/brokerauthentications"]; got != 3 {
		t.Errorf("%d LIST calls for 7 authns in pages of 3, want 3:\n%s", got, strings.Join(log.all(), "\n"))
	}
}

func TestReadSnapshotAllNamespaces(t *testing.T) {
	cp := controlPlane(t)
	for _, ns := range []string{"snapshot-all-a", "snapshot-all-b"} {
		namespace(t, cp, ns)
		createYAML(t, adminClient(t, cp, ns), ns, `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: mine}
spec:
  ports: [{port: 1883}]
`)
	}
	var log requestLog
	c, err := NewClientForConfig(log.wrap(cp.RESTConfig()), "default")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.ReadSnapshot(context.Background(), SnapshotOptions{AllNamespaces: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Listener("snapshot-all-a", "mine") == nil || s.Listener("snapshot-all-b", "mine") == nil || s.Namespace != "" {
		t.Errorf("all namespaces: listeners %d, namespace %q", len(s.Listeners), s.Namespace)
	}
	if got := log.lists()["/apis/mqttbroker.iotoperations.azure.com/v1/brokerlisteners"]; got != 1 {
		t.Errorf("want one cluster-wide LIST of listeners:\n%s", strings.Join(log.all(), "\n"))
	}
}

func TestReadSnapshotWithoutCRDs(t *testing.T) {
	cp := controlPlane(t)
	c := adminClient(t, cp, "default")
	_, err := c.listBroker(context.Background(), schema.GroupVersionResource{Group: "mqttbroker.iotoperations.azure.com", Version: "v9", Resource: "brokerauthentications"},
		"BrokerAuthentication", "default", 10)
	checkOneLine(t, err, Rejected, `^cannot list brokerauthentications in namespace "default": the cluster does not serve brokerauthentications\.mqttbroker\.iotoperations\.azure\.com/v9: the broker \(its BrokerAuthentication CRD\) is not installed$`)
}

func TestRefs(t *testing.T) {
	authns := []v1.BrokerAuthentication{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "x"}, Spec: v1.BrokerAuthenticationSpec{AuthenticationMethods: []v1.BrokerAuthenticatorMethods{
			{Method: v1.MethodX509}, // default trusted CA name
			{Method: v1.MethodCustom, CustomSettings: &v1.BrokerAuthenticatorMethodCustom{CACertConfigMap: "auth-ca",
				Auth: &v1.BrokerAuthenticatorCustomAuth{X509: v1.X509ManualCertificate{SecretRef: "client-cert"}}}},
		}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "y"}, Spec: v1.BrokerAuthenticationSpec{AuthenticationMethods: []v1.BrokerAuthenticatorMethods{
			{Method: v1.MethodX509, X509Settings: &v1.BrokerAuthenticatorMethodX509{TrustedClientCACert: "devices"}},
			{Method: v1.MethodServiceAccountToken},
			{Method: v1.MethodCustom, CustomSettings: &v1.BrokerAuthenticatorMethodCustom{}}, // publicly rooted: no ConfigMap
		}}},
	}
	listeners := []v1.BrokerListener{{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "l"}, Spec: v1.BrokerListenerSpec{Ports: []v1.ListenerPort{
		{Port: 1, TLS: &v1.TLSCertMethod{Mode: v1.TLSModeManual, Manual: &v1.X509ManualCertificate{SecretRef: "server-cert"}}},
		{Port: 2, TLS: &v1.TLSCertMethod{Mode: v1.TLSModeAutomatic}},
	}}}}
	if got := fmt.Sprint(ConfigMapRefs(authns)); got != "[{a devices} {b auth-ca} {b client-ca}]" {
		t.Errorf("ConfigMapRefs = %s", got)
	}
	if got := fmt.Sprint(SecretRefs(authns, listeners)); got != "[{a server-cert} {b client-cert}]" {
		t.Errorf("SecretRefs = %s", got)
	}
}
