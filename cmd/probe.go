package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/probe"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// probeOptions are the flags of `probe`.
type probeOptions struct {
	*rootOptions
	// predict holds the client's credentials (explain's flags) and, with
	// -f or --from-cluster, the bundle explain predicts with.
	predict explainOptions

	server        string
	caFile        string
	serverName    string
	insecure      bool
	keyFile       string
	clientID      string
	keepAlive     time.Duration
	timeout       time.Duration
	pubsub        string
	reauth        bool
	reauthSATFile string
	hold          time.Duration
	count         int
	concurrency   int
	strict        bool
	output        string

	prober     *probe.Prober
	steps      probe.Steps
	prediction *authn.Decision
	target     explain.Target
}

// engineFlagNames are the flags that only shape the prediction.
var engineFlagNames = []string{"authn", "listener", "port", "sat-issuer-key", "sat-issuer", "token-review", "custom-result", "adr-device", "custom-timeout", "strict"}

func newProbeCmd(o *rootOptions) *cobra.Command {
	p := &probeOptions{rootOptions: o}
	// The prediction reads the cluster with kubectl's flags, except those
	// whose names probe gives to the broker: --server, --tls-server-name
	// and --insecure-skip-tls-verify. The kubeconfig's values apply there.
	flags := kube.NewConfigFlags()
	flags.APIServer, flags.TLSServerName, flags.Insecure = nil, nil, nil
	predictRoot := *o
	predictRoot.kube = flags
	p.predict.rootOptions = &predictRoot
	c := &cobra.Command{
		Use:   "probe --server mqtts://HOST:PORT [credentials] [-f BUNDLE [--listener NAME]]",
		Short: "Connect to a real MQTT broker with a credential, report what happened, and compare with explain",
		Long: strings.TrimSpace(`
Connect to an MQTT v5 broker the way a device would, with explain's
credential flags (a client certificate chain with its key, a service
account token, a username and password), and report what happened: the
outcome (connected, refused, TLS-rejected, no CONNACK, unreachable), the
transport (TLS version, cipher, whether a client certificate was sent, the
server's chain), how long each step took, and the CONNACK exactly as the
broker sent it (only the properties it carried).

Then, if asked: a publish/subscribe round trip (--pubsub TOPIC), a
re-authentication (--reauth: AUTH 0x19 with the same token, or a new one
from --reauth-sat-file), and holding the connection (--hold) to see how the
broker ends it: a DISCONNECT with its code, or a close without one, which is
how the broker ends a connection whose token expired.

With -f BUNDLE (or --from-cluster) the same credentials also go through
explain's engine, and the prediction is printed beside the live result:
they agree when both let the client in or both keep it out (a TLS rejection
agrees with a denial: the broker checks client chains in the handshake).
--strict makes a disagreement exit 1.

--count N --concurrency C makes N connections, C at a time, each a full
TCP and TLS connect, CONNECT and CONNACK, then DISCONNECT, and reports
connects per second and latency percentiles (dial to CONNACK).

Exit status: 0 connected and every asked step succeeded; 1 refused,
TLS-rejected, re-authentication failed, subscribe or publish refused, the
connection ended during --hold, or (with --strict) a disagreement with the
prediction; 2 bad flags or unreadable input; 3 no verdict (unreachable,
timeout, closed without CONNACK, server certificate not trusted).`),
		Example: o.example(`
  # Does this device certificate get in?
  kubectl aio-authn probe --server mqtts://mqtt.example.com:8883 --cafile ca.pem \
    --cert thermostat_chain.pem --key thermostat_key.pem

  # A service account token, with a round trip and a re-authentication
  kubectl aio-authn probe --server mqtts://mqtt.example.com:8883 --cafile ca.pem \
    --sat-file token --pubsub probe/hello --reauth

  # The live result beside explain's prediction for the listener's port
  kubectl aio-authn probe --server mqtts://mqtt.example.com:18883 --cafile ca.pem \
    --cert thermostat_chain.pem --key thermostat_key.pem -f ./manifests --listener default --strict

  # Connect rate: 10000 connections, 50 at a time
  kubectl aio-authn probe --server mqtts://127.0.0.1:8883 --cafile ca.pem \
    --cert thermostat_chain.pem --key thermostat_key.pem --count 10000 --concurrency 50`),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := p.complete(c); err != nil {
				return err
			}
			return p.run(c.Context())
		},
	}
	f := c.Flags()
	f.StringVar(&p.server, "server", "", "the broker: mqtts://HOST:PORT (TLS) or mqtt://HOST:PORT (plain TCP)")
	f.StringVar(&p.caFile, "cafile", "", "PEM file of the CA certificates to verify the server with (default: the system's)")
	f.StringVar(&p.serverName, "tls-server-name", "", "the name the server's certificate must carry (default: the host of --server)")
	f.BoolVar(&p.insecure, "insecure-skip-tls-verify", false, "accept any server certificate (the server's chain is still shown)")
	p.predict.addCredentialFlags(c)
	f.StringVar(&p.keyFile, "key", "", "PEM private key of the --cert leaf")
	f.StringVar(&p.clientID, "client-id", "", "MQTT client identifier (default: aio-authn-probe- and random hex; with --count, -N is appended)")
	f.DurationVar(&p.keepAlive, "keepalive", 60*time.Second, "keep alive sent in CONNECT (whole seconds, 0 for none)")
	f.DurationVar(&p.timeout, "timeout", probe.DefaultTimeout, "bound on each network step: dial, TLS, CONNACK, each acknowledgement, the re-authentication")
	f.StringVar(&p.pubsub, "pubsub", "", "subscribe to this topic, publish to it and wait for the message to come back (QoS 1)")
	f.BoolVar(&p.reauth, "reauth", false, "re-authenticate once connected (AUTH 0x19) with the same token")
	f.StringVar(&p.reauthSATFile, "reauth-sat-file", "", "re-authenticate with this service account token instead (implies --reauth)")
	f.DurationVar(&p.hold, "hold", 0, "stay connected this long and report how the broker ends the connection, if it does")
	f.IntVar(&p.count, "count", 0, "connect-rate run: make this many connections and report connects/s and latency")
	f.IntVar(&p.concurrency, "concurrency", 1, "with --count: connections made at once")
	addBundleFlag(f, &p.predict.files)
	p.predict.addEngineFlags(c)
	p.predict.cluster.addFlags(c, p.predict.rootOptions)
	f.BoolVar(&p.strict, "strict", false, "exit 1 when the live result and the prediction disagree")
	addOutputFlag(c, &p.output, "text", "json", "yaml")
	return c
}

