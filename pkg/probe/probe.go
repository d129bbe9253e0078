// Package probe connects to a real MQTT v5 broker with a credential, the
// way a device would, and reports what happened on the wire: the outcome,
// the transport, the timing of each step, the CONNACK exactly as the broker
// sent it, and optionally a publish/subscribe round trip, a
// re-authentication and how the connection ends. A connect-rate runner
// makes the same connection many times at once and measures the broker.
//
// The MQTT client is paho.golang; the probe dials and completes the TLS
// handshake itself, so that it can time them and report what TLS did.
package probe

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eclipse/paho.golang/packets"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// DefaultTimeout bounds each network step when the caller gives none.
const DefaultTimeout = 10 * time.Second

// Credentials are what the probe presents.
type Credentials struct {
	// Username is the MQTT username, "" for none.
	Username string
	// Password is the MQTT password, nil for none.
	Password []byte
	// AuthMethod and AuthData are MQTT v5 enhanced authentication
	// (K8S-SAT and a token).
	AuthMethod string
	AuthData   []byte
	// Certificate is the client chain with its key, presented when the
	// server asks for one (see ClientCertificate).
	Certificate *tls.Certificate
}

// Config is where and how to connect.
type Config struct {
	Server Server
	// RootCAs verify the server's certificate; nil means the system's.
	RootCAs *x509.CertPool
	// ServerName is the name the server's certificate must carry;
	// "" means the server's host.
	ServerName string
	// InsecureSkipVerify accepts any server certificate.
	InsecureSkipVerify bool
	// MinTLSVersion and MaxTLSVersion bound the TLS versions offered
	// (tls.VersionTLS12, tls.VersionTLS13); zero means TLS 1.2 and the
	// newest Go knows.
	MinTLSVersion, MaxTLSVersion uint16
	Credentials                  Credentials
	// ClientID is the MQTT client identifier; "" means a random
	// "aio-authn-probe-…" (and, for a rate run, that prefix with the
	// connection's number).
	ClientID string
	// KeepAlive is the keep alive of CONNECT, in seconds; 0 turns it off.
	KeepAlive uint16
	// Timeout bounds every network step: dial, TLS handshake, CONNACK,
	// each acknowledgement, the own message, the re-authentication.
	Timeout time.Duration
}

// Steps are what to do once connected, in this order.
type Steps struct {
	// PubSubTopic, when set, asks for a publish/subscribe round trip on
	// this topic.
	PubSubTopic string
	// Reauth asks for a re-authentication (AUTH 0x19) with the
	// connection's method and ReauthData, or the CONNECT's data when
	// ReauthData is nil.
	Reauth     bool
	ReauthData []byte
	// Hold keeps the connection open this long, to see whether (and how)
	// the broker ends it.
	Hold time.Duration
}

// Prober makes connections with one configuration. It prepares what every
// connection shares (TLS configuration, parsed certificates) once, and is
// safe for concurrent use.
type Prober struct {
	cfg  Config
	addr string
	tls  *tls.Config
}

// New checks cfg and prepares a Prober.
func New(cfg Config) (*Prober, error) {
	if cfg.Server.Host == "" {
		return nil, errors.New("no server: give mqtts://HOST:PORT or mqtt://HOST:PORT")
	}
	if cfg.Credentials.Certificate != nil && !cfg.Server.TLS {
		return nil, errors.New("a client certificate needs TLS: the server is " + cfg.Server.String() + ", use mqtts://")
	}
	if len(cfg.Credentials.AuthData) > 0 && cfg.Credentials.AuthMethod == "" {
		return nil, errors.New("authentication data needs an authentication method")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "aio-authn-probe-" + randomHex(4)
	}
	p := &Prober{cfg: cfg, addr: cfg.Server.Address()}
	if cfg.Server.TLS {
		p.tls = cfg.tlsConfig()
	}
	return p, nil
}

// ClientID is the client identifier the probe connects with.
func (p *Prober) ClientID() string { return p.cfg.ClientID }

