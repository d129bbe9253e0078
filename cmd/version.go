package cmd

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/version"
)

func newVersionCmd(o *rootOptions) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Example: o.example(`
  kubectl aio-authn version
  kubectl aio-authn version -o json`),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			info := version.Get()
			switch output {
			case "text":
				fmt.Fprintf(o.Out, "kubectl-aio_authn %s (commit %s, built %s, %s, %s)\n",
					info.Version, info.Commit, info.Date, info.GoVersion, info.Platform)
			case "json":
				enc := json.NewEncoder(o.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			return nil
		},
	}
	addOutputFlag(c, &output, "text", "json")
	return c
}
