package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/customauth"
	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// Bounds of the custom auth server. The broker holds a client's CONNECT
// while it waits for the answer, so every request is small and quick; these
// only stop a slow or stuck caller from holding a connection.
const (
	customAuthReadHeaderTimeout = 5 * time.Second
	customAuthReadTimeout       = 10 * time.Second
	customAuthWriteTimeout      = 10 * time.Second
	customAuthIdleTimeout       = 2 * time.Minute
	customAuthMaxHeaderBytes    = 64 << 10
	// shutdownTimeout bounds the wait for requests being answered when
	// the server is stopped.
	shutdownTimeout = 5 * time.Second
)

// serveCustomAuthOptions are the flags of `serve custom-auth`.
type serveCustomAuthOptions struct {
	*rootOptions
	users     string
	listen    string
	cert      string
	key       string
	clientCA  string
	events    string
	readyFile string
}

// customAuthReady is the ready file: written once the server listens.
type customAuthReady struct {
	// Listen is the address the server listens on (the port chosen when
	// --listen asked for port 0).
	Listen string `json:"listen"`
	// Endpoint is the URL for customSettings.endpoint.
	Endpoint string `json:"endpoint"`
	// CA is the PEM file of the CA of a minted server certificate (beside
	// the ready file), "" with --cert.
	CA string `json:"ca,omitempty"`
}

func newServeCustomAuthCmd(o *rootOptions) *cobra.Command {
	opts := &serveCustomAuthOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "custom-auth --users FILE [--listen 127.0.0.1:8443] [--cert F --key F] [--client-ca F]",
		Short: "Run a custom authentication server (API 0.5.0) that answers from a users file",
		Long: strings.TrimSpace(`
Run a custom authentication server for the broker's Custom method: HTTPS,
API 0.5.0 (POST /?api-version=0.5.0), answering as Microsoft's sample
server does, with decisions from a users file:

  users:                       # username/password CONNECTs
  - username: alice
    password: wonderland       # or passwordHash: "$2y$..." (bcrypt)
    attributes: {group: g1}    # sent back as attributes
    expiresAfter: 1h           # or expiry: 2030-01-01T00:00:00Z
  - username: bob
    deny: {reason: 138, message: "account locked"}   # 403 with this body
  certificates:                # CONNECTs with a client chain: the leaf
  - subject: "CN = smart-fan"  # or sha256: <hex of the leaf's DER>
    attributes: {device: fan}
  enhanced:                    # CONNECT or AUTH with enhanced authentication
  - method: PSK-DEMO
    dataSha256: <hex of the SHA-256 of the data>

The first entry that matches answers: the leaf certificate, then the
enhanced authentication, then the username and password. Anything else is
denied with 403 {"reason": 135}. SIGHUP reloads the file (a bad file is
reported and the previous one kept).

Without --cert and --key the server mints a certificate for 127.0.0.1,
::1 and localhost (and the --listen host when it is a specific one); its CA
is written beside --ready-file (ready.json: ready-ca.pem), or without one
into a temporary directory named on standard error, for clients to trust:
the caCertConfigMap of the BrokerAuthentication, or curl --cacert. Both go
when the server stops. --client-ca requires a client certificate signed by one of its
CAs, as the broker presents with customSettings.auth.x509.

--events writes one JSON line per request (time, event, remote, type,
username, decision, status, reason, message, entry), never a password or
authentication data. --ready-file is written once the server listens:
{"listen", "endpoint", "ca"}. SIGINT and SIGTERM stop the server after the
requests being answered (exit 0).`),
		Example: o.example(`
  # Serve on 127.0.0.1:8443 with a minted certificate; its CA lands in ready-ca.pem
  kubectl aio-authn serve custom-auth --users users.yaml --ready-file ready.json --events -

  # Ask it, as the broker would
  curl --cacert ready-ca.pem -H 'Content-Type: application/json' \
    -d '{"type":"connect","username":"alice","password":"d29uZGVybGFuZA=="}' \
    'https://127.0.0.1:8443/?api-version=0.5.0'

  # Your own certificate, and the broker's client certificate required
  kubectl aio-authn serve custom-auth --users users.yaml --listen 0.0.0.0:8443 \
    --cert server_cert.pem --key server_key.pem --client-ca client_ca.pem`),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return opts.run(c.Context()) },
	}
	f := c.Flags()
	f.StringVar(&opts.users, "users", "", "users file: the users, certificates and enhanced authentication to answer (required)")
	f.StringVar(&opts.listen, "listen", "127.0.0.1:8443", "address to listen on (port 0: any free port, see --ready-file)")
	f.StringVar(&opts.cert, "cert", "", "PEM file of the server's certificate, leaf first (with --key; default: minted for 127.0.0.1 and localhost)")
	f.StringVar(&opts.key, "key", "", "PEM file of the server's private key (with --cert)")
	f.StringVar(&opts.clientCA, "client-ca", "", "PEM file of the CAs that sign the broker's client certificate: require one")
	f.StringVar(&opts.events, "events", "", "append one JSON line per request to this file (- for standard output)")
	f.StringVar(&opts.readyFile, "ready-file", "", "write {listen, endpoint, ca} to this file once listening (and a minted certificate's CA beside it)")
	for _, name := range []string{"users", "cert", "key", "client-ca", "events", "ready-file"} {
		_ = c.MarkFlagFilename(name)
	}
	return c
}