func (p *probeOptions) complete(c *cobra.Command) error {
	f := c.Flags()
	if err := p.predict.clientFlags.complete(f); err != nil {
		return err
	}
	if p.server == "" {
		return usagef("no broker: give --server mqtts://HOST:PORT (or mqtt:// for plain TCP)")
	}
	srv, err := probe.ParseServer(p.server)
	if err != nil {
		return usagef("--server %v", err)
	}
	if err := p.checkNumbers(f.Changed("concurrency")); err != nil {
		return err
	}
	if !srv.TLS {
		for _, name := range []string{"cafile", "tls-server-name", "insecure-skip-tls-verify"} {
			if f.Changed(name) {
				return usagef("--%s is for TLS, but the server is %s: use mqtts://", name, srv)
			}
		}
	}

	ctx := c.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	runner := &explain.Runner{}
	if len(p.predict.files) > 0 || p.predict.cluster.fromCluster {
		if p.count > 0 {
			return usagef("--count measures connects only: drop -f (run the prediction without --count)")
		}
		if p.predict.c.Listener != "" && p.predict.c.Port == nil {
			// The listener port the client connects to is the server's.
			port := int32(srv.Port)
			p.predict.c.Port = &port
		}
		if err := p.predict.loadBundle(ctx); err != nil {
			return err
		}
		runner = p.predict.runner()
	} else {
		for _, name := range engineFlagNames {
			if f.Changed(name) {
				return usagef("--%s is for the prediction, which needs the bundle: add -f BUNDLE (or --from-cluster)", name)
			}
		}
	}

	cfg, err := p.config(srv, runner)
	if err != nil {
		return err
	}
	p.prober, err = probe.New(cfg)
	if err != nil {
		return usage(err)
	}
	if p.reauthSATFile != "" {
		if cfg.Credentials.AuthMethod != authn.SATMethod {
			return usagef("--reauth-sat-file sends a service account token, but the connection authenticates with %s: connect with --sat-file", methodName(cfg.Credentials.AuthMethod))
		}
		data, err := input.ReadFile(p.reauthSATFile, input.Token)
		if err != nil {
			return usagef("--reauth-sat-file %v", err)
		}
		p.steps.ReauthData = data
		p.reauth = true
	}
	p.steps.PubSubTopic, p.steps.Reauth, p.steps.Hold = p.pubsub, p.reauth, p.hold
	if err := p.prober.Check(p.steps); err != nil {
		return usage(err)
	}
	if p.count > 0 && (p.pubsub != "" || p.reauth) {
		return usagef("--count measures connects only: drop --pubsub and --reauth")
	}

	if runner.Bundle != nil {
		d, target, err := runner.Explain(ctx, p.predict.c)
		if err != nil {
			return err
		}
		p.prediction, p.target = d, target
	}
	return nil
}

