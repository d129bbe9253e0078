package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// newServeCmd is the parent of the servers the tool runs on this machine to
// rehearse authentication without a cluster.
func newServeCmd(o *rootOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run a local server to rehearse authentication on one machine",
		Long: strings.TrimSpace(`
Run a server on this machine that plays a part of the broker's
authentication chain, so a rehearsal needs no cluster. Each server runs
until interrupted (Ctrl-C or SIGTERM) and can write a ready file for
scripts to wait on.`),
		Args: cobra.NoArgs,
	}
	c.AddCommand(newServeBrokerCmd(o), newServeCustomAuthCmd(o))
	return c
}
