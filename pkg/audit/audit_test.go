package audit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
)

// snapshotOf builds the snapshot a cluster holding the documents would
// give (namespace "ns" unless a document says otherwise). Audit is a pure
// function of the snapshot; reading one from a real cluster is tested in
// cluster_test.go.
func snapshotOf(t *testing.T, docs string) *kube.Snapshot {
	t.Helper()
	s := &kube.Snapshot{Namespace: "ns"}
	for _, doc := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		u := unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("seed: %v\n%s", err, doc)
		}
		if u.GetNamespace() == "" {
			u.SetNamespace("ns")
		}
		into := func(obj any) {
			t.Helper()
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
				t.Fatalf("seed %s: %v", u.GetKind(), err)
			}
		}
		switch u.GetKind() {
		case "BrokerAuthentication":
			var a v1.BrokerAuthentication
			into(&a)
			s.Authentications = append(s.Authentications, a)
			s.Objects = append(s.Objects, u)
		case "BrokerListener":
			var l v1.BrokerListener
			into(&l)
			s.Listeners = append(s.Listeners, l)
			s.Objects = append(s.Objects, u)
		case "ConfigMap":
			var cm corev1.ConfigMap
			into(&cm)
			s.ConfigMaps = append(s.ConfigMaps, cm)
		case "Secret":
			var sec corev1.Secret
			into(&sec)
			s.Secrets = append(s.Secrets, sec)
		case "Pod":
			var p corev1.Pod
			into(&p)
			s.Pods = append(s.Pods, p)
		default:
			t.Fatalf("seed: unexpected kind %s", u.GetKind())
		}
	}
	return s
}

const (
	authnSAT = `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: sat}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal, my-audience]}
`
	authnX509 = `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: devices}
spec:
  authenticationMethods:
  - method: X509
    x509Settings: {trustedClientCaCert: device-ca}
`
	listenerSAT = `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: default}
spec:
  ports:
  - {port: 18883, authenticationRef: sat, tls: {mode: Automatic}}
`
)

func caConfigMapYAML(name string, pems ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata:\n", name)
	for i, p := range pems {
		fmt.Fprintf(&b, "  ca%d.pem: |\n%s\n", i, indentPEM(p, "    "))
	}
	return b.String()
}

func podYAML(name, owner string, audiences ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\napiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n", name)
	if owner != "" {
		fmt.Fprintf(&b, "  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: %s, uid: u1, controller: true}]\n", owner)
	}
	b.WriteString("spec:\n  containers: [{name: c, image: mosquitto}]\n  volumes:\n")
	// The volume every pod gets: a token for the API server, no audience.
	b.WriteString("  - name: kube-api-access\n    projected:\n      sources:\n      - serviceAccountToken: {path: token}\n")
	for i, aud := range audiences {
		fmt.Fprintf(&b, "  - name: mqtt-token-%d\n    projected:\n      sources:\n      - serviceAccountToken: {path: token, audience: %s, expirationSeconds: 86400}\n", i, aud)
	}
	return b.String()
}

// want is an expected finding: rule, severity, the object (ObjectPath
// without the namespace), the field, and part of the message.
type want struct {
	rule     string
	severity lint.Severity
	object   string
	field    string
	message  string
}

func (w want) String() string {
	return fmt.Sprintf("%s %s %s %s %q", w.severity, w.rule, w.object, w.field, w.message)
}

func TestAuditRules(t *testing.T) {
	c := makeCerts(t)
	tests := []struct {
		name       string
		seed       string
		warnWithin time.Duration
		want       []want
	}{
		{
			name: "port with its authentication",
			seed: authnSAT + "---" + listenerSAT,
			want: []want{{RuleListenerPort, lint.SeverityInfo, "brokerlistener/default", "spec.ports[0].port",
				"port 18883 (TLS Automatic): BrokerAuthentication sat: ServiceAccountToken (audiences aio-internal, my-audience)"}},
		},
		{
			name: "port without authenticationRef",
			seed: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: open}
spec:
  ports: [{port: 1883}]
`,
			want: []want{{lint.RuleNoAuthn, lint.SeverityWarning, "brokerlistener/open", "spec.ports[0].port", "port 1883 has no authenticationRef"}},
		},
		{
			name: "X509 on a port without TLS",
			seed: authnX509 + "---" + caConfigMapYAML("device-ca", c.Valid) + `---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: plain}
spec:
  ports: [{port: 1883, authenticationRef: devices}]
`,
			want: []want{
				{lint.RuleListenerX509TLS, lint.SeverityError, "brokerlistener/plain", "spec.ports[0].authenticationRef", "port 1883 uses BrokerAuthentication devices, which has an X509 method, but the port has no tls"},
				{RuleListenerPort, lint.SeverityInfo, "brokerlistener/plain", "spec.ports[0].port", "port 1883 (no TLS): BrokerAuthentication devices: X509 (trusted CAs in configmap device-ca)"},
			},
		},
		{
			name: "missing BrokerAuthentication",
			seed: listenerSAT,
			want: []want{{lint.RuleAuthnRef, lint.SeverityError, "brokerlistener/default", "spec.ports[0].authenticationRef",
				`port 18883: authenticationRef "sat" names no BrokerAuthentication in namespace "ns"`}},
		},
		{
			name: "missing trusted CA ConfigMap, by default name",
			seed: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: devices}
spec:
  authenticationMethods: [{method: X509, x509Settings: {}}]
`,
			want: []want{{RuleRefMissing, lint.SeverityError, "brokerauthentication/devices", "spec.authenticationMethods[0].x509Settings.trustedClientCaCert",
				`configmap client-ca (the default) with the trusted client CAs does not exist in namespace "ns"`}},
		},
		{
			name: "missing custom auth CA and client certificate",
			seed: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: custom}
