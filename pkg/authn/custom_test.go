package authn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// authServer is a real HTTPS custom auth server on a loopback port that
// answers from a script and records every request.
type authServer struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   []string
	queries  []string
	headers  []http.Header
	peers    []int
	answers  []func(w http.ResponseWriter, r *http.Request)
	released chan struct{}
}

func startAuthServer(t *testing.T, clientCAs *x509.CertPool, answers ...func(w http.ResponseWriter, r *http.Request)) *authServer {
	t.Helper()
	s := &authServer{answers: answers, released: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.bodies)
		s.bodies = append(s.bodies, string(body))
		s.queries = append(s.queries, r.URL.RawQuery)
		s.headers = append(s.headers, r.Header.Clone())
		s.peers = append(s.peers, len(r.TLS.PeerCertificates))
		answer := s.answers[min(n, len(s.answers)-1)]
		s.mu.Unlock()
		answer(w, r)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if clientCAs != nil {
		s.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	}
	s.StartTLS()
	t.Cleanup(func() { close(s.released); s.Close() })
	return s
}

func (s *authServer) hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.released:
	case <-r.Context().Done():
	}
}

func answer(status int, body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func (s *authServer) caConfigMap() *corev1.ConfigMap {
	return configMap("auth-server-ca", map[string]string{"ca.crt": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))})
}

func customEntry(endpoint string) v1.BrokerAuthenticatorMethods {
	return v1.BrokerAuthenticatorMethods{Method: v1.MethodCustom, CustomSettings: &v1.BrokerAuthenticatorMethodCustom{
		Endpoint: endpoint, CACertConfigMap: "auth-server-ca", Headers: map[string]string{"X-Broker": "aio"}}}
}

