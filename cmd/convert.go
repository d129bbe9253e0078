package cmd

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/convert"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// convertOptions are the flags of `convert`.
type convertOptions struct {
	*rootOptions
	to      string
	inPlace bool
	limits  manifest.Limits
}

func newConvertCmd(o *rootOptions) *cobra.Command {
	opts := &convertOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "convert PATH|-... [--to v1] [--in-place]",
		Short: "Convert BrokerAuthentication and BrokerListener manifests of older API versions to v1",
		Long: `Convert manifests written for the broker's preview APIs to v1:

  mqttbroker.iotoperations.azure.com/v1beta1 (mid-2024): custom, caCert,
    auth.x509.secretName, serviceAccountToken, x509Credentials and the method
    x509Credentials become customSettings, caCertConfigMap, secretRef,
    serviceAccountTokenSettings, x509Settings and X509.
  mqttbroker.iotoperations.azure.com/v1beta1 (2025): the v1 shape already
    (additionalValidation included); only the apiVersion changes. A document
    mixing the two v1beta1 shapes is an error naming both.
  mq.iotoperations.azure.com/v1beta1 (2023): one key per entry (sat, x509,
    custom) becomes a method and its settings block; spec.listenerRef is
    removed (v1 listener ports name their authentication instead).

Enum values in another letter case than the API's (method:
serviceAccountToken, serviceType: clusterIp, mode: automatic), which the
cluster accepts, are written in the API's spelling, in v1 documents too.

Other documents are copied byte for byte, and converted ones keep their
comments and key order. The result goes to stdout, what changed (with file
and line) to stderr. --in-place rewrites the files instead, each atomically.
What has no v1 equivalent (2023 usernamePassword, attributes kept in a
Secret) is an error naming the line, and nothing is written.`,
		Example: o.example(`
  # See the v1 version of a manifest, and what changed
  kubectl aio-authn convert authn.yaml

  # Convert every manifest under a directory, rewriting the files
  kubectl aio-authn convert ./manifests --in-place

  # As a filter
  cat authn.yaml | kubectl aio-authn convert - | kubectl apply -f -`),
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return opts.Run(args) },
	}
	c.Flags().StringVar(&opts.to, "to", convert.Target, "API version to convert to (only v1)")
	c.Flags().BoolVar(&opts.inPlace, "in-place", false, "rewrite the files instead of printing the result")
	addManifestLimits(c, &opts.limits)
	_ = c.RegisterFlagCompletionFunc("to", cobra.FixedCompletions([]string{convert.Target}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// Run converts the files named by paths.
func (o *convertOptions) Run(paths []string) error {
	if o.to != convert.Target {
		return usagef("--to %q: convert only writes v1", o.to)
	}
	for _, p := range paths {
		if p == "-" && o.inPlace {
			return usagef("--in-place cannot rewrite standard input: drop --in-place or name the files")
		}
	}
	files, notes, err := manifest.ReadAll(paths, o.In, o.limits)
	if err != nil {
		return inputError(err, "give readable files, directories or - for standard input")
	}
	printNotes(o.ErrOut, notes)
	var results []*convert.Result
	var errs []error
	for _, f := range files {
		res, err := convert.FileWithin(f.Path, f.Data, o.limits.Document)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, res)
	}
	if len(errs) > 0 {
		return o.conversionErrors(errs)
	}
	converted := 0
	for _, r := range results {
		if err := convert.Report(o.ErrOut, r); err != nil {
			return err
		}
		converted += len(r.Converted)
	}
	if converted == 0 {
		fmt.Fprintln(o.ErrOut, "nothing to convert: no BrokerAuthentication or BrokerListener of an older API version, nor an enum value in another spelling than the API's")
	}
	if o.inPlace {
		for _, r := range results {
			if len(r.Converted) == 0 {
				continue
			}
			if err := atomicfile.Replace(r.Path, r.Output); err != nil {
				return fmt.Errorf("writing %s: %w", r.Path, err)
			}
			fmt.Fprintf(o.ErrOut, "wrote %s\n", r.Path)
		}
		return nil
	}
	return o.print(results)
}

// print writes the files one after the other as one YAML stream.
func (o *convertOptions) print(results []*convert.Result) error {
	var buf bytes.Buffer
	for i, r := range results {
		out := r.Output
		if i > 0 && len(bytes.TrimSpace(out)) > 0 {
			if buf.Len() > 0 && !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
				buf.WriteByte('\n')
			}
			if !bytes.HasPrefix(out, []byte("---")) {
				buf.WriteString("---\n")
			}
		}
		buf.Write(out)
	}
	_, err := o.Out.Write(buf.Bytes())
	return err
}

// conversionErrors prints every error but the last, which main prints, so
// that one run shows everything to fix.
func (o *convertOptions) conversionErrors(errs []error) error {
	var all []error
	for _, e := range errs {
		var joined interface{ Unwrap() []error }
		if errors.As(e, &joined) {
			all = append(all, joined.Unwrap()...)
		} else {
			all = append(all, e)
		}
	}
	for _, e := range all[:len(all)-1] {
		fmt.Fprintf(o.ErrOut, "error: %v\n", e)
	}
	return usage(all[len(all)-1])
}
