package cmd

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/broker"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// serveBrokerOptions are the flags of `serve broker`.
type serveBrokerOptions struct {
	*rootOptions
	files       []string
	listener    string
	bind        string
	portOffset  int
	serverCert  string
	serverKey   string
	engine      verifierFlags
	tokenReview bool
	events      string
	readyFile   string
	limits      manifest.Limits

	bundle *bundle.Bundle
	cert   *tls.Certificate
	review authn.TokenReviewer
}

// readyFile is the ready-file's JSON: written once every port listens.
type readyFile struct {
	Ports []broker.Port `json:"ports"`
	// CA is the file holding the CA of the minted server certificate,
	// null when --server-cert was given or no port has TLS.
	CA *string `json:"ca"`
}

func newServeBrokerCmd(o *rootOptions) *cobra.Command {
	s := &serveBrokerOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "broker -f BUNDLE [--listener NAME] [--events FILE|-] [--ready-file F]",
		Short: "A local MQTT v5 broker that lets clients in exactly as explain decides",
		Long: strings.TrimSpace(`
Serve a BrokerListener of the bundle on this machine: each MQTT port becomes
a real listener (TLS where the port has tls), authenticated by the port's
BrokerAuthentication through the same engine as explain, with the broker's
wire behaviour:

  - CONNACK with explain's code (0x87 Not authorized, 0x8C Bad authentication
    method, or a custom auth server's reason) and explain's reason as the
    reason string; 0x05 for MQTT 3.1.1 clients; a port without
    authenticationRef lets everyone in;
  - K8S-SAT enhanced authentication at CONNECT, and re-authentication with
    AUTH 0x19: AUTH 0x00 and a new expiry when granted, AUTH 0x18 while the
    custom auth server cannot be reached, DISCONNECT otherwise (X.509 clients
    cannot re-authenticate);
  - the connection closed without DISCONNECT when the credential expires.

TLS ports present --server-cert, or a certificate minted for 127.0.0.1 and
localhost whose CA is written beside --ready-file (<name>-ca.pem; in a
temporary directory without it). Client certificates are requested, not
required, and verified by the engine, so a refused chain gets a CONNACK with
the reason. Authorization allows everything.

--events writes one JSON line per connect, reauth, expired and disconnect;
--ready-file is written once every port listens and removed on exit, for
scripts that start the broker in the background. SIGINT or SIGTERM
disconnects every client (DISCONNECT 0x8B) and exits 0. Exit 2: a bundle,
flag or port that cannot be served.`),
		Example: o.example(`
  # The bundle's only listener, as a script would run it
  kubectl aio-authn serve broker -f bundle --events events.jsonl --ready-file ready.json &

  # Tokens verified offline, every port moved up by 10000
  kubectl aio-authn serve broker -f bundle --listener default --port-offset 10000 \
    --sat-issuer-key keys/jwks.json --events -

  # Tokens verified by the cluster, as the broker does
  kubectl aio-authn serve broker -f bundle --token-review --context my-cluster`),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := s.complete(); err != nil {
				return err
			}
			return s.run(c.Context())
		},
	}
	f := c.Flags()
	addBundleFlag(f, &s.files)
	f.StringVar(&s.listener, "listener", "", "the BrokerListener to serve (needed when the bundle holds several)")
	f.StringVar(&s.bind, "bind", broker.DefaultBind, "address every port listens on")
	f.IntVar(&s.portOffset, "port-offset", 0, "added to every port number, to run beside something that holds the listener's ports")
	f.StringVar(&s.serverCert, "server-cert", "", "PEM certificate (then its intermediates) that TLS ports present; default: one minted for 127.0.0.1 and localhost")
	f.StringVar(&s.serverKey, "server-key", "", "PEM private key of --server-cert")
	s.engine.addFlags(f)
	f.BoolVar(&s.tokenReview, "token-review", false, tokenReviewUsage)
	f.StringVar(&s.events, "events", "", "append one JSON line per event to this file (- for standard output)")
	f.StringVar(&s.readyFile, "ready-file", "", "write the ports and the CA file here as JSON once every port listens")
	addManifestLimits(c, &s.limits)
	o.addKubeFlags(c)
	return c
}

