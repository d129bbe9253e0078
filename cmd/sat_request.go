package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// satRequestOptions are the flags of `sat request`.
type satRequestOptions struct {
	*rootOptions
	audiences []string
	duration  time.Duration
	boundPod  string
}

// newSatRequestCmd is `sat request`, registered by newSatCmd.
func newSatRequestCmd(o *rootOptions) *cobra.Command {
	opts := &satRequestOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "request SERVICEACCOUNT [-n NAMESPACE] --audience AUD [--audience AUD]... [--duration D] [--bound-pod POD]",
		Short: "Get a real service account token from the cluster (TokenRequest API)",
		Long: strings.TrimSpace(`
Ask the cluster for a token of a service account with the TokenRequest API,
as kubelet does for a pod's projected token, and print the token alone on
standard output, so $(kubectl aio-authn sat request ...) works in scripts.

The namespace is -n, else azure-iot-operations. The broker accepts the token
only if its audience is one of serviceAccountTokenSettings.audiences (GA
default: aio-internal). --bound-pod ties the token to a pod run by the
service account: it stops being valid when the pod is deleted, as does any
token when its service account is deleted.

The API refuses lifetimes under 10 minutes; a cluster may also cap long ones
(the expiry it grants is noted on standard error when it differs).`),
		Example: o.example(`
  # A token the broker's default SAT method accepts, for an hour
  kubectl aio-authn sat request mqtt-client -n azure-iot-operations --audience aio-internal

  # Bound to the client's pod, then explained against the live configuration
  kubectl aio-authn sat request mqtt-client --audience aio-internal --bound-pod mqtt-client > token
  kubectl aio-authn explain --from-cluster --listener default --port 18883 --token-review --sat-file token`),
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give one service account name, e.g. `%s sat request mqtt-client --audience aio-internal`", o.name)
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			return opts.run(c, args[0])
		},
	}
	f := c.Flags()
	f.StringArrayVar(&opts.audiences, "audience", nil, "audience of the token (repeatable, at least one), e.g. aio-internal")
	f.DurationVar(&opts.duration, "duration", sat.DefaultDuration, "lifetime of the token (at least 10m)")
	f.StringVar(&opts.boundPod, "bound-pod", "", "bind the token to this pod of the namespace, run by the service account")
	o.addKubeFlags(c)
	return c
}

func (o *satRequestOptions) validate() error {
	if len(o.audiences) == 0 {
		return usagef("flag --audience is required: the audience the broker expects (serviceAccountTokenSettings.audiences, e.g. aio-internal)")
	}
	if o.duration < kube.MinTokenDuration {
		// The API would refuse it with these words; save the round trip.
		return usagef("--duration %s: the TokenRequest API refuses it: %s", o.duration, kube.MinTokenDurationReason)
	}
	return nil
}

func (o *satRequestOptions) run(c *cobra.Command, serviceAccount string) error {
	client, err := kube.NewClient(o.kube)
	if err != nil {
		return err
	}
	ns := kube.BrokerNamespace(o.kube)
	asked := time.Now().Add(o.duration)
	tok, err := client.RequestToken(c.Context(), kube.TokenRequest{
		Namespace: ns, ServiceAccount: serviceAccount, Audiences: o.audiences, Duration: o.duration, BoundPod: o.boundPod,
	})
	if err != nil {
		return err
	}
	if d := tok.ExpiresAt.Sub(asked); d < -time.Minute || d > time.Minute {
		fmt.Fprintf(o.ErrOut, "note: the cluster issued a token valid until %s, not for the %s asked for\n",
			tok.ExpiresAt.UTC().Format(time.RFC3339), o.duration)
	}
	_, err = fmt.Fprintln(o.Out, tok.Token)
	return err
}
