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
	"github.com/aio-authn/kubectl-aio-authn/pkg/assumption"
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

func (m *customMethod) evaluate(ctx context.Context, creds *Credentials, now time.Time) outcome {
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
	if !res.Sent {
		// The connection or the TLS handshake failed: nothing was sent.
		return m.fellThrough(res.Cause, 0, []Check{{Name: "request", OK: false, Detail: describeRequest(res, req) + " not sent: " + res.Cause}})
	}
	request := Check{Name: "request", OK: true, Detail: describeRequest(res, req)}
	switch res.Outcome {
	case customauth.Granted:
		return m.granted(res, request, creds, now)
	case customauth.Denied:
		return m.denied(res, request)
	}
	return m.fellThrough(res.Cause, res.Status, []Check{request, {Name: "response", OK: false, Detail: res.Cause}})
}

func (m *customMethod) granted(res *customauth.Result, request Check, creds *Credentials, now time.Time) outcome {
	o := outcome{relevant: true, result: Granted, username: usernameOf(creds), attributes: res.Attributes, warnings: m.warnings}
	detail := fmt.Sprintf("%d: attributes %s", res.Status, FormatAttributes(res.Attributes, "(none)"))
	if res.Attributes == nil {
		// Microsoft's auth-server-template leaves the key out when there
		// are no attributes, and the broker grants such an answer.
		o.attributes = map[string]string{}
		detail = fmt.Sprintf(`%d without "attributes" (%s): no attributes`, res.Status, assumption.Custom200WithoutAttributes.Says)
	}
	if res.Expiry != nil {
		utc := res.Expiry.UTC()
		o.expiresAt = &utc
		detail += ", expiry " + utc.Format(time.RFC3339)
		// The broker closes the connection when the credential expires,
		// as for tokens and certificates.
		switch left := utc.Sub(now); {
		case left <= 0:
			o.warnings = append(o.warnings, fmt.Sprintf("the auth server granted the client with an expiry that has passed (%s, %s): the broker closes the connection when the credential expires, so at once",
				utc.Format(time.RFC3339), relative(utc, now)))
		case left < TokenExpiringSoon:
			o.warnings = append(o.warnings, fmt.Sprintf("the auth server's grant expires %s (%s): the broker closes the connection then unless the client re-authenticates",
				relative(utc, now), utc.Format(time.RFC3339)))
		}
	} else {
		detail += ", no expiry"
	}
	o.reason = fmt.Sprintf("auth server granted (%d)", res.Status)
	o.checks = []Check{request, {Name: "response", OK: true, Detail: detail}}
	return o
}

// mqtt311Refusals name the CONNACK return codes of MQTT 3.1.1, which the
// user-pass auth server sample sends as reasons.
var mqtt311Refusals = map[uint8]string{
	1: "unacceptable protocol version", 2: "identifier rejected", 3: "server unavailable",
	4: "bad user name or password", 5: "not authorized",
}

// denied: a 403 always ends the chain with a refusal. Its reason is the
// CONNACK code when it is an MQTT v5 refusal; otherwise, and whatever is
// wrong with the body, the client is refused with 0x87 (fail closed).
func (m *customMethod) denied(res *customauth.Result, request Check) outcome {
	o := outcome{relevant: true, result: Denied, warnings: m.warnings}
	code := CodeNotAuthorized
	assumed := assumption.Custom403Is0x87.Says
	switch {
	case res.Problem != "":
		o.reason = fmt.Sprintf("auth server denied (%d) with %s, so CONNACK 0x87: a 403 is a denial whatever its body", res.Status, res.Problem)
		o.warnings = append(o.warnings, fmt.Sprintf("the auth server answered %d with %s: %s", res.Status, res.Problem, assumed))
	case res.Reason == nil:
		o.reason = fmt.Sprintf("auth server denied (%d) without a reason code, so CONNACK 0x87 (%s)", res.Status, assumed)
	case IsConnackFailure(*res.Reason):
		code = *res.Reason
		o.reason = fmt.Sprintf("auth server denied (%d) with reason %s %s", res.Status, connack(code).Hex(), connack(code).Name)
	default:
		r := *res.Reason
		what := fmt.Sprintf("reason %d (0x%02X)", r, r)
		switch name, ok := mqtt311Refusals[r]; {
		case ok:
			what = fmt.Sprintf("reason %d (0x%02X, MQTT 3.1.1's %q)", r, r, name)
		case r == 0:
			what = "reason 0 (success)"
		}
		o.reason = fmt.Sprintf("auth server denied (%d) with %s, which is not an MQTT v5 CONNACK failure code, so CONNACK 0x87", res.Status, what)
		o.warnings = append(o.warnings, fmt.Sprintf("the auth server answered %d with %s, which is not an MQTT v5 CONNACK failure code (those are 0x80 to 0x9F): %s",
			res.Status, what, assumed))
	}
	if res.Message != "" {
		o.reason += ": " + quote(res.Message)
	}
	o.reasonCode = &code
	o.checks = []Check{request, {Name: "response", OK: false, Detail: o.reason}}
	return o
}

// fellThrough is an unreachable server: the broker counts the method as not
// relevant and tries the next one. status is the HTTP status when the
// server did answer.
func (m *customMethod) fellThrough(cause string, status int, checks []Check) outcome {
	assumed := ""
	if status != 0 {
		assumed = " (" + assumption.CustomErrorFallsThrough.Says + ")"
	}
	return outcome{
		reason:   "auth server unreachable: " + cause + assumed + "; the chain falls through",
		warnings: append(append([]string(nil), m.warnings...), "custom auth server "+m.endpoint+" unreachable ("+cause+"): the chain fell through to the next method"),
		checks:   checks,
	}
}

func usernameOf(creds *Credentials) *string {
	if creds.Username == "" {
		return nil
	}
	u := creds.Username
	return &u
}

// requestFor is the request the broker sends for these credentials: a
// connect request, or for a re-authentication an auth request, which carries
// the enhanced authentication alone.
func requestFor(creds *Credentials) *customauth.Request {
	if creds.Reauthentication {
		return &customauth.Request{Type: customauth.TypeAuth,
			EnhancedAuthentication: &customauth.EnhancedAuthentication{Method: creds.AuthMethod, Data: creds.AuthData}}
	}
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
	s := fmt.Sprintf("POST %s (%s: %s)", res.URL, req.Type, what)
	if res.Attempts > 1 {
		s += fmt.Sprintf(", retried with api-version %s after 422", res.Version)
	}
	return s
}
