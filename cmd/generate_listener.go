package cmd

import (
	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/generate"
)

// generateListenerOptions are the flags of `generate listener`.
type generateListenerOptions struct {
	*rootOptions
	generate.ListenerOptions
	output string
}

func newGenerateListenerCmd(o *rootOptions) *cobra.Command {
	opts := &generateListenerOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "listener [--port N]... [--authn NAME]",
		Short: "Generate a BrokerListener whose ports use a BrokerAuthentication",
		Long: `Generate a BrokerListener: a Kubernetes Service for the broker with one or more
ports, each referencing the BrokerAuthentication named by --authn.

TLS is on (mode Automatic, a certificate from cert-manager) unless --no-tls;
--tls-secret uses your own server certificate instead (mode Manual). X.509
client authentication only works on TLS ports. --authn "" leaves the ports
without authentication, which is reported as a warning.`,
		Example: o.example(`
  # LoadBalancer on 8883 with automatic TLS, clients authenticated by "default"
  kubectl aio-authn generate listener --port 8883 --authn default

  # Two ports with a certificate from Secret broker-server-cert
  kubectl aio-authn generate listener --name tls-listener --port 8883 --port 8884 --tls-secret broker-server-cert

  # Plain MQTT on 1883 inside the cluster (warns: no TLS)
  kubectl aio-authn generate listener --service-type ClusterIp --port 1883 --no-tls`),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return opts.Run() },
	}
	f := c.Flags()
	f.StringVar(&opts.Name, "name", "", "name of the BrokerListener (default <service-type>-listener, e.g. loadbalancer-listener)")
	f.StringVarP(&opts.Namespace, "namespace", "n", api.BrokerNamespace, "namespace of the BrokerListener")
	f.IntSliceVar(&opts.Ports, "port", nil, "TCP port, repeatable or comma-separated (default 8883, or 1883 with --no-tls)")
	f.StringVar(&opts.Authn, "authn", "default", `BrokerAuthentication the ports use ("" disables authentication)`)
	f.BoolVar(&opts.NoTLS, "no-tls", false, "plain TCP ports (X.509 client authentication needs TLS)")
	f.StringVar(&opts.TLSSecret, "tls-secret", "", "Secret with the server certificate (TLS mode Manual)")
	f.StringVar(&opts.ServiceType, "service-type", "LoadBalancer", "Service type: ClusterIp, LoadBalancer or NodePort")
	f.StringVar(&opts.Protocol, "protocol", "Mqtt", "port protocol: Mqtt or WebSockets")
	f.StringVar(&opts.APIVersion, "api-version", generate.VersionV1, "API version: v1 or v1beta1 (mid-2024 preview)")
	addOutputFlag(c, &opts.output, generate.Formats...)
	_ = c.RegisterFlagCompletionFunc("service-type", cobra.FixedCompletions([]string{"ClusterIp", "LoadBalancer", "NodePort"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("protocol", cobra.FixedCompletions([]string{"Mqtt", "WebSockets"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("api-version", cobra.FixedCompletions([]string{generate.VersionV1, generate.VersionV1beta1}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// Run generates and prints the BrokerListener.
func (o *generateListenerOptions) Run() error {
	obj, warnings, err := generate.Listener(o.ListenerOptions)
	if err != nil {
		return usage(err)
	}
	o.printWarnings(warnings)
	return generate.Render(o.Out, o.output, generate.ListenerHeader(obj), obj)
}