func (p *probeOptions) checkNumbers(concurrencyGiven bool) error {
	switch {
	case p.timeout <= 0:
		return usagef("--timeout %s: give a positive duration such as 10s", p.timeout)
	case p.keepAlive < 0 || p.keepAlive > 65535*time.Second || p.keepAlive%time.Second != 0:
		return usagef("--keepalive %s: give whole seconds from 0 to 65535s (MQTT carries it in seconds in two bytes)", p.keepAlive)
	case p.hold < 0:
		return usagef("--hold %s: give a positive duration such as 2m", p.hold)
	case p.count < 0:
		return usagef("--count %d: give how many connections to make", p.count)
	case p.concurrency < 1:
		return usagef("--concurrency %d: give at least 1", p.concurrency)
	case concurrencyGiven && p.count == 0:
		return usagef("--concurrency is for a connect-rate run: add --count N")
	}
	return nil
}

// config reads the credentials the flags name, as explain reads them, and
// the TLS files.
func (p *probeOptions) config(srv probe.Server, runner *explain.Runner) (probe.Config, error) {
	cfg := probe.Config{
		Server:             srv,
		ServerName:         p.serverName,
		InsecureSkipVerify: p.insecure,
		ClientID:           p.clientID,
		KeepAlive:          uint16(p.keepAlive / time.Second),
		Timeout:            p.timeout,
	}
	creds, err := runner.Credentials(p.predict.c)
	if err != nil {
		return cfg, err
	}
	cfg.Credentials = probe.Credentials{Username: creds.Username, Password: creds.Password, AuthMethod: creds.AuthMethod, AuthData: creds.AuthData}
	switch {
	case len(creds.Certificates) > 0 && p.keyFile == "":
		return cfg, usagef("--cert needs --key: the client signs the TLS handshake with the leaf's private key")
	case len(creds.Certificates) == 0 && p.keyFile != "":
		return cfg, usagef("--key needs --cert: give the client certificate chain, leaf first")
	case len(creds.Certificates) > 0:
		if !srv.TLS {
			return cfg, usagef("--cert is presented in TLS, but the server is %s: use mqtts://", srv)
		}
		data, err := input.ReadFile(p.keyFile, input.PrivateKey)
		if err != nil {
			return cfg, usagef("--key %v", err)
		}
		key, err := pki.ParsePrivateKey(p.keyFile, data)
		if err != nil {
			return cfg, usagef("--key %v", err)
		}
		cert, err := probe.ClientCertificate(creds.Certificates, key)
		if err != nil {
			return cfg, usagef("--key %s: %v", p.keyFile, err)
		}
		cfg.Credentials.Certificate = cert
	}
	if p.caFile != "" {
		pool, err := pki.ReadCertPool(p.caFile)
		if err != nil {
			return cfg, usagef("--cafile %v", err)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func methodName(m string) string {
	if m == "" {
		return "no enhanced authentication method"
	}
	return "method " + m
}

func (p *probeOptions) run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// Ctrl-C ends a --hold or a connect-rate run early, and the result so
	// far is still printed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if p.prober.SecretsInClear() {
		fmt.Fprintf(p.ErrOut, "warning: %s is plain TCP: the password or token crosses the network unencrypted\n", ui.Escape(p.server))
	}
	if p.count > 0 {
		r := p.prober.Rate(ctx, probe.RateOptions{Count: p.count, Concurrency: p.concurrency, Hold: p.hold})
		if err := p.print(r, func() error { return writeRateText(p.Out, r, p.server, p.concurrency, ui.NewStyles(p.Out)) }); err != nil {
			return err
		}
		return probeVerdict(r.Verdict())
	}
	r := p.prober.Probe(ctx, p.steps)
	if p.prediction != nil {
		r.Prediction = probe.Abridge(p.prediction)
		r.Comparison = probe.Compare(r, r.Prediction)
	}
	if err := p.print(r, func() error {
		return writeProbeText(p.Out, r, probeHeading{server: p.server, clientID: p.prober.ClientID(), hold: p.hold, decision: p.prediction, target: p.target}, ui.NewStyles(p.Out))
	}); err != nil {
		return err
	}
	v := r.Verdict()
	if p.strict && v != probe.NoVerdict && r.Comparison != nil && !r.Comparison.Agree {
		v = probe.Fail
	}
	return probeVerdict(v)
}

func (p *probeOptions) print(v any, text func() error) error {
	switch p.output {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(p.Out, string(b))
		return nil
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = p.Out.Write(b)
		return err
	}
	return text()
}