func TestCustom(t *testing.T) {
	p := newTestPKI(t)
	for _, tc := range []struct {
		name     string
		answers  func(s *authServer) []func(http.ResponseWriter, *http.Request)
		result   Result
		relevant bool
		reason   string
		connack  uint8
		expiry   string
		attrs    map[string]string
		queries  []string
		warning  string
		response string
	}{
		{name: "200 grants", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(200, `{"attributes":{"building":"17"},"expiry":"2026-06-02T00:00:00+02:00"}`)}
		}, result: Granted, relevant: true, reason: "auth server granted (200)", expiry: "2026-06-01T22:00:00Z", attrs: map[string]string{"building": "17"}, queries: []string{"api-version=0.5.0"}},
		{name: "403 with reason 0x86", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(403, `{"reason":134,"message":"wrong password"}`)}
		}, result: Denied, relevant: true, reason: `auth server denied (403) with reason 0x86 Bad User Name or Password: "wrong password"`, connack: 0x86},
		{name: "403 without reason", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(403, `{}`)}
		}, result: Denied, relevant: true, reason: "without a reason code, so CONNACK 0x87 (the broker's documentation is silent on such an answer; this tool assumes the broker refuses the client with CONNACK 0x87 Not authorized)", connack: 0x87},
		{name: "403 with a reason that is no CONNACK failure", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(403, `{"reason":24}`)}
		}, result: Denied, relevant: true, reason: "reason 24 (0x18), which is not an MQTT v5 CONNACK failure code, so CONNACK 0x87", connack: 0x87,
			warning: "the auth server answered 403 with reason 24 (0x18), which is not an MQTT v5 CONNACK failure code (those are 0x80 to 0x9F): the broker's documentation is silent on such an answer; this tool assumes the broker refuses the client with CONNACK 0x87 Not authorized"},
		// The user-pass sample sends MQTT 3.1.1 return codes.
		{name: "403 with MQTT 3.1.1's not authorized", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(403, `{"reason":5,"message":"bad password"}`)}
		}, result: Denied, relevant: true, reason: `reason 5 (0x05, MQTT 3.1.1's "not authorized"), which is not an MQTT v5 CONNACK failure code, so CONNACK 0x87: "bad password"`, connack: 0x87,
			warning: `answered 403 with reason 5 (0x05, MQTT 3.1.1's "not authorized"), which is not an MQTT v5 CONNACK failure code`},
		{name: "403 with reason 0", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(403, `{"reason":0}`)}
		}, result: Denied, relevant: true, reason: "reason 0 (success), which is not an MQTT v5 CONNACK failure code, so CONNACK 0x87", connack: 0x87, warning: "reason 0 (success)"},
		// An explicit 403 is a denial whatever its body: fail closed.
		{name: "403 not JSON", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(403, "<html>Forbidden</html>")}
		}, result: Denied, relevant: true, reason: `auth server denied (403) with a body that is not JSON {"reason": N}: <html>Forbidden</html>, so CONNACK 0x87: a 403 is a denial whatever its body`, connack: 0x87,
			warning: `the auth server answered 403 with a body that is not JSON {"reason": N}: <html>Forbidden</html>: the broker's documentation is silent on such an answer; this tool assumes the broker refuses the client with CONNACK 0x87 Not authorized`},
		{name: "403 with a reason out of range", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(403, `{"reason":300}`)}
		}, result: Denied, relevant: true, reason: `with "reason" 300 is not a reason code (a whole number from 0 to 255), so CONNACK 0x87`, connack: 0x87, warning: `"reason" 300 is not a reason code`},
		// Microsoft's auth-server-template leaves "attributes" out.
		{name: "200 without attributes", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(200, `{}`)}
		}, result: Granted, relevant: true, reason: "auth server granted (200)", attrs: map[string]string{}, response: `200 without "attributes" (the API's schema requires attributes, but Microsoft's own auth server sample leaves them out; this tool assumes the broker grants the client with none): no attributes, no expiry`},
		{name: "200 with an expiry that has passed", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(200, `{"attributes":{},"expiry":"2026-06-01T11:55:00Z"}`)}
		}, result: Granted, relevant: true, expiry: "2026-06-01T11:55:00Z",
			warning: "the auth server granted the client with an expiry that has passed (2026-06-01T11:55:00Z, 5m ago): the broker closes the connection when the credential expires, so at once"},
		{name: "200 expiring in 4 minutes", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(200, `{"attributes":{},"expiry":"2026-06-01T12:04:00Z"}`)}
		}, result: Granted, relevant: true, expiry: "2026-06-01T12:04:00Z",
			warning: "the auth server's grant expires in 4m (2026-06-01T12:04:00Z): the broker closes the connection then unless the client re-authenticates"},
		{name: "422 then success", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(422, `{"supportedVersions":["0.4.0"]}`), answer(200, `{"attributes":{}}`)}
		}, result: Granted, relevant: true, queries: []string{"api-version=0.5.0", "api-version=0.4.0"}, attrs: map[string]string{}},
		{name: "server that hangs: the step ends at the timeout and falls through", answers: func(s *authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){s.hang}
		}, result: Denied, relevant: false, reason: "auth server unreachable: no answer within 300ms; the chain falls through", connack: 0x87,
			warning: "unreachable (no answer within 300ms): the chain fell through to the next method"},
		{name: "500 falls through", answers: func(*authServer) []func(http.ResponseWriter, *http.Request) {
			return []func(http.ResponseWriter, *http.Request){answer(500, "database down")}
		}, result: Denied, relevant: false, connack: 0x87,
			reason: "500 Internal Server Error: database down (the broker's documentation is silent on such answers; this tool assumes the broker counts the server as unreachable); the chain falls through"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startAuthServer(t, nil)
			s.answers = tc.answers(s)
			cfg := Config{Authentication: authentication(customEntry(s.URL)), ConfigMaps: map[string]*corev1.ConfigMap{"auth-server-ca": s.caConfigMap()}}
			e := New(cfg, Options{CustomTimeout: 300 * time.Millisecond})
			creds := Credentials{Username: "smart-fan", Password: []byte("s3cret"), Certificates: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}}
			d := e.Explain(context.Background(), creds, t0)
			step := d.Steps[0]
			if d.Decision != tc.result || step.Relevant != tc.relevant {
				t.Fatalf("decision %s relevant %v: %+v", d.Decision, step.Relevant, step)
			}
			if !strings.Contains(step.Reason, tc.reason) {
				t.Errorf("reason %q\nwant it to contain %q", step.Reason, tc.reason)
			}
			if d.Decision == Denied && d.Connack.Code != tc.connack {
				t.Errorf("connack %+v, want 0x%02X", d.Connack, tc.connack)
			}
			if tc.expiry != "" && (d.ExpiresAt == nil || d.ExpiresAt.Format(time.RFC3339) != tc.expiry) {
				t.Errorf("expiresAt %v, want %s", d.ExpiresAt, tc.expiry)
			}
			if tc.attrs != nil && !equalMaps(d.Attributes, tc.attrs) {
				t.Errorf("attributes %v, want %v", d.Attributes, tc.attrs)
			}
			if tc.queries != nil && strings.Join(s.queries, " ") != strings.Join(tc.queries, " ") {
				t.Errorf("queries %q, want %q", s.queries, tc.queries)
			}
			if tc.warning != "" && !strings.Contains(strings.Join(d.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q, want one containing %q", d.Warnings, tc.warning)
			}
			if tc.warning == "" && tc.result == Granted && len(d.Warnings) > 0 {
				t.Errorf("warnings %q, want none", d.Warnings)
			}
			if c, _ := checkByName(step, "response"); tc.response != "" && c.Detail != tc.response {
				t.Errorf("response check %+v, want %q", c, tc.response)
			}
			if c, _ := checkByName(step, "request"); !c.OK {
				t.Errorf("request check %+v: the server answered, so the request was sent", c)
			}
			if strings.Contains(dump(d), "s3cret") {
				t.Error("the decision shows the password")
			}
		})
	}
}

