package probe_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/probe"
)

// chainDir mints a test chain (root, intermediate, client "thermostat",
// server certificate for 127.0.0.1 and localhost) as `certs chain` does.
func chainDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := pki.MintChain(pki.ChainSpec{OutDir: dir, Clients: []string{"thermostat"}, ServerSANs: []string{"localhost", "127.0.0.1"}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// clientCert loads the chain files (leaf first) and the key of a client.
func clientCert(t testing.TB, key string, certFiles ...string) *tls.Certificate {
	t.Helper()
	var chain []*x509.Certificate
	for _, f := range certFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		certs, err := pki.ParseBundle(f, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range certs {
			chain = append(chain, c.Cert)
		}
	}
	data, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := pki.ParsePrivateKey(key, data)
	if err != nil {
		t.Fatal(err)
	}
	c, err := probe.ClientCertificate(chain, signer)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func caPool(t testing.TB, file string) *x509.CertPool {
	t.Helper()
	pool, err := pki.ReadCertPool(file)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

// certMosquitto runs mosquitto with a TLS listener that requires a client
// certificate of the chain in dir, at least TLS version minVersion
// ("tlsv1.2", "tlsv1.3").
func certMosquitto(t testing.TB, dir, minVersion string) *testenv.Mosquitto {
	return testenv.StartCertMosquitto(t, testenv.TLSFiles{CAFile: filepath.Join(dir, pki.ChainFile),
		CertFile: filepath.Join(dir, pki.ServerCertFile), KeyFile: filepath.Join(dir, pki.ServerKeyFile)}, minVersion)
}

// passwordMosquitto runs mosquitto on a plain port with one user, alice,
// in a password_file made by mosquitto_passwd.
func passwordMosquitto(t testing.TB) *testenv.Mosquitto {
	t.Helper()
	testenv.MosquittoBinary(t) // skips under -short without mosquitto
	passwd := testenv.RequireProgram(t, "mosquitto_passwd")
	file := filepath.Join(t.TempDir(), "passwd")
	if out, err := exec.Command(passwd, "-b", "-c", file, "alice", "wonderland").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	return testenv.StartMosquitto(t, func(port int) string {
		return fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\n", port, file)
	})
}

func anonymousMosquitto(t testing.TB) *testenv.Mosquitto {
	return testenv.StartMosquitto(t, func(port int) string {
		return fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\n", port)
	})
}

func plain(m *testenv.Mosquitto) probe.Server {
	return probe.Server{Host: "127.0.0.1", Port: m.Port}
}

func secure(m *testenv.Mosquitto) probe.Server {
	return probe.Server{Host: "127.0.0.1", Port: m.Port, TLS: true}
}

func run(t *testing.T, cfg probe.Config, steps probe.Steps) *probe.Result {
	t.Helper()
	p, err := probe.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(steps); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return p.Probe(ctx, steps)
}

func wantOutcome(t *testing.T, r *probe.Result, want probe.Outcome) {
	t.Helper()
	if r.Outcome != want {
		t.Fatalf("outcome %s (%s), want %s; result %+v", r.Outcome, r.Error, want, r)
	}
}

func wantCode(t *testing.T, r *probe.Result, code uint8) {
	t.Helper()
	if r.Connack == nil || r.Connack.Code != code {
		t.Fatalf("CONNACK %+v, want code 0x%02X", r.Connack, code)
	}
}

func TestUsernamePassword(t *testing.T) {
	m := passwordMosquitto(t)
	r := run(t, probe.Config{Server: plain(m), Credentials: probe.Credentials{Username: "alice", Password: []byte("wonderland")}, KeepAlive: 60}, probe.Steps{})
	wantOutcome(t, r, probe.Connected)
	wantCode(t, r, 0)
	if r.Verdict() != probe.Pass {
		t.Errorf("verdict %v, want Pass", r.Verdict())
	}
	if r.Transport.TLS || r.Timings.DialMs == nil || r.Timings.TLSMs != nil || r.Timings.ConnackMs == nil {
		t.Errorf("transport %+v timings %+v", r.Transport, r.Timings)
	}
	if r.Disconnect != nil {
		t.Errorf("the probe closed the connection itself, yet Disconnect = %+v", r.Disconnect)
	}
	m.WaitLog(t, "u'alice'")

	r = run(t, probe.Config{Server: plain(m), Credentials: probe.Credentials{Username: "alice", Password: []byte("looking-glass")}}, probe.Steps{})
	wantOutcome(t, r, probe.Refused)
	wantCode(t, r, 0x87)
	if r.Connack.Name != "Not authorized" || r.Verdict() != probe.Fail {
		t.Errorf("CONNACK %+v, verdict %v", r.Connack, r.Verdict())
	}
}

// TestConnackPropertiesAsOnTheWire checks that the CONNACK's properties are
// those mosquitto sent: it sends no Retain Available property when retain
// is available, which paho's own decoding reports as true.
func TestConnackPropertiesAsOnTheWire(t *testing.T) {
	m := testenv.StartMosquitto(t, func(port int) string {
		return fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\nretain_available false\nmax_keepalive 30\n", port)
	})
	r := run(t, probe.Config{Server: plain(m), KeepAlive: 120}, probe.Steps{})
	wantOutcome(t, r, probe.Connected)
	p := r.Connack.Properties
	if p.RetainAvailable == nil || *p.RetainAvailable {
		t.Errorf("retainAvailable = %v, want false as sent", p.RetainAvailable)
	}
	if p.ServerKeepAlive == nil || *p.ServerKeepAlive != 30 {
		t.Errorf("serverKeepAlive = %v, want 30", p.ServerKeepAlive)
	}
	if p.WildcardSubscriptionAvailable != nil || p.SharedSubscriptionAvailable != nil || p.SubscriptionIdentifiersAvailable != nil {
		t.Errorf("properties mosquitto does not send are reported: %+v", p)
	}

	// Without those settings mosquitto sends no retain property at all.
	m = anonymousMosquitto(t)
	r = run(t, probe.Config{Server: plain(m), KeepAlive: 60}, probe.Steps{})
	wantOutcome(t, r, probe.Connected)
	if r.Connack.Properties.RetainAvailable != nil {
		t.Errorf("retainAvailable = %v, but mosquitto sent none", *r.Connack.Properties.RetainAvailable)
	}
}

func TestClientCertificate(t *testing.T) {
	dir := chainDir(t)
	for _, version := range []struct {
		conf string
		max  uint16
		name string
	}{
		{"tlsv1.2", tls.VersionTLS12, "TLS 1.2"},
		{"tlsv1.3", 0, "TLS 1.3"},
	} {
		t.Run(version.name, func(t *testing.T) {
			m := certMosquitto(t, dir, version.conf)
			cfg := probe.Config{
				Server:        secure(m),
				RootCAs:       caPool(t, filepath.Join(dir, pki.ChainFile)),
				MaxTLSVersion: version.max,
				Credentials:   probe.Credentials{Certificate: clientCert(t, filepath.Join(dir, "thermostat_key.pem"), filepath.Join(dir, "thermostat_cert.pem"), filepath.Join(dir, pki.IntermediateCertFile))},
				KeepAlive:     60,
			}
			r := run(t, cfg, probe.Steps{})
			wantOutcome(t, r, probe.Connected)
			tr := r.Transport
			if !tr.TLS || tr.Version != version.name || tr.Cipher == "" || tr.ClientCertSent == nil || !*tr.ClientCertSent {
				t.Errorf("transport %+v", tr)
			}
			if len(tr.ServerChain) != 2 || tr.ServerChain[1] != "CN = Test Intermediate CA, O = kubectl-aio-authn" {
				t.Errorf("server chain %q, want the server certificate and the intermediate", tr.ServerChain)
			}
			if r.Timings.TLSMs == nil {
				t.Errorf("no TLS timing: %+v", r.Timings)
			}
			m.WaitLog(t, "u'thermostat'")

			// A chain of another root: mosquitto refuses it in TLS.
			other := chainDir(t)
			cfg.Credentials.Certificate = clientCert(t, filepath.Join(other, "thermostat_key.pem"), filepath.Join(other, "thermostat_cert.pem"), filepath.Join(other, pki.IntermediateCertFile))
			r = run(t, cfg, probe.Steps{})
			wantOutcome(t, r, probe.TLSRejected)
			if r.Connack != nil || !strings.Contains(r.Error, "remote error: tls:") || r.Verdict() != probe.Fail {
				t.Errorf("connack %+v, error %q, verdict %v", r.Connack, r.Error, r.Verdict())
			}
			if tr := r.Transport; tr.ClientCertSent == nil || !*tr.ClientCertSent {
				t.Errorf("transport %+v: the client certificate was sent", tr)
			}

			// No certificate at all.
			cfg.Credentials.Certificate = nil
			r = run(t, cfg, probe.Steps{})
			wantOutcome(t, r, probe.TLSRejected)
			if !strings.Contains(r.Error, "give --cert and --key") {
				t.Errorf("error %q does not say to give a certificate", r.Error)
			}
		})
	}
}

func TestServerCertificateUntrusted(t *testing.T) {
	dir := chainDir(t)
	m := certMosquitto(t, dir, "tlsv1.2")
	other := chainDir(t)
	cfg := probe.Config{
		Server:      secure(m),
		RootCAs:     caPool(t, filepath.Join(other, pki.ChainFile)),
		Credentials: probe.Credentials{Certificate: clientCert(t, filepath.Join(dir, "thermostat_key.pem"), filepath.Join(dir, "thermostat_cert.pem"))},
	}
	r := run(t, cfg, probe.Steps{})
	wantOutcome(t, r, probe.Unreachable)
	if !strings.Contains(r.Error, "not trusted") || !strings.Contains(r.Error, "--cafile") || r.Verdict() != probe.NoVerdict {
		t.Errorf("error %q, verdict %v", r.Error, r.Verdict())
	}
	if len(r.Transport.ServerChain) != 2 {
		t.Errorf("server chain %q: the untrusted chain should be shown", r.Transport.ServerChain)
	}

	cfg.RootCAs = caPool(t, filepath.Join(dir, pki.ChainFile))
	cfg.ServerName = "mqtt.example.com"
	r = run(t, cfg, probe.Steps{})
	wantOutcome(t, r, probe.Unreachable)
	if !strings.Contains(r.Error, "--tls-server-name") {
		t.Errorf("error %q does not point to --tls-server-name", r.Error)
	}

	cfg.RootCAs, cfg.InsecureSkipVerify = nil, true
	r = run(t, cfg, probe.Steps{})
	wantOutcome(t, r, probe.Connected)
}

func TestWrongTransport(t *testing.T) {
	dir := chainDir(t)
	tlsPort := certMosquitto(t, dir, "tlsv1.2")
	r := run(t, probe.Config{Server: plain(tlsPort), Timeout: 5 * time.Second}, probe.Steps{})
	if r.Verdict() != probe.NoVerdict || !strings.Contains(r.Error, "mqtts://") {
		t.Errorf("mqtt:// to a TLS port: outcome %s, error %q", r.Outcome, r.Error)
	}
	plainPort := anonymousMosquitto(t)
	r = run(t, probe.Config{Server: secure(plainPort), Timeout: 5 * time.Second}, probe.Steps{})
	wantOutcome(t, r, probe.Unreachable)
	if !strings.Contains(r.Error, "mqtt://") {
		t.Errorf("mqtts:// to a plain port: error %q", r.Error)
	}
}

func TestServiceAccountTokenUnknownToMosquitto(t *testing.T) {
	m := anonymousMosquitto(t)
	r := run(t, probe.Config{Server: plain(m), Credentials: probe.Credentials{AuthMethod: "K8S-SAT", AuthData: []byte("a.b.c")}}, probe.Steps{})
	wantOutcome(t, r, probe.Refused)
	wantCode(t, r, 0x8C)
	if r.Connack.Name != "Bad authentication method" {
		t.Errorf("name %q", r.Connack.Name)
	}
}

func TestPubSubRoundTrip(t *testing.T) {
	m := passwordMosquitto(t)
	r := run(t, probe.Config{Server: plain(m), Credentials: probe.Credentials{Username: "alice", Password: []byte("wonderland")}, KeepAlive: 60},
		probe.Steps{PubSubTopic: "probe/round-trip"})
	wantOutcome(t, r, probe.Connected)
	ps := r.PubSub
	if ps == nil || ps.SubscribeCode == nil || *ps.SubscribeCode != 1 || ps.PublishCode == nil || *ps.PublishCode != 0 || !ps.Received || ps.RoundTripMs == nil {
		t.Fatalf("pubsub %+v", ps)
	}
	if r.Verdict() != probe.Pass {
		t.Errorf("verdict %v", r.Verdict())
	}
}

func TestClosedPort(t *testing.T) {
	r := run(t, probe.Config{Server: probe.Server{Host: "127.0.0.1", Port: closedPort(t)}}, probe.Steps{})
	wantOutcome(t, r, probe.Unreachable)
	if !strings.Contains(r.Error, "connection refused") || r.Verdict() != probe.NoVerdict || r.Connack != nil || r.Timings.DialMs == nil {
		t.Errorf("error %q, verdict %v, result %+v", r.Error, r.Verdict(), r)
	}
}

func TestRate(t *testing.T) {
	m := passwordMosquitto(t)
	p, err := probe.New(probe.Config{Server: plain(m), Credentials: probe.Credentials{Username: "alice", Password: []byte("wonderland")}, KeepAlive: 60})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rate(context.Background(), probe.RateOptions{Count: 200, Concurrency: 8})
	if r.Connects != 200 || r.OK != 200 || r.Refused != 0 || len(r.Errors) != 0 || r.Verdict() != probe.Pass {
		t.Fatalf("rate %+v", r)
	}
	if r.ConnectsPerSec <= 0 || r.LatencyMs.P50 <= 0 || r.LatencyMs.P50 > r.LatencyMs.P99 || r.LatencyMs.P99 > r.LatencyMs.Max {
		t.Errorf("rate %+v", r)
	}

	p, err = probe.New(probe.Config{Server: plain(m), Credentials: probe.Credentials{Username: "alice", Password: []byte("nope")}})
	if err != nil {
		t.Fatal(err)
	}
	r = p.Rate(context.Background(), probe.RateOptions{Count: 50, Concurrency: 4})
	if r.Connects != 50 || r.OK != 0 || r.Refused != 50 || r.Verdict() != probe.Fail {
		t.Fatalf("rate %+v", r)
	}
}

func TestRateClientCertificate(t *testing.T) {
	dir := chainDir(t)
	m := certMosquitto(t, dir, "tlsv1.2")
	cfg := probe.Config{
		Server:      secure(m),
		RootCAs:     caPool(t, filepath.Join(dir, pki.ChainFile)),
		Credentials: probe.Credentials{Certificate: clientCert(t, filepath.Join(dir, "thermostat_key.pem"), filepath.Join(dir, "thermostat_cert.pem"))},
		KeepAlive:   60,
	}
	p, err := probe.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rate(context.Background(), probe.RateOptions{Count: 100, Concurrency: 4})
	if r.Connects != 100 || r.OK != 100 || len(r.Errors) != 0 {
		t.Fatalf("rate %+v", r)
	}

	other := chainDir(t)
	cfg.Credentials.Certificate = clientCert(t, filepath.Join(other, "thermostat_key.pem"), filepath.Join(other, "thermostat_cert.pem"))
	p, err = probe.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r = p.Rate(context.Background(), probe.RateOptions{Count: 20, Concurrency: 4})
	if r.Connects != 20 || r.OK != 0 || r.Errors[probe.TLSRejected] != 20 || r.Verdict() != probe.Fail {
		t.Fatalf("rate %+v", r)
	}
}

// closedPort returns a loopback port that nothing listens on (a moment
// ago something did).
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
