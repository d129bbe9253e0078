package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// newServeCmd groups the local servers that rehearse the broker's
// authentication on one machine.
func newServeCmd(o *rootOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Local servers for rehearsals: an MQTT broker that enforces a bundle",
		Long: strings.TrimSpace(`
Run, on this machine, what a device meets in the cluster: "serve broker" is an
MQTT v5 broker that lets clients in exactly as explain decides, so any MQTT
client (mosquitto_pub, a device's own code) can be tried against a bundle
before it is applied.`),
		Args: cobra.NoArgs,
	}
	c.AddCommand(newServeBrokerCmd(o))
	return c
}
