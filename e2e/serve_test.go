package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		defer l.Close()
	}
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

// TestServeBroker runs the built binary as a script would: in the
// background with a ready-file, clients from mosquitto, then SIGTERM.
func TestServeBroker(t *testing.T) {
	pub := testenv.RequireProgram(t, "mosquitto_pub")
	dir, ports := serveBundle(t)
	cmd := exec.Command(filepath.Join(binDir, "kubectl-aio_authn"), "serve", "broker", "-f", "bundle", "--events", "events.jsonl", "--ready-file", "ready.json")
	cmd.Dir, cmd.Env = dir, testEnv(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})

	ready := filepath.Join(dir, "ready.json")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("serve broker exited before it was ready: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ready-file after 30s:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var r struct {
		Ports []struct {
			Port    int    `json:"port"`
			TLS     bool   `json:"tls"`
			Address string `json:"address"`
		} `json:"ports"`
		CA *string `json:"ca"`
	}
	if err := json.Unmarshal(readFile(t, ready), &r); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("[{%d true 127.0.0.1:%d} {%d false 127.0.0.1:%d}]", ports[0], ports[0], ports[1], ports[1])
	if fmt.Sprint(r.Ports) != want || r.CA == nil || *r.CA != "ready-ca.pem" {
		t.Fatalf("ready-file %s, want ports %s and ca ready-ca.pem", string(readFile(t, ready)), want)
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
		args := append([]string{"-V", "mqttv5", "-h", "localhost", "-p", strconv.Itoa(tc.port), "-i", tc.name, "-t", "hello", "-m", "world"}, tc.args...)
		c := exec.Command(pub, args...)
		c.Dir = dir
		out, err := c.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tc.code {
			t.Errorf("%s: mosquitto_pub exited %d (%v), want %d\n%s", tc.name, code, err, tc.code, out)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after SIGTERM:\n%s", stderr.String())
	}
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
	if !strings.Contains(stderr.String(), "serve broker: disconnecting every client and stopping") {
		t.Errorf("stderr:\n%s", stderr.String())
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