// Probe connects once, runs the steps, and closes the connection with
// DISCONNECT 0x00 unless the broker or the network closed it first.
func (p *Prober) Probe(ctx context.Context, steps Steps) *Result {
	r := &Result{Transport: Transport{TLS: p.cfg.Server.TLS}, hold: steps.Hold > 0}
	h := &handshake{}
	var dial, hs time.Duration
	conn, err := p.open(ctx, h, &dial, &hs)
	r.Timings.DialMs = msPtr(dial)
	if p.cfg.Server.TLS && hs > 0 {
		r.Timings.TLSMs = msPtr(hs)
		sent := h.certSent
		r.Transport.ClientCertSent = &sent
	}
	if err != nil {
		r.fail(err)
		r.Transport.ServerChain = unverifiedChain(err)
		return r
	}
	if tc, ok := conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		r.Transport.Version = tls.VersionName(st.Version)
		r.Transport.Cipher = tls.CipherSuiteName(st.CipherSuite)
		for _, c := range st.PeerCertificates {
			r.Transport.ServerChain = append(r.Transport.ServerChain, pki.SubjectString(c))
		}
	}

	s := p.newSession(conn)
	start := time.Now()
	ca, err := s.connect(ctx)
	r.Timings.ConnackMs = msPtr(time.Since(start))
	connectedAt := time.Now()
	if wire := s.wire.connack(); wire != nil {
		r.Connack = connackFromWire(wire)
	} else if ca != nil {
		// The recorder missed it (it never should): report what paho
		// decoded, without the properties it cannot tell apart.
		r.Connack = connackFromWire(&packets.Connack{ReasonCode: ca.ReasonCode, SessionPresent: ca.SessionPresent, Properties: &packets.Properties{}})
	}
	switch {
	case r.Connack != nil && r.Connack.Code != 0:
		r.Outcome = Refused
		return r
	case err != nil:
		r.fail(p.connectFailure(err, h.certSent))
		return r
	}
	r.Outcome = Connected

	if steps.PubSubTopic != "" {
		r.PubSub = s.pubsub(ctx, steps.PubSubTopic)
	}
	if steps.Reauth {
		data := steps.ReauthData
		if data == nil {
			data = p.cfg.Credentials.AuthData
		}
		r.Reauth = s.reauth(ctx, data)
	}
	if steps.Hold > 0 {
		t := time.NewTimer(steps.Hold)
		select {
		case <-s.ended:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	r.Disconnect = s.close(connectedAt)
	return r
}

func (r *Result) fail(err error) {
	var f *failure
	if errors.As(err, &f) {
		r.Outcome, r.Error = f.outcome, f.msg
		return
	}
	r.Outcome, r.Error = NoConnack, err.Error()
}

// unverifiedChain returns the subjects of the chain a server presented when
// the probe did not trust it, so the user sees what it was.
func unverifiedChain(err error) []string {
	var ve *tls.CertificateVerificationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	for _, c := range ve.UnverifiedCertificates {
		out = append(out, pki.SubjectString(c))
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Check says whether steps can run with this configuration.
func (p *Prober) Check(s Steps) error {
	if s.PubSubTopic != "" {
		if err := checkTopic(s.PubSubTopic); err != nil {
			return err
		}
	}
	if s.Reauth && p.cfg.Credentials.AuthMethod == "" {
		return errors.New("re-authentication needs an enhanced authentication method: give --sat-file, or --auth-method with --auth-data")
	}
	if s.Hold < 0 {
		return errors.New("the hold must not be negative")
	}
	return nil
}

// checkTopic accepts a topic the probe can both subscribe and publish to:
// a topic name, which has no wildcards (MQTT 5.0 §4.7).
func checkTopic(t string) error {
	switch {
	case len(t) > 65535:
		return errors.New("the topic is longer than MQTT's 65,535 bytes")
	case !utf8.ValidString(t):
		return errors.New("the topic is not valid UTF-8")
	case strings.ContainsAny(t, "+#"):
		return fmt.Errorf("topic %q has a wildcard: the probe publishes to it, so give a topic name without + or #", t)
	case strings.ContainsRune(t, 0):
		return errors.New("the topic contains a NUL character")
	}
	return nil
}

// SecretsInClear reports whether the probe would send a password or
// authentication data over plain TCP to another machine, where anyone on
// the path can read it.
func (p *Prober) SecretsInClear() bool {
	c := p.cfg.Credentials
	if p.cfg.Server.TLS || (c.Password == nil && len(c.AuthData) == 0) {
		return false
	}
	host := p.cfg.Server.Host
	if ip := net.ParseIP(host); ip != nil {
		return !ip.IsLoopback()
	}
	return host != "localhost"
}
