// Package mid2024 holds the mid-2024 preview shape of
// mqttbroker.iotoperations.azure.com/v1beta1 BrokerAuthentication, which many
// published examples still use: its entries name the settings blocks custom,
// serviceAccountToken and x509Credentials. No broker serves it any more (the
// 2025 v1beta1, package v1beta1, has the v1 shape), so its schema is
// generated apart from the CRDs (pkg/api/crds/mid2024), for validate to
// explain such manifests, and api.ConvertAuthentication turns them into v1.
//
// +kubebuilder:object:generate=true
// +groupName=mqttbroker.iotoperations.azure.com
// +versionName=v1beta1
package mid2024

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// SchemeGroupVersion is mqttbroker.iotoperations.azure.com/v1beta1, the
// apiVersion these manifests carry.
var SchemeGroupVersion = schema.GroupVersion{Group: v1.Group, Version: "v1beta1"}
