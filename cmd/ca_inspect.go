package cmd

import (
	"encoding/json"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// caInspectOptions are the flags of `ca inspect`.
type caInspectOptions struct {
	*rootOptions
	output string
	now    string
}

func newCaInspectCmd(o *rootOptions) *cobra.Command {
	opts := &caInspectOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "inspect FILE|- [FILE|-...]",
		Short: "Show every certificate of PEM files: subject, issuer, key algorithm, validity, CA or not, fingerprint",
		Long: strings.TrimSpace(`
List every certificate of PEM files (or - for standard input): the subject
and issuer in the notation of authorizationAttributes' subject field (ready
to paste), the key algorithm, the validity period relative to now, whether it
is a CA (and its path length), the extended key usages and SANs of leaves,
the serial number and the SHA-256 fingerprint.

-o json prints {"certificates": [...]} with the same facts, one object per
certificate, for scripts.`),
		Example: o.example(`
  # What does the chain of "certs chain" hold?
  kubectl aio-authn ca inspect certs/chain.pem

  # The subjects only, for authorizationAttributes
  kubectl aio-authn ca inspect certs/chain.pem -o json | jq -r '.certificates[].subject'`),
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return opts.run(args) },
	}
	addOutputFlag(c, &opts.output, "text", "json")
	addNowFlag(c.Flags(), &opts.now, "judge validity at this time")
	return c
}

func (o *caInspectOptions) run(args []string) error {
	now := nowOf(o.now)
	certs, err := readBundles(args, o.In)
	if err != nil {
		return err
	}
	doc := pki.Inspection{Certificates: make([]pki.CertificateInfo, len(certs))}
	for i, c := range certs {
		doc.Certificates[i] = pki.Describe(c, now)
	}
	if o.output == "json" {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	pki.WriteInspection(o.Out, doc.Certificates, now, ui.NewStyles(o.Out))
	return nil
}
