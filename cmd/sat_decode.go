package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// satDecodeOptions are the flags of `sat decode`.
type satDecodeOptions struct {
	*rootOptions
	output    string
	issuerKey string
	now       string

	token   string
	nowTime time.Time
	keys    *sat.KeySet
}

func newSatDecodeCmd(o *rootOptions) *cobra.Command {
	opts := &satDecodeOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "decode [TOKEN|FILE|-]",
		Short: "Show a service account token's header and claims, with expiry relative to now",
		Long: strings.TrimSpace(`
Show the header and the claims of a service account token: exp, nbf and iat
also as times relative to now, and the kubernetes.io claim (namespace,
service account, pod). The signature is never printed.

TOKEN is the token itself, a file holding it (such as a projected token at
/var/run/secrets/tokens/...), or - (the default) for standard input.

Decoding does not verify the signature. --sat-issuer-key checks it with PEM
public keys or certificates, or a JWKS (sat keygen's sa_pub.pem or jwks.json,
a cluster's /openid/v1/jwks), as explain does; a signature that does not
verify exits 1.

-o json prints {"header": {...}, "claims": {...}} with the claims as the
token carries them.`),
		Example: o.example(`
  # Decode a token from a file or standard input
  kubectl aio-authn sat decode token
  kubectl aio-authn sat mint --signing-key keys/sa_key.pem --service-account mqtt-client \
    --audience aio-internal | kubectl aio-authn sat decode -

  # Verify the signature too
  kubectl aio-authn sat decode token --sat-issuer-key keys/sa_pub.pem

  # The claims for a script
  kubectl aio-authn sat decode token -o json | jq -r .claims.exp`),
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := opts.complete(args); err != nil {
				return err
			}
			return opts.run()
		},
	}
	f := c.Flags()
	addOutputFlag(c, &opts.output, "text", "json")
	addIssuerKeyFlag(f, &opts.issuerKey)
	deprecatedAlias(f, "sat-issuer-key", "verify-key")
	addNowFlag(f, &opts.now, "show times relative to this time")
	return c
}

func (o *satDecodeOptions) complete(args []string) error {
	o.nowTime = nowOf(o.now)
	var err error
	arg := "-"
	if len(args) == 1 {
		arg = args[0]
	}
	var data []byte
	switch _, statErr := os.Stat(arg); {
	case arg == "-":
		if data, err = input.ReadStream(o.In, input.StdinName, input.Token); err != nil {
			return inputError(err, "")
		}
	case statErr == nil:
		// A file, a FIFO too: <(kubectl create token ...).
		if data, err = input.ReadFile(arg, input.Token); err != nil {
			return inputError(err, "pass a token file, the token itself, or - for standard input")
		}
	default:
		data = []byte(arg)
	}
	o.token = strings.TrimSpace(string(data))
	if o.token == "" {
		return usagef("no token given: pass it as an argument, a file, or on standard input")
	}
	if o.issuerKey != "" {
		if o.keys, err = sat.LoadKeySet(o.issuerKey); err != nil {
			return usagef("--sat-issuer-key %v", err)
		}
	}
	return nil
}

func (o *satDecodeOptions) run() error {
	header, claims, err := sat.Decode(o.token)
	if err != nil {
		return usagef("%v: pass the token itself (three base64url parts separated by dots)", err)
	}
	switch o.output {
	case "json":
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sat.NewDecoded(header, claims)); err != nil {
			return err
		}
	default:
		sat.WriteText(o.Out, header, claims, o.nowTime)
	}
	st := ui.NewStyles(o.ErrOut)
	if len(o.token) > authn.MaxFieldBytes {
		fmt.Fprintf(o.ErrOut, "%s the token is %d bytes long: MQTT v5 carries at most %d bytes of authentication data, so no client can present it to the broker\n",
			st.Warning.Render("warning:"), len(o.token), authn.MaxFieldBytes)
	}
	if o.keys == nil {
		fmt.Fprintf(o.ErrOut, "%s decoding does not verify the signature: add --sat-issuer-key with the issuer's public key or JWKS to check it\n", st.Warning.Render("note:"))
		return nil
	}
	if _, _, err := o.keys.Verify(o.token); err != nil {
		// The claims are shown either way; the exit status says the
		// token cannot be trusted.
		fmt.Fprintf(o.ErrOut, "%s %v\n", st.Error.Render("signature NOT verified:"), err)
		return verdictFindings
	}
	fmt.Fprintf(o.ErrOut, "%s with %s\n", st.Success.Render("signature verified"), o.keys.Describe())
	return nil
}
