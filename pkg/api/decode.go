package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	sigsjson "sigs.k8s.io/json"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api/mid2024"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// The apiVersions of the three generations of the broker's API.
const (
	APIVersionV1        = Group + "/v1"
	APIVersionV1beta1   = Group + "/v1beta1"
	APIVersion2023      = Group2023 + "/v1beta1"
	Group2023           = "mq.iotoperations.azure.com"
	supportedAPIVersion = APIVersionV1 + ", " + APIVersionV1beta1 + " or " + APIVersion2023
)

// UnsupportedVersionError reports an apiVersion this tool cannot read.
type UnsupportedVersionError struct {
	Kind       string
	APIVersion string
}

func (e *UnsupportedVersionError) Error() string {
	if e.APIVersion == "" {
		return fmt.Sprintf("%s has no apiVersion: set it to %s", e.Kind, APIVersionV1)
	}
	return fmt.Sprintf("unsupported apiVersion %q for %s: supported are %s", e.APIVersion, e.Kind, supportedAPIVersion)
}

// ConversionError reports a part of an older manifest that has no v1
// equivalent. Path is the field path in the input document, so callers can
// point at a file line.
type ConversionError struct {
	Path string
	Msg  string
}

func (e *ConversionError) Error() string { return e.Path + ": " + e.Msg }

// DecodeBrokerAuthentication decodes a BrokerAuthentication of any supported
// generation (JSON, as from manifest.Document.JSON) into v1. notes describe
// what conversion did (for warnings), empty for v1 input.
//
// Decoding is lenient about unknown fields, since validate is the strict
// reader and explain should still work on a manifest with a typo elsewhere;
// for older generations the unknown fields are listed in notes, because a
// field the old shape did not have usually means the manifest mixes shapes.
// Mixed manifests are common (a preview apiVersion with some v1 names), so
// for an older generation a v1 settings block is used as it is, as convert
// would leave it. A field of the wrong type is an error.
func DecodeBrokerAuthentication(apiVersion string, data []byte) (obj *v1.BrokerAuthentication, notes []string, err error) {
	switch apiVersion {
	case APIVersionV1:
		out := &v1.BrokerAuthentication{}
		if _, err := decodeLenient(data, out); err != nil {
			return nil, nil, err
		}
		return out, nil, nil
	case APIVersionV1beta1:
		var obj map[string]any
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, nil, typeError(err)
		}
		switch shape := PreviewShapeOf(obj); shape.Kind() {
		case ShapeMixed:
			return nil, nil, &ConversionError{Path: shape.FirstPath(), Msg: shape.MixedMessage()}
		case ShapeMid2024:
			return decodeOlder(apiVersion, data)
		}
		out := &v1.BrokerAuthentication{}
		unknown, err := decodeLenient(data, out)
		if err != nil {
			return nil, nil, err
		}
		// The 2025 preview has v1's shape: nothing to convert, so no note
		// but the fields no shape knows.
		out.APIVersion = APIVersionV1
		return out, unknown, nil
	case APIVersion2023:
		return decodeOlder(apiVersion, data)
	}
	return nil, nil, &UnsupportedVersionError{Kind: KindBrokerAuthentication, APIVersion: apiVersion}
}

