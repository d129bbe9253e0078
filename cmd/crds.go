package cmd

import (
	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/crds"
)

// crdsOptions are the flags of `crds`.
type crdsOptions struct {
	*rootOptions
	output string
	kind   string
}

func newCrdsCmd(o *rootOptions) *cobra.Command {
	opts := &crdsOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "crds",
		Short: "Print the CRDs (BrokerAuthentication, BrokerListener) the tool validates against",
		Long: `Print the CustomResourceDefinitions of BrokerAuthentication and BrokerListener
that validate checks manifests against, generated from the tool's API types.
Apply them to a test cluster to have the API server enforce the same schema.

The v1beta1 BrokerAuthentication version is included for validation but not
served: convert such manifests with "kubectl aio-authn convert" first.`,
		Example: o.example(`
  # Install the CRDs in a test cluster
  kubectl aio-authn crds | kubectl apply -f -

  # Only the BrokerAuthentication CRD, as JSON
  kubectl aio-authn crds --kind BrokerAuthentication -o json`),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return opts.Run() },
	}
	addOutputFlag(c, &opts.output, "yaml", "json")
	c.Flags().StringVar(&opts.kind, "kind", "", "print only this kind's CRD: BrokerAuthentication or BrokerListener")
	_ = c.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions([]string{api.KindBrokerAuthentication, api.KindBrokerListener}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// Run prints the selected CRDs.
func (o *crdsOptions) Run() error {
	docs, err := crds.Select(o.kind)
	if err != nil {
		return err
	}
	return crds.Write(o.Out, docs, o.output)
}
