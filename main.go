// Command kubectl-aio_authn is a kubectl plugin that helps operators of the
// Azure IoT Operations MQTT broker write, check, rehearse and debug client
// authentication.
package main

import (
	"os"

	"github.com/aio-authn/kubectl-aio-authn/cmd"
)

func main() {
	os.Exit(cmd.Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
