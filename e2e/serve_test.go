package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// serveBundle makes, with the tool itself, a chain for one device and a
// bundle whose listener has a TLS port authenticated by X.509 and a plain
// port without authentication.
func serveBundle(t *testing.T) (dir string, ports [2]int) {
	t.Helper()
	dir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bundle"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"certs", "chain", "--out-dir", "certs", "--client", "thermostat"},
		{"ca", "import", "certs/client_ca.pem", "--name", "client-ca", "--dry-run=client", "-o", "yaml"},
		{"generate", "authn", "--method", "x509"},
	} {
		r := run(t, dir, "kubectl-aio_authn", args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		if args[0] != "certs" {
			writeFile(t, filepath.Join(dir, "bundle", args[0]+".yaml"), r.stdout)
		}
	}
	copy(ports[:], testenv.FreePorts(t, len(ports)))
	writeFile(t, filepath.Join(dir, "bundle", "listener.yaml"), fmt.Sprintf(`apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata:
  name: default
  namespace: azure-iot-operations
spec:
  ports:
  - port: %d
    authenticationRef: default
    tls:
      mode: Automatic
  - port: %d
`, ports[0], ports[1]))
	writeFile(t, filepath.Join(dir, "thermostat_chain.pem"), string(readFile(t, filepath.Join(dir, "certs/thermostat_cert.pem")))+string(readFile(t, filepath.Join(dir, "certs/intermediate_ca_cert.pem"))))
	return dir, ports
}

// brokerProcess is `serve broker` running as a script runs it: the built
// binary in the background, with a ready-file.
type brokerProcess struct {
	*serverProcess
	ready struct {
		Ports []struct {
			Port    int    `json:"port"`
			TLS     bool   `json:"tls"`
			Address string `json:"address"`
		} `json:"ports"`
		CA *string `json:"ca"`
	}
}

// startServeBroker starts serve broker in dir with --ready-file readyFile
// and args, and waits for the ready-file.
func startServeBroker(t *testing.T, dir, readyFile string, args ...string) *brokerProcess {
	t.Helper()
	b := &brokerProcess{}
	b.serverProcess = startServer(t, dir, readyFile, &b.ready, append([]string{"serve", "broker", "--ready-file", readyFile}, args...)...)
	return b
}

// stop sends SIGTERM and waits for the exit, which must be 0.
func (b *brokerProcess) stop(t *testing.T) {
	t.Helper()
	if code := b.serverProcess.stop(t); code != 0 {
		t.Errorf("serve broker exited %d after SIGTERM:\n%s", code, b.stderr)
	}
}

// mosquittoPub publishes through the broker from dir; it returns the exit
// code (the CONNACK code of a refusal) and the output.
func mosquittoPub(t *testing.T, dir string, port int, args ...string) (int, string) {
	t.Helper()
	c := exec.Command(testenv.RequireProgram(t, "mosquitto_pub"), append([]string{"-V", "mqttv5", "-h", "localhost", "-p", strconv.Itoa(port), "-t", "hello", "-m", "world"}, args...)...)
	c.Dir = dir
	out, err := c.CombinedOutput()
	code, err := exitCode(err)
	if err != nil {
		t.Fatalf("mosquitto_pub: %v", err)
	}
	return code, string(out)
}

