package cmd

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/broker"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
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
	server      serverCertFlags
	engine      verifierFlags
	tokenReview bool
	events      string
	readyFile   readyFile
	limits      manifest.Limits

	bundle *bundle.Bundle
	cert   *tls.Certificate
	review authn.TokenReviewer
}

// brokerReady is the ready file's JSON: written once every port listens.
type brokerReady struct {
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
	s.server.addFlags(c)
	s.engine.addFlags(f)
	f.BoolVar(&s.tokenReview, "token-review", false, tokenReviewUsage)
	f.StringVar(&s.events, "events", "", "append one JSON line per event to this file (- for standard output)")
	s.readyFile.addFlag(f, "write the ports and the CA file here as JSON once every port listens")
	addManifestLimits(c, &s.limits)
	o.addKubeFlags(c)
	return c
}

func (s *serveBrokerOptions) complete() error {
	if len(s.files) == 0 {
		return usagef("no bundle: give the manifests with -f")
	}
	if err := s.engine.checkTokenReview(s.tokenReview); err != nil {
		return err
	}
	if err := s.engine.complete(); err != nil {
		return err
	}
	cert, err := s.server.load()
	if err != nil {
		return err
	}
	s.cert = cert
	b, err := bundle.Read(s.files, s.In, s.limits)
	if err != nil {
		return inputError(err, "give the bundle as files, directories or - for standard input")
	}
	printNotes(s.ErrOut, b.Notes)
	s.bundle = b
	if s.tokenReview {
		client, err := kube.NewClient(s.kube)
		if err != nil {
			return err
		}
		s.review = client.TokenReviewer()
	}
	return nil
}

func (s *serveBrokerOptions) run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	events, closeEvents, err := openEvents(s.events, s.Out)
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
		return err
	}
	for _, w := range b.Warnings() {
		fmt.Fprintln(s.ErrOut, "warning: "+ui.Escape(w))
	}
	s.readyFile.clear()
	// Signals are ours before the ready file tells a script it may send
	// them.
	sig, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := b.Start(sig); err != nil {
		return err
	}
	// From here on the broker runs: close it on every way out.
	defer b.Close()

	caFile := ""
	if minted := b.Minted(); minted != nil {
		path, removeCA, err := pki.WriteLocalCA(minted, string(s.readyFile))
		if err != nil {
			return usage(err)
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
	ready := brokerReady{Ports: b.Ports()}
	if caFile != "" {
		ready.CA = &caFile
	}
	removeReady, err := s.readyFile.write(ready)
	if err != nil {
		return err
	}
	defer removeReady()

	<-sig.Done()
	fmt.Fprintln(s.ErrOut, "serve broker: disconnecting every client and stopping")
	if err := b.Close(); err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	return nil
}