spec:
  authenticationMethods:
  - method: Custom
    customSettings:
      endpoint: https://auth.example
      caCertConfigMap: auth-ca
      auth: {x509: {secretRef: auth-client}}
`,
			want: []want{
				{RuleRefMissing, lint.SeverityError, "brokerauthentication/custom", "spec.authenticationMethods[0].customSettings.auth.x509.secretRef", "secret auth-client with the broker's client certificate"},
				{RuleRefMissing, lint.SeverityError, "brokerauthentication/custom", "spec.authenticationMethods[0].customSettings.caCertConfigMap", "configmap auth-ca with the auth server's CA does not exist"},
			},
		},
		{
			name: "missing listener TLS secret",
			seed: `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: manual}
spec:
  ports: [{port: 8883, authenticationRef: sat, tls: {mode: Manual, manual: {secretRef: server-cert}}}]
---` + authnSAT,
			want: []want{
				{RuleListenerPort, lint.SeverityInfo, "brokerlistener/manual", "spec.ports[0].port", "port 8883 (TLS Manual)"},
				{RuleRefMissing, lint.SeverityError, "brokerlistener/manual", "spec.ports[0].tls.manual.secretRef", "port 8883: secret server-cert with the server certificate does not exist"},
			},
		},
		{
			name: "trusted CA ConfigMap with no CA",
			seed: authnX509 + "---" + caConfigMapYAML("device-ca", c.Leaf),
			want: []want{
				{lint.RuleCANone, lint.SeverityError, "configmap/device-ca", "data", "holds certificates but none of them is a CA certificate"},
				{lint.RuleCANotCA, lint.SeverityWarning, "configmap/device-ca", "data[ca0.pem]", `"CN=smart-fan,O=Contoso" is not a CA certificate`},
			},
		},
		{
			name: "mixed key algorithms",
			seed: authnX509 + "---" + caConfigMapYAML("device-ca", c.Valid, c.ValidRSA),
			want: []want{{lint.RuleCAMixedKeys, lint.SeverityWarning, "configmap/device-ca", "data[ca1.pem]", "mixes key algorithms: EC"}},
		},
		{
			name: "expired and expiring CAs",
			seed: authnX509 + "---" + caConfigMapYAML("device-ca", c.Expired, c.Expiring),
			want: []want{
				{lint.RuleCAExpired, lint.SeverityError, "configmap/device-ca", "data[ca0.pem]", `"CN=Contoso Old Root CA,O=Contoso" expired on 2026-02-28T12:00:00Z`},
				{lint.RuleCAExpiring, lint.SeverityWarning, "configmap/device-ca", "data[ca1.pem]", "expires on 2026-03-11T12:00:00Z (in 10 days)"},
			},
		},
		{
			name:       "expiring later than --warn-within",
			seed:       authnX509 + "---" + caConfigMapYAML("device-ca", c.Expiring),
			warnWithin: 7 * 24 * time.Hour,
		},
		{
			name: "pods with accepted tokens",
			seed: authnSAT + "---" + listenerSAT + "---" + podYAML("good", "", "aio-internal") + "---" + podYAML("api-only", ""),
			want: []want{{RuleListenerPort, lint.SeverityInfo, "brokerlistener/default", "spec.ports[0].port", "port 18883"}},
		},
		{
			name: "pod with a broker audience no port accepts",
			seed: authnSAT + "---" + listenerSAT + "---" + podYAML("legacy", "", "aio-mq"),
			want: []want{
				{RuleListenerPort, lint.SeverityInfo, "brokerlistener/default", "spec.ports[0].port", "port 18883"},
				{RulePodTokenAudience, lint.SeverityError, "pod/legacy", "spec.volumes[1].projected.sources[0].serviceAccountToken.audience",
					`pod legacy mounts a service account token (volume mqtt-token-0) for audience "aio-mq", which no listener port accepts: the broker refuses it`},
			},
		},
		{
			name: "pod with an audience only an unused authn accepts",
			seed: authnSAT + "---" + listenerSAT + `---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: unused}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [factory]}
