// Package v1beta1 holds mqttbroker.iotoperations.azure.com/v1beta1 as the
// 2025 preview serves it: the v1 shape, in which preview fields appeared
// first (x509Settings.additionalValidation came in the REST API's
// 2025-07-01-preview, and the 2025 documentation says v1beta1 is required
// for it). The mid-2024 preview used the same apiVersion with another shape
// (package mid2024); validate and the decoders tell the two apart by shape.
//
// +kubebuilder:object:generate=true
// +groupName=mqttbroker.iotoperations.azure.com
package v1beta1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// SchemeGroupVersion is mqttbroker.iotoperations.azure.com/v1beta1.
var SchemeGroupVersion = schema.GroupVersion{Group: v1.Group, Version: "v1beta1"}
