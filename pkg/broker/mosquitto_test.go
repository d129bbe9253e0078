package broker

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// These tests drive the broker with Debian's mosquitto clients, which
// nobody here wrote: their exit code is the CONNACK code.

// mosquittoPub publishes one message through the broker from dir and
// returns mosquitto_pub's exit code and output.
func mosquittoPub(t *testing.T, dir, address string, args ...string) (int, string) {
	t.Helper()
	bin := testenv.RequireProgram(t, "mosquitto_pub")
	host, port := hostPort(t, address)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-d", "-h", host, "-p", port, "-t", "rehearsal", "-m", "hello"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("mosquitto_pub: %v", err)
		}
		code = ee.ExitCode()
	}
	return code, string(out)
}

func satArgs(token string) []string {
	return []string{"-D", "connect", "authentication-method", authn.SATMethod, "-D", "connect", "authentication-data", token}
}

func TestMosquittoServiceAccountToken(t *testing.T) {
	f := newFixture(t)
	port := testenv.FreePorts(t, 1)[0]
	b, log := start(t, Options{
		Bundle: f.bundle(t, authnYAML("default", satEntry, x509Entry), listenerYAML(listenerPort{port: port, authn: "default", tls: true})),
		Engine: authn.Options{Keys: f.keys},
	})
	ca := writeCA(t, f, b)
	address := b.Ports()[0].Address
	now := time.Now()

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		decision authn.Result
		method   string
		reason   string
	}{
		{name: "granted", args: satArgs(f.token(t, now, time.Hour, "aio-internal")), code: 0, decision: authn.Granted, method: "ServiceAccountToken",
			reason: `ServiceAccountToken (entry 0): token for "system:serviceaccount:azure-iot-operations:mqtt-client" verified, audience "aio-internal"`},
		{name: "wrong-audience", args: satArgs(f.token(t, now, time.Hour, "aio-mq")), code: 135, decision: authn.Denied, method: "ServiceAccountToken",
			reason: `ServiceAccountToken (entry 0): aud ["aio-mq"] has none of the configured audiences ["aio-internal"]`},
		{name: "unknown-method", args: []string{"-D", "connect", "authentication-method", "PSK-DEMO", "-D", "connect", "authentication-data", "x"},
			code: 140, decision: authn.Denied,
			reason: `no method is relevant to these credentials (ServiceAccountToken: enhanced authentication method "PSK-DEMO" is not K8S-SAT; X509: no client certificate presented)`},
		// MQTT 3.1.1 has no reason codes beyond 5: a refusal is "not
		// authorized" whatever the engine's code.
		{name: "mqtt311", args: []string{"-V", "mqttv311", "-u", "bob", "-P", "wrong"}, code: 5, decision: authn.Denied,
			reason: "no method is relevant to these credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := mosquittoPub(t, f.dir, address, append([]string{"--cafile", ca, "-i", tc.name}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("mosquitto_pub exited %d, want %d:\n%s\nevents:\n%s", code, tc.code, out, log)
			}
			ev := log.waitFor(t, "connect of "+tc.name, func(ev Event) bool { return ev.Event == EventConnect && ev.ClientID == tc.name })
			if *ev.Decision != tc.decision || !strings.HasPrefix(ev.Reason, tc.reason) || int(ev.Connack.Code) != tc.code {
				t.Errorf("event %+v\nwant decision %s, CONNACK %d, reason starting %q", ev, tc.decision, tc.code, tc.reason)
			}
			if tc.method == "" && ev.Method != nil || tc.method != "" && (ev.Method == nil || string(*ev.Method) != tc.method) {
				t.Errorf("method %v, want %q", ev.Method, tc.method)
			}
		})
	}
}

