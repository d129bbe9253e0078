package generate

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/mid2024"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// The API versions generate writes, as given to --api-version.
const (
	VersionV1      = "v1"
	VersionV1beta1 = "v1beta1"
)

// generations are the API generations of the versions generate writes:
// v1beta1 is the mid-2024 preview's shape.
var generations = map[string]api.Generation{VersionV1: api.GenV1, VersionV1beta1: api.GenMid2024}

// DefaultAudience returns the SAT audience the broker of apiVersion uses by
// default.
func DefaultAudience(apiVersion string) string { return generations[apiVersion].DefaultAudience() }

// DefaultAuthnName returns the default BrokerAuthentication name of
// apiVersion.
func DefaultAuthnName(apiVersion string) string {
	return generations[apiVersion].DefaultAuthenticationName()
}

// The method names --method takes, in the order the help lists them.
const (
	MethodSAT    = "sat"
	MethodX509   = "x509"
	MethodCustom = "custom"
)

// MethodNames are the values of --method.
var MethodNames = []string{MethodSAT, MethodX509, MethodCustom}

// AuthnOptions are the choices a BrokerAuthentication is generated from. The
// fields mirror the flags of `generate authn`, and error messages name the
// flags; empty means "not given".
type AuthnOptions struct {
	// APIVersion is VersionV1 (default) or VersionV1beta1.
	APIVersion string
	Name       string
	Namespace  string
	// Methods are sat, x509, custom (or the API's names for them), in the
	// order of the chain; a value may hold several, comma-separated.
	Methods []string

	SATAudiences []string

	X509TrustedCA  string
	X509Attributes map[string]v1.BrokerAuthenticatorMethodX509Attributes

	CustomEndpoint     string
	CustomCAConfigMap  string
	CustomClientSecret string
	// CustomHeaders are "Name=value" pairs.
	CustomHeaders []string
}

// methodFlags says which flags belong to which method, to refuse flags the
// chosen methods would ignore.
func (o *AuthnOptions) methodFlags() []struct {
	flag, method string
	set          bool
} {
	return []struct {
		flag, method string
		set          bool
	}{
		{"--sat-audience", MethodSAT, len(o.SATAudiences) > 0},
		{"--x509-trusted-ca", MethodX509, o.X509TrustedCA != ""},
		{"--x509-attributes", MethodX509, o.X509Attributes != nil},
		{"--custom-endpoint", MethodCustom, o.CustomEndpoint != ""},
		{"--custom-ca-configmap", MethodCustom, o.CustomCAConfigMap != ""},
		{"--custom-client-secret", MethodCustom, o.CustomClientSecret != ""},
		{"--custom-header", MethodCustom, len(o.CustomHeaders) > 0},
	}
}

// parseMethod accepts the short names and the API's method names in any
// case, since operators copy either.
func parseMethod(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sat", "serviceaccounttoken":
		return MethodSAT, true
	case "x509", "x509credentials":
		return MethodX509, true
	case "custom":
		return MethodCustom, true
	}
	return "", false
}

// chain returns the methods in order, refusing unknown and repeated ones.
func (o *AuthnOptions) chain() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, arg := range o.Methods {
		for _, s := range strings.Split(arg, ",") {
			m, ok := parseMethod(s)
			if !ok {
				return nil, fmt.Errorf("--method %q: use sat, x509 or custom", s)
			}
			if seen[m] {
				return nil, fmt.Errorf("--method %s given twice: each method appears once in the chain", m)
			}
			seen[m] = true
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("at least one --method is required: sat, x509 or custom, in the order the broker should try them")
	}
	return out, nil
}

// ValidateName checks a broker resource name the way the API does (a DNS
// label of 3 to 63 characters), naming the flag.
func ValidateName(flag, name string) error {
	if len(name) < 3 || len(name) > 63 || len(validation.IsDNS1123Label(name)) > 0 {
		return fmt.Errorf("%s %q: must be 3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit", flag, name)
	}
	return nil
}

// ValidateNamespace checks a namespace name.
func ValidateNamespace(ns string) error {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("--namespace %q: %s", ns, errs[0])
	}
	return nil
}

