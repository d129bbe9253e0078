// Package broker is a local MQTT v5 broker (mochi-mqtt) that enforces a
// bundle's authentication exactly as explain decides it: every port of a
// BrokerListener becomes a real listener (TLS where the port has tls), and
// every CONNECT, re-authentication and expiry goes through the same engine
// (pkg/authn) with the broker's wire behaviour: explain's CONNACK code and
// reason, AUTH 0x00/0x18 or DISCONNECT on re-authentication, a connection
// closed without DISCONNECT when its credential expires. Authorization
// allows everything.
//
// The package prints nothing: events go to a writer as JSON lines, and the
// caller writes the ready-file from Ready.
package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"k8s.io/utils/clock"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/customauth"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// DefaultBind is where ports listen unless told otherwise: this machine only.
const DefaultBind = "127.0.0.1"

// maxPacketSize is the largest packet a client may send: far above any
// CONNECT (authentication data is at most 64 KiB) or rehearsal message.
const maxPacketSize = 1 << 20

// DefaultConnectTimeout bounds a new connection's TLS handshake and CONNECT.
const DefaultConnectTimeout = 10 * time.Second

// Options say what to serve and how.
type Options struct {
	Bundle *bundle.Bundle
	// Listener names the BrokerListener to serve; "" for the bundle's only
	// one.
	Listener string
	// Bind is the address every port listens on; DefaultBind when "".
	Bind string
	// PortOffset is added to every port number, to run beside something
	// that holds the real ports.
	PortOffset int
	// ServerCertificate is what TLS ports present; nil mints one for
	// 127.0.0.1 and localhost (Minted).
	ServerCertificate *tls.Certificate
	// Engine are the verifiers of every BrokerAuthentication's engine.
	Engine authn.Options
	// Events receives one JSON line per event; nil for none.
	Events io.Writer
	// Clock gives the time of decisions and runs expiry timers; the real
	// clock when nil.
	Clock clock.WithDelayedExecution
	// ConnectTimeout bounds each connection's TLS handshake and CONNECT;
	// DefaultConnectTimeout when zero.
	ConnectTimeout time.Duration
}

// Error is a bundle, option or port the broker cannot serve. The command
// reports it as a usage error.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Broker is the local broker. New prepares it, Start binds every port and
// serves, Close disconnects every client and stops.
type Broker struct {
	opts     Options
	listener *bundle.Listener
	ports    []*port
	byID     map[string]*port
	minted   *pki.LocalServer
	tls      *tls.Config
	warnings []string
	clock    clock.WithDelayedExecution
	events   *events
	// decisionTimeout bounds one engine call (a custom server's answer, a
	// TokenReview).
	decisionTimeout time.Duration

	server    *mqtt.Server
	ctx       context.Context
	cancel    context.CancelFunc
	closeOnce sync.Once
	closing   atomic.Bool

	mu    sync.Mutex
	conns map[*mqtt.Client]*conn
	byNet map[net.Conn]*mqtt.Client
}

// port is one served port of the listener.
type port struct {
	number  int32
	address string
	tls     bool
	// authn is the authenticationRef, "" when authentication is disabled
	// (engine nil then).
	authn    string
	engine   *authn.Engine
	listener *listener
}

// Port is a served port as the ready-file lists it.
type Port struct {
	// Port is the number in the BrokerListener.
	Port int32 `json:"port"`
	TLS  bool  `json:"tls"`
	// Address is where it listens (bind address, port plus offset).
	Address string `json:"address"`
	// Authentication is the port's authenticationRef, "" when
	// authentication is disabled.
	Authentication string `json:"-"`
}

