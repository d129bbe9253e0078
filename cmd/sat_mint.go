package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// satMintOptions are the flags of `sat mint`.
type satMintOptions struct {
	*rootOptions
	signingKey     string
	serviceAccount string
	namespace      string
	audiences      []string
	duration       time.Duration
	issuer         string
	boundPod       string
	notBefore      string
	now            string

	spec sat.MintSpec
}

func newSatMintCmd(o *rootOptions) *cobra.Command {
	opts := &satMintOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "mint --signing-key KEY --service-account NAME --audience AUD [--audience AUD]...",
		Short: "Mint a test service account token offline, shaped like a Kubernetes bound token",
		Long: strings.TrimSpace(`
Sign a test token with a key from "sat keygen" (or any RSA or EC P-256
private key) and print it, and nothing else, on standard output, so
$(kubectl aio-authn sat mint ...) works in scripts.

The claims are those of a token from the TokenRequest API: iss, sub
(system:serviceaccount:NAMESPACE:NAME), aud (a list), exp, iat, nbf, jti and
kubernetes.io {namespace, serviceaccount {name, uid}, pod {name, uid}}; the
header carries the Kubernetes key ID (kid). The service account's uid is
derived from its name, so tokens minted for it agree.

The broker accepts a token only if its aud holds one of the audiences of
serviceAccountTokenSettings (GA default: aio-internal). Offline tokens are for
explain and local brokers: a cluster's TokenReview rejects them unless the API
server trusts the key (kube-apiserver --service-account-key-file).`),
		Example: o.example(`
  # A token for the service account mqtt-client, valid for an hour
  kubectl aio-authn sat mint --signing-key keys/sa_key.pem --service-account mqtt-client \
    -n azure-iot-operations --audience aio-internal

  # Bound to a pod, valid for a day, starting in 5 minutes
  kubectl aio-authn sat mint --signing-key keys/sa_key.pem --service-account mqtt-client \
    --audience aio-internal --bound-pod mqtt-client --duration 24h --not-before 5m

  # Look at what it claims
  kubectl aio-authn sat mint --signing-key keys/sa_key.pem --service-account mqtt-client \
    --audience aio-internal | kubectl aio-authn sat decode -`),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := opts.complete(); err != nil {
				return err
			}
			return opts.run()
		},
	}
	f := c.Flags()
	f.StringVar(&opts.signingKey, "signing-key", "", "PEM private key to sign with (RSA for RS256, EC P-256 for ES256)")
	f.StringVar(&opts.serviceAccount, "service-account", "", "service account name")
	f.StringVarP(&opts.namespace, "namespace", "n", api.BrokerNamespace, "namespace of the service account")
	f.StringArrayVar(&opts.audiences, "audience", nil, "audience of the token (repeatable, at least one)")
	f.DurationVar(&opts.duration, "duration", sat.DefaultDuration, "lifetime of the token")
	f.StringVar(&opts.issuer, "sat-issuer", sat.DefaultIssuer, "the service account issuer, the token's iss (explain --sat-issuer takes the same)")
	f.StringVar(&opts.boundPod, "bound-pod", "", "bind the token to a pod of this name")
	deprecatedAlias(f, "sat-issuer", "issuer")
	deprecatedAlias(f, "bound-pod", "pod")
	f.StringVar(&opts.notBefore, "not-before", "", "start of validity: an RFC 3339 time, or a duration from now (5m); default now")
	addNowFlag(f, &opts.now, "issue the token as if at this time")
	_ = c.MarkFlagFilename("signing-key", "pem")
	return c
}

func (o *satMintOptions) complete() error {
	if o.signingKey == "" {
		return usagef("flag --signing-key is required: the private key to sign with (sat keygen writes sa_key.pem)")
	}
	if o.serviceAccount == "" {
		return usagef("flag --service-account is required: the name of the service account the token is for")
	}
	if len(o.audiences) == 0 {
		return usagef("flag --audience is required: the audience the broker expects (serviceAccountTokenSettings.audiences, e.g. aio-internal)")
	}
	if o.duration <= 0 {
		return usagef("--duration %s must be positive: give how long the token lives, e.g. 1h", o.duration)
	}
	now := nowOf(o.now)
	var nbf time.Time
	if o.notBefore != "" {
		if t, err := time.Parse(time.RFC3339, o.notBefore); err == nil {
			nbf = t
		} else if d, err := pki.ParseDuration(o.notBefore); err == nil {
			nbf = now.Add(d)
		} else {
			return usagef("--not-before %q: give an RFC 3339 time (2026-01-02T15:04:05Z) or a duration from now (5m)", o.notBefore)
		}
	}
	key, err := sat.LoadSigningKey(o.signingKey)
	if err != nil {
		return usagef("--signing-key: %v", err)
	}
	o.spec = sat.MintSpec{
		Key: key, ServiceAccount: o.serviceAccount, Namespace: o.namespace, Audiences: o.audiences,
		Duration: o.duration, Issuer: o.issuer, Pod: o.boundPod, NotBefore: nbf, Now: now,
	}
	return nil
}

func (o *satMintOptions) run() error {
	token, err := sat.Mint(o.spec)
	if err != nil {
		return usage(err)
	}
	_, err = fmt.Fprintln(o.Out, token)
	return err
}