// normalize fills in the defaults of the API version.
func (o *AuthnOptions) normalize() error {
	if o.APIVersion == "" {
		o.APIVersion = VersionV1
	}
	if o.APIVersion != VersionV1 && o.APIVersion != VersionV1beta1 {
		return fmt.Errorf("--api-version %q: use v1 (the GA broker) or v1beta1 (the mid-2024 preview)", o.APIVersion)
	}
	if o.Name == "" {
		o.Name = DefaultAuthnName(o.APIVersion)
	}
	if o.Namespace == "" {
		o.Namespace = api.BrokerNamespace
	}
	if err := ValidateName("--name", o.Name); err != nil {
		return err
	}
	return ValidateNamespace(o.Namespace)
}

// Authn builds the BrokerAuthentication: a *v1.BrokerAuthentication, or a
// *mid2024.BrokerAuthentication for APIVersion mid2024. Errors are about the
// options and name the flag to fix.
func Authn(o AuthnOptions) (any, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	methods, err := o.chain()
	if err != nil {
		return nil, err
	}
	chosen := map[string]bool{}
	for _, m := range methods {
		chosen[m] = true
	}
	for _, f := range o.methodFlags() {
		if f.set && !chosen[f.method] {
			return nil, fmt.Errorf("%s requires --method %s", f.flag, f.method)
		}
	}
	entries := make([]v1.BrokerAuthenticatorMethods, 0, len(methods))
	for _, m := range methods {
		e, err := o.entry(m)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	meta := metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}
	if o.APIVersion == VersionV1beta1 {
		return toV1beta1(meta, entries), nil
	}
	return &v1.BrokerAuthentication{
		TypeMeta:   metav1.TypeMeta{APIVersion: api.APIVersionV1, Kind: api.KindBrokerAuthentication},
		ObjectMeta: meta,
		Spec:       v1.BrokerAuthenticationSpec{AuthenticationMethods: entries},
	}, nil
}

func (o *AuthnOptions) entry(method string) (v1.BrokerAuthenticatorMethods, error) {
	switch method {
	case MethodSAT:
		auds := dedupe(o.SATAudiences)
		if len(auds) == 0 {
			auds = []string{DefaultAudience(o.APIVersion)}
		}
		for _, a := range auds {
			if strings.TrimSpace(a) == "" {
				return v1.BrokerAuthenticatorMethods{}, fmt.Errorf("--sat-audience: an audience cannot be empty")
			}
		}
		return v1.BrokerAuthenticatorMethods{Method: v1.MethodServiceAccountToken,
			ServiceAccountTokenSettings: &v1.BrokerAuthenticatorMethodSat{Audiences: auds}}, nil
	case MethodX509:
		ca := o.X509TrustedCA
		if ca == "" {
			ca = v1.DefaultTrustedClientCACert
		}
		if errs := validation.IsDNS1123Subdomain(ca); len(errs) > 0 {
			return v1.BrokerAuthenticatorMethods{}, fmt.Errorf("--x509-trusted-ca %q is not a ConfigMap name: %s", ca, errs[0])
		}
		return v1.BrokerAuthenticatorMethods{Method: v1.MethodX509,
			X509Settings: &v1.BrokerAuthenticatorMethodX509{TrustedClientCACert: ca, AuthorizationAttributes: o.X509Attributes}}, nil
	default:
		cs, err := o.custom()
		if err != nil {
			return v1.BrokerAuthenticatorMethods{}, err
		}
		return v1.BrokerAuthenticatorMethods{Method: v1.MethodCustom, CustomSettings: cs}, nil
	}
}

