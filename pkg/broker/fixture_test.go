package broker

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// fixture is what an operator has on disk for a rehearsal: a chain from
// `certs chain`, token keys from `sat keygen`, and a bundle directory.
type fixture struct {
	dir    string
	certs  string
	keys   *sat.KeySet
	signer crypto.Signer
}

const namespace = "azure-iot-operations"

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, certs: filepath.Join(dir, "certs")}
	if _, err := pki.MintChain(pki.ChainSpec{OutDir: f.certs, Clients: []string{"thermostat"}}); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if _, err := sat.Keygen(sat.KeygenSpec{OutDir: keys, KeyType: "EC"}); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.keys, err = sat.LoadKeySet(filepath.Join(keys, sat.JWKSFile)); err != nil {
		t.Fatal(err)
	}
	if f.signer, err = sat.LoadSigningKey(filepath.Join(keys, sat.SigningKeyFile)); err != nil {
		t.Fatal(err)
	}
	// A client's chain as devices present it: leaf, then intermediate.
	f.write(t, "thermostat_chain.pem", f.read(t, "certs/thermostat_cert.pem")+f.read(t, "certs/intermediate_ca_cert.pem"))
	return f
}

func (f *fixture) path(name string) string { return filepath.Join(f.dir, name) }

func (f *fixture) read(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(f.path(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func (f *fixture) write(t testing.TB, name, data string) string {
	t.Helper()
	p := f.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// token mints a token for the mqtt-client ServiceAccount, valid from now.
func (f *fixture) token(t testing.TB, now time.Time, lifetime time.Duration, audience string) string {
	t.Helper()
	tok, err := sat.Mint(sat.MintSpec{Key: f.signer, ServiceAccount: "mqtt-client", Namespace: namespace,
		Audiences: []string{audience}, Duration: lifetime, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// authnYAML is a BrokerAuthentication with the given method entries.
func authnYAML(name string, entries ...string) string {
	return fmt.Sprintf(`apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata:
  name: %s
  namespace: %s
spec:
  authenticationMethods:
%s`, name, namespace, strings.Join(entries, ""))
}

const satEntry = `    - method: ServiceAccountToken
      serviceAccountTokenSettings:
        audiences: [aio-internal]
`

const x509Entry = `    - method: X509
      x509Settings:
        trustedClientCaCert: client-ca
`

func customEntry(endpoint string) string {
	return fmt.Sprintf(`    - method: Custom
      customSettings:
        endpoint: %s
        caCertConfigMap: auth-server-ca
`, endpoint)
}

// listenerPort is one port of a BrokerListener in a test bundle.
type listenerPort struct {
	port  int
	authn string
	tls   bool
}

func listenerYAML(ports ...listenerPort) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata:
  name: default
  namespace: %s
spec:
  serviceType: LoadBalancer
  ports:
`, namespace)
	for _, p := range ports {
		fmt.Fprintf(&b, "  - port: %d\n", p.port)
		if p.authn != "" {
			fmt.Fprintf(&b, "    authenticationRef: %s\n", p.authn)
		}
		if p.tls {
			b.WriteString("    tls:\n      mode: Automatic\n")
		}
	}
	return b.String()
}

func configMapYAML(name, key, data string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  %s: |\n", name, namespace, key)
	for _, line := range strings.Split(strings.TrimRight(data, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

const serviceAccountYAML = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: mqtt-client
  namespace: azure-iot-operations
`

// bundle writes the documents, with the trusted client CA and the token's
// ServiceAccount, and reads them as serve broker does.
func (f *fixture) bundle(t testing.TB, docs ...string) *bundle.Bundle {
	t.Helper()
	all := append([]string{configMapYAML("client-ca", "client_ca.pem", f.read(t, "certs/client_ca.pem")), serviceAccountYAML}, docs...)
	p := f.write(t, "bundle/bundle.yaml", strings.Join(all, "---\n"))
	b, err := bundle.Read([]string{p}, nil, manifest.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// freePorts finds n ports nothing listens on.
// eventLog collects the broker's events.
type eventLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *eventLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *eventLog) events(t testing.TB) []Event {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var ev Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		out = append(out, ev)
	}
	return out
}

// waitFor polls the events until one satisfies match: events are written
// by the broker's goroutines, after the client has seen the packet.
func (l *eventLog) waitFor(t testing.TB, what string, match func(Event) bool) Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, ev := range l.events(t) {
			if match(ev) {
				return ev
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event; events:\n%s", what, l.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// start serves the bundle's listener; the broker closes when the test ends.
func start(t testing.TB, opts Options) (*Broker, *eventLog) {
	t.Helper()
	log := &eventLog{}
	opts.Events = log
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return b, log
}

// writeCA puts the minted server certificate's CA where clients read it.
func writeCA(t testing.TB, f *fixture, b *Broker) string {
	t.Helper()
	if b.Minted() == nil {
		t.Fatal("no minted CA")
	}
	return f.write(t, "broker-ca.pem", string(b.Minted().CAPEM()))
}

func hostPort(t testing.TB, address string) (string, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}
