package cmd

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// certsCreateOptions are the flags of `certs create`.
type certsCreateOptions struct {
	*rootOptions
	profile   string
	caFile    string
	caKeyFile string
	sans      []string
	kty, crv  string
	size      int
	notAfter  string
	bundle    bool
	force     bool

	spec pki.CreateSpec
}

func newCertsCreateCmd(o *rootOptions) *cobra.Command {
	opts := &certsCreateOptions{rootOptions: o}
	profiles := make([]string, len(pki.Profiles))
	for i, p := range pki.Profiles {
		profiles[i] = string(p)
	}
	c := &cobra.Command{
		Use:   "create SUBJECT CERT_FILE KEY_FILE [--profile root-ca|intermediate-ca|leaf|server] [--ca CERT --ca-key KEY]",
		Short: "Mint one certificate and its key (root CA, intermediate CA, client leaf or server), step-style",
		Long: strings.TrimSpace(`
Mint one certificate and its private key, with the flags of
"step certificate create".

SUBJECT is a common name (thermostat) or a distinguished name in the
notation of authorizationAttributes' subject field
("CN = Contoso Devices, O = Contoso").

Profiles:
  root-ca           self-signed CA, path length 1 (no --ca)
  intermediate-ca   CA signed by --ca, path length 0
  leaf              client certificate (clientAuth), the default
  server            TLS server certificate (serverAuth)

Leaf and server certificates get --san names (DNS names, IP addresses,
e-mail addresses, URIs); without --san, the subject's CN. The key is of the
issuer's kind unless --kty says otherwise (the broker refuses chains that mix
key algorithms). Leaves last 30 days and CAs 10 years unless --not-after
says otherwise, never longer than their issuer.`),
		Example: o.example(`
  # A root and an intermediate CA
  kubectl aio-authn certs create "CN = Contoso Root, O = Contoso" root_ca_cert.pem root_ca_key.pem --profile root-ca
  kubectl aio-authn certs create "CN = Contoso Devices, O = Contoso" intermediate_ca_cert.pem intermediate_ca_key.pem \
    --profile intermediate-ca --ca root_ca_cert.pem --ca-key root_ca_key.pem

  # A client certificate for the device "thermostat"
  kubectl aio-authn certs create thermostat thermostat_cert.pem thermostat_key.pem \
    --ca intermediate_ca_cert.pem --ca-key intermediate_ca_key.pem

  # A server certificate for a local broker, bundled with its issuer
  kubectl aio-authn certs create localhost server_cert.pem server_key.pem --profile server \
    --san localhost --san 127.0.0.1 --ca intermediate_ca_cert.pem --ca-key intermediate_ca_key.pem --bundle`),
		Args: cobra.ExactArgs(3),
		RunE: func(c *cobra.Command, args []string) error {
			if err := opts.complete(args); err != nil {
				return err
			}
			return opts.run()
		},
	}
	f := c.Flags()
	f.StringVar(&opts.profile, "profile", string(pki.ProfileLeaf), "kind of certificate: "+strings.Join(profiles, ", "))
	f.StringVar(&opts.caFile, "ca", "", "certificate of the CA that signs (not with --profile root-ca)")
	f.StringVar(&opts.caKeyFile, "ca-key", "", "private key of --ca")
	f.StringArrayVar(&opts.sans, "san", nil, "subject alternative name of a leaf or server certificate (repeatable)")
	addKeyFlags(c, &opts.kty, &opts.crv, &opts.size)
	f.StringVar(&opts.notAfter, "not-after", "", "end of validity: a duration (720h, 90d) or an RFC 3339 time (default 30d for leaves, 10 years for CAs)")
	f.BoolVar(&opts.bundle, "bundle", false, "write the issuer's certificate after the new one in CERT_FILE")
	addForceFlag(f, &opts.force)
	_ = c.RegisterFlagCompletionFunc("profile", cobra.FixedCompletions(profiles, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func (o *certsCreateOptions) complete(args []string) error {
	profile, err := pki.ParseProfile(o.profile)
	if err != nil {
		return usage(err)
	}
	subject, err := pki.ParseSubject(args[0])
	if err != nil {
		return usage(err)
	}
	now := time.Now()
	o.spec = pki.CreateSpec{
		Profile:   profile,
		Subject:   subject,
		CertFile:  args[1],
		KeyFile:   args[2],
		CAFile:    o.caFile,
		CAKeyFile: o.caKeyFile,
		SANs:      o.sans,
		Key:       pki.KeySpec{Type: o.kty, Curve: o.crv, Size: o.size},
		Bundle:    o.bundle,
		Force:     o.force,
		Now:       now,
	}
	if o.notAfter != "" {
		if o.spec.NotAfter, err = pki.ParseNotAfter(o.notAfter, now); err != nil {
			return usage(err)
		}
	}
	return nil
}

func (o *certsCreateOptions) run() error {
	created, err := pki.CreateCertificate(o.spec)
	if err != nil {
		return usage(err)
	}
	created.WriteSummary(o.ErrOut)
	return nil
}