// New checks the bundle and options and prepares one engine per
// BrokerAuthentication the ports reference. It binds nothing.
func New(opts Options) (*Broker, error) {
	if opts.Bundle == nil {
		return nil, errorf("no bundle")
	}
	b := &Broker{opts: opts, byID: map[string]*port{}, clock: opts.Clock, conns: map[*mqtt.Client]*conn{}, byNet: map[net.Conn]*mqtt.Client{},
		events: &events{w: opts.Events}}
	if b.clock == nil {
		b.clock = clock.RealClock{}
	}
	if b.opts.Bind == "" {
		b.opts.Bind = DefaultBind
	}
	if b.opts.ConnectTimeout <= 0 {
		b.opts.ConnectTimeout = DefaultConnectTimeout
	}
	custom := opts.Engine.CustomTimeout
	if custom <= 0 {
		custom = customauth.DefaultTimeout
	}
	b.decisionTimeout = custom + 10*time.Second

	l, err := pickListener(opts.Bundle, opts.Listener)
	if err != nil {
		return nil, err
	}
	b.listener = l
	engines := map[string]*authn.Engine{}
	anyTLS := false
	for _, p := range l.Spec.Ports {
		if p.Protocol == v1.ProtocolWebSockets {
			b.warnings = append(b.warnings, fmt.Sprintf("port %d of BrokerListener %s is a %s port, which serve broker does not serve yet: skipped", p.Port, l.Name, p.Protocol))
			continue
		}
		number := int(p.Port) + opts.PortOffset
		if number < 0 || number > 65535 {
			return nil, errorf("port %d of BrokerListener %s plus --port-offset %d is %d, outside 0-65535", p.Port, l.Name, opts.PortOffset, number)
		}
		sp := &port{number: p.Port, address: net.JoinHostPort(b.opts.Bind, strconv.Itoa(number)), tls: p.TLS != nil, authn: p.AuthenticationRef}
		if sp.authn != "" {
			e, ok := engines[sp.authn]
			if !ok {
				a, err := opts.Bundle.Authentication(sp.authn)
				if err != nil {
					return nil, errorf("port %d of BrokerListener %s (%s) references BrokerAuthentication %q: %v", p.Port, l.Name, l.Position, sp.authn, err)
				}
				e = authn.New(opts.Bundle.Config(a), opts.Engine)
				engines[sp.authn] = e
				for _, n := range a.Notes {
					b.warnings = append(b.warnings, "BrokerAuthentication "+a.Name+": conversion: "+n)
				}
				if hasSAT(a) && opts.Engine.Keys == nil && opts.Engine.TokenReview == nil {
					b.warnings = append(b.warnings, fmt.Sprintf("BrokerAuthentication %s has a ServiceAccountToken entry but nothing to verify tokens with: "+
						"every token is undecided and refused with CONNACK 0x80: give --sat-issuer-key or --token-review", a.Name))
				}
			}
			sp.engine = e
		}
		anyTLS = anyTLS || sp.tls
		b.ports = append(b.ports, sp)
		b.byID[strconv.Itoa(int(p.Port))] = sp
	}
	if len(b.ports) == 0 {
		return nil, errorf("BrokerListener %s (%s) has no MQTT port to serve", l.Name, l.Position)
	}
	if anyTLS {
		cert := opts.ServerCertificate
		if cert == nil {
			b.minted, err = pki.MintLocalServer(time.Now(), b.opts.Bind)
			if err != nil {
				return nil, err
			}
			cert = &b.minted.Certificate
		}
		b.tls = serverTLS(cert)
	}
	return b, nil
}

func hasSAT(a *bundle.Authentication) bool {
	for _, m := range a.Spec.AuthenticationMethods {
		if m.Method == v1.MethodServiceAccountToken {
			return true
		}
	}
	return false
}

// pickListener finds the named BrokerListener, or the bundle's only one.
func pickListener(b *bundle.Bundle, name string) (*bundle.Listener, error) {
	switch {
	case len(b.Listeners) == 0:
		return nil, errorf("no BrokerListener in %s: add one to the bundle (kubectl aio-authn generate listener --port 18883 --authn NAME)", strings.Join(b.Files, ", "))
	case name == "" && len(b.Listeners) > 1:
		all := make([]string, len(b.Listeners))
		for i, l := range b.Listeners {
			all[i] = l.Name + " at " + l.Position
		}
		return nil, errorf("the bundle holds %d BrokerListeners (%s): choose one with --listener NAME", len(all), strings.Join(all, ", "))
	}
	for _, l := range b.Listeners {
		if name == "" || l.Name == name {
			return l, nil
		}
	}
	all := make([]string, len(b.Listeners))
	for i, l := range b.Listeners {
		all[i] = l.Name
	}
	sort.Strings(all)
	return nil, errorf("no BrokerListener named %q in the bundle (it has %s)", name, strings.Join(all, ", "))
}

