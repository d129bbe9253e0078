package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BrokerListener exposes the broker on a Kubernetes Service with one or more
// ports; each port chooses its TLS and its BrokerAuthentication.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=blistener,categories=iotoperations
// +kubebuilder:storageversion
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() >= 3 && self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9][a-z0-9-]*[a-z0-9]$')",message="metadata.name must be 3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit"
type BrokerListener struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec BrokerListenerSpec `json:"spec"`
}

// BrokerListenerList is a list of BrokerListener.
//
// +kubebuilder:object:root=true
type BrokerListenerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BrokerListener `json:"items"`
}

// ServiceType is the type of the listener's Kubernetes Service.
//
// +kubebuilder:validation:Enum=ClusterIp;LoadBalancer;NodePort
type ServiceType string

// The service types. Note "ClusterIp", not Kubernetes' "ClusterIP".
const (
	ServiceTypeClusterIP    ServiceType = "ClusterIp"
	ServiceTypeLoadBalancer ServiceType = "LoadBalancer"
	ServiceTypeNodePort     ServiceType = "NodePort"
)

// BrokerListenerSpec is the listener's Service and its ports.
type BrokerListenerSpec struct {
	// ServiceName is the Kubernetes Service's name; the listener's name when
	// empty.
	//
	// +optional
	ServiceName string `json:"serviceName,omitempty"`

	// ServiceType is the Kubernetes Service's type. One listener per type.
	//
	// +kubebuilder:default=ClusterIp
	// +optional
	ServiceType ServiceType `json:"serviceType,omitempty"`

	// Ports the listener serves.
	//
	// +kubebuilder:validation:MinItems=1
	// +listType=map
	// +listMapKey=port
	// +required
	Ports []ListenerPort `json:"ports"`
}

// Protocol is a port's protocol.
//
// +kubebuilder:validation:Enum=Mqtt;WebSockets
type Protocol string

// The port protocols.
const (
	ProtocolMqtt       Protocol = "Mqtt"
	ProtocolWebSockets Protocol = "WebSockets"
)

// ListenerPort is one port of a listener.
type ListenerPort struct {
	// Port is the TCP port. Unique across all listeners of a broker.
	//
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	// +required
	Port int32 `json:"port"`

	// NodePort is the node port when serviceType is NodePort.
	//
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	// +optional
	NodePort *int32 `json:"nodePort,omitempty"`

	// Protocol is the port's protocol.
	//
	// +kubebuilder:default=Mqtt
	// +optional
	Protocol Protocol `json:"protocol,omitempty"`

	// AuthenticationRef names the BrokerAuthentication for this port.
	// Omitted, authentication is disabled on the port.
	//
	// +optional
	AuthenticationRef string `json:"authenticationRef,omitempty"`

	// AuthorizationRef names the BrokerAuthorization for this port; only
	// effective when authenticationRef is set.
	//
	// +optional
	AuthorizationRef string `json:"authorizationRef,omitempty"`

	// TLS configures TLS on the port. Omitted, the port is plain TCP, and
	// X.509 client authentication cannot work on it.
	//
	// +optional
	TLS *TLSCertMethod `json:"tls,omitempty"`
}

// TLSCertMethodMode says where the port's server certificate comes from.
//
// +kubebuilder:validation:Enum=Automatic;Manual
type TLSCertMethodMode string

// The TLS modes.
const (
	TLSModeAutomatic TLSCertMethodMode = "Automatic"
	TLSModeManual    TLSCertMethodMode = "Manual"
)

// TLSCertMethod is a port's TLS configuration.
//
// +kubebuilder:validation:XValidation:rule="self.mode != 'Manual' || has(self.manual)",message="tls.mode Manual needs tls.manual.secretRef"
type TLSCertMethod struct {
	// Mode is Automatic (cert-manager issues the certificate) or Manual (a
	// Secret you provide).
	//
	// +required
	Mode TLSCertMethodMode `json:"mode"`

	// CertManagerCertificateSpec tunes the certificate cert-manager issues in
	// Automatic mode.
	//
	// +optional
	CertManagerCertificateSpec *CertManagerCertificateSpec `json:"certManagerCertificateSpec,omitempty"`

	// Manual names the Secret holding the server certificate in Manual mode.
	//
	// +optional
	Manual *X509ManualCertificate `json:"manual,omitempty"`
}

// CertManagerCertificateSpec is the part of a cert-manager Certificate the
// listener lets you choose.
type CertManagerCertificateSpec struct {
	// Duration of the certificate, e.g. 720h.
	//
	// +optional
	Duration string `json:"duration,omitempty"`

	// RenewBefore is when to renew before expiry, e.g. 240h.
	//
	// +optional
	RenewBefore string `json:"renewBefore,omitempty"`

	// IssuerRef is the cert-manager issuer.
	//
	// +optional
	IssuerRef *CertManagerIssuerRef `json:"issuerRef,omitempty"`

	// SecretName is where cert-manager stores the certificate.
	//
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// San lists extra subject alternative names.
	//
	// +optional
	San *SanForCert `json:"san,omitempty"`
}

// CertManagerIssuerRef points to a cert-manager Issuer or ClusterIssuer.
type CertManagerIssuerRef struct {
	// Group is the issuer's API group, cert-manager.io for cert-manager's own.
	//
	// +required
	Group string `json:"group"`

	// Kind is Issuer or ClusterIssuer.
	//
	// +kubebuilder:validation:Enum=Issuer;ClusterIssuer
	// +required
	Kind string `json:"kind"`

	// Name is the issuer's name.
	//
	// +required
	Name string `json:"name"`
}

// SanForCert lists subject alternative names.
type SanForCert struct {
	// DNS names.
	//
	// +optional
	DNS []string `json:"dns,omitempty"`

	// IP addresses.
	//
	// +optional
	IP []string `json:"ip,omitempty"`
}