// TestServeBroker runs the built binary as a script would: in the
// background with a ready-file, clients from mosquitto, then SIGTERM.
func TestServeBroker(t *testing.T) {
	testenv.RequireProgram(t, "mosquitto_pub")
	dir, ports := serveBundle(t)
	b := startServeBroker(t, dir, "ready.json", "-f", "bundle", "--events", "events.jsonl")
	want := fmt.Sprintf("[{%d true 127.0.0.1:%d} {%d false 127.0.0.1:%d}]", ports[0], ports[0], ports[1], ports[1])
	if fmt.Sprint(b.ready.Ports) != want || b.ready.CA == nil || *b.ready.CA != "ready-ca.pem" {
		t.Fatalf("ready-file %+v, want ports %s and ca ready-ca.pem", b.ready, want)
	}

	for _, tc := range []struct {
		name string
		port int
		args []string
		code int
	}{
		{name: "thermostat", port: ports[0], args: []string{"--cafile", "ready-ca.pem", "--cert", "thermostat_chain.pem", "--key", "certs/thermostat_key.pem"}},
		{name: "stranger", port: ports[0], args: []string{"--cafile", "ready-ca.pem"}, code: 135},
		{name: "anyone", port: ports[1]},
	} {
		if code, out := mosquittoPub(t, dir, tc.port, append([]string{"-i", tc.name}, tc.args...)...); code != tc.code {
			t.Errorf("%s: mosquitto_pub exited %d, want %d\n%s", tc.name, code, tc.code, out)
		}
	}
	b.stop(t)
	for _, f := range []string{"ready.json", "ready-ca.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s left behind (%v)", f, err)
		}
	}
	events := string(readFile(t, filepath.Join(dir, "events.jsonl")))
	for _, want := range []string{`"clientId":"thermostat","remote":`, `"decision":"granted","method":"X509","username":"thermostat"`,
		`"clientId":"stranger"`, `"connack":{"code":135,"name":"Not authorized"}`,
		`"clientId":"anyone"`, `"reason":"authentication is disabled on this port"`} {
		if !strings.Contains(events, want) {
			t.Errorf("events log without %s:\n%s", want, events)
		}
	}
	if !strings.Contains(b.stderr.String(), "serve broker: disconnecting every client and stopping") {
		t.Errorf("stderr:\n%s", b.stderr)
	}
}

