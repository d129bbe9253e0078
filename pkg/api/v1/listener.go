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

// ServiceType is the type of the listener's Kubernetes Service, in any
// letter case (Microsoft's SDK applies clusterIp and loadBalancer).
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^(?i)(ClusterIp|LoadBalancer|NodePort)$`
type ServiceType string

// The service types. Note "ClusterIp", not Kubernetes' "ClusterIP".
const (
	ServiceTypeClusterIP    ServiceType = "ClusterIp"
	ServiceTypeLoadBalancer ServiceType = "LoadBalancer"
	ServiceTypeNodePort     ServiceType = "NodePort"
)

// BrokerListenerSpec is the listener's Service and its ports.
type BrokerListenerSpec struct {
	// BrokerRef names the Broker the listener belongs to ("default" for the
	// one AIO deploys). The REST API nests listeners under their broker
	// instead; the Kubernetes resource names it here.
	//
	// +optional
	BrokerRef string `json:"brokerRef,omitempty"`

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

// Protocol is a port's protocol, in any letter case.
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^(?i)(Mqtt|WebSockets)$`
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

// TLSCertMethodMode says where the port's server certificate comes from, in
// any letter case (Microsoft's SDK applies automatic).
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^(?i)(Automatic|Manual)$`
type TLSCertMethodMode string

// The TLS modes.
const (
	TLSModeAutomatic TLSCertMethodMode = "Automatic"
	TLSModeManual    TLSCertMethodMode = "Manual"
)

// TLSCertMethod is a port's TLS configuration.
//
// +kubebuilder:validation:XValidation:rule="self.mode.lowerAscii() != 'manual' || has(self.manual)",message="tls.mode Manual needs tls.manual.secretRef"
type TLSCertMethod struct {
	// Mode is Automatic (cert-manager issues the certificate) or Manual (a
	// Secret you provide).
	//
	// +required
	Mode TLSCertMethodMode `json:"mode"`

	// CertManagerCertificateSpec tunes the certificate cert-manager issues in
	// Automatic mode. Omitted, the broker uses its defaults (AIO's default
	// listener names the ClusterIssuer it deploys).
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

	// IssuerRef is the cert-manager issuer (required by the REST API).
	//
	// +required
	IssuerRef *CertManagerIssuerRef `json:"issuerRef"`

	// PrivateKey chooses the certificate's key (REST API 2024-11-01 on).
	//
	// +optional
	PrivateKey *CertManagerPrivateKey `json:"privateKey,omitempty"`

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
	// Group is the issuer's API group. The REST API lists it as required
	// with the default cert-manager.io, and the documentation says only the
	// issuer's name and kind are required: a default makes both true.
	//
	// +kubebuilder:default=cert-manager.io
	// +optional
	Group string `json:"group,omitempty"`

	// Kind is Issuer or ClusterIssuer.
	//
	// +required
	Kind IssuerKind `json:"kind"`

	// Name is the issuer's name.
	//
	// +required
	Name string `json:"name"`
}

// IssuerKind is the kind of a cert-manager issuer, in any letter case.
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^(?i)(Issuer|ClusterIssuer)$`
type IssuerKind string

// The cert-manager issuer kinds.
const (
	IssuerKindIssuer        IssuerKind = "Issuer"
	IssuerKindClusterIssuer IssuerKind = "ClusterIssuer"
)

// CertManagerPrivateKey is the private key of the certificate cert-manager
// issues: a real cluster shows {algorithm: Ec256, rotationPolicy: Always}
// on AIO's default listener.
type CertManagerPrivateKey struct {
	// Algorithm of the key.
	//
	// +required
	Algorithm PrivateKeyAlgorithm `json:"algorithm"`

	// RotationPolicy says whether cert-manager makes a new key on renewal.
	//
	// +required
	RotationPolicy PrivateKeyRotationPolicy `json:"rotationPolicy"`
}

// PrivateKeyAlgorithm is a key algorithm, in any letter case.
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^(?i)(Ec256|Ec384|Ec521|Ed25519|Rsa2048|Rsa4096|Rsa8192)$`
type PrivateKeyAlgorithm string

// The private key algorithms.
const (
	PrivateKeyEc256   PrivateKeyAlgorithm = "Ec256"
	PrivateKeyEc384   PrivateKeyAlgorithm = "Ec384"
	PrivateKeyEc521   PrivateKeyAlgorithm = "Ec521"
	PrivateKeyEd25519 PrivateKeyAlgorithm = "Ed25519"
	PrivateKeyRsa2048 PrivateKeyAlgorithm = "Rsa2048"
	PrivateKeyRsa4096 PrivateKeyAlgorithm = "Rsa4096"
	PrivateKeyRsa8192 PrivateKeyAlgorithm = "Rsa8192"
)

// PrivateKeyRotationPolicy is cert-manager's rotation policy, in any letter
// case.
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^(?i)(Always|Never)$`
type PrivateKeyRotationPolicy string

// The rotation policies.
const (
	RotationAlways PrivateKeyRotationPolicy = "Always"
	RotationNever  PrivateKeyRotationPolicy = "Never"
)

// SanForCert lists subject alternative names. The REST API marks both
// lists required with an empty default; Microsoft's SDK sets only the ones
// it needs, so each is optional here.
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