// Warnings are what the operator should know before clients connect: ports
// skipped, tokens that cannot be verified, conversion notes.
func (b *Broker) Warnings() []string { return b.warnings }

// ListenerName is the BrokerListener served.
func (b *Broker) ListenerName() string { return b.listener.Name }

// Minted is the server certificate minted for the TLS ports, with its CA
// for clients to trust; nil when Options.ServerCertificate was given or no
// port has TLS.
func (b *Broker) Minted() *pki.LocalServer { return b.minted }

// Ports lists the served ports; after Start, with the addresses bound.
func (b *Broker) Ports() []Port {
	out := make([]Port, len(b.ports))
	for i, p := range b.ports {
		addr := p.address
		if p.listener != nil {
			addr = p.listener.Address()
		}
		out[i] = Port{Port: p.number, TLS: p.tls, Address: addr, Authentication: p.authn}
	}
	return out
}

// Start binds every port (all or none) and serves until Close, or until ctx
// is done, which closes the broker as Close does. A port that cannot be
// bound is an *Error naming it.
func (b *Broker) Start(ctx context.Context) error {
	b.ctx, b.cancel = context.WithCancel(ctx)
	caps := mqtt.NewDefaultServerCapabilities()
	// What one idle connection holds is mostly its queue of pending
	// writes; a rehearsal needs far fewer than mochi's default of 8192.
	caps.MaximumClientWritesPending = 256
	// mochi allocates a packet's full length before reading it, CONNECT
	// included: bound what a client can make it allocate before it is
	// authenticated (MQTT's own bound is 256 MiB).
	caps.MaximumPacketSize = maxPacketSize
	s := mqtt.New(&mqtt.Options{
		Capabilities: caps,
		Logger:       slog.New(slog.DiscardHandler),
		// $SYS topics once a minute: they are noise in a rehearsal.
		SysTopicResendInterval: 60,
	})
	if err := s.AddHook(&hook{b: b}, nil); err != nil {
		return err
	}
	for _, p := range b.ports {
		l := &listener{id: strconv.Itoa(int(p.number)), address: p.address, connectTimeout: b.opts.ConnectTimeout, ended: b.connectionEnded}
		if p.tls {
			l.tls = b.tls
		}
		if err := s.AddListener(l); err != nil {
			for _, q := range b.ports {
				if q.listener != nil {
					q.listener.ln.Close()
				}
			}
			return errorf("port %d of BrokerListener %s: cannot listen on %s: %v", p.number, b.listener.Name, p.address, unwrapOpError(err))
		}
		p.listener = l
	}
	if err := s.Serve(); err != nil {
		return err
	}
	b.server = s
	context.AfterFunc(b.ctx, func() { b.Close() })
	return nil
}

// unwrapOpError drops net.OpError's "listen tcp ADDR:" prefix, which the
// message says already.
func unwrapOpError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// Close sends every client DISCONNECT 0x8B (Server shutting down), closes
// every connection and port, and returns once every connection is over.
// Decisions in progress are cancelled.
// Closing again waits for the first Close and does nothing more.
func (b *Broker) Close() error {
	if b.server == nil {
		return nil
	}
	var err error
	b.closeOnce.Do(func() {
		b.closing.Store(true)
		b.cancel()
		err = b.server.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.mu.Lock()
			c.stopTimer()
			c.mu.Unlock()
		}
		b.mu.Unlock()
		if err == nil {
			err = b.events.failure()
		}
	})
	return err
}

// serverTLS is the TLS configuration of every TLS port. The client's
// certificate is requested, not verified: the engine verifies the chain at
// CONNECT against the port's BrokerAuthentication, as explain does, and
// puts its reason in the CONNACK.
func serverTLS(cert *tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*cert},
		ClientAuth:   tls.RequestClientCert,
	}
}
