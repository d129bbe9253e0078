package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BrokerAuthentication declares how the broker authenticates the clients of
// the listener ports that reference it: an ordered chain of methods, tried
// first to last.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=bauthn,categories=iotoperations
// +kubebuilder:storageversion
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() >= 3 && self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9][a-z0-9-]*[a-z0-9]$')",message="metadata.name must be 3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit"
type BrokerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec BrokerAuthenticationSpec `json:"spec"`
}

// BrokerAuthenticationList is a list of BrokerAuthentication.
//
// +kubebuilder:object:root=true
type BrokerAuthenticationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BrokerAuthentication `json:"items"`
}

// BrokerAuthenticationSpec is the ordered chain of authentication methods.
type BrokerAuthenticationSpec struct {
	// AuthenticationMethods are tried in order. The first method for which the
	// client's credentials are relevant decides; credentials relevant to no
	// method are denied.
	//
	// +kubebuilder:validation:MinItems=1
	// +required
	AuthenticationMethods []BrokerAuthenticatorMethods `json:"authenticationMethods"`
}

// Method names an authentication method. The cluster accepts the values in
// any letter case (Microsoft's SDK applies serviceAccountToken), so the
// schema is a case-insensitive pattern rather than an enum; decoding
// canonicalises the spelling (see UnmarshalJSON). The longest value has 19
// characters; the length bound keeps the API server's cost estimate of the
// settings-block rule, which lowercases the method, within its budget.
//
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:Pattern=`^(?i)(Custom|ServiceAccountToken|X509)$`
type Method string

// The authentication methods of v1.
const (
	MethodCustom              Method = "Custom"
	MethodServiceAccountToken Method = "ServiceAccountToken"
	MethodX509                Method = "X509"
)

// BrokerAuthenticatorMethods is one entry of the chain: a method and the
// settings block that matches it. The REST API's schema makes every block
// optional and its generated examples fill all three under one method, so
// the rule requires only the matching block; validate warns about the
// others (unused-settings), which the broker does not read.
//
// +kubebuilder:validation:XValidation:rule="[self.method.lowerAscii()].all(m, (m != 'custom' || has(self.customSettings)) && (m != 'serviceaccounttoken' || has(self.serviceAccountTokenSettings)) && (m != 'x509' || has(self.x509Settings)))",message="each entry needs the settings block of its method: customSettings for Custom, serviceAccountTokenSettings for ServiceAccountToken, x509Settings for X509"
type BrokerAuthenticatorMethods struct {
	// Method is the authentication method of this entry.
	//
	// +required
	Method Method `json:"method"`

	// CustomSettings configure the custom authentication server (method Custom).
	//
	// +optional
	CustomSettings *BrokerAuthenticatorMethodCustom `json:"customSettings,omitempty"`

	// ServiceAccountTokenSettings configure Kubernetes service account token
	// authentication (method ServiceAccountToken).
	//
	// +optional
	ServiceAccountTokenSettings *BrokerAuthenticatorMethodSat `json:"serviceAccountTokenSettings,omitempty"`

	// X509Settings configure X.509 client certificate authentication (method
	// X509).
	//
	// +optional
	X509Settings *BrokerAuthenticatorMethodX509 `json:"x509Settings,omitempty"`
}

// BrokerAuthenticatorMethodCustom configures a custom authentication server
// that speaks the custom authentication HTTP API.
type BrokerAuthenticatorMethodCustom struct {
	// Endpoint is the auth server's URL. HTTPS is required: the broker sends
	// the client's credentials to it.
	//
	// +kubebuilder:validation:Pattern=`^https://`
	// +required
	Endpoint string `json:"endpoint"`

	// CACertConfigMap names the ConfigMap holding the CA certificate that
	// signs the auth server's certificate. Omit when the server's certificate
	// is publicly rooted.
	//
	// +optional
	CACertConfigMap string `json:"caCertConfigMap,omitempty"`

	// Auth is how the broker authenticates itself to the auth server.
	//
	// +optional
	Auth *BrokerAuthenticatorCustomAuth `json:"auth,omitempty"`

	// Headers are extra HTTP headers sent with every request to the auth
	// server.
	//
	// +optional
	Headers map[string]string `json:"headers,omitempty"`
}

// BrokerAuthenticatorCustomAuth is the broker's own credential towards the
// custom auth server.
type BrokerAuthenticatorCustomAuth struct {
	// X509 is the client certificate the broker presents.
	//
	// +required
	X509 X509ManualCertificate `json:"x509"`
}

// X509ManualCertificate names a kubernetes.io/tls Secret.
type X509ManualCertificate struct {
	// SecretRef is the name of the Secret.
	//
	// +kubebuilder:validation:MinLength=1
	// +required
	SecretRef string `json:"secretRef"`
}

// BrokerAuthenticatorMethodSat configures Kubernetes service account token
// authentication.
type BrokerAuthenticatorMethodSat struct {
	// Audiences a token must carry at least one of.
	//
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:items:MinLength=1
	// +required
	Audiences []string `json:"audiences"`
}

// AdditionalValidation names an extra check on client certificates (REST
// API 2025-07-01-preview on, GA in 2025-10-01).
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^(?i)(None|AzureDeviceRegistry)$`
type AdditionalValidation string

// The additional validations. With AzureDeviceRegistry the broker also
// requires the leaf certificate's CN to name an enabled device in Azure
// Device Registry.
const (
	AdditionalValidationNone                AdditionalValidation = "None"
	AdditionalValidationAzureDeviceRegistry AdditionalValidation = "AzureDeviceRegistry"
)

// DefaultTrustedClientCACert is the ConfigMap the broker reads trusted client
// CAs from when trustedClientCaCert is not set.
const DefaultTrustedClientCACert = "client-ca"

// BrokerAuthenticatorMethodX509 configures X.509 client certificate
// authentication.
type BrokerAuthenticatorMethodX509 struct {
	// TrustedClientCACert names the ConfigMap holding the trusted client CA
	// certificates in PEM, under any key.
	//
	// +kubebuilder:default=client-ca
	// +optional
	TrustedClientCACert string `json:"trustedClientCaCert,omitempty"`

	// AuthorizationAttributes map certificate subjects to authorization
	// attributes. Matching starts at the leaf and walks up the chain; the first
	// certificate whose subject matches an entry gets that entry's attributes.
	//
	// +optional
	AuthorizationAttributes map[string]BrokerAuthenticatorMethodX509Attributes `json:"authorizationAttributes,omitempty"`

	// AdditionalValidation is an extra check on client certificates.
	//
	// +kubebuilder:default=None
	// +optional
	AdditionalValidation AdditionalValidation `json:"additionalValidation,omitempty"`
}

// BrokerAuthenticatorMethodX509Attributes gives attributes to the clients
// whose certificate chain holds a certificate with this subject.
type BrokerAuthenticatorMethodX509Attributes struct {
	// Subject is a distinguished name, written like
	// "CN = Contoso Root CA Cert, OU = Engineering, C = US".
	//
	// +kubebuilder:validation:MinLength=1
	// +required
	Subject string `json:"subject"`

	// Attributes are the authorization attributes given.
	//
	// +required
	Attributes map[string]string `json:"attributes"`
}
