package authn

import (
	"context"
	"crypto/tls"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/customauth"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// customMethod is a Custom entry with its HTTP client built once, so that
// connections to the auth server are reused across clients.
type customMethod struct {
	index    int
	endpoint string
	client   *customauth.Client
	whatIf   CustomResult
	// problem, when set, makes the step indeterminate: explain cannot call
	// the server the way the broker would.
	problem string
	// unreachable, when set, is a configuration that makes every call fail
	// in the broker too (no CA certificate to trust the server with).
	unreachable string
	warnings    []string
}

func newCustomMethod(index int, namespace string, s *v1.BrokerAuthenticatorMethodCustom, configMaps map[string]*corev1.ConfigMap,
	secrets map[string]*corev1.Secret, opts Options) *customMethod {
	m := &customMethod{index: index, whatIf: opts.CustomResult}
	field := fmt.Sprintf("authenticationMethods[%d].customSettings", index)
	if s == nil {
		m.problem = field + " is missing: the entry has no auth server to call"
		return m
	}
	m.endpoint = s.Endpoint
	copts := customauth.Options{Headers: s.Headers, Timeout: opts.CustomTimeout}
	if s.CACertConfigMap != "" {
		cm, ok := configMaps[s.CACertConfigMap]
		if !ok {
			m.problem = fmt.Sprintf("ConfigMap %s (%s.caCertConfigMap, the auth server's CA) is not in the bundle: add it with -f, or rehearse with --custom-result pass|fail|unreachable",
				s.CACertConfigMap, field)
		} else {
			copts.CACerts = configMapPEM(cm)
			if len(copts.CACerts) == 0 {
				m.unreachable = fmt.Sprintf("ConfigMap %s holds no PEM certificate, so the auth server's certificate cannot be verified", s.CACertConfigMap)
			}
		}
	}
	if s.Auth != nil {
		cert, warning := brokerClientCertificate(s.Auth.X509.SecretRef, field, secrets)
		copts.ClientCertificate = cert
		if warning != "" {
			m.warnings = append(m.warnings, warning)
		}
	}
	if m.problem == "" && m.unreachable == "" {
		client, err := customauth.NewClient(s.Endpoint, copts)
		if err != nil {
			m.problem = field + ".endpoint: " + err.Error()
		}
		m.client = client
	}
	return m
}

// configMapPEM gathers the PEM certificates of every key.
func configMapPEM(cm *corev1.ConfigMap) []byte {
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []byte
	for _, k := range keys {
		if certs, err := pki.ParseBundle(k, []byte(cm.Data[k])); err == nil {
			for _, c := range certs {
				out = append(out, pki.EncodeCertificates(c.Cert)...)
			}
		}
	}
	for _, k := range sortedBinaryKeys(cm.BinaryData) {
		if certs, err := pki.ParseBundle(k, cm.BinaryData[k]); err == nil {
			for _, c := range certs {
				out = append(out, pki.EncodeCertificates(c.Cert)...)
			}
		}
	}
	return out
}

func sortedBinaryKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// brokerClientCertificate loads the kubernetes.io/tls Secret the broker
// presents to the auth server. Without it explain still calls, and says so.
func brokerClientCertificate(name, field string, secrets map[string]*corev1.Secret) (*tls.Certificate, string) {
	secret, ok := secrets[name]
	if !ok {
		return nil, fmt.Sprintf("Secret %s (%s.auth.x509.secretRef) is not in the bundle: the auth server was called without the broker's client certificate", name, field)
	}
	cert, err := tls.X509KeyPair(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return nil, fmt.Sprintf("Secret %s (%s.auth.x509.secretRef) holds no usable tls.crt/tls.key (%v): the auth server was called without the broker's client certificate", name, field, err)
	}
	return &cert, ""
}

func (m *customMethod) evaluate(ctx context.Context, creds *Credentials, _ time.Time) outcome {
	switch m.whatIf {
	case CustomPass:
		return outcome{relevant: true, result: Granted, username: usernameOf(creds), attributes: map[string]string{},
			reason: "what-if --custom-result pass: the auth server was not called",
			checks: []Check{{Name: "response", OK: true, Detail: "assumed 200 with attributes {} and no expiry"}}}
	case CustomFail:
		return outcome{relevant: true, result: Denied,
			reason: "what-if --custom-result fail: the auth server was not called",
			checks: []Check{{Name: "response", OK: false, Detail: "assumed 403 without a reason, so CONNACK 0x87"}}}
	case CustomUnreachable:
		return outcome{reason: "what-if --custom-result unreachable: the chain falls through",
			warnings: []string{"custom auth server " + m.endpoint + " assumed unreachable (--custom-result unreachable): the chain fell through to the next method"}}
	}
	if m.problem != "" {
		return outcome{relevant: true, result: Indeterminate, reason: m.problem, warnings: m.warnings}
	}
	if m.unreachable != "" {
		return m.fellThrough(m.unreachable, 0, nil)
	}
	req := requestFor(creds)
	res, err := m.client.Authenticate(ctx, req)
	if err != nil {
		return outcome{relevant: true, result: Indeterminate, reason: "cannot build the request: " + err.Error(), warnings: m.warnings}
	}
	request := Check{Name: "request", OK: true, Detail: describeRequest(res, req)}
	switch res.Outcome {
	case customauth.Granted:
		o := outcome{relevant: true, result: Granted, username: usernameOf(creds), attributes: res.Attributes, expiresAt: res.Expiry, warnings: m.warnings}
		detail := fmt.Sprintf("%d: attributes %s", res.Status, FormatAttributes(res.Attributes, "(none)"))
		if res.Expiry != nil {
			utc := res.Expiry.UTC()
			o.expiresAt = &utc
			detail += ", expiry " + utc.Format(time.RFC3339)
		} else {
			detail += ", no expiry"
		}
		o.reason = fmt.Sprintf("auth server granted (%d)", res.Status)
		o.checks = []Check{request, {Name: "response", OK: true, Detail: detail}}
		return o
	case customauth.Denied:
		o := outcome{relevant: true, result: Denied, warnings: m.warnings}
		code := CodeNotAuthorized
		switch {
		case res.Reason == nil:
			o.reason = fmt.Sprintf("auth server denied (%d) without a reason code, so CONNACK 0x87 [decision]", res.Status)
		case IsConnackFailure(*res.Reason):
			code = *res.Reason
			o.reason = fmt.Sprintf("auth server denied (%d) with reason %s %s", res.Status, connack(code).Hex(), connack(code).Name)
		default:
			o.reason = fmt.Sprintf("auth server denied (%d) with reason 0x%02X, which is not a CONNACK failure code, so CONNACK 0x87", res.Status, *res.Reason)
			o.warnings = append(o.warnings, fmt.Sprintf("the auth server answered 403 with reason 0x%02X, not a CONNACK failure code (0x80 and up)", *res.Reason))
		}
		if res.Message != "" {
			o.reason += ": " + quote(res.Message)
		}
		o.reasonCode = &code
		o.checks = []Check{request, {Name: "response", OK: false, Detail: o.reason}}
		return o
	}
	return m.fellThrough(res.Cause, res.Status, &request)
}

// fellThrough is an unreachable server: the broker counts the method as not
// relevant and tries the next one. status is the HTTP status when the
// server did answer.
func (m *customMethod) fellThrough(cause string, status int, request *Check) outcome {
	decided := ""
	if status != 0 {
		// [decision] reference §3.3: 400/405/5xx and malformed answers
		// count as unreachable.
		decided = " [decision]"
	}
	o := outcome{
		reason:   "auth server unreachable: " + cause + decided + "; the chain falls through",
		warnings: append(append([]string(nil), m.warnings...), "custom auth server "+m.endpoint+" unreachable ("+cause+"): the chain fell through to the next method"),
	}
	if request != nil {
		o.checks = []Check{*request, {Name: "response", OK: false, Detail: cause}}
	}
	return o
}

func usernameOf(creds *Credentials) *string {
	if creds.Username == "" {
		return nil
	}
	u := creds.Username
	return &u
}

// requestFor is the connect request the broker sends for these credentials.
func requestFor(creds *Credentials) *customauth.Request {
	req := &customauth.Request{Type: customauth.TypeConnect, Password: creds.Password}
	if creds.Username != "" {
		u := creds.Username
		req.Username = &u
	}
	if len(creds.Certificates) > 0 && !creds.PlainTCP {
		req.Certs = string(pki.EncodeCertificates(creds.Certificates...))
	}
	if creds.AuthMethod != "" {
		req.EnhancedAuthentication = &customauth.EnhancedAuthentication{Method: creds.AuthMethod, Data: creds.AuthData}
	}
	return req
}

// describeRequest lists what was sent, naming secrets without showing them.
func describeRequest(res *customauth.Result, req *customauth.Request) string {
	var sent []string
	if req.Username != nil {
		sent = append(sent, "username "+quote(*req.Username))
	}
	if req.Password != nil {
		sent = append(sent, "password")
	}
	if req.Certs != "" {
		sent = append(sent, "certificates")
	}
	if req.EnhancedAuthentication != nil {
		sent = append(sent, "enhanced authentication "+quote(req.EnhancedAuthentication.Method))
	}
	what := "no credentials"
	if len(sent) > 0 {
		what = strings.Join(sent, ", ")
	}
	s := fmt.Sprintf("POST %s (connect: %s)", res.URL, what)
	if res.Attempts > 1 {
		s += fmt.Sprintf(", retried with api-version %s after 422", res.Version)
	}
	return s
}