// decodeOlder reads a preview BrokerAuthentication through every shape it
// may mix (v1, mid-2024, 2023) and converts it entry by entry: an entry with
// a method is of the mid-2024 or v1 shape, one without is of the 2023 shape.
func decodeOlder(apiVersion string, data []byte) (*v1.BrokerAuthentication, []string, error) {
	asV1 := &v1.BrokerAuthentication{}
	asBeta := &mid2024.BrokerAuthentication{}
	as2023 := &authentication2023{}
	views := []any{asV1, asBeta}
	if apiVersion == APIVersion2023 {
		views = append(views, as2023)
	}
	var unknown map[string]bool
	for _, v := range views {
		u, err := decodeLenient(data, v)
		if err != nil {
			return nil, nil, err
		}
		// A field is unknown when no shape knows it.
		next := map[string]bool{}
		for _, f := range u {
			if unknown == nil || unknown[f] {
				next[f] = true
			}
		}
		unknown = next
	}

	out := &v1.BrokerAuthentication{ObjectMeta: *asBeta.ObjectMeta.DeepCopy()}
	out.APIVersion = APIVersionV1
	out.Kind = KindBrokerAuthentication
	notes := []string{"apiVersion " + apiVersion + " converted to " + APIVersionV1}
	if apiVersion == APIVersion2023 && len(as2023.Spec.ListenerRef) > 0 {
		notes = append(notes, ListenerRefNote(out.Name, as2023.Spec.ListenerRef))
	}
	if asBeta.Spec.AuthenticationMethods != nil {
		out.Spec.AuthenticationMethods = make([]v1.BrokerAuthenticatorMethods, 0, len(asBeta.Spec.AuthenticationMethods))
	}
	for i, b := range asBeta.Spec.AuthenticationMethods {
		path := fmt.Sprintf("spec.authenticationMethods[%d]", i)
		var e v1.BrokerAuthenticatorMethods
		var n []string
		if b.Method == "" && apiVersion == APIVersion2023 {
			var err error
			if e, n, err = convertEntry2023(as2023.Spec.AuthenticationMethods[i], path, out.Namespace); err != nil {
				return nil, nil, err
			}
		} else {
			e, n = convertEntry(b, path, out.Namespace)
			n = append(n, keepV1Blocks(&e, asV1.Spec.AuthenticationMethods[i], path)...)
		}
		notes = append(notes, n...)
		out.Spec.AuthenticationMethods = append(out.Spec.AuthenticationMethods, e)
	}
	notes = append(notes, mixedShapeNotes(data)...)
	var rest []string
	for f := range unknown {
		if strings.HasSuffix(f, `.x509Credentials.attributes" ignored`) {
			continue // mixedShapeNotes says what to do
		}
		rest = append(rest, f)
	}
	sort.Strings(rest)
	return out, append(notes, rest...), nil
}

// keepV1Blocks takes the v1 settings blocks of an entry of an older
// generation as they are.
func keepV1Blocks(e *v1.BrokerAuthenticatorMethods, v v1.BrokerAuthenticatorMethods, path string) []string {
	var notes []string
	keep := func(m v1.Method) {
		notes = append(notes, fmt.Sprintf("%s.%s is the v1 name: used as is", path, GenV1.Block(m)))
	}
	if e.CustomSettings == nil && v.CustomSettings != nil {
		e.CustomSettings = v.CustomSettings
		keep(v1.MethodCustom)
	}
	if e.ServiceAccountTokenSettings == nil && v.ServiceAccountTokenSettings != nil {
		e.ServiceAccountTokenSettings = v.ServiceAccountTokenSettings
		keep(v1.MethodServiceAccountToken)
	}
	if e.X509Settings == nil && v.X509Settings != nil {
		e.X509Settings = v.X509Settings
		keep(v1.MethodX509)
	}
	return notes
}

// DecodeBrokerListener decodes a BrokerListener into v1. The mid-2024 preview
// listener has the v1 shape already; the 2023 listener (brokerRef,
// authenticationEnabled, one port) is a different design and is refused.
func DecodeBrokerListener(apiVersion string, data []byte) (*v1.BrokerListener, []string, error) {
	switch apiVersion {
	case APIVersionV1, APIVersionV1beta1:
		out := &v1.BrokerListener{}
		unknown, err := decodeLenient(data, out)
		if err != nil {
			return nil, nil, err
		}
		if apiVersion == APIVersionV1 {
			return out, nil, nil
		}
		out.APIVersion = APIVersionV1
		notes := []string{"apiVersion " + APIVersionV1beta1 + " read as v1: the listener shape did not change"}
		return out, append(notes, unknown...), nil
	case APIVersion2023:
		return nil, nil, &ConversionError{Path: "apiVersion", Msg: "the 2023 BrokerListener (" + APIVersion2023 +
			") cannot be converted: write a v1 listener, e.g. with `kubectl aio-authn generate listener`"}
	}
	return nil, nil, &UnsupportedVersionError{Kind: KindBrokerListener, APIVersion: apiVersion}
}

