package authn

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func results(d *Decision) string {
	parts := make([]string, len(d.Steps))
	for i, s := range d.Steps {
		parts[i] = string(s.Result)
	}
	return strings.Join(parts, " ")
}

// chainConfig is the docs' chain: Custom, then SAT, then X509.
func chainConfig(t *testing.T, s *authServer, p testPKI) Config {
	objects := boundObjects("0c1d", "9a8b")
	return Config{
		ServiceAccounts: objects.ServiceAccounts,
		Pods:            objects.Pods,
		Authentication: authentication(customEntry(s.URL), satEntry("aio-internal"), x509Entry(map[string]v1.BrokerAuthenticatorMethodX509Attributes{
			"fan": attr("CN = smart-fan, OU = Devices, C = US", "building", "17"),
		})),
		ConfigMaps: map[string]*corev1.ConfigMap{
			"auth-server-ca": s.caConfigMap(),
			"client-ca":      configMap("client-ca", map[string]string{"client_ca.pem": pemOf(p.root.Cert)}),
		},
	}
}

func TestFlow(t *testing.T) {
	p := newTestPKI(t)
	keys, _ := keySetFor(t, rsaKeys[0].Public())
	token := testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-internal"))
	chain := []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}
	for _, tc := range []struct {
		name     string
		answer   func(s *authServer) func(http.ResponseWriter, *http.Request)
		creds    Credentials
		decision Result
		method   string
		steps    string
		connack  uint8
	}{
		{"custom grants: the rest is not evaluated", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(200, `{"attributes":{}}`) },
			Credentials{Certificates: chain}, Granted, "Custom", "granted not-evaluated not-evaluated", 0},
		{"custom denies: X509 is never reached", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(403, `{"reason":135}`) },
			Credentials{Certificates: chain}, Denied, "Custom", "denied not-evaluated not-evaluated", 0x87},
		// A 403 is a denial whatever its body: a malformed one never lets
		// a later method grant.
		{"custom 403 that is not JSON: X509 is never reached", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(403, "Forbidden") },
			Credentials{Certificates: chain}, Denied, "Custom", "denied not-evaluated not-evaluated", 0x87},
		{"custom 403 with a reason out of range: SAT is never reached", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(403, `{"reason":300}`) },
			Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(token), Certificates: chain}, Denied, "Custom", "denied not-evaluated not-evaluated", 0x87},
		{"custom 200 without attributes grants", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(200, `{}`) },
			Credentials{Certificates: chain}, Granted, "Custom", "granted not-evaluated not-evaluated", 0},
		{"custom outage falls through to X509", func(s *authServer) func(http.ResponseWriter, *http.Request) { return s.hang },
			Credentials{Certificates: chain}, Granted, "X509", "not-relevant not-relevant granted", 0},
		{"custom outage falls through to SAT", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(503, "") },
			Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(token), Certificates: chain}, Granted, "ServiceAccountToken", "not-relevant granted not-evaluated", 0},
		{"relevant and invalid SAT denies although the certificate is good", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(503, "") },
			Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(token + "x"), Certificates: chain}, Denied, "ServiceAccountToken", "not-relevant denied not-evaluated", 0x87},
		{"nothing relevant", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(500, "") },
			Credentials{Username: "someone", Password: []byte("pw")}, Denied, "", "not-relevant not-relevant not-relevant", 0x87},
		{"enhanced method nobody handles", func(*authServer) func(http.ResponseWriter, *http.Request) { return answer(500, "") },
			Credentials{AuthMethod: "SCRAM-SHA-1"}, Denied, "", "not-relevant not-relevant not-relevant", 0x8C},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startAuthServer(t, nil)
			s.answers = []func(http.ResponseWriter, *http.Request){tc.answer(s)}
			e := New(chainConfig(t, s, p), Options{Keys: keys, CustomTimeout: 200 * time.Millisecond})
			d := e.Explain(context.Background(), tc.creds, t0)
			if d.Decision != tc.decision || results(d) != tc.steps {
				t.Fatalf("decision %s steps %s, want %s %s\n%s", d.Decision, results(d), tc.decision, tc.steps, dump(d))
			}
			method := ""
			if d.Method != nil {
				method = string(*d.Method)
				if d.Steps[*d.MethodIndex].Method != *d.Method {
					t.Errorf("methodIndex %d is not the %s step", *d.MethodIndex, method)
				}
			} else if d.MethodIndex != nil {
				t.Errorf("methodIndex without method")
			}
			if method != tc.method || d.Connack.Code != tc.connack {
				t.Errorf("method %q connack %+v, want %q 0x%02X", method, d.Connack, tc.method, tc.connack)
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	d := Disabled("default-insecure", 1883)
	if d.Decision != Granted || d.Method != nil || d.Connack.Code != 0 || len(d.Warnings) != 1 ||
		d.Warnings[0] != "port 1883 of BrokerListener default-insecure has no authenticationRef: authentication is disabled and every client is let in" {
		t.Errorf("%s", dump(d))
	}
}

