package customauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// TLSOptions say how a server presents itself and whom it lets connect.
type TLSOptions struct {
	// CertFile and KeyFile are the server's certificate (PEM, leaf first,
	// then intermediates) and key. Both empty: a certificate for
	// 127.0.0.1, ::1 and localhost is minted (see pki.MintLocalServer).
	CertFile, KeyFile string
	// Host is the host the server listens on, which a minted certificate
	// names too when it is a specific address or name.
	Host string
	// ClientCAFile, when set, makes the server require a client
	// certificate signed by one of its CAs, as the broker presents its
	// customSettings.auth.x509 certificate.
	ClientCAFile string
	// Now is when a minted certificate starts; time.Now when zero.
	Now time.Time
}

// NewTLSConfig builds the server's TLS configuration from opts. minted is
// the identity minted when opts name no certificate, nil otherwise.
// Errors name the file and the fix.
func NewTLSConfig(opts TLSOptions) (config *tls.Config, minted *pki.LocalServer, err error) {
	config = &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case opts.CertFile == "" && opts.KeyFile == "":
		now := opts.Now
		if now.IsZero() {
			now = time.Now()
		}
		if minted, err = pki.MintLocalServer(now, opts.Host); err != nil {
			return nil, nil, err
		}
		config.Certificates = []tls.Certificate{minted.Certificate}
	case opts.CertFile == "" || opts.KeyFile == "":
		return nil, nil, errors.New("--cert and --key go together: give both, or neither to mint a certificate for 127.0.0.1 and localhost")
	default:
		certPEM, err := input.ReadFile(opts.CertFile, input.PEM)
		if err != nil {
			return nil, nil, err
		}
		keyPEM, err := input.ReadFile(opts.KeyFile, input.PrivateKey)
		if err != nil {
			return nil, nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, nil, fmt.Errorf("%s and %s: %v: give the server's certificate (leaf first) and its own key", opts.CertFile, opts.KeyFile, err)
		}
		config.Certificates = []tls.Certificate{cert}
	}
	if opts.ClientCAFile != "" {
		data, err := input.ReadFile(opts.ClientCAFile, input.PEM)
		if err != nil {
			return nil, nil, err
		}
		certs, err := pki.ParseBundle(opts.ClientCAFile, data)
		if err != nil {
			return nil, nil, err
		}
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c.Cert)
		}
		// Like the sample server with a client CA: no certificate, or
		// one no CA of the file signed, ends the handshake.
		config.ClientCAs = pool
		config.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return config, minted, nil
}
