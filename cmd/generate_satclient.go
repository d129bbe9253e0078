package cmd

import (
	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/generate"
)

// generateSATClientOptions are the flags of `generate sat-client`.
type generateSATClientOptions struct {
	*rootOptions
	generate.SATClientOptions
	output string
}

func newGenerateSATClientCmd(o *rootOptions) *cobra.Command {
	opts := &generateSATClientOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "sat-client [--audience A]",
		Short: "Generate a ServiceAccount and a Pod that connect with a service account token",
		Long: `Generate a ServiceAccount and a Pod that publishes to the broker every 30 seconds
with MQTT v5 enhanced authentication (method K8S-SAT). The Pod gets its token
from a projected volume with the given audience, mounted so that the file at
--token-path is exactly the one the client reads; the kubelet refreshes the
token before it expires and the client reads it anew for every connection.

The audience must be one of the audiences of the BrokerAuthentication's
ServiceAccountToken entry. By default the client connects to the GA default
listener (aio-broker:18883, TLS) and trusts the CA in ConfigMap
azure-iot-operations-aio-ca-trust-bundle; --ca-configmap "" connects without TLS.`,
		Example: o.example(`
  # A client for the default BrokerAuthentication (audience aio-internal)
  kubectl aio-authn generate sat-client | kubectl apply -f -
  kubectl logs -f mqtt-client -n azure-iot-operations

  # A client with its own audience on a plain port
  kubectl aio-authn generate sat-client --name sensor --audience my-audience --port 1883 --ca-configmap ""`),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return opts.Run() },
	}
	f := c.Flags()
	f.StringVar(&opts.Name, "name", generate.DefaultSATClientName, "name of the ServiceAccount and the Pod")
	f.StringVarP(&opts.Namespace, "namespace", "n", api.BrokerNamespace, "namespace of the ServiceAccount and the Pod")
	f.StringVar(&opts.Audience, "audience", generate.DefaultAudience(generate.VersionV1), "audience of the token: one of the BrokerAuthentication's SAT audiences")
	f.StringVar(&opts.Image, "image", generate.DefaultClientImage, "container image with sh and mosquitto_pub")
	f.StringVar(&opts.TokenPath, "token-path", generate.DefaultTokenPath, "where the token file appears in the container")
	f.DurationVar(&opts.Expiration, "duration", generate.DefaultExpiration, "lifetime of the token the kubelet requests (at least 10m)")
	deprecatedAlias(f, "duration", "expiration")
	f.StringVar(&opts.Host, "host", generate.DefaultBrokerHost, "broker host name (its Service)")
	f.IntVar(&opts.Port, "port", generate.DefaultBrokerPort, "broker port")
	f.StringVar(&opts.CAConfigMap, "ca-configmap", generate.DefaultCAConfigMap, `ConfigMap with the broker's CA under key ca.crt ("" for a port without TLS)`)
	addOutputFlag(c, &opts.output, generate.Formats...)
	return c
}

// Run generates and prints the ServiceAccount and the Pod.
func (o *generateSATClientOptions) Run() error {
	sa, pod, err := generate.SATClient(o.SATClientOptions)
	if err != nil {
		return usage(err)
	}
	return generate.Render(o.Out, o.output, generate.SATClientHeader(pod), sa, pod)
}