// TestDecisionJSON pins the -o json contract of explain (docs/contracts.md).
func TestDecisionJSON(t *testing.T) {
	p := newTestPKI(t)
	s := startAuthServer(t, nil, answer(500, "maintenance"))
	e := New(chainConfig(t, s, p), Options{})
	d := e.Explain(context.Background(), Credentials{Username: "smart-fan", Certificates: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}}, t0)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	// The server's URL and the generated certificates change every run.
	got := strings.ReplaceAll(buf.String(), s.URL, "https://auth.example")
	got = strings.ReplaceAll(got, p.leaf.Cert.NotAfter.Format(time.RFC3339), "LEAF-NOT-AFTER")
	golden.Check(t, filepath.Join("testdata", "decision.json"), []byte(got))
}

// FuzzExplain feeds arbitrary credentials (PEM chains, token strings,
// authentication data) through the whole chain: the engine must not panic,
// and must always produce one step per entry and a decision.
func FuzzExplain(f *testing.F) {
	p := newTestPKI(f)
	keys, _ := keySetFor(f, rsaKeys[0].Public())
	e := New(Config{
		Authentication: authentication(
			v1.BrokerAuthenticatorMethods{Method: v1.MethodCustom, CustomSettings: &v1.BrokerAuthenticatorMethodCustom{Endpoint: "https://auth.invalid"}},
			satEntry("aio-internal"),
			x509Entry(map[string]v1.BrokerAuthenticatorMethodX509Attributes{"fan": attr("CN = smart-fan, OU = Devices, C = US", "building", "17")})),
		ConfigMaps: map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"ca": pemOf(p.root.Cert)})},
	}, Options{Keys: keys, CustomResult: CustomUnreachable})
	f.Add([]byte(pemOf(p.leaf.Cert, p.intermediate.Cert)), "K8S-SAT", []byte(testjwt.Sign(f, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-internal"))), "user", []byte("pw"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), "", []byte(nil), "K8S-SAT", []byte("a.b.c"))
	f.Add([]byte{}, "K8S-SAT", []byte("eyJhbGciOiJub25lIn0.e30."), "", []byte(nil))
	f.Fuzz(func(t *testing.T, chainPEM []byte, method string, data []byte, username string, password []byte) {
		var certs []*x509.Certificate
		rest := chainPEM
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if c, err := x509.ParseCertificate(block.Bytes); err == nil {
				certs = append(certs, c)
			}
		}
		d := e.Explain(context.Background(), Credentials{Username: username, Password: password, AuthMethod: method, AuthData: data, Certificates: certs}, t0)
		if len(d.Steps) != 3 || d.Decision == "" {
			t.Fatalf("decision %q with %d steps", d.Decision, len(d.Steps))
		}
		if (d.Decision == Indeterminate) != (d.Connack == nil) {
			t.Fatalf("decision %s with connack %v", d.Decision, d.Connack)
		}
	})
}
