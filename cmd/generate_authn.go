package cmd

import (
	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/generate"
)

// generateAuthnOptions are the flags of `generate authn`.
type generateAuthnOptions struct {
	*rootOptions
	generate.AuthnOptions
	attributesFile string
	output         string
}

func newGenerateAuthnCmd(o *rootOptions) *cobra.Command {
	opts := &generateAuthnOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "authn --method sat|x509|custom [--method ...]",
		Short: "Generate a BrokerAuthentication from an ordered list of methods",
		Long: `Generate a BrokerAuthentication. Each --method adds an entry to the chain, in
the order given: the broker tries them in that order, and the first method the
client's credentials are relevant to decides.

  sat     Kubernetes service account tokens (MQTT v5 enhanced authentication,
          method K8S-SAT); --sat-audience sets the accepted audiences.
  x509    client certificates (TLS ports only); --x509-trusted-ca names the
          ConfigMap of trusted CAs, --x509-attributes a file of authorization
          attributes by certificate subject.
  custom  a custom authentication server at --custom-endpoint (https).

Flags of a method that is not chosen are refused rather than ignored.`,
		Example: o.example(`
  # Tokens with the default audience, then certificates trusted by ConfigMap client-ca
  kubectl aio-authn generate authn --method sat --method x509

  # A custom auth server first; tokens only when it cannot be reached
  kubectl aio-authn generate authn --method custom --custom-endpoint https://auth.example:8443 \
    --custom-ca-configmap custom-auth-ca --custom-header X-Tenant=contoso --method sat

  # Certificates with authorization attributes read from a file
  kubectl aio-authn generate authn --method x509 --x509-attributes attributes.yaml

  # The mid-2024 preview API
  kubectl aio-authn generate authn --api-version v1beta1 --method sat`),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return opts.Run() },
	}
	f := c.Flags()
	f.StringArrayVar(&opts.Methods, "method", nil, "authentication method, repeatable, in chain order: sat, x509 or custom")
	f.StringArrayVar(&opts.SATAudiences, "sat-audience", nil, "audience a token must carry, repeatable (default aio-internal for v1, aio-mq for v1beta1)")
	f.StringVar(&opts.X509TrustedCA, "x509-trusted-ca", "", "ConfigMap holding the trusted client CA certificates (default client-ca)")
	f.StringVar(&opts.attributesFile, "x509-attributes", "", "YAML or JSON file mapping names to {subject, attributes}")
	f.StringVar(&opts.CustomEndpoint, "custom-endpoint", "", "https:// URL of the custom authentication server")
	f.StringVar(&opts.CustomCAConfigMap, "custom-ca-configmap", "", "ConfigMap with the CA of the auth server's certificate (omit if publicly trusted)")
	f.StringVar(&opts.CustomClientSecret, "custom-client-secret", "", "kubernetes.io/tls Secret the broker presents to the auth server")
	f.StringArrayVar(&opts.CustomHeaders, "custom-header", nil, "extra HTTP header NAME=value sent to the auth server, repeatable")
	f.StringVar(&opts.Name, "name", "", `name of the BrokerAuthentication (default "default" for v1, "authn" for v1beta1)`)
	f.StringVarP(&opts.Namespace, "namespace", "n", api.BrokerNamespace, "namespace of the BrokerAuthentication")
	f.StringVar(&opts.APIVersion, "api-version", generate.VersionV1, "API version: v1 or v1beta1 (mid-2024 preview)")
	addOutputFlag(c, &opts.output, generate.Formats...)
	_ = c.RegisterFlagCompletionFunc("method", cobra.FixedCompletions(generate.MethodNames, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("api-version", cobra.FixedCompletions([]string{generate.VersionV1, generate.VersionV1beta1}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.MarkFlagFilename("x509-attributes", "yaml", "yml", "json")
	return c
}

// Run generates and prints the BrokerAuthentication.
func (o *generateAuthnOptions) Run() error {
	if o.attributesFile != "" {
		attrs, err := generate.LoadAttributes(o.attributesFile)
		if err != nil {
			return usage(err)
		}
		o.X509Attributes = attrs
	}
	obj, err := generate.Authn(o.AuthnOptions)
	if err != nil {
		return usage(err)
	}
	return generate.Render(o.Out, o.output, generate.AuthnHeader(obj), obj)
}
