package testenv

import (
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
)

// Mosquitto is a real Debian mosquitto broker started for one test, on a
// free loopback port, stopped when the test ends.
type Mosquitto struct {
	// Ports are the loopback ports of its listeners, in the order the
	// configuration got them; Port is the first, Addr 127.0.0.1:Port.
	Ports []int
	Port  int
	Addr  string

	mu  sync.Mutex
	log []byte
}

// mosquittoLogMax bounds the log kept in memory: a connect-rate test makes
// mosquitto log thousands of lines.
const mosquittoLogMax = 256 << 10

func (m *Mosquitto) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, p...)
	if over := len(m.log) - mosquittoLogMax; over > 0 {
		m.log = append(m.log[:0], m.log[over:]...)
	}
	return len(p), nil
}

// Log returns what mosquitto logged (the last 256 KiB).
func (m *Mosquitto) Log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.log)
}

// WaitLog waits up to 10 seconds for mosquitto to log s, which it does
// asynchronously to what its clients see, and fails the test otherwise.
func (m *Mosquitto) WaitLog(t testing.TB, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(m.Log(), s) {
			return
		}
	}
	t.Errorf("mosquitto never logged %q:\n%s", s, m.Log())
}

// MosquittoBinary returns the mosquitto executable (PATH, then /usr/sbin,
// where Debian puts it). Under -short a missing binary skips the test;
// otherwise it fails it, naming the script that installs it.
func MosquittoBinary(t testing.TB) string {
	t.Helper()
	return RequireProgram(t, "mosquitto", "/usr/sbin/mosquitto")
}

// StartMosquitto runs mosquitto with the configuration conf(port): the
// listener lines and whatever they need (cafile, password_file, ...). The
// harness adds what every test wants: no persistence, logging to stderr,
// and, when running as root, `user root` so that mosquitto can read files in
// the test's private temporary directories. A port another process takes
// before mosquitto binds it is retried with a new one.
func StartMosquitto(t testing.TB, conf func(port int) string) *Mosquitto {
	t.Helper()
	return StartMosquittoWith(t, MosquittoOptions{Config: func(ports []int) string { return conf(ports[0]) }})
}

// TLSFiles are the PEM files of a TLS listener that authenticates clients
// by certificate.
type TLSFiles struct {
	// CAFile holds the CAs client chains must verify to (certs chain's
	// chain.pem); CertFile and KeyFile are the server's.
	CAFile, CertFile, KeyFile string
}

// StartCertMosquitto runs mosquitto with one TLS listener that requires a
// client certificate verifying to f.CAFile and takes its CN as the
// username, as the broker's X.509 method does. tlsVersion ("tlsv1.2",
// "tlsv1.3") is the least version it accepts; "" leaves mosquitto's default.
func StartCertMosquitto(t testing.TB, f TLSFiles, tlsVersion string) *Mosquitto {
	t.Helper()
	version := ""
	if tlsVersion != "" {
		version = "tls_version " + tlsVersion + "\n"
	}
	return StartMosquitto(t, func(port int) string {
		// Without set_tcp_nodelay, mosquitto's CONNACK waits behind
		// Nagle's algorithm after its TLS 1.3 session tickets.
		return fmt.Sprintf("set_tcp_nodelay true\nlistener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n"+
			"require_certificate true\nuse_identity_as_username true\n%sallow_anonymous false\n", port, f.CAFile, f.CertFile, f.KeyFile, version)
	})
}

// MosquittoOptions shape a mosquitto for StartMosquittoWith.
type MosquittoOptions struct {
	// Ports is how many free loopback ports Config gets (default 1), for a
	// configuration with several listeners.
	Ports int
	// Dir is mosquitto's working directory, where relative file names of
	// the configuration are found; "" for the test's.
	Dir string
	// Config returns the configuration for the ports.
	Config func(ports []int) string
}

// StartMosquittoWith is StartMosquitto with several listeners or a working
// directory.
func StartMosquittoWith(t testing.TB, opts MosquittoOptions) *Mosquitto {
	t.Helper()
	bin := MosquittoBinary(t)
	n := max(opts.Ports, 1)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports := FreePorts(t, n)
		m, err := startMosquitto(t, bin, opts.Dir, ports, opts.Config(ports))
		if err == nil {
			return m
		}
		lastErr = err
	}
	t.Fatalf("starting mosquitto: %v", lastErr)
	return nil
}

func startMosquitto(t testing.TB, bin, dir string, ports []int, conf string) (*Mosquitto, error) {
	text := conf + "\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
	if os.Geteuid() == 0 {
		text += "user root\n"
	}
	file := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &Mosquitto{Ports: ports, Port: ports[0], Addr: loopback(ports[0])}
	cmd := exec.Command(bin, "-c", file)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = m, m
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	for _, port := range ports {
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			select {
			case err := <-exited:
				return nil, fmt.Errorf("mosquitto exited (%v):\n%s", err, m.Log())
			default:
			}
			if c, err := net.DialTimeout("tcp", loopback(port), time.Second); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				stop()
				return nil, fmt.Errorf("mosquitto did not listen on port %d:\n%s", port, m.Log())
			}
		}
	}
	t.Cleanup(stop)
	return m, nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
