package pki

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// TestMosquittoAcceptsMintedClient runs a real mosquitto broker that
// authenticates clients by certificate (require_certificate,
// use_identity_as_username), trusting the minted chain.pem and serving the
// minted server certificate, and connects with mosquitto_pub exactly as the
// operator page runs it, plus the local broker's address and port. A client
// of another chain is refused by the broker.
func TestMosquittoAcceptsMintedClient(t *testing.T) {
	for _, key := range []KeySpec{DefaultKeySpec, {Type: KeyTypeRSA, Size: 2048}} {
		t.Run(key.String(), func(t *testing.T) {
			mosquittoPub := testenv.RequireProgram(t, "mosquitto_pub")
			dir := t.TempDir()
			if _, err := MintChain(ChainSpec{OutDir: dir, Clients: []string{"thermostat"}, ServerSANs: []string{"localhost", "127.0.0.1"}, Key: key}); err != nil {
				t.Fatal(err)
			}
			broker := startMosquitto(t, dir)

			// The operator page's command, run where the files are.
			args := []string{"-q", "1", "-t", "hello", "-d", "-V", "mqttv5", "-m", "world", "-i", "thermostat",
				"-h", "127.0.0.1", "-p", strconv.Itoa(broker.port),
				"--cert", "thermostat_cert.pem", "--key", "thermostat_key.pem", "--cafile", "chain.pem"}
			pub := exec.Command(mosquittoPub, args...)
			pub.Dir = dir
			out, err := pub.CombinedOutput()
			if err != nil {
				t.Fatalf("mosquitto_pub %s: %v\n%s\nbroker log:\n%s", strings.Join(args, " "), err, out, broker.log())
			}
			mustContain(t, "mosquitto_pub output", string(out), "received CONNACK (0)", "received PUBACK")
			// use_identity_as_username: the broker knows the client by
			// its certificate's CN.
			broker.waitLog(t, "u'thermostat'")

			// A client of another chain. It trusts the real root too, so
			// that it accepts the broker and it is the broker that says no.
			other := t.TempDir()
			if _, err := MintChain(ChainSpec{OutDir: other, Clients: []string{"thermostat"}, Key: key}); err != nil {
				t.Fatal(err)
			}
			trust := append(mustRead(t, filepath.Join(other, ChainFile)), mustRead(t, filepath.Join(dir, ClientCAFile))...)
			if err := os.WriteFile(filepath.Join(other, "trust.pem"), trust, 0o644); err != nil {
				t.Fatal(err)
			}
			args[len(args)-1] = "trust.pem"
			rogue := exec.Command(mosquittoPub, args...)
			rogue.Dir = other
			out, err = rogue.CombinedOutput()
			if err == nil || strings.Contains(string(out), "CONNACK (0)") {
				t.Fatalf("a client of another chain was accepted:\n%s", out)
			}
			broker.waitLog(t, "certificate verify failed")
		})
	}
}

type mosquittoBroker struct {
	port int
	mu   sync.Mutex
	out  bytes.Buffer
}

func (b *mosquittoBroker) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.Write(p)
}

func (b *mosquittoBroker) log() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// waitLog waits for the broker to log s (it logs asynchronously to the
// client's exit).
func (b *mosquittoBroker) waitLog(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(b.log(), s) {
			return
		}
	}
	t.Errorf("the broker never logged %q:\n%s", s, b.log())
}

// startMosquitto runs mosquitto on a free loopback port with certificate
// authentication over the chain minted in dir, until the test ends.
func startMosquitto(t *testing.T, dir string) *mosquittoBroker {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/mosquitto"); serr == nil {
			bin = "/usr/sbin/mosquitto"
		} else {
			bin = testenv.RequireProgram(t, "mosquitto")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf(`# Certificate authentication over the minted chain.
listener %d 127.0.0.1
cafile %s
certfile %s
keyfile %s
require_certificate true
use_identity_as_username true
allow_anonymous false
persistence false
log_dest stderr
log_type all
`, port, filepath.Join(dir, ChainFile), filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile))
	if os.Geteuid() == 0 {
		// As root, mosquitto would switch to its own user, which cannot
		// read the test's private temporary directory.
		conf += "user root\n"
	}
	confFile := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &mosquittoBroker{port: port}
	cmd := exec.Command(bin, "-c", confFile)
	cmd.Stdout, cmd.Stderr = b, b
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("mosquitto exited: %v\n%s", err, b.log())
		default:
		}
		if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
			c.Close()
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on port %d:\n%s", port, b.log())
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
