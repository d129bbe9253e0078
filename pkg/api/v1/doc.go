// Package v1 holds the Go types of mqttbroker.iotoperations.azure.com/v1, the
// generally available API of the Azure IoT Operations MQTT broker, for the two
// kinds that decide client authentication: BrokerAuthentication and
// BrokerListener. The CRDs in pkg/api/crds are generated from these types by
// controller-gen (see hack/gen-crds.sh), so the markers here are the schema.
//
// +kubebuilder:object:generate=true
// +groupName=mqttbroker.iotoperations.azure.com
package v1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group is the API group of both kinds.
const Group = "mqttbroker.iotoperations.azure.com"

// SchemeGroupVersion is mqttbroker.iotoperations.azure.com/v1.
var SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: "v1"}
