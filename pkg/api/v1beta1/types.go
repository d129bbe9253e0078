package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// BrokerAuthentication is the 2025 preview: the v1 shape.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=bauthn,categories=iotoperations
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() >= 3 && self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9][a-z0-9-]*[a-z0-9]$')",message="metadata.name must be 3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit"
type BrokerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec v1.BrokerAuthenticationSpec `json:"spec"`
}

// BrokerAuthenticationList is a list of BrokerAuthentication.
//
// +kubebuilder:object:root=true
type BrokerAuthenticationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BrokerAuthentication `json:"items"`
}

// BrokerListener is the preview listener; its shape did not change in v1.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=blistener,categories=iotoperations
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() >= 3 && self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9][a-z0-9-]*[a-z0-9]$')",message="metadata.name must be 3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit"
type BrokerListener struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec v1.BrokerListenerSpec `json:"spec"`
}

// BrokerListenerList is a list of BrokerListener.
//
// +kubebuilder:object:root=true
type BrokerListenerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BrokerListener `json:"items"`
}
