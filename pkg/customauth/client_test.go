package customauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
)

// recorded is one request as the server received it.
type recorded struct {
	Method, Path, Query, ContentType string
	Header                           http.Header
	Body                             string
	ClientCerts                      int
}

// authServer is a real HTTPS server on a loopback port whose answers come
// from a script, one entry per request, and which records what it received.
type authServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	answers  []func(w http.ResponseWriter, r *http.Request)
}

func newAuthServer(t *testing.T, answers ...func(w http.ResponseWriter, r *http.Request)) *authServer {
	t.Helper()
	s := &authServer{answers: answers}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.ErrorLog = quietLog
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *authServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.requests)
	certs := 0
	if r.TLS != nil {
		certs = len(r.TLS.PeerCertificates)
	}
	s.requests = append(s.requests, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		ContentType: r.Header.Get("Content-Type"), Header: r.Header.Clone(), Body: string(body), ClientCerts: certs})
	answer := s.answers[min(n, len(s.answers)-1)]
	s.mu.Unlock()
	answer(w, r)
}

func (s *authServer) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}

func (s *authServer) client(t *testing.T, opts Options) *Client {
	t.Helper()
	if opts.CACerts == nil {
		opts.CACerts = s.caPEM()
	}
	c, err := NewClient(s.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// quietLog drops the server's handshake errors, which the tests provoke.
var quietLog = log.New(io.Discard, "", 0)

func reply(status int, body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func u8(v uint8) *uint8 { return &v }

func connectRequest() *Request {
	user := "smart-fan"
	return &Request{Type: TypeConnect, Username: &user, Password: []byte("s3cret"),
		Certs:                  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		EnhancedAuthentication: &EnhancedAuthentication{Method: "K8S-SAT", Data: []byte("tok")}}
}

func TestAuthenticateSendsTheBrokersRequest(t *testing.T) {
	s := newAuthServer(t, reply(200, `{"attributes":{"building":"17"},"expiry":"2030-01-02T03:04:05Z"}`))
	c := s.client(t, Options{Headers: map[string]string{"Authorization": "Bearer abc", "X-Tenant": "contoso"}})
	res, err := c.Authenticate(context.Background(), connectRequest())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.requests) != 1 {
		t.Fatalf("%d requests", len(s.requests))
	}
	got := s.requests[0]
	want := `{"type":"connect","username":"smart-fan","password":"czNjcmV0","certs":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n","enhancedAuthentication":{"method":"K8S-SAT","data":"dG9r"}}`
	if got.Method != "POST" || got.Path != "/" || got.Query != "api-version=0.5.0" || got.ContentType != "application/json" {
		t.Errorf("request line = %s %s?%s (%s)", got.Method, got.Path, got.Query, got.ContentType)
	}
	if got.Body != want {
		t.Errorf("body =\n%s\nwant\n%s", got.Body, want)
	}
	if got.Header.Get("Authorization") != "Bearer abc" || got.Header.Get("X-Tenant") != "contoso" {
		t.Errorf("headers = %v", got.Header)
	}
	if res.Outcome != Granted || res.Attributes["building"] != "17" || res.Expiry == nil ||
		!res.Expiry.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) || res.Status != 200 {
		t.Errorf("result = %+v", res)
	}
}

func TestAuthenticateOmitsAbsentFields(t *testing.T) {
	s := newAuthServer(t, reply(200, `{"attributes":{}}`))
	res, err := s.client(t, Options{}).Authenticate(context.Background(), &Request{Type: TypeConnect})
	if err != nil {
		t.Fatal(err)
	}
	if s.requests[0].Body != `{"type":"connect"}` {
		t.Errorf("body = %s", s.requests[0].Body)
	}
	if res.Outcome != Granted || res.Expiry != nil || len(res.Attributes) != 0 {
		t.Errorf("result = %+v", res)
	}
}

func TestAuthenticateAnswers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answers  []func(http.ResponseWriter, *http.Request)
		outcome  Outcome
		reason   *uint8
		cause    string
		attempts int
		version  string
		problem  string
	}{
		{"403 with reason", []func(http.ResponseWriter, *http.Request){reply(403, `{"reason":134,"message":"bad password"}`)}, Denied, u8(0x86), "", 1, "0.5.0", ""},
		{"403 without reason", []func(http.ResponseWriter, *http.Request){reply(403, `{}`)}, Denied, nil, "", 1, "0.5.0", ""},
		// The user-pass sample's MQTT 3.1.1-style reasons: a reason code
		// all the same; which CONNACK it makes is the engine's call.
		{"403 with reason 5", []func(http.ResponseWriter, *http.Request){reply(403, `{"reason":5}`)}, Denied, u8(5), "", 1, "0.5.0", ""},
		// A 403 is a denial whatever its body.
		{"403 reason out of range", []func(http.ResponseWriter, *http.Request){reply(403, `{"reason":300}`)}, Denied, nil, "", 1, "0.5.0",
			`"reason" 300 is not a reason code (a whole number from 0 to 255)`},
		{"403 negative reason", []func(http.ResponseWriter, *http.Request){reply(403, `{"reason":-1,"message":"no"}`)}, Denied, nil, "", 1, "0.5.0", `"reason" -1 is not a reason code (a whole number from 0 to 255)`},
		{"403 reason as a string", []func(http.ResponseWriter, *http.Request){reply(403, `{"reason":"135"}`)}, Denied, nil, "", 1, "0.5.0", `"reason" "135" is not a reason code (a whole number from 0 to 255)`},
		{"403 not JSON", []func(http.ResponseWriter, *http.Request){reply(403, "Forbidden\n")}, Denied, nil, "", 1, "0.5.0", `a body that is not JSON {"reason": N}: Forbidden`},
		{"403 empty", []func(http.ResponseWriter, *http.Request){reply(403, "")}, Denied, nil, "", 1, "0.5.0", `an empty body instead of JSON {"reason": N}`},
		{"403 message not a string", []func(http.ResponseWriter, *http.Request){reply(403, `{"reason":135,"message":{"a":[1, 2]}}`)}, Denied, u8(0x87), "", 1, "0.5.0",
			`"message" {"a":[1,2]} is not a string`},
		{"422 then success", []func(http.ResponseWriter, *http.Request){reply(422, `{"supportedVersions":["0.5.0","0.6.0"]}`), reply(200, `{"attributes":{}}`)}, Granted, nil, "", 2, "0.6.0", ""},
		{"422 twice", []func(http.ResponseWriter, *http.Request){reply(422, `{"supportedVersions":["0.4.0"]}`)}, Unreachable, nil, "422 again", 2, "0.4.0", ""},
		{"422 with nothing else", []func(http.ResponseWriter, *http.Request){reply(422, `{"supportedVersions":["0.5.0"]}`)}, Unreachable, nil, "offers no other", 1, "0.5.0", ""},
		{"400", []func(http.ResponseWriter, *http.Request){reply(400, "missing type\nmore")}, Unreachable, nil, "400 Bad Request: missing type", 1, "0.5.0", ""},
		{"405", []func(http.ResponseWriter, *http.Request){reply(405, "")}, Unreachable, nil, "405 Method Not Allowed", 1, "0.5.0", ""},
		{"500", []func(http.ResponseWriter, *http.Request){reply(500, "boom")}, Unreachable, nil, "500 Internal Server Error: boom", 1, "0.5.0", ""},
		{"200 not JSON", []func(http.ResponseWriter, *http.Request){reply(200, `ok`)}, Unreachable, nil, "200 with a malformed body", 1, "0.5.0", ""},
		// Microsoft's auth-server-template leaves "attributes" out.
		{"200 without attributes", []func(http.ResponseWriter, *http.Request){reply(200, `{"expiry":"2030-01-01T00:00:00Z"}`)}, Granted, nil, "", 1, "0.5.0", ""},
		{"200 bad expiry", []func(http.ResponseWriter, *http.Request){reply(200, `{"attributes":{},"expiry":"tomorrow"}`)}, Unreachable, nil, "malformed body", 1, "0.5.0", ""},
		{"200 trailing data", []func(http.ResponseWriter, *http.Request){reply(200, `{"attributes":{}} {}`)}, Unreachable, nil, "trailing data", 1, "0.5.0", ""},
		{"redirect", []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusTemporaryRedirect)
		}}, Unreachable, nil, "307 Temporary Redirect", 1, "0.5.0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newAuthServer(t, tc.answers...)
			res, err := s.client(t, Options{}).Authenticate(context.Background(), connectRequest())
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.outcome || !strings.Contains(res.Cause, tc.cause) || res.Attempts != tc.attempts || res.Version != tc.version {
				t.Fatalf("result = %+v", res)
			}
			if (res.Reason == nil) != (tc.reason == nil) || (res.Reason != nil && *res.Reason != *tc.reason) {
				t.Errorf("reason = %v, want %v", res.Reason, tc.reason)
			}
			if res.Problem != tc.problem {
				t.Errorf("problem = %q, want %q", res.Problem, tc.problem)
			}
			if !res.Sent {
				t.Error("the request reached the server, but Sent is false")
			}
			if len(s.requests) != tc.attempts {
				t.Errorf("server saw %d requests", len(s.requests))
			}
			for i, r := range s.requests {
				if r.Body != s.requests[0].Body {
					t.Errorf("request %d body differs from the first", i)
				}
			}
			if tc.attempts == 2 && s.requests[1].Query != "api-version="+tc.version {
				t.Errorf("retry query = %s", s.requests[1].Query)
			}
		})
	}
}

