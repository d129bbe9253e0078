package cmd

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// satKeygenOptions are the flags of `sat keygen`.
type satKeygenOptions struct {
	*rootOptions
	outDir string
	kty    string
	force  bool
}

func newSatKeygenCmd(o *rootOptions) *cobra.Command {
	opts := &satKeygenOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "keygen --out-dir DIR [--kty RSA|EC]",
		Short: "Make a key pair and JWKS for signing test service account tokens offline",
		Long: strings.TrimSpace(`
Make a key pair to sign test service account tokens with, like a cluster's
service account signing key:

  sa_key.pem   the private key (mode 0600): "sat mint --signing-key",
               or kube-apiserver --service-account-signing-key-file
  sa_pub.pem   the public key: "explain --sat-issuer-key", "sat decode
               --sat-issuer-key", or kube-apiserver --service-account-key-file
  jwks.json    the public key as a JSON Web Key Set, as a cluster serves it
               at /openid/v1/jwks

The key ID (kid) is computed the way Kubernetes computes it (base64url of the
SHA-256 of the DER public key), so minted tokens name their key like real ones.
RSA 2048 (RS256) by default, what clusters use; --kty EC makes a P-256 key
(ES256). Existing files are never overwritten without --force.`),
		Example: o.example(`
  # An RSA key pair (RS256)
  kubectl aio-authn sat keygen --out-dir keys

  # An EC P-256 key pair (ES256)
  kubectl aio-authn sat keygen --out-dir keys-ec --kty EC`),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return opts.run() },
	}
	f := c.Flags()
	f.StringVar(&opts.outDir, "out-dir", "", "directory to write sa_key.pem, sa_pub.pem and jwks.json into")
	f.StringVar(&opts.kty, "kty", "RSA", "key type: RSA (RS256, 2048 bits) or EC (ES256, P-256)")
	addForceFlag(f, &opts.force)
	_ = c.MarkFlagDirname("out-dir")
	_ = c.RegisterFlagCompletionFunc("kty", cobra.FixedCompletions([]string{"RSA", "EC"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func (o *satKeygenOptions) run() error {
	keys, err := sat.Keygen(sat.KeygenSpec{OutDir: o.outDir, KeyType: o.kty, Force: o.force})
	if err != nil {
		return usage(err)
	}
	st := ui.NewStyles(o.ErrOut)
	w := o.ErrOut
	fmt.Fprintf(w, "%s in %s (%s, %s):\n", st.Bold.Render("Wrote a token signing key pair"), ui.Escape(keys.Dir), keys.Key, keys.Algorithm)
	fmt.Fprintf(w, "  %-11s private key, mode 0600 (sat mint --signing-key)\n", sat.SigningKeyFile)
	fmt.Fprintf(w, "  %-11s public key (explain and sat decode --sat-issuer-key)\n", sat.PublicKeyFile)
	fmt.Fprintf(w, "  %-11s the public key as a JWKS\n", sat.JWKSFile)
	fmt.Fprintf(w, "  kid         %s\n", keys.KeyID)
	fmt.Fprintf(w, "\n%s\n", st.Bold.Render("Next:"))
	fmt.Fprintf(w, "  %s\n", st.Code.Render(fmt.Sprintf("kubectl aio-authn sat mint --signing-key %s --service-account mqtt-client -n azure-iot-operations --audience aio-internal",
		filepath.Join(keys.Dir, sat.SigningKeyFile))))
	return nil
}
