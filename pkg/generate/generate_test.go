package generate

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// checkAgainstCRDs parses rendered output as validate reads files and
// checks every broker document against the CRD schema with the API
// server's machinery: what generate writes must be accepted as is.
func checkAgainstCRDs(t *testing.T, name string, out []byte) []*manifest.Document {
	t.Helper()
	f := manifest.Parse(name, out)
	if f.Err != nil {
		t.Fatalf("generated output does not parse: %v", f.Err)
	}
	for _, d := range f.Documents {
		obj, problems := d.Object()
		if len(problems) > 0 {
			t.Errorf("%s document %d: %v", name, d.Index, problems)
		}
		if d.Group() != api.Group {
			continue
		}
		m, ok := obj.(map[string]any)
		if !ok {
			t.Fatalf("%s document %d is not a mapping", name, d.Index)
		}
		res, err := lint.CheckSchema(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Errors {
			t.Errorf("%s document %d: schema error: %v", name, d.Index, e)
		}
		for _, u := range res.Unknown {
			t.Errorf("%s document %d: unknown field %s", name, d.Index, u)
		}
	}
	return f.Documents
}

func render(t *testing.T, format string, header []string, objs ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, format, header, objs...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAuthnGolden(t *testing.T) {
	attrs, err := LoadAttributes("../../testdata/generate/attributes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opts   AuthnOptions
		format string
	}{
		{"authn-sat.yaml", AuthnOptions{Methods: []string{"sat"}}, "yaml"},
		{"authn-sat-x509.yaml", AuthnOptions{Methods: []string{"sat", "x509"}, SATAudiences: []string{"aio-internal", "my-audience"}}, "yaml"},
		{"authn-x509-attributes.yaml", AuthnOptions{Methods: []string{"x509"}, X509TrustedCA: "contoso-ca", X509Attributes: attrs}, "yaml"},
		{"authn-custom-sat.yaml", AuthnOptions{Name: "custom-first", Namespace: "mq", Methods: []string{"custom,sat"},
			CustomEndpoint: "https://auth-server.mq.svc:8443", CustomCAConfigMap: "custom-auth-ca",
			CustomClientSecret: "custom-auth-client-cert", CustomHeaders: []string{"X-Tenant=contoso", "Authorization=Bearer a=b"}}, "yaml"},
		{"authn-all.json", AuthnOptions{Methods: []string{"x509", "Custom", "ServiceAccountToken"}, CustomEndpoint: "https://auth"}, "json"},
		{"authn-v1beta1.yaml", AuthnOptions{APIVersion: "v1beta1", Methods: []string{"custom", "sat", "x509"},
			CustomEndpoint: "https://auth", CustomCAConfigMap: "ca", CustomClientSecret: "client", X509Attributes: attrs}, "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := Authn(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			out := render(t, tt.format, AuthnHeader(obj), obj)
			golden.Check(t, filepath.Join("testdata", tt.name), out)
			docs := checkAgainstCRDs(t, tt.name, out)
			if len(docs) != 1 {
				t.Fatalf("%d documents", len(docs))
			}
			// The chain is in flag order.
			d := docs[0]
			data, _, err := d.JSON()
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := api.DecodeBrokerAuthentication(d.APIVersion, data)
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, e := range got.Spec.AuthenticationMethods {
				order = append(order, string(e.Method))
			}
			var want []string
			for _, m := range tt.opts.Methods {
				for _, s := range strings.Split(m, ",") {
					p, _ := parseMethod(s)
					want = append(want, map[string]string{MethodSAT: "ServiceAccountToken", MethodX509: "X509", MethodCustom: "Custom"}[p])
				}
			}
			if strings.Join(order, ",") != strings.Join(want, ",") {
				t.Errorf("chain %v, want %v", order, want)
			}
		})
	}
}

func TestAuthnDefaults(t *testing.T) {
	for _, tt := range []struct{ version, name, audience string }{
		{"", "default", "aio-internal"},
		{"v1", "default", "aio-internal"},
		{"v1beta1", "authn", "aio-mq"},
	} {
		obj, err := Authn(AuthnOptions{APIVersion: tt.version, Methods: []string{"sat"}})
		if err != nil {
			t.Fatal(err)
		}
		out := render(t, "json", nil, obj)
		var m struct {
			APIVersion string `json:"apiVersion"`
			Metadata   struct{ Name, Namespace string }
		}
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		data := json.RawMessage(out)
		got, _, err := api.DecodeBrokerAuthentication(m.APIVersion, data)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != tt.name || got.Namespace != api.BrokerNamespace ||
			got.Spec.AuthenticationMethods[0].ServiceAccountTokenSettings.Audiences[0] != tt.audience {
			t.Errorf("%q: name %s namespace %s audiences %v", tt.version, got.Name, got.Namespace,
				got.Spec.AuthenticationMethods[0].ServiceAccountTokenSettings.Audiences)
		}
		if strings.Contains(string(out), "null") || strings.Contains(string(out), "creationTimestamp") || strings.Contains(string(out), "status") {
			t.Errorf("unclean output:\n%s", out)
		}
	}
}

func TestAuthnErrors(t *testing.T) {
	tests := []struct {
		name string
		opts AuthnOptions
		want string
	}{
		{"no method", AuthnOptions{}, "at least one --method is required"},
		{"unknown method", AuthnOptions{Methods: []string{"password"}}, `--method "password": use sat, x509 or custom`},
		{"repeated method", AuthnOptions{Methods: []string{"sat", "x509", "SAT"}}, "--method sat given twice"},
		{"audience without sat", AuthnOptions{Methods: []string{"x509"}, SATAudiences: []string{"a"}}, "--sat-audience requires --method sat"},
		{"trusted ca without x509", AuthnOptions{Methods: []string{"sat"}, X509TrustedCA: "ca"}, "--x509-trusted-ca requires --method x509"},
		{"attributes without x509", AuthnOptions{Methods: []string{"sat"}, X509Attributes: map[string]v1.BrokerAuthenticatorMethodX509Attributes{}}, "--x509-attributes requires --method x509"},
		{"endpoint without custom", AuthnOptions{Methods: []string{"sat"}, CustomEndpoint: "https://a"}, "--custom-endpoint requires --method custom"},
		{"ca without custom", AuthnOptions{Methods: []string{"sat"}, CustomCAConfigMap: "ca"}, "--custom-ca-configmap requires --method custom"},
		{"secret without custom", AuthnOptions{Methods: []string{"sat"}, CustomClientSecret: "s"}, "--custom-client-secret requires --method custom"},
		{"header without custom", AuthnOptions{Methods: []string{"sat"}, CustomHeaders: []string{"a=b"}}, "--custom-header requires --method custom"},
		{"custom without endpoint", AuthnOptions{Methods: []string{"custom"}}, "--method custom requires --custom-endpoint"},
		{"http endpoint", AuthnOptions{Methods: []string{"custom"}, CustomEndpoint: "http://auth"}, `--custom-endpoint "http://auth" must be an https:// URL`},
		{"endpoint without host", AuthnOptions{Methods: []string{"custom"}, CustomEndpoint: "https://"}, "must be an https:// URL with a host"},
		{"upper-case scheme", AuthnOptions{Methods: []string{"custom"}, CustomEndpoint: "HTTPS://auth"}, "must be an https:// URL"},
		{"header without =", AuthnOptions{Methods: []string{"custom"}, CustomEndpoint: "https://a", CustomHeaders: []string{"X-Tenant"}}, `--custom-header "X-Tenant": write NAME=value`},
		{"header bad name", AuthnOptions{Methods: []string{"custom"}, CustomEndpoint: "https://a", CustomHeaders: []string{"X Tenant=a"}}, "write NAME=value"},
		{"header twice", AuthnOptions{Methods: []string{"custom"}, CustomEndpoint: "https://a", CustomHeaders: []string{"A=1", "A=2"}}, "--custom-header A given twice"},
		{"bad name", AuthnOptions{Methods: []string{"sat"}, Name: "My_Authn"}, `--name "My_Authn": must be 3-63 characters`},
		{"short name", AuthnOptions{Methods: []string{"sat"}, Name: "ab"}, `--name "ab": must be 3-63`},
		{"bad namespace", AuthnOptions{Methods: []string{"sat"}, Namespace: "Azure"}, `--namespace "Azure"`},
		{"bad version", AuthnOptions{Methods: []string{"sat"}, APIVersion: "v2"}, `--api-version "v2": use v1`},
		{"empty audience", AuthnOptions{Methods: []string{"sat"}, SATAudiences: []string{""}}, "--sat-audience: an audience cannot be empty"},
		{"bad trusted ca", AuthnOptions{Methods: []string{"x509"}, X509TrustedCA: "Client CA"}, `--x509-trusted-ca "Client CA" is not a ConfigMap name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := Authn(tt.opts)
			if err == nil {
				t.Fatalf("no error; generated %+v", obj)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseAttributes(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // error, or "" for success
		entries  int
	}{
		{"flow and block", `
root: {subject: "CN = Contoso Root CA Cert, OU = Engineering, C = US", attributes: {organization: contoso}}
thermostat:
  subject: CN = thermostat
  attributes:
    group: thermostat_group
    floor: "17"
`, "", 2},
		{"json", `{"smart-fan": {"subject": "CN=smart-fan", "attributes": {"building": "17"}}}`, "", 1},
		{"wrapped", "authorizationAttributes:\n  a: {subject: CN=a, attributes: {}}\n", "", 1},
		{"empty attributes", "a: {subject: CN=a, attributes: {}}\n", "", 1},
		{"not a mapping", "- a\n- b\n", "f.yaml:1: expected a mapping of names to {subject, attributes}", 0},
		{"syntax error", "a:\n  subject: CN=a\n attributes: {}\n", "f.yaml:2: did not find expected key", 0},
		{"toml style", "root:\n  subject = \"CN = root\"\n  attributes:\n", "f.yaml:", 0},
		{"missing subject", "a:\n  attributes: {x: y}\n", "f.yaml:2: a: subject is missing", 0},
		{"missing attributes", "a:\n  subject: CN=a\n", "f.yaml:2: a: attributes are missing", 0},
		{"bad subject", "a:\n  subject: thermostat\n  attributes: {}\n", `f.yaml:2: a.subject: attribute "thermostat"`, 0},
		{"unknown type", "a:\n  subject: XX = y\n  attributes: {}\n", `f.yaml:2: a.subject: unknown attribute type "XX"`, 0},
		{"number value", "a:\n  subject: CN=a\n  attributes:\n    floor: 17\n", `f.yaml:4: a.attributes.floor: 17 is not a string: quote it ("17")`, 0},
		{"yaml 1.1 boolean", "a:\n  subject: CN=a\n  attributes:\n    admin: yes\n", `f.yaml:4: a.attributes.admin: yes is not a string: quote it ("yes")`, 0},
		{"nested value", "a:\n  subject: CN=a\n  attributes:\n    x: {y: z}\n", "f.yaml:4: a.attributes.x: expected a string value", 0},
		{"unknown key", "a:\n  subject: CN=a\n  attributes: {}\n  secretName: x\n", `f.yaml:4: a: unknown key "secretName"`, 0},
		{"duplicate entry", "a: {subject: CN=a, attributes: {}}\na: {subject: CN=b, attributes: {}}\n", `f.yaml:2: entry "a" appears twice (first at line 1)`, 0},
		{"two documents", "a: {subject: CN=a, attributes: {}}\n---\nb: {subject: CN=b, attributes: {}}\n", "f.yaml:3: more than one YAML document", 0},
		{"empty", "# nothing\n", "f.yaml: no attributes", 0},
		{"a manifest", "apiVersion: v1\nkind: ConfigMap\n", "f.yaml:1: this is a Kubernetes manifest", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAttributes("f.yaml", []byte(strings.TrimPrefix(tt.in, "\n")))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tt.entries {
					t.Errorf("%d entries, want %d: %v", len(got), tt.entries, got)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; parsed %v", got)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
		})
	}
	if _, err := LoadAttributes("testdata/no-such-file.yaml"); err == nil || err.Error() != "testdata/no-such-file.yaml: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

func TestListenerGolden(t *testing.T) {
	tests := []struct {
		name     string
		opts     ListenerOptions
		format   string
		warnings []string
	}{
		{"listener-default.yaml", ListenerOptions{Authn: "default"}, "yaml", nil},
		{"listener-manual-tls.yaml", ListenerOptions{Name: "tls-listener", Ports: []int{8883, 8884}, Authn: "default",
			TLSSecret: "broker-server-cert", ServiceType: "nodeport", Protocol: "websockets"}, "yaml", nil},
		{"listener-no-tls.yaml", ListenerOptions{Ports: []int{1883}, Authn: "authn", NoTLS: true, ServiceType: "ClusterIP"}, "yaml",
			[]string{"port 1883 without TLS: X509 client authentication needs TLS"}},
		{"listener-no-authn.json", ListenerOptions{APIVersion: "v1beta1"}, "json",
			[]string{"no --authn: authentication is disabled on port 8883"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, warnings, err := Listener(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %q", warnings, tt.warnings)
			}
			for i, w := range tt.warnings {
				if !strings.HasPrefix(warnings[i], w) {
					t.Errorf("warning %q, want %q", warnings[i], w)
				}
			}
			out := render(t, tt.format, ListenerHeader(obj), obj)
			golden.Check(t, filepath.Join("testdata", tt.name), out)
			checkAgainstCRDs(t, tt.name, out)
		})
	}
}

func TestListenerErrors(t *testing.T) {
	tests := []struct {
		name string
		opts ListenerOptions
		want string
	}{
		{"port zero", ListenerOptions{Ports: []int{0}}, "--port 0: use a TCP port from 1 to 65535"},
		{"port too big", ListenerOptions{Ports: []int{70000}}, "--port 70000"},
		{"port twice", ListenerOptions{Ports: []int{8883, 8883}}, "--port 8883 given twice"},
		{"tls secret and no tls", ListenerOptions{NoTLS: true, TLSSecret: "s"}, "--tls-secret cannot be used with --no-tls"},
		{"service type", ListenerOptions{ServiceType: "External"}, `--service-type "External": use ClusterIp, LoadBalancer, NodePort`},
		{"protocol", ListenerOptions{Protocol: "http"}, `--protocol "http": use Mqtt, WebSockets`},
		{"authn name", ListenerOptions{Authn: "My Authn"}, `--authn "My Authn": must be 3-63`},
		{"name", ListenerOptions{Name: "x"}, `--name "x"`},
		{"version", ListenerOptions{APIVersion: "v1alpha1"}, `--api-version "v1alpha1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Listener(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSATClientConsistent proves the published example's mistake cannot
// happen here: the file the container reads is the file the projected
// volume writes, and the token is for the audience asked for.
func TestSATClientConsistent(t *testing.T) {
	for _, o := range []SATClientOptions{
		{},
		{Name: "sensor", Namespace: "devices", Audience: "my-audience", TokenPath: "/tokens/mqtt/sat", Expiration: 10 * time.Minute,
			Host: "10.0.0.5", Port: 1883, Image: "registry.example/mosquitto:2.0.18"},
		{TokenPath: "/var/run/secrets/tokens/mqtt-client-token", CAConfigMap: "broker-ca"},
	} {
		sa, pod, err := SATClient(o)
		if err != nil {
			t.Fatal(err)
		}
		wantPath := o.TokenPath
		if wantPath == "" {
			wantPath = DefaultTokenPath
		}
		if sa.Name != pod.Spec.ServiceAccountName || sa.Namespace != pod.Namespace {
			t.Errorf("pod runs as %s/%s, ServiceAccount is %s/%s", pod.Namespace, pod.Spec.ServiceAccountName, sa.Namespace, sa.Name)
		}
		c := pod.Spec.Containers[0]
		var files []string
		for _, m := range c.VolumeMounts {
			for _, v := range pod.Spec.Volumes {
				if v.Name != m.Name || v.Projected == nil {
					continue
				}
				for _, src := range v.Projected.Sources {
					if tok := src.ServiceAccountToken; tok != nil {
						files = append(files, m.MountPath+"/"+tok.Path)
						wantAud := o.Audience
						if wantAud == "" {
							wantAud = "aio-internal"
						}
						if tok.Audience != wantAud {
							t.Errorf("audience %q, want %q", tok.Audience, wantAud)
						}
						if tok.ExpirationSeconds == nil || *tok.ExpirationSeconds < 600 {
							t.Errorf("expirationSeconds %v", tok.ExpirationSeconds)
						}
					}
				}
			}
		}
		if len(files) != 1 || files[0] != wantPath {
			t.Fatalf("token files %v, want [%s]", files, wantPath)
		}
		script := strings.Join(c.Command, " ")
		if !strings.Contains(script, `authentication-data "$(cat `+wantPath+`)"`) || strings.Count(script, "cat ") != 1 {
			t.Errorf("the command does not read exactly %s:\n%s", wantPath, script)
		}
		if !strings.Contains(script, "authentication-method K8S-SAT") || !strings.Contains(script, "-V mqttv5") {
			t.Errorf("the command does not use MQTT v5 enhanced authentication K8S-SAT:\n%s", script)
		}
		if (o.CAConfigMap != "") != strings.Contains(script, "--cafile /var/run/certs/ca.crt") {
			t.Errorf("TLS with CA ConfigMap %q, command:\n%s", o.CAConfigMap, script)
		}
		if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
			t.Error("the pod also mounts the API token it does not need")
		}
	}
}

func TestSATClientGolden(t *testing.T) {
	for _, tt := range []struct {
		name   string
		opts   SATClientOptions
		format string
	}{
		{"sat-client.yaml", SATClientOptions{CAConfigMap: DefaultCAConfigMap}, "yaml"},
		{"sat-client-plain.json", SATClientOptions{Name: "sensor", Audience: "my-audience", Port: 1883}, "json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sa, pod, err := SATClient(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			out := render(t, tt.format, SATClientHeader(pod), sa, pod)
			golden.Check(t, filepath.Join("testdata", tt.name), out)
			docs := checkAgainstCRDs(t, tt.name, out)
			if tt.format == "yaml" {
				if len(docs) != 2 || docs[0].Kind != "ServiceAccount" || docs[1].Kind != "Pod" {
					t.Fatalf("documents: %v", docs)
				}
				// What kubectl would send decodes into a Pod without
				// unknown fields.
				data, _, _ := docs[1].JSON()
				dec := json.NewDecoder(bytes.NewReader(data))
				dec.DisallowUnknownFields()
				var p corev1.Pod
				if err := dec.Decode(&p); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestSATClientErrors(t *testing.T) {
	tests := []struct {
		name string
		opts SATClientOptions
		want string
	}{
		{"short expiration", SATClientOptions{Expiration: 599 * time.Second}, "--duration 9m59s: Kubernetes issues tokens for at least 10m (600 s)"},
		{"fractional expiration", SATClientOptions{Expiration: 10*time.Minute + time.Millisecond}, "--duration 10m0.001s: use whole seconds"},
		{"huge expiration", SATClientOptions{Expiration: 1 << 33 * time.Second}, "use whole seconds up to 2^32 s"},
		{"relative token path", SATClientOptions{TokenPath: "tokens/sat"}, `--token-path "tokens/sat": use an absolute file path`},
		{"token path at root", SATClientOptions{TokenPath: "/sat"}, `--token-path "/sat"`},
		{"token path with shell", SATClientOptions{TokenPath: "/tokens/$(reboot)"}, "--token-path"},
		{"token path a directory", SATClientOptions{TokenPath: "/tokens/"}, "--token-path"},
		{"token in the CA dir", SATClientOptions{TokenPath: "/var/run/certs/token"}, "is used by another mount"},
		{"port", SATClientOptions{Port: 65536}, "--port 65536"},
		{"host", SATClientOptions{Host: "aio broker"}, `--host "aio broker"`},
		{"image", SATClientOptions{Image: "a b"}, "--image"},
		{"name", SATClientOptions{Name: "Client"}, `--name "Client"`},
		{"audience spaces", SATClientOptions{Audience: " aio-internal"}, "--audience"},
		{"ca configmap", SATClientOptions{CAConfigMap: "CA bundle"}, "--ca-configmap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := SATClient(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRenderFormats(t *testing.T) {
	obj, err := Authn(AuthnOptions{Methods: []string{"x509"}, X509Attributes: map[string]v1.BrokerAuthenticatorMethodX509Attributes{
		"a": {Subject: "CN=a", Attributes: map[string]string{"admin": "yes", "floor": "17", "note": "<&>"}}}})
	if err != nil {
		t.Fatal(err)
	}
	y := render(t, "yaml", nil, obj)
	// Strings YAML 1.1 or YAML 1.2 would read as something else are quoted.
	for _, want := range []string{`admin: "yes"`, `floor: "17"`, `note: <&>`} {
		if !bytes.Contains(y, []byte(want)) {
			t.Errorf("YAML lacks %s:\n%s", want, y)
		}
	}
	j := render(t, "json", nil, obj)
	if !bytes.Contains(j, []byte(`"note": "<&>"`)) {
		t.Errorf("JSON escapes HTML:\n%s", j)
	}
	var back map[string]any
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, j)
	}
	if err := Render(&bytes.Buffer{}, "toml", nil, obj); err == nil {
		t.Error("no error for -o toml")
	}
}