// TestCustomRequestIsTheBrokers asserts the exact request: body fields,
// base64 password, the PEM chain leaf first, enhanced authentication, the
// configured headers and the broker's own client certificate.
func TestCustomRequestIsTheBrokers(t *testing.T) {
	p := newTestPKI(t)
	brokerCert := certSpec{subject: name("aio-broker"), key: ecKeys[3]}.issue(t, p.intermediate)
	keyDER, err := x509.MarshalPKCS8PrivateKey(brokerCert.Key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.root.Cert)
	s := startAuthServer(t, pool, answer(200, `{"attributes":{"role":"fan"}}`))
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "broker-client"}, Type: corev1.SecretTypeTLS, Data: map[string][]byte{
		"tls.crt": []byte(pemOf(brokerCert.Cert, p.intermediate.Cert)),
		"tls.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}}
	entry := customEntry(s.URL)
	entry.CustomSettings.Auth = &v1.BrokerAuthenticatorCustomAuth{X509: v1.X509ManualCertificate{SecretRef: "broker-client"}}
	cfg := Config{Authentication: authentication(entry),
		ConfigMaps: map[string]*corev1.ConfigMap{"auth-server-ca": s.caConfigMap()},
		Secrets:    map[string]*corev1.Secret{"broker-client": secret}}
	creds := Credentials{Username: "smart-fan", Password: []byte("s3cret"), AuthMethod: "K8S-SAT", AuthData: []byte("tok"),
		Certificates: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}}
	d := New(cfg, Options{}).Explain(context.Background(), creds, t0)
	if d.Decision != Granted || d.Attributes["role"] != "fan" || *d.Username != "smart-fan" || d.ExpiresAt != nil {
		t.Fatalf("%+v", d)
	}
	want, _ := json.Marshal(map[string]any{
		"type": "connect", "username": "smart-fan", "password": "czNjcmV0",
		"certs":                  pemOf(p.leaf.Cert, p.intermediate.Cert),
		"enhancedAuthentication": map[string]any{"method": "K8S-SAT", "data": "dG9r"},
	})
	var got, exp map[string]any
	json.Unmarshal([]byte(s.bodies[0]), &got)
	json.Unmarshal(want, &exp)
	if dump(got) != dump(exp) {
		t.Errorf("body\n%s\nwant\n%s", s.bodies[0], want)
	}
	if s.headers[0].Get("X-Broker") != "aio" || s.headers[0].Get("Content-Type") != "application/json" || s.peers[0] != 2 {
		t.Errorf("headers %v, client certificates %d", s.headers[0], s.peers[0])
	}
	if len(d.Warnings) != 0 {
		t.Errorf("warnings %q", d.Warnings)
	}

	// Without the Secret in the bundle the call goes out without the
	// client certificate, which this server refuses: the chain falls
	// through, and the warning says why.
	cfg.Secrets = nil
	d = New(cfg, Options{}).Explain(context.Background(), creds, t0)
	if d.Steps[0].Relevant || !strings.Contains(strings.Join(d.Warnings, "\n"), "Secret broker-client") {
		t.Errorf("without the Secret: %+v %q", d.Steps[0], d.Warnings)
	}
}

