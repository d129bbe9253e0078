package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// newSatCmd groups the service account token commands. Cluster-backed
// subcommands (sat request) are added here next to the offline ones.
func newSatCmd(o *rootOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "sat",
		Short: "Service account tokens: offline signing keys and test tokens, decoding",
		Long: strings.TrimSpace(`
Work with Kubernetes service account tokens (SATs), which clients present to
the broker with MQTT v5 enhanced authentication method K8S-SAT.

"sat keygen" and "sat mint" make test tokens offline, shaped like the bound
tokens a cluster issues, so the broker's SAT checks can be rehearsed without a
cluster; "sat decode" shows what a token claims.`),
		Example: o.example(`
  kubectl aio-authn sat keygen --out-dir keys
  kubectl aio-authn sat mint --signing-key keys/sa_key.pem --service-account mqtt-client --audience aio-internal > token
  kubectl aio-authn sat decode - < token`),
		Args: cobra.NoArgs,
	}
	c.AddCommand(
		newSatKeygenCmd(o),
		newSatMintCmd(o),
		newSatDecodeCmd(o),
		newSatRequestCmd(o),
	)
	return c
}