func TestAuthenticateHangingServerEndsAtTheTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newAuthServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := s.client(t, Options{Timeout: 300 * time.Millisecond})
	res, err := c.Authenticate(context.Background(), connectRequest())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Unreachable || res.Cause != "no answer within 300ms" || !res.Sent {
		t.Errorf("result = %+v", res)
	}
}

func TestAuthenticateTLSAndConnectionFailures(t *testing.T) {
	s := newAuthServer(t, reply(200, `{"attributes":{}}`))
	// httptest servers share one certificate, so the other CA is made here.
	otherCA := []byte(testpki.SelfSigned(t, testpki.Spec{Subject: "CN = other CA"}).PEM())

	res, _ := s.client(t, Options{CACerts: otherCA}).Authenticate(context.Background(), connectRequest())
	if res.Outcome != Unreachable || res.Cause != "TLS: the server's certificate is not signed by the configured CA (caCertConfigMap)" || res.Sent {
		t.Errorf("wrong CA: %+v", res)
	}

	// System roots do not trust the test server either; without a
	// caCertConfigMap there is no configured CA to blame.
	c, err := NewClient(s.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := c.Authenticate(context.Background(), connectRequest()); res.Outcome != Unreachable || res.Sent ||
		res.Cause != "TLS: the server's certificate is not signed by a CA of the system's roots, which are what is trusted without a caCertConfigMap: name the ConfigMap holding the auth server's CA there" {
		t.Errorf("system roots: %+v", res)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err = NewClient("https://"+addr, Options{CACerts: s.caPEM()})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := c.Authenticate(context.Background(), connectRequest()); res.Outcome != Unreachable || !strings.Contains(res.Cause, "refused") || res.Sent {
		t.Errorf("closed port: %+v", res)
	}
	if len(s.requests) != 0 {
		t.Errorf("a request reached the server over untrusted TLS")
	}
}

func TestAuthenticatePresentsTheClientCertificate(t *testing.T) {
	ca := testpki.SelfSigned(t, testpki.Spec{Subject: "CN = broker CA"})
	leaf := ca.Issue(t, testpki.Spec{Subject: "CN = aio-broker"})

	s := &authServer{answers: []func(http.ResponseWriter, *http.Request){reply(200, `{"attributes":{}}`)}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	s.Config.ErrorLog = quietLog
	s.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	s.StartTLS()
	t.Cleanup(s.Close)

	res, _ := s.client(t, Options{}).Authenticate(context.Background(), connectRequest())
	if res.Outcome != Unreachable {
		t.Errorf("without a client certificate: %+v", res)
	}
	cert := &tls.Certificate{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key}
	res, _ = s.client(t, Options{ClientCertificate: cert}).Authenticate(context.Background(), connectRequest())
	if res.Outcome != Granted || len(s.requests) != 1 || s.requests[0].ClientCerts != 1 {
		t.Errorf("with a client certificate: %+v, requests %+v", res, s.requests)
	}
}

func TestNewClientRejects(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		opts     Options
		want     string
	}{
		{"http://auth:8080", Options{}, "must be an https:// URL"},
		{"auth:8080", Options{}, "must be an https:// URL"},
		{"https://auth", Options{CACerts: []byte("not pem")}, "holds no PEM certificate"},
	} {
		if _, err := NewClient(tc.endpoint, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%q) = %v, want %q", tc.endpoint, err, tc.want)
		}
	}
}

func TestURL(t *testing.T) {
	for endpoint, want := range map[string]string{
		"https://auth.svc:8443":        "https://auth.svc:8443/?api-version=0.5.0",
		"https://auth.svc:8443/":       "https://auth.svc:8443/?api-version=0.5.0",
		"https://auth.svc/mqtt/authn":  "https://auth.svc/mqtt/authn/?api-version=0.5.0",
		"https://auth.svc/x/?tenant=a": "https://auth.svc/x/?api-version=0.5.0&tenant=a",
	} {
		c, err := NewClient(endpoint, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.URL(APIVersion); got != want {
			t.Errorf("URL(%s) = %s, want %s", endpoint, got, want)
		}
	}
}