func TestMosquittoX509(t *testing.T) {
	f := newFixture(t)
	ports := testenv.FreePorts(t, 2)
	b, log := start(t, Options{
		Bundle: f.bundle(t, authnYAML("default", satEntry, x509Entry), authnYAML("x509-only", x509Entry),
			listenerYAML(listenerPort{port: ports[0], authn: "default", tls: true}, listenerPort{port: ports[1], authn: "x509-only"})),
		Engine: authn.Options{Keys: f.keys},
	})
	ca := writeCA(t, f, b)
	tlsPort, plainPort := b.Ports()[0], b.Ports()[1]
	if !tlsPort.TLS || plainPort.TLS {
		t.Fatalf("ports %+v", b.Ports())
	}
	// A chain from another `certs chain` run: a CA nobody trusts.
	foreign := filepath.Join(f.dir, "foreign")
	if _, err := pki.MintChain(pki.ChainSpec{OutDir: foreign, Clients: []string{"thermostat"}}); err != nil {
		t.Fatal(err)
	}
	f.write(t, "foreign/thermostat_chain.pem", f.read(t, "foreign/thermostat_cert.pem")+f.read(t, "foreign/intermediate_ca_cert.pem"))
	// mosquitto_pub sends every certificate of the file: a device may
	// present its root too.
	f.write(t, "with_root.pem", f.read(t, "thermostat_chain.pem")+f.read(t, "certs/root_ca_cert.pem"))

	for _, tc := range []struct {
		name   string
		port   Port
		args   []string
		code   int
		reason string
	}{
		{name: "certs-chain", port: tlsPort, args: []string{"--cafile", ca, "--cert", "thermostat_chain.pem", "--key", "certs/thermostat_key.pem"},
			reason: `X509 (entry 1): chain verified to trusted CA "CN = Test Root CA, O = kubectl-aio-authn"`},
		{name: "with-root", port: tlsPort, args: []string{"--cafile", ca, "--cert", "with_root.pem", "--key", "certs/thermostat_key.pem"},
			reason: `X509 (entry 1): chain verified`},
		{name: "foreign-chain", port: tlsPort, args: []string{"--cafile", ca, "--cert", "foreign/thermostat_chain.pem", "--key", "foreign/thermostat_key.pem"},
			code: 135, reason: `X509 (entry 1): no chain from "CN = thermostat" (issued by "CN = Test Intermediate CA, O = kubectl-aio-authn") to a CA in ConfigMap client-ca`},
		// No TLS, so no certificate: X.509 is relevant to nothing there.
		{name: "plain-port", port: plainPort, code: 135,
			reason: "no method is relevant to these credentials (X509: no client certificate presented)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// mosquitto_pub speaks MQTT 3.1.1 unless told otherwise.
			code, out := mosquittoPub(t, f.dir, tc.port.Address, append([]string{"-V", "mqttv5", "-i", tc.name}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("mosquitto_pub exited %d, want %d:\n%s\nevents:\n%s", code, tc.code, out, log)
			}
			ev := log.waitFor(t, "connect of "+tc.name, func(ev Event) bool { return ev.Event == EventConnect && ev.ClientID == tc.name })
			if !strings.HasPrefix(ev.Reason, tc.reason) || int(ev.Connack.Code) != tc.code || ev.Port != tc.port.Port {
				t.Errorf("event %+v\nwant port %d, CONNACK %d, reason starting %q", ev, tc.port.Port, tc.code, tc.reason)
			}
			if tc.code == 0 {
				if ev.Username == nil || *ev.Username != "thermostat" || ev.ExpiresAt == nil {
					t.Errorf("granted as %v until %v, want thermostat until the leaf's notAfter", ev.Username, ev.ExpiresAt)
				}
				// mosquitto_pub disconnects once it has published.
				log.waitFor(t, "disconnect of "+tc.name, func(ev Event) bool {
					return ev.Event == EventDisconnect && ev.ClientID == tc.name && ev.Reason == "the client sent DISCONNECT"
				})
			}
		})
	}
}

