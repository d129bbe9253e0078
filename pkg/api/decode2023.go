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

// ListenerRefNote explains what replaces spec.listenerRef in v1.
func ListenerRefNote(authnName string, listeners []string) string {
	return fmt.Sprintf("spec.%s dropped: %s; set authenticationRef: %s on the ports of %s",
		RenameListenerRef.Names[Gen2023], RenameListenerRef.Note, authnName, strings.Join(listeners, ", "))
}

// OneKey2023 says what an entry of a 2023 document must have; found lists
// the 2023 keys it has.
func OneKey2023(found []string) string {
	msg := "expected exactly one of " + strings.Join(Gen2023.EntryKeys(), ", ") + " (the 2023 shape) or a method (the v1 shape)"
	if len(found) > 1 {
		msg += "; found " + strings.Join(found, ", ") + ": split them into separate entries"
	}
	return msg
}

// convertEntry2023 converts one 2023 entry (one key naming the method);
// path names it in notes and errors, ns is the object's namespace.
func convertEntry2023(m method2023, path, ns string) (v1.BrokerAuthenticatorMethods, []string, error) {
	var e v1.BrokerAuthenticatorMethods
	has := map[string]bool{
		Gen2023.Block(v1.MethodServiceAccountToken): m.Sat != nil,
		Gen2023.Block(v1.MethodX509):                m.X509 != nil,
		Gen2023.Block(v1.MethodCustom):              m.Custom != nil,
		RenameUsernamePassword.Names[Gen2023]:       m.UsernamePassword != nil,
	}
	var set []string
	for _, k := range Gen2023.EntryKeys() {
		if has[k] {
			set = append(set, k)
		}
	}
	if len(set) != 1 {
		return e, nil, &ConversionError{Path: path, Msg: OneKey2023(set)}
	}
	if m.UsernamePassword != nil {
		return e, nil, &ConversionError{Path: path + "." + set[0], Msg: RenameUsernamePassword.Note}
	}
	e.Method, _ = Gen2023.BlockMethod(set[0])
	notes := []string{fmt.Sprintf("%s.%s → method %s with %s", path, set[0], e.Method, GenV1.Block(e.Method))}
	switch e.Method {
	case v1.MethodServiceAccountToken:
		e.ServiceAccountTokenSettings = &v1.BrokerAuthenticatorMethodSat{Audiences: append([]string(nil), m.Sat.Audiences...)}
	case v1.MethodX509:
		if m.X509.Attributes != nil {
			return e, nil, &ConversionError{Path: path + "." + set[0] + "." + RenameAttributes.Names[Gen2023], Msg: RenameAttributes.Note}
		}
		e.X509Settings = &v1.BrokerAuthenticatorMethodX509{TrustedClientCACert: m.X509.TrustedClientCACert}
	default:
		var more []string
		e.CustomSettings, more = convertCustom(m.Custom, path, Gen2023, ns)
		notes = append(notes, more...)
	}
	return e, notes, nil
}