func TestCustomConfiguration(t *testing.T) {
	s := startAuthServer(t, nil, answer(200, `{"attributes":{}}`))
	other := configMap("auth-server-ca", map[string]string{"ca.crt": pemOf(newTestPKI(t).root.Cert)})
	for _, tc := range []struct {
		name       string
		configMaps map[string]*corev1.ConfigMap
		opts       Options
		result     Result
		relevant   bool
		reason     string
	}{
		{"CA ConfigMap missing", nil, Options{}, Indeterminate, true, "ConfigMap auth-server-ca (authenticationMethods[0].customSettings.caCertConfigMap, the auth server's CA) is not in the bundle"},
		{"server not signed by the CA", map[string]*corev1.ConfigMap{"auth-server-ca": other}, Options{}, Denied, false, "TLS: the server's certificate is not signed by the configured CA"},
		{"CA ConfigMap without certificates", map[string]*corev1.ConfigMap{"auth-server-ca": configMap("auth-server-ca", map[string]string{"x": "y"})}, Options{}, Denied, false, "holds no PEM certificate"},
		{"what-if pass", nil, Options{CustomResult: CustomPass}, Granted, true, "what-if --custom-result pass"},
		{"what-if fail", nil, Options{CustomResult: CustomFail}, Denied, true, "what-if --custom-result fail"},
		{"what-if unreachable", nil, Options{CustomResult: CustomUnreachable}, Denied, false, "what-if --custom-result unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Config{Authentication: authentication(customEntry(s.URL)), ConfigMaps: tc.configMaps}, tc.opts).
				Explain(context.Background(), Credentials{Username: "u"}, t0)
			if d.Decision != tc.result || d.Steps[0].Relevant != tc.relevant || !strings.Contains(d.Steps[0].Reason, tc.reason) {
				t.Errorf("decision %s, step %+v", d.Decision, d.Steps[0])
			}
		})
	}
	if len(s.bodies) != 0 {
		t.Errorf("the server was called %d times; none of these cases may reach it", len(s.bodies))
	}
}

// TestCustomTLSFailure: when TLS fails nothing is sent, and the checks say
// so; without a caCertConfigMap the system's roots, not a configured CA,
// failed to trust the server.
func TestCustomTLSFailure(t *testing.T) {
	s := startAuthServer(t, nil, answer(200, `{"attributes":{}}`))
	other := configMap("auth-server-ca", map[string]string{"ca.crt": pemOf(newTestPKI(t).root.Cert)})
	noCA := customEntry(s.URL)
	noCA.CustomSettings.CACertConfigMap = ""
	for _, tc := range []struct {
		name  string
		entry v1.BrokerAuthenticatorMethods
		cms   map[string]*corev1.ConfigMap
		cause string
	}{
		{"configured CA", customEntry(s.URL), map[string]*corev1.ConfigMap{"auth-server-ca": other},
			"TLS: the server's certificate is not signed by the configured CA (caCertConfigMap)"},
		{"no caCertConfigMap", noCA, nil,
			"TLS: the server's certificate is not signed by a CA of the system's roots, which are what is trusted without a caCertConfigMap: name the ConfigMap holding the auth server's CA there"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Config{Authentication: authentication(tc.entry), ConfigMaps: tc.cms}, Options{}).
				Explain(context.Background(), Credentials{Username: "u"}, t0)
			step := d.Steps[0]
			want := []Check{{Name: "request", OK: false, Detail: "POST " + s.URL + "/?api-version=0.5.0 (connect: username \"u\") not sent: " + tc.cause}}
			if step.Relevant || step.Reason != "auth server unreachable: "+tc.cause+"; the chain falls through" || dump(step.Checks) != dump(want) {
				t.Errorf("step %+v\nwant checks %+v", step, want)
			}
		})
	}
	if len(s.bodies) != 0 {
		t.Errorf("a request reached the server over untrusted TLS")
	}
}
