package v1

import (
	"encoding/json"
	"strings"
)

// The API's enum values are open strings in the REST API (modelAsString),
// and the cluster accepts them in any letter case: Microsoft's SDK
// deployment applies `method: serviceAccountToken` and `serviceType:
// clusterIp` with kubectl. Every enum type below therefore decodes any
// spelling of a known value to its canonical (PascalCase) one, so that
// every reader of the API types (explain, audit, bundles, conversion)
// compares canonical values and none has to normalise on its own. Unknown
// values are kept as written, for validation to report.

// Methods lists the methods in the order the API documents them.
var Methods = []Method{MethodCustom, MethodServiceAccountToken, MethodX509}

// AdditionalValidations lists the additional X.509 validations.
var AdditionalValidations = []AdditionalValidation{AdditionalValidationNone, AdditionalValidationAzureDeviceRegistry}

// ServiceTypes lists the listener service types.
var ServiceTypes = []ServiceType{ServiceTypeClusterIP, ServiceTypeLoadBalancer, ServiceTypeNodePort}

// Protocols lists the port protocols.
var Protocols = []Protocol{ProtocolMqtt, ProtocolWebSockets}

// TLSModes lists the TLS modes.
var TLSModes = []TLSCertMethodMode{TLSModeAutomatic, TLSModeManual}

// IssuerKinds lists the cert-manager issuer kinds.
var IssuerKinds = []IssuerKind{IssuerKindIssuer, IssuerKindClusterIssuer}

// PrivateKeyAlgorithms lists the private key algorithms.
var PrivateKeyAlgorithms = []PrivateKeyAlgorithm{PrivateKeyEc256, PrivateKeyEc384, PrivateKeyEc521, PrivateKeyEd25519,
	PrivateKeyRsa2048, PrivateKeyRsa4096, PrivateKeyRsa8192}

// RotationPolicies lists the private key rotation policies.
var RotationPolicies = []PrivateKeyRotationPolicy{RotationAlways, RotationNever}

// Canonical returns the value of values that s spells in any letter case,
// and whether there is one.
func Canonical[T ~string](s string, values []T) (T, bool) {
	for _, v := range values {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	return T(s), false
}

// decodeEnum decodes a JSON string into an enum, canonicalising a known
// value's spelling.
func decodeEnum[T ~string](data []byte, into *T, values []T) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err // a *json.UnmarshalTypeError naming the JSON kind
	}
	*into, _ = Canonical(s, values)
	return nil
}

// UnmarshalJSON reads any letter case of a known method as its canonical
// spelling.
func (m *Method) UnmarshalJSON(data []byte) error { return decodeEnum(data, m, Methods) }

// UnmarshalJSON reads any letter case of a known value as its canonical
// spelling.
func (a *AdditionalValidation) UnmarshalJSON(data []byte) error {
	return decodeEnum(data, a, AdditionalValidations)
}

// UnmarshalJSON reads any letter case of a known value as its canonical
// spelling.
func (s *ServiceType) UnmarshalJSON(data []byte) error { return decodeEnum(data, s, ServiceTypes) }

// UnmarshalJSON reads any letter case of a known value as its canonical
// spelling.
func (p *Protocol) UnmarshalJSON(data []byte) error { return decodeEnum(data, p, Protocols) }

// UnmarshalJSON reads any letter case of a known value as its canonical
// spelling.
func (m *TLSCertMethodMode) UnmarshalJSON(data []byte) error { return decodeEnum(data, m, TLSModes) }

// UnmarshalJSON reads any letter case of a known value as its canonical
// spelling.
func (k *IssuerKind) UnmarshalJSON(data []byte) error { return decodeEnum(data, k, IssuerKinds) }

// UnmarshalJSON reads any letter case of a known value as its canonical
// spelling.
func (a *PrivateKeyAlgorithm) UnmarshalJSON(data []byte) error {
	return decodeEnum(data, a, PrivateKeyAlgorithms)
}

// UnmarshalJSON reads any letter case of a known value as its canonical
// spelling.
func (p *PrivateKeyRotationPolicy) UnmarshalJSON(data []byte) error {
	return decodeEnum(data, p, RotationPolicies)
}