// TestServeBrokerUsageErrors: what cannot be served is exit 2 with one line.
func TestServeBrokerUsageErrors(t *testing.T) {
	dir, ports := serveBundle(t)
	held, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ports[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", "missing"}, "error: missing: no such file or directory"},
		{[]string{"-f", "bundle", "--listener", "nope"}, `error: no BrokerListener named "nope" in the bundle (it has default)`},
		{[]string{"-f", "bundle"}, fmt.Sprintf("error: port %d of BrokerListener default: cannot listen on 127.0.0.1:%d: bind: address already in use", ports[1], ports[1])},
		{[]string{"-f", "bundle", "--server-cert", "certs/server_cert.pem"}, "error: --server-cert and --server-key go together"},
		{[]string{"-f", "bundle", "--token-review", "--sat-issuer-key", "k"}, "error: --token-review and --sat-issuer-key both verify tokens: give one"},
	} {
		r := run(t, dir, "kubectl-aio_authn", append([]string{"serve", "broker"}, tc.args...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line starting %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestDemo runs hack/demo.sh as a reader would: the rehearsal on the wire
// lets the thermostat in, refuses the stranger with 135, and the broker the
// script started in the background is gone when it ends.
func TestDemo(t *testing.T) {
	testenv.RequireProgram(t, "mosquitto_pub")
	cmd := exec.Command("bash", "hack/demo.sh")
	// The script builds the tool: with the developer's Go caches, not the
	// empty ones of the test's HOME.
	cmd.Dir, cmd.Env = repoRoot, append(testEnv(t), goEnv(t, "GOCACHE", "GOMODCACHE", "GOPATH")...)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hack/demo.sh: %v\n%s", err, out)
	}
	for _, want := range []string{
		"-i thermostat --cert thermostat_chain.pem --key certs/thermostat_key.pem -t hello -m world\n(exit 0)",
		"Connection error: Not authorized\nError: A network protocol error occurred when communicating with the broker.\n(exit 135)",
		`"clientId":"stranger"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("hack/demo.sh output without %q:\n%s", want, out)
		}
	}
	// The broker's port is free again.
	l, err := net.Listen("tcp", "127.0.0.1:28883")
	if err != nil {
		t.Errorf("port 28883 still taken after the demo: %v", err)
	} else {
		l.Close()
	}
}

// goEnv returns NAME=VALUE for Go's settings, as `go env` resolves them here.
func goEnv(t *testing.T, names ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	values := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	env := make([]string, len(names))
	for i, n := range names {
		env[i] = n + "=" + values[i]
	}
	return env
}

// TestServeBrokerWithCustomAuth is the Custom method rehearsed on one
// machine: mosquitto_pub → serve broker → serve custom-auth, each the
// built binary, the broker trusting the auth server's minted CA through the
// bundle's caCertConfigMap.
func TestServeBrokerWithCustomAuth(t *testing.T) {
	testenv.RequireProgram(t, "mosquitto_pub")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "users.yaml"), `users:
- username: alice
  password: wonderland
  attributes: {group: g1}
  expiry: 2030-01-01T00:00:00Z
- username: bob
  deny: {reason: 138, message: account locked}
enhanced:
- method: PSK-DEMO
  dataSha256: 41ef4bb0b23661e66301aac36066912dac037827b4ae63a7b1165a5aa93ed4eb
`)
	auth := startCustomAuth(t, dir, "--users", "users.yaml")
	if err := os.Mkdir(filepath.Join(dir, "bundle"), 0o755); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePorts(t, 1)[0]
	for file, args := range map[string][]string{
		"auth-server-ca.yaml": {"ca", "import", auth.ready.CA, "--name", "auth-server-ca", "--dry-run=client", "-o", "yaml"},
		"authn.yaml":          {"generate", "authn", "--method", "custom", "--custom-endpoint", auth.ready.Endpoint, "--custom-ca-configmap", "auth-server-ca"},
		"listener.yaml":       {"generate", "listener", "--name", "default", "--port", strconv.Itoa(port)},
	} {
		r := run(t, dir, "kubectl-aio_authn", args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		writeFile(t, filepath.Join(dir, "bundle", file), r.stdout)
	}
	b := startServeBroker(t, dir, "broker.json", "-f", "bundle", "--events", "events.jsonl")

	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{name: "alice", args: []string{"-u", "alice", "-P", "wonderland"}},
		{name: "alice-typo", args: []string{"-u", "alice", "-P", "wonderlnad"}, code: 135},
		// The server's reason is the CONNACK's code: 0x8A Banned.
		{name: "bob", args: []string{"-u", "bob", "-P", "wonderland"}, code: 138},
		{name: "psk", args: []string{"-D", "connect", "authentication-method", "PSK-DEMO", "-D", "connect", "authentication-data", "open sesame"}},
	} {
		if code, out := mosquittoPub(t, dir, port, append([]string{"--cafile", "broker-ca.pem", "-i", tc.name}, tc.args...)...); code != tc.code {
			t.Errorf("%s: mosquitto_pub exited %d, want %d\n%s\nauth server:\n%s", tc.name, code, tc.code, out, auth.stderr)
		}
	}
	// With the auth server gone the Custom entry falls through, and no
	// other entry is left: refused.
	if code := auth.stop(t); code != 0 {
		t.Errorf("serve custom-auth exited %d", code)
	}
	if code, out := mosquittoPub(t, dir, port, "--cafile", "broker-ca.pem", "-i", "alice-later", "-u", "alice", "-P", "wonderland"); code != 135 {
		t.Errorf("alice with the auth server stopped: exit %d\n%s", code, out)
	}
	b.stop(t)

	events := string(readFile(t, filepath.Join(dir, "events.jsonl")))
	for _, want := range []string{
		`"clientId":"alice","remote":`, `"decision":"granted","method":"Custom","username":"alice","connack":{"code":0,"name":"Success"},"reason":"Custom (entry 0): auth server granted (200)","attributes":{"group":"g1"},"expiresAt":"2030-01-01T00:00:00Z"`,
		`"connack":{"code":138,"name":"Banned"},"reason":"Custom (entry 0): auth server denied (403) with reason 0x8A Banned: \"account locked\""`,
		`"clientId":"alice-later"`, `connection refused`,
	} {
		if !strings.Contains(events, want) {
			t.Errorf("events log without %s:\n%s", want, events)
		}
	}
}
