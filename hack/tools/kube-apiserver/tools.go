//go:build tools

// Package tools pins the kube-apiserver used by the project's test harness
// (internal/testenv). It is a separate module so that the project's own
// go.mod never depends on k8s.io/kubernetes. hack/build-kube-apiserver.sh
// builds k8s.io/kubernetes/cmd/kube-apiserver from this module, and kubectl
// (which the plugin tests run) when the machine has none.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