// ConvertAuthentication converts the mid-2024 v1beta1 shape to v1. The notes
// name each renamed field by its v1beta1 path.
func ConvertAuthentication(in *mid2024.BrokerAuthentication) (*v1.BrokerAuthentication, []string) {
	out := &v1.BrokerAuthentication{
		TypeMeta:   in.TypeMeta,
		ObjectMeta: *in.ObjectMeta.DeepCopy(),
	}
	out.APIVersion = APIVersionV1
	out.Kind = KindBrokerAuthentication
	notes := []string{"apiVersion " + APIVersionV1beta1 + " converted to " + APIVersionV1}
	if in.Spec.AuthenticationMethods != nil {
		out.Spec.AuthenticationMethods = make([]v1.BrokerAuthenticatorMethods, 0, len(in.Spec.AuthenticationMethods))
	}
	for i, m := range in.Spec.AuthenticationMethods {
		e, n := convertEntry(m, fmt.Sprintf("spec.authenticationMethods[%d]", i), in.Namespace)
		notes = append(notes, n...)
		out.Spec.AuthenticationMethods = append(out.Spec.AuthenticationMethods, e)
	}
	return out, notes
}

// convertEntry converts one mid-2024 entry; path names it in notes, and ns
// is the object's namespace, to which the custom auth Secret moves.
func convertEntry(m mid2024.BrokerAuthenticatorMethods, path, ns string) (v1.BrokerAuthenticatorMethods, []string) {
	var notes []string
	e := v1.BrokerAuthenticatorMethods{Method: ConvertMethod(m.Method)}
	if e.Method != v1.Method(m.Method) {
		notes = append(notes, fmt.Sprintf("%s.method %s → %s", path, m.Method, e.Method))
	}
	if c := m.Custom; c != nil {
		notes = append(notes, blockNote(path, GenMid2024, v1.MethodCustom))
		var more []string
		e.CustomSettings, more = convertCustom(c, path, GenMid2024, ns)
		notes = append(notes, more...)
	}
	if s := m.ServiceAccountToken; s != nil {
		notes = append(notes, blockNote(path, GenMid2024, v1.MethodServiceAccountToken))
		e.ServiceAccountTokenSettings = &v1.BrokerAuthenticatorMethodSat{Audiences: append([]string(nil), s.Audiences...)}
	}
	if x := m.X509Credentials; x != nil {
		notes = append(notes, blockNote(path, GenMid2024, v1.MethodX509))
		xs := &v1.BrokerAuthenticatorMethodX509{TrustedClientCACert: x.TrustedClientCACert}
		if x.AuthorizationAttributes != nil {
			xs.AuthorizationAttributes = make(map[string]v1.BrokerAuthenticatorMethodX509Attributes, len(x.AuthorizationAttributes))
			for k, v := range x.AuthorizationAttributes {
				xs.AuthorizationAttributes[k] = *v.DeepCopy()
			}
		}
		e.X509Settings = xs
	}
	return e, notes
}

