package mid2024

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// BrokerAuthentication is the mid-2024 preview shape. No broker serves it:
// its schema is only for validation, and such manifests are converted with
// `kubectl aio-authn convert` before applying.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=bauthn,categories=iotoperations
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
	// AuthenticationMethods are tried in order.
	//
	// +kubebuilder:validation:MinItems=1
	// +required
	AuthenticationMethods []BrokerAuthenticatorMethods `json:"authenticationMethods"`
}

// Method names an authentication method in the preview API, where X.509 was
// spelled x509Credentials (and X509Credentials in some examples); any
// letter case, as in v1.
//
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:Pattern=`^(?i)(Custom|ServiceAccountToken|x509Credentials)$`
type Method string

// The preview methods.
const (
	MethodCustom              Method = "Custom"
	MethodServiceAccountToken Method = "ServiceAccountToken"
	MethodX509Credentials     Method = "x509Credentials"
)

// Methods lists the preview methods. Any letter case is accepted, as in v1:
// X509Credentials, which some examples write, is x509Credentials.
var Methods = []Method{MethodCustom, MethodServiceAccountToken, MethodX509Credentials}

// BrokerAuthenticatorMethods is one entry: a method and its settings block.
//
// Like v1's, the rule requires only the block that matches the method.
//
// +kubebuilder:validation:XValidation:rule="[self.method.lowerAscii()].all(m, (m != 'custom' || has(self.custom)) && (m != 'serviceaccounttoken' || has(self.serviceAccountToken)) && (m != 'x509credentials' || has(self.x509Credentials)))",message="each entry needs the settings block of its method: custom for Custom, serviceAccountToken for ServiceAccountToken, x509Credentials for x509Credentials"
type BrokerAuthenticatorMethods struct {
	// +required
	Method Method `json:"method"`

	// +optional
	Custom *BrokerAuthenticatorMethodCustom `json:"custom,omitempty"`

	// +optional
	ServiceAccountToken *BrokerAuthenticatorMethodSat `json:"serviceAccountToken,omitempty"`

	// +optional
	X509Credentials *BrokerAuthenticatorMethodX509 `json:"x509Credentials,omitempty"`
}

// BrokerAuthenticatorMethodCustom configures a custom authentication server.
type BrokerAuthenticatorMethodCustom struct {
	// +kubebuilder:validation:Pattern=`^https://`
	// +required
	Endpoint string `json:"endpoint"`

	// CACert names the ConfigMap with the auth server's CA (caCertConfigMap
	// in v1).
	//
	// +optional
	CACert string `json:"caCert,omitempty"`

	// +optional
	Auth *BrokerAuthenticatorCustomAuth `json:"auth,omitempty"`

	// +optional
	Headers map[string]string `json:"headers,omitempty"`
}

// BrokerAuthenticatorCustomAuth is the broker's credential towards the auth
// server.
type BrokerAuthenticatorCustomAuth struct {
	// +required
	X509 X509SecretRef `json:"x509"`
}

// X509SecretRef names a Secret by name and namespace (secretRef in v1).
type X509SecretRef struct {
	// +kubebuilder:validation:MinLength=1
	// +required
	SecretName string `json:"secretName"`

	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// BrokerAuthenticatorMethodSat configures service account token
// authentication.
type BrokerAuthenticatorMethodSat struct {
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:items:MinLength=1
	// +required
	Audiences []string `json:"audiences"`
}

// BrokerAuthenticatorMethodX509 configures X.509 client authentication.
type BrokerAuthenticatorMethodX509 struct {
	// +optional
	TrustedClientCACert string `json:"trustedClientCaCert,omitempty"`

	// +optional
	AuthorizationAttributes map[string]v1.BrokerAuthenticatorMethodX509Attributes `json:"authorizationAttributes,omitempty"`
}