// TestMosquittoTokenExpiry: a token expires while mosquitto_sub is
// connected. The broker closes the connection without DISCONNECT;
// mosquitto_sub reconnects with the same token, which is now refused, and
// exits with the CONNACK code. The broker's clock is a fake one, moved past
// the token's exp and the API server's leeway: that is a minute and more of
// real waiting otherwise.
func TestMosquittoTokenExpiry(t *testing.T) {
	bin := testenv.RequireProgram(t, "mosquitto_sub")
	f := newFixture(t)
	clk := clocktesting.NewFakeClock(time.Now())
	port := testenv.FreePorts(t, 1)[0]
	b, log := start(t, Options{
		Bundle: f.bundle(t, authnYAML("default", satEntry), listenerYAML(listenerPort{port: port, authn: "default", tls: true})),
		Engine: authn.Options{Keys: f.keys},
		Clock:  clk,
	})
	ca := writeCA(t, f, b)
	host, p := hostPort(t, b.Ports()[0].Address)
	token := f.token(t, clk.Now(), 10*time.Minute, "aio-internal")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sub := exec.CommandContext(ctx, bin, append([]string{"-d", "-h", host, "-p", p, "--cafile", ca, "-i", "subscriber", "-t", "rehearsal"}, satArgs(token)...)...)
	var out bytes.Buffer
	sub.Stdout, sub.Stderr = &out, &out
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	granted := log.waitFor(t, "granted connect", func(ev Event) bool { return ev.Event == EventConnect && *ev.Decision == authn.Granted })
	if granted.ExpiresAt == nil || !granted.ExpiresAt.Equal(clk.Now().Add(10*time.Minute).Truncate(time.Second)) {
		t.Errorf("granted until %v, want the token's exp", granted.ExpiresAt)
	}
	// The expiry timer starts once CONNACK is out.
	deadline := time.Now().Add(30 * time.Second)
	for !clk.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("no expiry timer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	clk.Step(10*time.Minute + 2*time.Minute)

	err := sub.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 135 {
		t.Fatalf("mosquitto_sub ended with %v, want exit 135 (the reconnect refused):\n%s\nevents:\n%s", err, out.String(), log)
	}
	if strings.Contains(out.String(), "received DISCONNECT") {
		t.Errorf("the broker sent DISCONNECT at expiry:\n%s", out.String())
	}
	var kinds []string
	for _, ev := range log.events(t) {
		kinds = append(kinds, ev.Event)
		if ev.Event == EventDisconnect && !strings.Contains(ev.Reason, "without DISCONNECT") {
			t.Errorf("disconnect: %q", ev.Reason)
		}
	}
	if got := strings.Join(kinds, " "); got != "connect expired disconnect connect" {
		t.Errorf("events %q, want connect expired disconnect connect:\n%s", got, log)
	}
	refused := log.events(t)[3]
	if *refused.Decision != authn.Denied || refused.Connack.Code != 0x87 || !strings.Contains(refused.Reason, "beyond the API server's 60s leeway") {
		t.Errorf("reconnect: %+v", refused)
	}
}

// TestMosquittoDisabledPort: a port without authenticationRef lets anyone in.
func TestMosquittoDisabledPort(t *testing.T) {
	f := newFixture(t)
	port := testenv.FreePorts(t, 1)[0]
	b, log := start(t, Options{Bundle: f.bundle(t, listenerYAML(listenerPort{port: port}))})
	if b.Minted() != nil {
		t.Error("a CA minted for a listener without TLS")
	}
	if code, out := mosquittoPub(t, f.dir, b.Ports()[0].Address, "-i", "anyone", "-u", "anyone", "-P", "anything"); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	ev := log.waitFor(t, "connect", func(ev Event) bool { return ev.Event == EventConnect })
	if *ev.Decision != authn.Granted || ev.Method != nil || ev.Reason != "authentication is disabled on this port" {
		t.Errorf("%+v", ev)
	}
}

// TestMosquittoTokenReview: with a TokenReview client (--token-review), the
// broker asks a real kube-apiserver about every token, as the broker in a
// cluster does: a token the cluster issued gets in; one for another
// audience does not.
func TestMosquittoTokenReview(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real kube-apiserver (hack/build-kube-apiserver.sh); skipped under -short")
	}
	testenv.RequireProgram(t, "mosquitto_pub")
	cp := testenv.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cp.CreateNamespace(namespace); err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "mqtt-client", Namespace: namespace}}
	if _, err := cp.Clientset().CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	client, err := kube.NewClientForConfig(cp.RESTConfig(), namespace)
	if err != nil {
		t.Fatal(err)
	}
	token := func(audience string) string {
		tok, err := client.RequestToken(ctx, kube.TokenRequest{ServiceAccount: "mqtt-client", Audiences: []string{audience}})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}

	f := newFixture(t)
	port := testenv.FreePorts(t, 1)[0]
	// No ServiceAccount in the bundle: the API server checks it.
	p := f.write(t, "cluster-bundle/bundle.yaml", authnYAML("default", satEntry)+"---\n"+listenerYAML(listenerPort{port: port, authn: "default"}))
	b, err := bundle.Read([]string{p}, nil, manifest.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	brk, log := start(t, Options{Bundle: b, Engine: authn.Options{TokenReview: client.TokenReviewer()}})
	address := brk.Ports()[0].Address

	if code, out := mosquittoPub(t, f.dir, address, append([]string{"-i", "reviewed"}, satArgs(token("aio-internal"))...)...); code != 0 {
		t.Fatalf("a token the cluster issued: exit %d\n%s\n%s", code, out, log)
	}
	ev := log.waitFor(t, "connect", func(ev Event) bool { return ev.ClientID == "reviewed" && ev.Event == EventConnect })
	if ev.Username == nil || *ev.Username != "system:serviceaccount:azure-iot-operations:mqtt-client" {
		t.Errorf("%+v", ev)
	}
	if code, out := mosquittoPub(t, f.dir, address, append([]string{"-i", "other-audience"}, satArgs(token("aio-mq"))...)...); code != 135 {
		t.Fatalf("a token for another audience: exit %d\n%s\n%s", code, out, log)
	}
}
