package authn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"

	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
)

// TestReauthenticate asks the entry that let a client in about the
// credentials of an AUTH packet, entry by entry of the docs' chain (Custom,
// SAT, X509), with a real HTTPS auth server.
func TestReauthenticate(t *testing.T) {
	p := newTestPKI(t)
	keys, _ := keySetFor(t, rsaKeys[0].Public())
	fresh := testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "exp", t0.Add(2*time.Hour).Unix()))
	wrongAudience := testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-mq"))
	sat := func(token string) Credentials { return Credentials{AuthMethod: SATMethod, AuthData: []byte(token)} }

	for _, tc := range []struct {
		name      string
		answer    func(http.ResponseWriter, *http.Request)
		down      bool
		index     int
		creds     Credentials
		result    Result
		transient bool
		code      uint8
		reason    string
		expiry    string
	}{
		{name: "SAT: a fresh token is judged as at CONNECT", index: 1, creds: sat(fresh), result: Granted,
			reason: `token for "system:serviceaccount:azure-iot-operations:mqtt-client" verified`, expiry: "2026-06-01T14:00:00Z"},
		{name: "SAT: a token for another audience", index: 1, creds: sat(wrongAudience), result: Denied, code: 0x87,
			reason: `aud ["aio-mq"] has none of the configured audiences ["aio-internal"]`},
		{name: "SAT: another method", index: 1, creds: Credentials{AuthMethod: "PSK-DEMO", AuthData: []byte("x")}, result: Denied, code: 0x87,
			reason: `not relevant to the re-authentication: enhanced authentication method "PSK-DEMO" is not K8S-SAT`},
		{name: "X509 cannot re-authenticate", index: 2, creds: sat(fresh), result: Denied, code: 0x87,
			reason: "X.509 clients cannot re-authenticate"},
		{name: "Custom: granted with a new expiry", index: 0, creds: sat(fresh), answer: answer(200, `{"expiry":"2026-06-01T13:00:00Z"}`),
			result: Granted, reason: "auth server granted (200)", expiry: "2026-06-01T13:00:00Z"},
		{name: "Custom: denied with the server's reason", index: 0, creds: sat(fresh), answer: answer(403, `{"reason":138}`),
			result: Denied, code: 0x8A, reason: "with reason 0x8A Banned"},
		{name: "Custom: server down is transient", index: 0, creds: sat(fresh), down: true,
			result: Indeterminate, transient: true, reason: "auth server unreachable"},
		{name: "Custom: 503 is transient too", index: 0, creds: sat(fresh), answer: answer(503, "restarting"),
			result: Indeterminate, transient: true, reason: "503 Service Unavailable"},
		{name: "no such entry", index: 7, creds: sat(fresh), result: Indeterminate, reason: "no entry 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answerWith := tc.answer
			if answerWith == nil {
				answerWith = answer(500, "not called")
			}
			s := startAuthServer(t, nil, answerWith)
			cfg := chainConfig(t, s, p)
			if tc.down {
				s.Close()
			}
			e := New(cfg, Options{Keys: keys, CustomTimeout: 2 * time.Second})
			r := e.Reauthenticate(context.Background(), tc.index, tc.creds, t0)
			if r.Result != tc.result || r.Transient != tc.transient {
				t.Fatalf("result %s transient %v, want %s %v: %+v", r.Result, r.Transient, tc.result, tc.transient, r.Step)
			}
			if !strings.Contains(r.Step.Reason, tc.reason) {
				t.Errorf("reason %q\nwant it to contain %q", r.Step.Reason, tc.reason)
			}
			if tc.result == Denied && r.ReasonCode != tc.code {
				t.Errorf("reason code 0x%02X, want 0x%02X", r.ReasonCode, tc.code)
			}
			if tc.expiry != "" && (r.ExpiresAt == nil || r.ExpiresAt.Format(time.RFC3339) != tc.expiry) {
				t.Errorf("expiresAt %v, want %s", r.ExpiresAt, tc.expiry)
			}
			if tc.result == Granted && r.Attributes == nil {
				t.Error("attributes nil on grant")
			}
			if tc.answer == nil || tc.down {
				return
			}
			// The custom step sends the enhanced authentication alone, as
			// an auth request: the sample servers tell the two apart by
			// type.
			var body map[string]any
			if err := json.Unmarshal([]byte(s.bodies[0]), &body); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"type": "auth", "enhancedAuthentication": map[string]any{"method": "K8S-SAT", "data": b64(fresh)}}
			if dump(body) != dump(want) {
				t.Errorf("body %s\nwant %s", s.bodies[0], dump(want))
			}
			if c, _ := checkByName(r.Step, "request"); !strings.Contains(c.Detail, `(auth: enhanced authentication "K8S-SAT")`) {
				t.Errorf("request check %+v", c)
			}
		})
	}
}

// TestReauthenticationLeavesExplainAlone: the same credentials at CONNECT
// still send a connect request.
func TestReauthenticationLeavesExplainAlone(t *testing.T) {
	s := startAuthServer(t, nil, answer(200, `{"attributes":{}}`))
	cfg := Config{Authentication: authentication(customEntry(s.URL)), ConfigMaps: map[string]*corev1.ConfigMap{"auth-server-ca": s.caConfigMap()}}
	d := New(cfg, Options{}).Explain(context.Background(), Credentials{AuthMethod: SATMethod, AuthData: []byte("tok")}, t0)
	if d.Decision != Granted || !strings.Contains(s.bodies[0], `"type":"connect"`) {
		t.Fatalf("%s: %s", d.Decision, s.bodies[0])
	}
	if c, _ := checkByName(d.Steps[0], "request"); !strings.Contains(c.Detail, `(connect: enhanced authentication "K8S-SAT")`) {
		t.Errorf("request check %+v", c)
	}
}

func TestDecisionReason(t *testing.T) {
	p := newTestPKI(t)
	s := startAuthServer(t, nil, answer(500, "down"))
	e := New(chainConfig(t, s, p), Options{CustomTimeout: 2 * time.Second})
	for _, tc := range []struct {
		name  string
		creds Credentials
		want  string
	}{
		{name: "denied by an entry", creds: Credentials{AuthMethod: SATMethod, AuthData: []byte("not a token")},
			want: "ServiceAccountToken (entry 1): the authentication data is not a service account token: "},
		{name: "no entry relevant", creds: Credentials{Username: "u"},
			want: "no method is relevant to these credentials (Custom: auth server unreachable: 500 Internal Server Error: down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := e.Explain(context.Background(), tc.creds, t0).Reason()
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("reason %q\nwant it to start with %q", got, tc.want)
			}
		})
	}
	if got := Disabled("default", 1883).Reason(); got != "authentication is disabled on this port" {
		t.Errorf("disabled: %q", got)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