func copyMap(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// ConvertMethod maps a v1beta1 method name to v1: the X.509 method was
// spelled x509Credentials (X509Credentials in some examples). Other values
// are kept, so that validation reports them rather than conversion hiding
// them.
func ConvertMethod(m mid2024.Method) v1.Method {
	if c, ok := GenMid2024.Method(string(m)); ok {
		return c
	}
	c, _ := v1.Canonical(string(m), v1.Methods)
	return c
}

// blockNote is the note for method m's settings block converted from
// generation from: "PATH.custom → customSettings".
func blockNote(path string, from Generation, m v1.Method) string {
	return fmt.Sprintf("%s.%s → %s", path, from.Block(m), GenV1.Block(m))
}

// fieldNote is the note for a field of method m's settings block (at sub
// inside it) converted from generation from:
// "PATH.custom.caCert → customSettings.caCertConfigMap".
func fieldNote(path string, from Generation, m v1.Method, sub, v1Name string) string {
	in := func(g Generation) string {
		p := g.Block(m)
		if sub != "" {
			p += "." + sub
		}
		return p + "." + g.Field(m, sub, v1Name)
	}
	return path + "." + in(from) + " → " + in(GenV1)
}

// secretNamespaceNote explains what happens to the namespace of the custom
// auth client certificate: v1 only names the Secret, which the broker reads
// from its own namespace.
func secretNamespaceNote(path, secretNS, objectNS string) []string {
	switch {
	case secretNS == "":
		return nil
	case objectNS == "":
		return []string{fmt.Sprintf("%s %q dropped: v1 secretRef names a Secret in the BrokerAuthentication's namespace; make sure the Secret is there", path, secretNS)}
	case secretNS != objectNS:
		return []string{fmt.Sprintf("%s %q dropped: v1 secretRef names a Secret in the BrokerAuthentication's namespace %q; copy the Secret there", path, secretNS, objectNS)}
	}
	return nil
}

// mixedShapeNotes finds the one documented mixture of shapes that lenient
// decoding would otherwise drop without a word: the 2023 attributes Secret
// written under the mid-2024 x509Credentials block.
func mixedShapeNotes(data []byte) []string {
	var raw mixedShape
	if json.Unmarshal(data, &raw) != nil {
		return nil
	}
	var notes []string
	for i, m := range raw.Spec.AuthenticationMethods {
		if m.X509Credentials != nil && m.X509Credentials.Attributes != nil {
			notes = append(notes, fmt.Sprintf("spec.authenticationMethods[%d].%s.%s ignored: %s",
				i, GenMid2024.Block(v1.MethodX509), RenameAttributes.Names[Gen2023], RenameAttributes.Note))
		}
	}
	return notes
}

// mixedShape is the part of a v1beta1 document mixedShapeNotes looks at.
type mixedShape struct {
	Spec struct {
		AuthenticationMethods []struct {
			X509Credentials *x5092023 `json:"x509Credentials"`
		} `json:"authenticationMethods"`
	} `json:"spec"`
}

// decodeLenient decodes JSON case-sensitively (as the API server does),
// ignoring unknown fields but returning them as notes, and failing on a
// value of the wrong type with the field's path.
func decodeLenient(data []byte, into any) (unknown []string, err error) {
	strict, err := sigsjson.UnmarshalStrict(data, into, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, typeError(err)
	}
	for _, s := range strict {
		msg := s.Error()
		if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
			unknown = append(unknown, "unknown field "+f+" ignored")
		}
		// Duplicate fields are validate's business; the last value wins,
		// as with kubectl.
	}
	sort.Strings(unknown)
	return unknown, nil
}

// typeError rewrites encoding/json's type errors, which name Go types, into
// the vocabulary of a manifest: the field path and the JSON kinds.
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "document"
		}
		return fmt.Errorf("%s: expected %s, got %s", field, jsonKind(te.Type), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at offset %d: %v", se.Offset, err)
	}
	return err
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array of " + jsonKind(t.Elem()) + "s"
	case reflect.Map:
		return "object of " + jsonKind(t.Elem()) + "s"
	case reflect.Struct:
		return "object"
	}
	return t.String()
}

// convertCustom converts a preview custom block (the same in the 2023 and
// mid-2024 shapes) of generation from to v1 customSettings, with a note for
// each renamed field. path is the entry's field path; ns the object's
// namespace.
func convertCustom(c *mid2024.BrokerAuthenticatorMethodCustom, path string, from Generation, ns string) (*v1.BrokerAuthenticatorMethodCustom, []string) {
	var notes []string
	cs := &v1.BrokerAuthenticatorMethodCustom{Endpoint: c.Endpoint, CACertConfigMap: c.CACert, Headers: copyMap(c.Headers)}
	if c.CACert != "" {
		notes = append(notes, fieldNote(path, from, v1.MethodCustom, "", "caCertConfigMap"))
	}
	if c.Auth != nil {
		cs.Auth = &v1.BrokerAuthenticatorCustomAuth{X509: v1.X509ManualCertificate{SecretRef: c.Auth.X509.SecretName}}
		notes = append(notes, fieldNote(path, from, v1.MethodCustom, "auth.x509", "secretRef"))
		r := RenameSecretNamespace
		at := fmt.Sprintf("%s.%s.%s.%s", path, from.Block(r.Method), r.Path, r.Names[from])
		notes = append(notes, secretNamespaceNote(at, c.Auth.X509.Namespace, ns)...)
	}
	return cs, notes
}
