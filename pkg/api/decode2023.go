package api

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api/mid2024"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// authentication2023 is the BrokerAuthentication of the 2023 preview
// (mq.iotoperations.azure.com/v1beta1). It is only read, to convert it, so it
// is not part of the scheme and has no CRD.
type authentication2023 struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              authenticationSpec2023 `json:"spec"`
}

type authenticationSpec2023 struct {
	// ListenerRef pointed from the authentication to its listeners; v1
	// points the other way (ports[].authenticationRef).
	ListenerRef           []string     `json:"listenerRef,omitempty"`
	AuthenticationMethods []method2023 `json:"authenticationMethods"`
}

// method2023 is one entry of the 2023 chain: exactly one of its keys is set.
type method2023 struct {
	Sat  *sat2023  `json:"sat,omitempty"`
	X509 *x5092023 `json:"x509,omitempty"`
	// The 2023 custom block has the shape the mid-2024 preview kept.
	Custom *mid2024.BrokerAuthenticatorMethodCustom `json:"custom,omitempty"`
	// UsernamePassword is only detected: v1 has no equivalent.
	UsernamePassword *map[string]any `json:"usernamePassword,omitempty"`
}

type sat2023 struct {
	Audiences []string `json:"audiences"`
}

type x5092023 struct {
	TrustedClientCACert string `json:"trustedClientCaCert,omitempty"`
	// Attributes named a Secret holding a TOML file of attributes.
	Attributes *secretName2023 `json:"attributes,omitempty"`
}

type secretName2023 struct {
	SecretName string `json:"secretName"`
	Namespace  string `json:"namespace,omitempty"`
}

// Keys2023 are the one-key-per-entry method names of the 2023 shape, with the
// v1 method each becomes ("" when there is none).
var Keys2023 = map[string]v1.Method{
	"sat":              v1.MethodServiceAccountToken,
	"x509":             v1.MethodX509,
	"custom":           v1.MethodCustom,
	"usernamePassword": "",
}

// UsernamePasswordHint says why the 2023 usernamePassword method cannot be
// converted and what to use instead.
const UsernamePasswordHint = "usernamePassword (2023 preview) has no v1 equivalent: " +
	"move those clients to X509 or ServiceAccountToken, or check passwords in a Custom auth server"

// InlineAttributesHint says what to do with the 2023 attributes Secret.
const InlineAttributesHint = inlineAttributesHint

// ListenerRefNote explains what replaces spec.listenerRef in v1.
func ListenerRefNote(authnName string, listeners []string) string {
	return fmt.Sprintf("spec.listenerRef dropped: in v1 a listener port names its BrokerAuthentication; "+
		"set authenticationRef: %s on the ports of %s", authnName, strings.Join(listeners, ", "))
}

// convertEntry2023 converts one 2023 entry (one key naming the method);
// path names it in notes and errors, ns is the object's namespace.
func convertEntry2023(m method2023, path, ns string) (v1.BrokerAuthenticatorMethods, []string, error) {
	var e v1.BrokerAuthenticatorMethods
	var notes []string
	var set []string
	if m.Sat != nil {
		set = append(set, "sat")
	}
	if m.X509 != nil {
		set = append(set, "x509")
	}
	if m.Custom != nil {
		set = append(set, "custom")
	}
	if m.UsernamePassword != nil {
		set = append(set, "usernamePassword")
	}
	if len(set) != 1 {
		msg := "each 2023 entry has exactly one of sat, x509, custom, usernamePassword"
		if len(set) > 1 {
			msg += "; found " + strings.Join(set, ", ") + ": split them into separate entries"
		}
		return e, nil, &ConversionError{Path: path, Msg: msg}
	}
	switch {
	case m.UsernamePassword != nil:
		return e, nil, &ConversionError{Path: path + ".usernamePassword", Msg: UsernamePasswordHint}
	case m.Sat != nil:
		e.Method = v1.MethodServiceAccountToken
		e.ServiceAccountTokenSettings = &v1.BrokerAuthenticatorMethodSat{Audiences: append([]string(nil), m.Sat.Audiences...)}
		notes = append(notes, path+".sat → method ServiceAccountToken with serviceAccountTokenSettings")
	case m.X509 != nil:
		if m.X509.Attributes != nil {
			return e, nil, &ConversionError{Path: path + ".x509.attributes", Msg: inlineAttributesHint}
		}
		e.Method = v1.MethodX509
		e.X509Settings = &v1.BrokerAuthenticatorMethodX509{TrustedClientCACert: m.X509.TrustedClientCACert}
		notes = append(notes, path+".x509 → method X509 with x509Settings")
	default:
		c := m.Custom
		e.Method = v1.MethodCustom
		notes = append(notes, path+".custom → method Custom with customSettings")
		var more []string
		e.CustomSettings, more = convertCustom(c, path, ns)
		notes = append(notes, more...)
	}
	return e, notes, nil
}
