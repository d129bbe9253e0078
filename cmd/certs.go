package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// newCertsCmd groups the certificate minting commands.
func newCertsCmd(o *rootOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "certs",
		Short: "Mint test certificates: a whole chain ready for mosquitto, or one certificate at a time",
		Long: strings.TrimSpace(`
Mint X.509 certificates to rehearse the broker's X509 authentication before
real devices exist: "certs chain" makes a root CA, an intermediate CA, client
certificates and a server certificate in one go, with the file names the
operator page's mosquitto command uses; "certs create" makes one certificate
with step-style flags.

Keys are written with mode 0600 and no file is overwritten without --force.`),
		Example: o.example(`
  # A chain with one client, ready for mosquitto_pub
  kubectl aio-authn certs chain --out-dir certs --client thermostat

  # One more client signed by the chain's intermediate
  kubectl aio-authn certs create smart-fan smart-fan_cert.pem smart-fan_key.pem \
    --ca certs/intermediate_ca_cert.pem --ca-key certs/intermediate_ca_key.pem`),
		Args: cobra.NoArgs,
	}
	c.AddCommand(newCertsChainCmd(o), newCertsCreateCmd(o))
	return c
}