func (s *serveBrokerOptions) complete() error {
	if len(s.files) == 0 {
		return exitcode.Usagef("no bundle: give the manifests with -f")
	}
	if err := s.engine.checkTokenReview(s.tokenReview); err != nil {
		return err
	}
	if err := s.engine.complete(); err != nil {
		return err
	}
	if (s.serverCert == "") != (s.serverKey == "") {
		return exitcode.Usagef("--server-cert and --server-key go together: give both, or neither to mint a certificate for 127.0.0.1 and localhost")
	}
	if s.serverCert != "" {
		cert, err := loadKeyPair(s.serverCert, s.serverKey)
		if err != nil {
			return err
		}
		s.cert = cert
	}
	b, err := bundle.Read(s.files, s.In, s.limits)
	if err != nil {
		return inputError(err, "give the bundle as files, directories or - for standard input")
	}
	printNotes(s.ErrOut, b.Notes)
	s.bundle = b
	if s.tokenReview {
		client, err := kube.NewClient(s.kube)
		if err != nil {
			return exitcode.UsageError(err)
		}
		s.review = client.TokenReviewer()
	}
	return nil
}

// loadKeyPair reads a server certificate and its key, as bounded inputs.
func loadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := input.ReadFile(certFile, input.PEM)
	if err != nil {
		return nil, exitcode.Usagef("--server-cert %v", err)
	}
	keyPEM, err := input.ReadFile(keyFile, input.PrivateKey)
	if err != nil {
		return nil, exitcode.Usagef("--server-key %v", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, exitcode.Usagef("--server-cert %s and --server-key %s: %v", certFile, keyFile, err)
	}
	return &cert, nil
}

func (s *serveBrokerOptions) run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	events, closeEvents, err := s.openEvents()
	if err != nil {
		return err
	}
	defer closeEvents()
	b, err := broker.New(broker.Options{
		Bundle:            s.bundle,
		Listener:          s.listener,
		Bind:              s.bind,
		PortOffset:        s.portOffset,
		ServerCertificate: s.cert,
		Engine: authn.Options{Keys: s.engine.keys, Issuers: s.engine.issuers, TokenReview: s.review,
			CustomTimeout: s.engine.customTimeout},
		Events: events,
	})
	if err != nil {
		return brokerError(err)
	}
	for _, w := range b.Warnings() {
		if strings.Contains(w, "nothing to verify tokens with") {
			w += ": give --sat-issuer-key or --token-review"
		}
		fmt.Fprintln(s.ErrOut, "warning: "+ui.Escape(w))
	}
	if s.readyFile != "" {
		// A ready file left by an earlier run would tell a script that
		// waits for it that this broker listens before it does.
		os.Remove(s.readyFile)
	}
	// Signals are ours before the ready file tells a script it may send
	// them.
	sig, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := b.Start(sig); err != nil {
		return brokerError(err)
	}
	// From here on the broker runs: close it on every way out.
	defer b.Close()

	caFile := ""
	if minted := b.Minted(); minted != nil {
		path, removeCA, err := pki.WriteLocalCA(minted, s.readyFile)
		if err != nil {
			return exitcode.UsageError(err)
		}
		defer removeCA()
		caFile = path
	}
	for _, p := range b.Ports() {
		what := "no TLS"
		if p.TLS {
			what = "TLS"
		}
		auth := "authentication disabled"
		if p.Authentication != "" {
			auth = "BrokerAuthentication " + p.Authentication
		}
		fmt.Fprintf(s.ErrOut, "serve broker: BrokerListener %s port %d on %s (%s, %s)\n", ui.Escape(b.ListenerName()), p.Port, p.Address, what, ui.Escape(auth))
	}
	if caFile != "" {
		fmt.Fprintf(s.ErrOut, "serve broker: TLS ports present a certificate minted for %s; its CA is %s (mosquitto_pub --cafile)\n",
			strings.Join(mintedNames(b.Minted()), ", "), ui.Escape(caFile))
	}
	if s.readyFile != "" {
		if err := s.writeReady(b.Ports(), caFile); err != nil {
			return err
		}
		defer os.Remove(s.readyFile)
	}

	<-sig.Done()
	fmt.Fprintln(s.ErrOut, "serve broker: disconnecting every client and stopping")
	if err := b.Close(); err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	return nil
}

// brokerError: what the broker cannot serve is a usage error (exit 2).
func brokerError(err error) error {
	var be *broker.Error
	if errors.As(err, &be) {
		return exitcode.UsageError(err)
	}
	return err
}

// openEvents opens --events for appending, so that a log is never
// truncated by the next run.
func (s *serveBrokerOptions) openEvents() (io.Writer, func(), error) {
	switch s.events {
	case "":
		return nil, func() {}, nil
	case "-":
		return s.Out, func() {}, nil
	}
	f, err := os.OpenFile(s.events, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, exitcode.Usagef("--events %v", err)
	}
	return f, func() { f.Close() }, nil
}

func (s *serveBrokerOptions) writeReady(ports []broker.Port, caFile string) error {
	r := readyFile{Ports: ports}
	if caFile != "" {
		r.CA = &caFile
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(s.readyFile, append(data, '\n'), pki.PublicFileMode, true)
}