---` + podYAML("worker", "", "factory"),
			want: []want{
				{RuleListenerPort, lint.SeverityInfo, "brokerlistener/default", "spec.ports[0].port", "port 18883"},
				{RulePodTokenAudience, lint.SeverityError, "pod/worker", "spec.volumes[1].projected.sources[0].serviceAccountToken.audience", `audience "factory"`},
			},
		},
		{
			name: "pod with another audience",
			seed: authnSAT + "---" + listenerSAT + "---" + podYAML("vault-client", "", "aio-internal", "vault"),
			want: []want{
				{RuleListenerPort, lint.SeverityInfo, "brokerlistener/default", "spec.ports[0].port", "port 18883"},
				{RulePodTokenAudience, lint.SeverityWarning, "pod/vault-client", "spec.volumes[2].projected.sources[0].serviceAccountToken.audience", `audience "vault"`},
			},
		},
		{
			name: "pods of one controller reported once",
			seed: authnSAT + "---" + listenerSAT + "---" + podYAML("fan-a", "fan-5d8f", "aio-mq") + "---" + podYAML("fan-b", "fan-5d8f", "aio-mq") + "---" + podYAML("fan-c", "fan-5d8f", "aio-mq"),
			want: []want{
				{RuleListenerPort, lint.SeverityInfo, "brokerlistener/default", "spec.ports[0].port", "port 18883"},
				{RulePodTokenAudience, lint.SeverityError, "pod/fan-a", "spec.volumes[1].projected.sources[0].serviceAccountToken.audience", "(so do 2 more pods of ReplicaSet/fan-5d8f)"},
			},
		},
		{
			name: "no port accepts tokens at all",
			seed: authnX509 + "---" + caConfigMapYAML("device-ca", c.Valid) + `---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: tls}
spec:
  ports: [{port: 8883, authenticationRef: devices, tls: {mode: Automatic}}]
---` + podYAML("sensor", "", "aio-internal"),
			want: []want{
				{RuleListenerPort, lint.SeverityInfo, "brokerlistener/tls", "spec.ports[0].port", "port 8883 (TLS Automatic): BrokerAuthentication devices: X509"},
				{RulePodTokenAudience, lint.SeverityError, "pod/sensor", "spec.volumes[1].projected.sources[0].serviceAccountToken.audience", `audience "aio-internal"`},
			},
		},
		{
			name: "no listeners: pods are not checked",
			seed: authnSAT + "---" + podYAML("legacy", "", "aio-mq"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Audit(snapshotOf(t, tc.seed), Options{Now: now, WarnWithin: tc.warnWithin})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, fmt.Sprintf("%s %s %s %s %q", f.Severity, f.Rule, strings.TrimPrefix(f.File, "ns/"), f.Field, f.Message))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), wantList(tc.want))
			}
			for i, w := range tc.want {
				f := rep.Findings[i]
				if f.Rule != w.rule || f.Severity != w.severity || f.File != "ns/"+w.object || f.Field != w.field || !strings.Contains(f.Message, w.message) {
					t.Errorf("finding %d:\n  %s\nwant\n  %s", i, got[i], w)
				}
				if f.Line < 1 || f.Column < 1 {
					t.Errorf("finding %d has no position: %d:%d", i, f.Line, f.Column)
				}
			}
			errors := 0
			for _, w := range tc.want {
				if w.severity == lint.SeverityError {
					errors++
				}
			}
			if rep.Summary.Errors != errors || rep.Failed() != (errors > 0) {
				t.Errorf("summary %+v, want %d errors", rep.Summary, errors)
			}
		})
	}
}

func wantList(ws []want) string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return strings.Join(out, "\n")
}

// TestAuditPositions checks that a finding's line and column point at its
// field in the object as rendered (kubectl get -o yaml's layout).
func TestAuditPositions(t *testing.T) {
	s := snapshotOf(t, authnSAT+"---"+listenerSAT+"---"+podYAML("legacy", "", "aio-mq"))
	rep, err := Audit(s, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		var obj map[string]any
		switch f.Kind {
		case "Pod":
			m, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(&s.Pods[0])
			m["apiVersion"], m["kind"] = "v1", "Pod"
			obj = m
		default:
			obj = s.Objects[1].Object
		}
		file, err := render(obj)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(file.Data), "\n")
		line := lines[f.Line-1]
		last := f.Field[strings.LastIndex(f.Field, ".")+1:]
		if !strings.Contains(line, last+":") || f.Column > len(line) {
			t.Errorf("%s at %d:%d is line %q, want it to hold %s", f.Rule, f.Line, f.Column, line, last)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	rep, err := Audit(snapshotOf(t, authnSAT+"---"+listenerSAT+"---"+podYAML("legacy", "", "aio-mq")), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := `namespace "ns": 1 listener (1 port), 1 authentication, 0 configmaps, 0 secrets, 1 pod: 1 error, 0 warnings, 1 info`
	if got := rep.SummaryLine(); got != want {
		t.Errorf("summary line\n%s\nwant\n%s", got, want)
	}
}
