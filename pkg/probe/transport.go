package probe

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// ClientCertificate pairs a client chain (leaf first, then intermediates)
// with the leaf's private key, for the TLS handshake.
func ClientCertificate(chain []*x509.Certificate, key crypto.Signer) (*tls.Certificate, error) {
	if len(chain) == 0 {
		return nil, errors.New("the client certificate file holds no certificate")
	}
	pub, ok := chain[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("the private key is not the key of the first certificate (%s): give the leaf's key, and the leaf first in the chain", pki.SubjectString(chain[0]))
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, cert := range chain {
		c.Certificate = append(c.Certificate, cert.Raw)
	}
	return c, nil
}

// handshake is what one connection's TLS handshake did that the
// connection state does not tell.
type handshake struct {
	certSent bool
}

type handshakeKey struct{}

// tlsConfig builds the one TLS configuration every connection of a Prober
// shares: parsing CAs and keys once is what lets the connect-rate runner
// measure brokers rather than itself. Sessions are not resumed, so every
// connect is a full handshake, as a fleet of distinct devices makes.
func (c *Config) tlsConfig() *tls.Config {
	cfg := &tls.Config{
		RootCAs:            c.RootCAs,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // only when the user asks, and the output says so
		MinVersion:         c.MinTLSVersion,
		MaxVersion:         c.MaxTLSVersion,
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.Server.Host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	cert := c.Credentials.Certificate
	cfg.GetClientCertificate = func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		if h, ok := info.Context().Value(handshakeKey{}).(*handshake); ok {
			h.certSent = true
		}
		return cert, nil
	}
	return cfg
}

// failure is a connection attempt that ended without a CONNACK: the
// outcome and a message that says what happened and what to try.
type failure struct {
	outcome Outcome
	msg     string
	err     error
}

func (f *failure) Error() string { return f.msg }
func (f *failure) Unwrap() error { return f.err }

// open dials the server and, for mqtts, completes the TLS handshake, each
// step bounded by the timeout. It records the time of each step it starts.
func (p *Prober) open(ctx context.Context, h *handshake, dial, handshakeTime *time.Duration) (net.Conn, error) {
	start := time.Now()
	d := net.Dialer{Timeout: p.cfg.Timeout}
	raw, err := d.DialContext(ctx, "tcp", p.addr)
	*dial = time.Since(start)
	if err != nil {
		return nil, p.dialFailure(err)
	}
	if !p.cfg.Server.TLS {
		return raw, nil
	}
	start = time.Now()
	conn := tls.Client(raw, p.tls)
	hctx, cancel := context.WithTimeout(context.WithValue(ctx, handshakeKey{}, h), p.cfg.Timeout)
	defer cancel()
	err = conn.HandshakeContext(hctx)
	*handshakeTime = time.Since(start)
	if err != nil {
		raw.Close()
		return nil, p.handshakeFailure(err, h.certSent)
	}
	return conn, nil
}

func (p *Prober) dialFailure(err error) error {
	if isTimeout(err) {
		return &failure{Unreachable, fmt.Sprintf("no TCP connection to %s within %s", p.addr, p.cfg.Timeout), err}
	}
	return &failure{Unreachable, fmt.Sprintf("cannot connect to %s: %v", p.addr, unwrapOp(err)), err}
}

func (p *Prober) handshakeFailure(err error, certSent bool) error {
	if alert, ok := remoteAlert(err); ok {
		return &failure{TLSRejected, "the server rejected the TLS handshake: " + alert + p.rejectionHint(certSent), err}
	}
	var hostErr x509.HostnameError
	if errors.As(err, &hostErr) {
		return &failure{Unreachable, fmt.Sprintf("the server's certificate is not valid for %q: %v: give a name it carries with --tls-server-name", p.tls.ServerName, hostErr), err}
	}
	var verifyErr *tls.CertificateVerificationError
	if errors.As(err, &verifyErr) {
		return &failure{Unreachable, fmt.Sprintf("the server's certificate is not trusted: %v: give the CA that signed it with --cafile", verifyErr.Err), err}
	}
	if isTimeout(err) {
		return &failure{Unreachable, fmt.Sprintf("no TLS handshake with %s within %s", p.addr, p.cfg.Timeout), err}
	}
	msg := fmt.Sprintf("TLS handshake with %s failed: %v", p.addr, unwrapOp(err))
	if closedByPeer(err) || isNotTLS(err) {
		msg += " (does the port speak TLS? use mqtt:// for a plain port)"
	}
	return &failure{Unreachable, msg, err}
}

// connectFailure classifies a CONNECT that got no CONNACK.
func (p *Prober) connectFailure(err error, certSent bool) error {
	if alert, ok := remoteAlert(err); ok {
		// TLS 1.3 clients finish the handshake before the server has
		// looked at their certificate; its refusal arrives as an alert
		// on the first read.
		return &failure{TLSRejected, "the server rejected the TLS connection after the handshake: " + alert + p.rejectionHint(certSent), err}
	}
	if isTimeout(err) {
		return &failure{NoConnack, fmt.Sprintf("no CONNACK within %s", p.cfg.Timeout), err}
	}
	if closedByPeer(err) {
		msg := "the server closed the connection without a CONNACK"
		if !p.cfg.Server.TLS {
			msg += " (does the port expect TLS? use mqtts://)"
		}
		return &failure{NoConnack, msg, err}
	}
	return &failure{NoConnack, fmt.Sprintf("no CONNACK: %v", unwrapOp(err)), err}
}

func (p *Prober) rejectionHint(certSent bool) string {
	switch {
	case certSent:
		return " (the server did not accept the client certificate chain)"
	case p.cfg.Credentials.Certificate == nil:
		return " (the server may require a client certificate: give --cert and --key)"
	}
	return ""
}

// remoteAlert returns the text of a TLS alert the server sent.
func remoteAlert(err error) (string, bool) {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return op.Error(), true
	}
	return "", false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isNotTLS(err error) bool {
	var re tls.RecordHeaderError
	return errors.As(err, &re)
}

// unwrapOp drops the "dial tcp 127.0.0.1:1883:" prefix the message already
// says in its own words.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			return sys.Err
		}
		return op.Err
	}
	return err
}

// pendingAlert returns the TLS alert waiting to be read on conn after a
// write failed because the server reset the connection. A TLS 1.3 server
// that refuses the client certificate sends an alert and closes; a write
// that reaches it after the close draws a reset, and the alert, which
// says why, is still in the receive buffer. Anything else returns err.
func pendingAlert(conn net.Conn, err error, timeout time.Duration) error {
	if _, ok := conn.(*tls.Conn); !ok || !closedByPeer(err) {
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	var b [1]byte
	if _, rerr := conn.Read(b[:]); rerr != nil {
		if _, ok := remoteAlert(rerr); ok {
			return rerr
		}
	}
	return err
}
