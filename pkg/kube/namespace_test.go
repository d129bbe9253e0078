package kube

import (
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
)

// TestBrokerNamespace: -n wins; without it the broker's namespace, whatever
// the kubeconfig context says.
func TestBrokerNamespace(t *testing.T) {
	flags := NewConfigFlags()
	if got := BrokerNamespace(flags); got != api.BrokerNamespace {
		t.Errorf("without -n: %q, want %q", got, api.BrokerNamespace)
	}
	ns := "mqtt"
	flags.Namespace = &ns
	if got := BrokerNamespace(flags); got != "mqtt" {
		t.Errorf("with -n mqtt: %q", got)
	}
	if got := BrokerNamespace(nil); got != api.BrokerNamespace {
		t.Errorf("no flags: %q", got)
	}
}
