package cmd

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// newCaCmd groups the trusted-CA commands.
func newCaCmd(o *rootOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "ca",
		Short: "Trusted client CAs: build the ConfigMap the broker reads, inspect CA bundles",
		Long: strings.TrimSpace(`
The broker trusts the client CAs of the ConfigMap that
x509Settings.trustedClientCaCert names (default client-ca). "ca import" builds
that ConfigMap from PEM files, refusing what the broker would not use; "ca
inspect" shows what a PEM file holds.`),
		Example: o.example(`
  kubectl aio-authn ca inspect certs/chain.pem
  kubectl aio-authn ca import certs/client_ca.pem --name client-ca -n azure-iot-operations --dry-run=client -o yaml`),
		Args: cobra.NoArgs,
	}
	c.AddCommand(newCaImportCmd(o), newCaInspectCmd(o))
	return c
}

// readBundles reads PEM bundles from files, "-" meaning standard input
// (once). Errors are usage errors naming the file (and line).
func readBundles(paths []string, stdin io.Reader) ([]pki.BundleCertificate, error) {
	stdinUses := 0
	for _, p := range paths {
		if p == "-" {
			stdinUses++
		}
	}
	if stdinUses > 1 {
		return nil, usagef("- (standard input) is given %d times: give it once", stdinUses)
	}
	var all []pki.BundleCertificate
	for _, p := range paths {
		var data []byte
		var err error
		source := p
		if p == "-" {
			source = "stdin"
			data, err = input.ReadStream(stdin, input.StdinName, input.PEM)
		} else {
			data, err = input.ReadFile(p, input.PEM)
		}
		if err != nil {
			return nil, inputError(err, "give a readable PEM file, or - for standard input")
		}
		certs, err := pki.ParseBundle(source, data)
		if err != nil {
			return nil, usage(err)
		}
		all = append(all, certs...)
	}
	return all, nil
}
