// Command kubectl-aio_authn is a kubectl plugin that helps operators of the
// Azure IoT Operations MQTT broker write, check, rehearse and debug client
// authentication.
//
// `go install github.com/aio-authn/kubectl-aio-authn/cmd/kubectl-aio_authn@latest`
// builds this package; its directory name is the binary's name, which kubectl
// runs as `kubectl aio-authn`. Releases build it too.
package main

import "github.com/aio-authn/kubectl-aio-authn/cmd"

func main() { cmd.Main() }
