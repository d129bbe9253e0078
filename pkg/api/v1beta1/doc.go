// Package v1beta1 holds the mid-2024 preview shape of
// mqttbroker.iotoperations.azure.com/v1beta1, which many published examples
// still use. Its BrokerAuthentication names the settings blocks custom,
// serviceAccountToken and x509Credentials; api.ConvertAuthentication turns it
// into v1.
//
// +kubebuilder:object:generate=true
// +groupName=mqttbroker.iotoperations.azure.com
package v1beta1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SchemeGroupVersion is mqttbroker.iotoperations.azure.com/v1beta1.
var SchemeGroupVersion = schema.GroupVersion{Group: "mqttbroker.iotoperations.azure.com", Version: "v1beta1"}
