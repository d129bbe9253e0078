package cmd

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// certsChainOptions are the flags of `certs chain`.
type certsChainOptions struct {
	*rootOptions
	outDir              string
	clients             []string
	count               int
	clientPrefix        string
	serverSANs          []string
	kty, crv            string
	size                int
	rootSubject         string
	intermediateSubject string
	notAfter            string
	force               bool

	spec pki.ChainSpec
}

func newCertsChainCmd(o *rootOptions) *cobra.Command {
	opts := &certsChainOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "chain --out-dir DIR --client NAME [--client NAME]... [--server-san HOST|IP]...",
		Short: "Mint a root CA, an intermediate CA, client certificates and a server certificate, ready for mosquitto",
		Long: strings.TrimSpace(`
Mint a complete test chain into DIR:

  root_ca_cert.pem root_ca_key.pem                   root CA (path length 1)
  intermediate_ca_cert.pem intermediate_ca_key.pem   intermediate CA (path length 0)
  NAME_cert.pem NAME_key.pem                         per client: CN=NAME, SAN NAME, clientAuth
  server_cert.pem server_key.pem                     with --server-san: serverAuth, the file
                                                     holds the server then the intermediate
  chain.pem                                          intermediate + root: mosquitto's --cafile
  client_ca.pem                                      the root: what "ca import" takes

Every certificate uses the same kind of key (default EC P-256), since the
broker refuses chains that mix key algorithms. Subjects are written in the
notation of authorizationAttributes' subject field, and the summary printed on
standard error shows the next commands and an authorizationAttributes snippet
that matches the minted subjects.

--count N adds N clients named PREFIX0001... (--client-prefix, default
"device-"), signed in parallel; a progress bar shows on a terminal.

Client and server certificates end after --not-after (default 30 days; a
duration such as 720h or 90d, or an RFC 3339 time); the CAs last 10 years.
Keys are written with mode 0600 and existing files are never overwritten
without --force. Minting is all or nothing: the files are written into a
hidden staging directory and moved into place once all are written; an
error or an interrupt (Ctrl-C, SIGTERM) removes the staging directory and
leaves --out-dir as it was. --count is at most 100000, and minting does not
start when the disk has no room for the files.`),
		Example: o.example(`
  # A chain with a client for the operator page's mosquitto command
  kubectl aio-authn certs chain --out-dir certs --client thermostat

  # Two clients and a server certificate for a local test broker
  kubectl aio-authn certs chain --out-dir certs --client thermostat --client smart-fan \
    --server-san localhost --server-san 127.0.0.1

  # A fleet of 1000 devices, dev-0001 ... dev-1000, valid for 90 days
  kubectl aio-authn certs chain --out-dir fleet --count 1000 --client-prefix dev- --not-after 90d

  # RSA keys and your own CA names
  kubectl aio-authn certs chain --out-dir certs --client thermostat --kty RSA --size 3072 \
    --root-subject "CN = Contoso Test Root, O = Contoso" \
    --intermediate-subject "CN = Contoso Test Devices, O = Contoso"`),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := opts.complete(); err != nil {
				return err
			}
			return opts.run(c.Context())
		},
	}
	f := c.Flags()
	f.StringVar(&opts.outDir, "out-dir", "", "directory to write the chain into (created if missing)")
	f.StringArrayVar(&opts.clients, "client", nil, "client certificate to mint, CN=NAME (repeatable)")
	f.IntVar(&opts.count, "count", 0, "also mint N fleet clients named --client-prefix + a number")
	f.StringVar(&opts.clientPrefix, "client-prefix", "", "name prefix of the --count clients (default \""+pki.DefaultClientPrefix+"\")")
	f.StringArrayVar(&opts.serverSANs, "server-san", nil, "DNS name or IP address of a server certificate to mint (repeatable; the first is its CN)")
	addKeyFlags(c, &opts.kty, &opts.crv, &opts.size)
	f.StringVar(&opts.rootSubject, "root-subject", pki.DefaultRootSubject, "root CA subject, in authorizationAttributes notation")
	f.StringVar(&opts.intermediateSubject, "intermediate-subject", pki.DefaultIntermediateSubject, "intermediate CA subject, in authorizationAttributes notation")
	f.StringVar(&opts.notAfter, "not-after", "", "end of the client and server certificates: a duration (720h, 90d) or an RFC 3339 time (default 30d)")
	addForceFlag(f, &opts.force)
	_ = c.MarkFlagDirname("out-dir")
	return c
}

// addKeyFlags adds step's --kty, --crv and --size.
func addKeyFlags(c *cobra.Command, kty, crv *string, size *int) {
	f := c.Flags()
	f.StringVar(kty, "kty", "", "key type: EC (default), RSA, or OKP (Ed25519; the broker documents EC and RSA only)")
	f.StringVar(crv, "crv", "", "curve: P-256 (default), P-384 or P-521 for EC; Ed25519 for OKP")
	f.IntVar(size, "size", 0, "RSA key size in bits (default 2048, at least 2048)")
	_ = c.RegisterFlagCompletionFunc("kty", cobra.FixedCompletions([]string{"EC", "RSA", "OKP"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("crv", cobra.FixedCompletions([]string{"P-256", "P-384", "P-521", "Ed25519"}, cobra.ShellCompDirectiveNoFileComp))
}

func (o *certsChainOptions) complete() error {
	now := time.Now()
	o.spec = pki.ChainSpec{
		OutDir:       o.outDir,
		Clients:      o.clients,
		Count:        o.count,
		ClientPrefix: o.clientPrefix,
		ServerSANs:   o.serverSANs,
		Key:          pki.KeySpec{Type: o.kty, Curve: o.crv, Size: o.size},
		Force:        o.force,
		Now:          now,
	}
	var err error
	if o.spec.RootSubject, err = dn.Parse(o.rootSubject); err != nil {
		return usagef("--root-subject: %v", err)
	}
	if o.spec.IntermediateSubject, err = dn.Parse(o.intermediateSubject); err != nil {
		return usagef("--intermediate-subject: %v", err)
	}
	if o.notAfter != "" {
		if o.spec.LeafNotAfter, err = pki.ParseNotAfter(o.notAfter, now); err != nil {
			return usage(err)
		}
	}
	return nil
}

func (o *certsChainOptions) run(ctx context.Context) error {
	plan, err := o.spec.Plan()
	if err != nil {
		return usage(err)
	}
	var bar *progressBar
	if ui.IsTerminal(o.ErrOut) && len(plan.Clients) > 1 {
		bar = newProgressBar(o.ErrOut, "minting client certificates")
		plan.Spec.Progress = bar.update
	}
	// An interrupt stops the minting; Mint then removes what it staged.
	intr := onInterrupt(ctx)
	chain, err := plan.Mint(intr.ctx)
	intr.stop()
	bar.finish()
	if err != nil {
		if ierr := intr.err("nothing was written"); ierr != nil {
			return ierr
		}
		return usage(err)
	}
	chain.WriteSummary(o.ErrOut, ui.NewStyles(o.ErrOut))
	return nil
}
