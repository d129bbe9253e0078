package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
)

func TestNewRefusesWhatItCannotServe(t *testing.T) {
	f := newFixture(t)
	listener := listenerYAML(listenerPort{port: 18883, authn: "default", tls: true})
	second := strings.Replace(listenerYAML(listenerPort{port: 1883}), "name: default", "name: plain", 1)
	for _, tc := range []struct {
		name   string
		docs   []string
		opts   Options
		reason string
	}{
		{name: "no listener", docs: []string{authnYAML("default", x509Entry)},
			reason: "no BrokerListener in "},
		{name: "several listeners", docs: []string{authnYAML("default", x509Entry), listener, second},
			reason: "the bundle holds 2 BrokerListeners (default at "},
		{name: "unknown listener", docs: []string{authnYAML("default", x509Entry), listener}, opts: Options{Listener: "defualt"},
			reason: `no BrokerListener named "defualt" in the bundle (it has default)`},
		{name: "missing authentication", docs: []string{listener},
			reason: `port 18883 of BrokerListener default (`},
		{name: "offset out of range", docs: []string{authnYAML("default", x509Entry), listener}, opts: Options{PortOffset: 50000},
			reason: "port 18883 of BrokerListener default plus --port-offset 50000 is 68883, outside 0-65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Bundle = f.bundle(t, tc.docs...)
			_, err := New(opts)
			var be *Error
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %v, want an *Error containing %q", err, tc.reason)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	f := newFixture(t)
	ws := strings.Replace(listenerYAML(listenerPort{port: 8080, authn: "default"}), "  - port: 8080\n", "  - port: 8080\n    protocol: WebSockets\n", 1)
	ws = strings.Replace(ws, "  ports:\n", "  ports:\n  - port: 0\n    authenticationRef: default\n", 1)
	b, err := New(Options{Bundle: f.bundle(t, authnYAML("default", satEntry), ws)})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(b.Warnings(), "\n")
	for _, want := range []string{
		"port 8080 of BrokerListener default is a WebSockets port, which serve broker does not serve yet: skipped",
		"BrokerAuthentication default has a ServiceAccountToken entry but nothing to verify tokens with: every token is undecided and refused with CONNACK 0x80: give --sat-issuer-key or --token-review",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings:\n%s\nwant %q", got, want)
		}
	}
	if len(b.Ports()) != 1 || b.Ports()[0].Port != 0 {
		t.Errorf("ports %+v", b.Ports())
	}
}

// TestUndecidedIsRefused: without a key, a token cannot be verified; the
// broker refuses it with 0x80 and says why.
func TestUndecidedIsRefused(t *testing.T) {
	f := newFixture(t)
	port := testenv.FreePorts(t, 1)[0]
	b, _ := start(t, Options{Bundle: f.bundle(t, authnYAML("default", satEntry), listenerYAML(listenerPort{port: port, authn: "default"}))})
	_, ack, err := connectPaho(t, b.Ports()[0].Address, nil, "unverified", authn.SATMethod, []byte(f.token(t, time.Now(), time.Hour, "aio-internal")))
	if err == nil || ack.ReasonCode != 0x80 || !strings.HasPrefix(ack.Properties.ReasonString, "serve broker cannot decide: ServiceAccountToken (entry 0): no way to verify the token's signature") {
		t.Fatalf("%v %+v %+v", err, ack, ack.Properties)
	}
}

func TestStartNamesAPortInUse(t *testing.T) {
	f := newFixture(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port
	b, err := New(Options{Bundle: f.bundle(t, listenerYAML(listenerPort{port: port}))})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Start(context.Background())
	var be *Error
	want := fmt.Sprintf("port %d of BrokerListener default: cannot listen on 127.0.0.1:%d: bind: address already in use", port, port)
	if !errors.As(err, &be) || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

// TestSilentConnectionsAreClosed: a client that connects and says nothing
// (no TLS handshake, no CONNECT) does not hold a connection for ever.
func TestSilentConnectionsAreClosed(t *testing.T) {
	f := newFixture(t)
	ports := testenv.FreePorts(t, 2)
	b, _ := start(t, Options{
		Bundle:         f.bundle(t, listenerYAML(listenerPort{port: ports[0], tls: true}, listenerPort{port: ports[1]})),
		ConnectTimeout: 200 * time.Millisecond,
	})
	for _, p := range b.Ports() {
		c, err := net.Dial("tcp", p.Address)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("port %d (TLS %v): read %v, want EOF once the broker gave up", p.Port, p.TLS, err)
		}
		c.Close()
	}
}

func TestReasonString(t *testing.T) {
	if got := reasonString("CN \"\x1b[31mred\" "); got != `CN "\x1b[31mred" ` {
		t.Errorf("escaped %q", got)
	}
	long := reasonString(strings.Repeat("é", 3000))
	if len(long) > maxReasonString || !strings.HasSuffix(long, "…") || !strings.HasPrefix(long, "éé") {
		t.Errorf("long reason: %d bytes, ends %q", len(long), long[len(long)-8:])
	}
}