func (o *serveCustomAuthOptions) run(ctx context.Context) error {
	if o.users == "" {
		return exitcode.Usagef("--users is required: the file of the users, certificates and enhanced authentication to answer (see --help)")
	}
	users, err := customauth.LoadUsers(o.users)
	if err != nil {
		return exitcode.UsageError(escapeError(err))
	}
	host, _, _ := net.SplitHostPort(o.listen)
	tlsConfig, minted, err := customauth.NewTLSConfig(customauth.TLSOptions{CertFile: o.cert, KeyFile: o.key, Host: host, ClientCAFile: o.clientCA})
	if err != nil {
		return exitcode.UsageError(escapeError(err))
	}
	events, closeEvents, err := o.openEvents()
	if err != nil {
		return exitcode.UsageError(err)
	}
	defer closeEvents()

	if o.readyFile != "" {
		// A ready file left by an earlier run would tell a script that
		// waits for it that this server listens before it does.
		os.Remove(o.readyFile)
	}
	srv := customauth.NewServer(users)
	srv.OnRequest = events
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return exitcode.Usagef("cannot listen on %s: %v: choose another --listen", ui.Escape(o.listen), cause(err))
	}
	httpServer := &http.Server{
		Handler:           srv,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: customAuthReadHeaderTimeout,
		ReadTimeout:       customAuthReadTimeout,
		WriteTimeout:      customAuthWriteTimeout,
		IdleTimeout:       customAuthIdleTimeout,
		MaxHeaderBytes:    customAuthMaxHeaderBytes,
		// Failed handshakes (a client that does not trust the server, or
		// no client certificate with --client-ca) are worth seeing.
		ErrorLog: log.New(escapingWriter{o.ErrOut}, "", 0),
	}
	// Signals are ours before the ready file tells a script it may send
	// them (SIGHUP would otherwise end the process).
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	addr := ln.Addr().String()
	ready := customAuthReady{Listen: addr, Endpoint: "https://" + addr}
	if minted != nil {
		ca, removeCA, err := pki.WriteLocalCA(minted, o.readyFile)
		if err != nil {
			ln.Close()
			return exitcode.UsageError(err)
		}
		defer removeCA()
		ready.CA = ca
	}
	if o.readyFile != "" {
		data, _ := json.Marshal(ready)
		if err := atomicfile.WriteFile(o.readyFile, append(data, '\n'), pki.PublicFileMode, true); err != nil {
			ln.Close()
			return exitcode.UsageError(err)
		}
		// Gone with the server: a script must not take a stale file for
		// a running server.
		defer os.Remove(o.readyFile)
	}

	fmt.Fprintf(o.ErrOut, "serving the custom auth API %s on %s with %s (%s)\n", customauth.APIVersion, ready.Endpoint, ui.Escape(o.users), users.Summary())
	if minted != nil {
		fmt.Fprintf(o.ErrOut, "the server's certificate is minted for %s; its CA is %s\n", strings.Join(mintedNames(minted), ", "), ui.Escape(ready.CA))
	}

	served := make(chan error, 1)
	go func() { served <- httpServer.ServeTLS(ln, "", "") }()
	for {
		select {
		case err := <-served:
			return fmt.Errorf("the server stopped: %w", err)
		case <-ctx.Done():
			return o.shutdown(httpServer)
		case sig := <-signals:
			if sig != syscall.SIGHUP {
				return o.shutdown(httpServer)
			}
			if err := srv.Reload(); err != nil {
				fmt.Fprintf(o.ErrOut, "reload failed, still answering from the previous file: %s\n", ui.Escape(err.Error()))
				continue
			}
			fmt.Fprintf(o.ErrOut, "reloaded %s (%s)\n", ui.Escape(o.users), srv.Users().Summary())
		}
	}
}

func (o *serveCustomAuthOptions) shutdown(s *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		s.Close()
	}
	fmt.Fprintln(o.ErrOut, "stopped")
	return nil
}

// openEvents returns the function that writes one event line, and what
// closes the file. Lines are written whole, one request at a time.
func (o *serveCustomAuthOptions) openEvents() (func(customauth.Event), func(), error) {
	if o.events == "" {
		return nil, func() {}, nil
	}
	var w io.Writer = o.Out
	closeFile := func() {}
	if o.events != "-" {
		// Appended to, never truncated: the file is the operator's log.
		f, err := os.OpenFile(o.events, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("--events %s: %v", ui.Escape(o.events), cause(err))
		}
		w, closeFile = f, func() { f.Close() }
	}
	var mu sync.Mutex
	failed := false
	return func(e customauth.Event) {
		line, _ := json.Marshal(e)
		mu.Lock()
		defer mu.Unlock()
		if _, err := w.Write(append(line, '\n')); err != nil && !failed {
			failed = true
			fmt.Fprintf(o.ErrOut, "writing events: %s\n", ui.Escape(err.Error()))
		}
	}, closeFile, nil
}

// mintedNames are the names a minted certificate is valid for.
func mintedNames(l *pki.LocalServer) []string {
	names := append([]string(nil), l.Certificate.Leaf.DNSNames...)
	for _, ip := range l.Certificate.Leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// escapingWriter escapes control characters of what it is given (text that
// names outside data) before it reaches the terminal.
type escapingWriter struct{ w io.Writer }

func (e escapingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(e.w, ui.EscapeLines(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// cause is what a *net.OpError or *fs.PathError wraps ("bind: address
// already in use"), without the operation and address they repeat.
func cause(err error) error {
	if inner := errors.Unwrap(err); inner != nil {
		return inner
	}
	return err
}

// escapeError escapes an error's text, which may quote the file it read.
func escapeError(err error) error { return errors.New(ui.Escape(err.Error())) }
