package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newGenerateCmd(o *rootOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "generate",
		Short: "Generate BrokerAuthentication, BrokerListener and test client manifests",
		Long: `Generate manifests that pass validate: a BrokerAuthentication from an ordered
list of methods, a BrokerListener whose ports reference it, and a test client
that authenticates with a service account token.

The manifests are printed on stdout; nothing is sent to a cluster.`,
		Example: o.example(`
  # Service account tokens first, then X.509 client certificates
  kubectl aio-authn generate authn --method sat --method x509 > authn.yaml

  # A LoadBalancer listener on 8883 with TLS, using that authentication
  kubectl aio-authn generate listener --port 8883 --authn default > listener.yaml`),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usagef("generate needs a subcommand: authn, listener or sat-client\nSee '%s --help'.", c.CommandPath())
		},
	}
	c.AddCommand(newGenerateAuthnCmd(o), newGenerateListenerCmd(o), newGenerateSATClientCmd(o))
	return c
}

// printWarnings writes notices to stderr, where they do not mix with the
// manifest a script redirects.
func (o *rootOptions) printWarnings(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(o.ErrOut, "warning: %s\n", w)
	}
}