func (o *AuthnOptions) custom() (*v1.BrokerAuthenticatorMethodCustom, error) {
	if o.CustomEndpoint == "" {
		return nil, fmt.Errorf("--method custom requires --custom-endpoint https://HOST[:PORT], the custom authentication server")
	}
	u, err := url.Parse(o.CustomEndpoint)
	if err != nil || !strings.HasPrefix(o.CustomEndpoint, "https://") || u.Host == "" {
		return nil, fmt.Errorf("--custom-endpoint %q must be an https:// URL with a host: the broker sends client credentials to it", o.CustomEndpoint)
	}
	cs := &v1.BrokerAuthenticatorMethodCustom{Endpoint: o.CustomEndpoint}
	for _, ref := range []struct{ flag, name string }{
		{"--custom-ca-configmap", o.CustomCAConfigMap}, {"--custom-client-secret", o.CustomClientSecret}} {
		if ref.name == "" {
			continue
		}
		if errs := validation.IsDNS1123Subdomain(ref.name); len(errs) > 0 {
			return nil, fmt.Errorf("%s %q is not a valid name: %s", ref.flag, ref.name, errs[0])
		}
	}
	cs.CACertConfigMap = o.CustomCAConfigMap
	if o.CustomClientSecret != "" {
		cs.Auth = &v1.BrokerAuthenticatorCustomAuth{X509: v1.X509ManualCertificate{SecretRef: o.CustomClientSecret}}
	}
	for _, h := range o.CustomHeaders {
		k, v, ok := strings.Cut(h, "=")
		if !ok || !httpguts.ValidHeaderFieldName(k) {
			return nil, fmt.Errorf("--custom-header %q: write NAME=value with an HTTP header name, e.g. --custom-header X-Tenant=contoso", h)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return nil, fmt.Errorf("--custom-header %q: the value has characters HTTP headers cannot carry", k)
		}
		if cs.Headers == nil {
			cs.Headers = map[string]string{}
		}
		if _, dup := cs.Headers[k]; dup {
			return nil, fmt.Errorf("--custom-header %s given twice", k)
		}
		cs.Headers[k] = v
	}
	return cs, nil
}

// toV1beta1 writes the entries in the mid-2024 preview's names.
func toV1beta1(meta metav1.ObjectMeta, entries []v1.BrokerAuthenticatorMethods) *mid2024.BrokerAuthentication {
	out := &mid2024.BrokerAuthentication{
		TypeMeta:   metav1.TypeMeta{APIVersion: api.APIVersionV1beta1, Kind: api.KindBrokerAuthentication},
		ObjectMeta: meta,
	}
	for _, e := range entries {
		var b mid2024.BrokerAuthenticatorMethods
		switch e.Method {
		case v1.MethodServiceAccountToken:
			b.Method = mid2024.MethodServiceAccountToken
			b.ServiceAccountToken = &mid2024.BrokerAuthenticatorMethodSat{Audiences: e.ServiceAccountTokenSettings.Audiences}
		case v1.MethodX509:
			b.Method = mid2024.MethodX509Credentials
			b.X509Credentials = &mid2024.BrokerAuthenticatorMethodX509{
				TrustedClientCACert:     e.X509Settings.TrustedClientCACert,
				AuthorizationAttributes: e.X509Settings.AuthorizationAttributes,
			}
		case v1.MethodCustom:
			c := e.CustomSettings
			b.Method = mid2024.MethodCustom
			b.Custom = &mid2024.BrokerAuthenticatorMethodCustom{Endpoint: c.Endpoint, CACert: c.CACertConfigMap, Headers: c.Headers}
			if c.Auth != nil {
				b.Custom.Auth = &mid2024.BrokerAuthenticatorCustomAuth{X509: mid2024.X509SecretRef{SecretName: c.Auth.X509.SecretRef}}
			}
		}
		out.Spec.AuthenticationMethods = append(out.Spec.AuthenticationMethods, b)
	}
	return out
}

// AuthnHeader is the comment written above a generated BrokerAuthentication.
func AuthnHeader(obj any) []string {
	var methods []string
	var preview []string
	switch a := obj.(type) {
	case *v1.BrokerAuthentication:
		for _, e := range a.Spec.AuthenticationMethods {
			methods = append(methods, string(e.Method))
		}
	case *mid2024.BrokerAuthentication:
		for _, e := range a.Spec.AuthenticationMethods {
			methods = append(methods, string(e.Method))
		}
		preview = []string{"v1beta1 is the mid-2024 preview API; generally available brokers take v1."}
	}
	return append([]string{
		"Generated by kubectl aio-authn generate authn.",
		"The broker tries the methods in this order: " + strings.Join(methods, ", ") + ".",
	}, preview...)
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
