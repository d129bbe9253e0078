// Command kubectl-aio_authn is a kubectl plugin that helps operators of the
// Azure IoT Operations MQTT broker write, check, rehearse and debug client
// authentication.
//
// This is the module root's main package, for `go run .` in a checkout;
// `go install` and releases build the same program from cmd/kubectl-aio_authn,
// which names the binary as kubectl expects.
package main

import "github.com/aio-authn/kubectl-aio-authn/cmd"

func main() { cmd.Main() }
