package authn

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

func satEntry(audiences ...string) v1.BrokerAuthenticatorMethods {
	return v1.BrokerAuthenticatorMethods{Method: v1.MethodServiceAccountToken,
		ServiceAccountTokenSettings: &v1.BrokerAuthenticatorMethodSat{Audiences: audiences}}
}

// tokenClaims are a bound token's claims as the API server issues them.
func tokenClaims(aud ...string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "https://kubernetes.default.svc.cluster.local",
		"sub": "system:serviceaccount:azure-iot-operations:mqtt-client",
		"aud": aud,
		"iat": t0.Add(-time.Hour).Unix(),
		"nbf": t0.Add(-time.Hour).Unix(),
		"exp": t0.Add(23 * time.Hour).Unix(),
		"jti": "5b3b4a1e",
		"kubernetes.io": map[string]any{
			"namespace":      "azure-iot-operations",
			"serviceaccount": map[string]any{"name": "mqtt-client", "uid": "0c1d"},
			"pod":            map[string]any{"name": "mqtt-client", "uid": "9a8b"},
		},
	}
}

func signToken(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keySetFor(t testing.TB, pub any) (*sat.KeySet, []byte) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	ks, err := sat.ParseKeySet(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return ks, pemBytes
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestServiceAccountToken(t *testing.T) {
	keys, pubPEM := keySetFor(t, rsaKeys[0].Public())
	good := signToken(t, jwt.SigningMethodRS256, rsaKeys[0], tokenClaims("aio-internal"))
	parts := strings.Split(good, ".")
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	serviceAccounts := map[string]*corev1.ServiceAccount{"azure-iot-operations/mqtt-client": {
		ObjectMeta: metav1.ObjectMeta{Name: "mqtt-client", Namespace: "azure-iot-operations",
			Annotations: map[string]string{"aio-broker-auth/group": "authz-sat", "unrelated": "x"}}}}

	for _, tc := range []struct {
		name       string
		creds      Credentials
		keys       *sat.KeySet
		result     Result
		relevant   bool
		failed     string
		reason     string
		attributes map[string]string
		warning    string
		connack    uint8
	}{
		{name: "granted offline", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(good + "\n")},
			result: Granted, relevant: true, reason: `token for "system:serviceaccount:azure-iot-operations:mqtt-client" verified, audience "aio-internal"`,
			attributes: map[string]string{"group": "authz-sat"}},
		{name: "second audience matches", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodRS256, rsaKeys[0], tokenClaims("https://kubernetes.default.svc", "aio-internal")))},
			result: Granted, relevant: true},
		{name: "wrong audience", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodRS256, rsaKeys[0], tokenClaims("aio-mq")))},
			result: Denied, relevant: true, failed: "audience",
			reason: `aud ["aio-mq"] has none of the configured audiences ["aio-internal"]: request the token with --audience aio-internal`, connack: 0x87},
		{name: "forged signature", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodRS256, rsaKeys[1], tokenClaims("aio-internal")))},
			result: Denied, relevant: true, failed: "signature", reason: "signature does not verify", connack: 0x87},
		{name: "alg none", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(unsigned)},
			result: Denied, relevant: true, failed: "signature", reason: "unsigned"},
		{name: "HS256 keyed with the RSA public key", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodHS256, pubPEM, tokenClaims("aio-internal")))},
			result: Denied, relevant: true, failed: "signature", reason: "HMAC"},
		{name: "expired", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodRS256, rsaKeys[0], with(tokenClaims("aio-internal"), "exp", t0.Add(-time.Minute).Unix())))},
			result: Denied, relevant: true, failed: "expiry", reason: "expired 60s ago, at 2026-06-01T11:59:00Z"},
		{name: "not yet valid", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodRS256, rsaKeys[0], with(tokenClaims("aio-internal"), "nbf", t0.Add(time.Hour).Unix())))},
			result: Denied, relevant: true, failed: "not-before"},
		{name: "no verifier", creds: Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(good)},
			result: Indeterminate, relevant: true, reason: "add --sat-issuer-key F"},
		{name: "no verifier but wrong audience is still a denial", creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodRS256, rsaKeys[0], tokenClaims("aio-mq")))},
			result: Denied, relevant: true, failed: "audience", connack: 0x87},
		{name: "not a token", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT", AuthData: []byte("hello")},
			result: Denied, relevant: true, failed: "token", reason: "not a service account token"},
		{name: "legacy username form", keys: keys, creds: Credentials{Username: "K8S-SAT", Password: []byte(good)},
			result: Denied, reason: "legacy form, which v1 does not read [decision]", connack: 0x87},
		{name: "another enhanced method", keys: keys, creds: Credentials{AuthMethod: "SCRAM-SHA-256", AuthData: []byte("x")},
			result: Denied, reason: `enhanced authentication method "SCRAM-SHA-256" is not K8S-SAT`, connack: 0x8C},
		{name: "nothing", keys: keys, result: Denied, reason: "no enhanced authentication method K8S-SAT", connack: 0x87},
		{name: "expires within ten minutes", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodRS256, rsaKeys[0], with(tokenClaims("aio-internal"), "exp", t0.Add(4*time.Minute).Unix())))},
			result: Granted, relevant: true, warning: "the token expires in 4m (2026-06-01T12:04:00Z)"},
		{name: "warnafter passed", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(signToken(t, jwt.SigningMethodRS256, rsaKeys[0], with(tokenClaims("aio-internal"), "kubernetes.io", map[string]any{
				"namespace": "azure-iot-operations", "serviceaccount": map[string]any{"name": "mqtt-client"}, "warnafter": t0.Add(-time.Minute).Unix()})))},
			result: Granted, relevant: true, warning: "warnafter (2026-06-01T11:59:00Z) has passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Config{Authentication: authentication(satEntry("aio-internal")), ServiceAccounts: serviceAccounts}, Options{Keys: tc.keys})
			d := e.Explain(context.Background(), tc.creds, t0)
			step := d.Steps[0]
			if d.Decision != tc.result || step.Relevant != tc.relevant {
				t.Fatalf("decision %s relevant %v, want %s %v: %+v", d.Decision, step.Relevant, tc.result, tc.relevant, step)
			}
			if !strings.Contains(step.Reason, tc.reason) {
				t.Errorf("reason %q\nwant it to contain %q", step.Reason, tc.reason)
			}
			if tc.failed != "" {
				if c, ok := checkByName(step, tc.failed); !ok || c.OK {
					t.Errorf("check %s = %+v, want failed; checks %+v", tc.failed, c, step.Checks)
				}
			}
			if tc.result == Granted {
				if d.Username == nil || *d.Username != "system:serviceaccount:azure-iot-operations:mqtt-client" || d.ExpiresAt == nil {
					t.Errorf("username %v expiresAt %v", d.Username, d.ExpiresAt)
				}
			}
			if tc.connack == 0 {
				tc.connack = CodeNotAuthorized
			}
			if tc.result == Denied && d.Connack.Code != tc.connack {
				t.Errorf("connack %+v, want 0x%02X", d.Connack, tc.connack)
			}
			if tc.result == Indeterminate && d.Connack != nil {
				t.Errorf("indeterminate with connack %+v", d.Connack)
			}
			if tc.attributes != nil && !equalMaps(d.Attributes, tc.attributes) {
				t.Errorf("attributes %v, want %v", d.Attributes, tc.attributes)
			}
			if tc.warning != "" && !strings.Contains(strings.Join(d.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q, want one containing %q", d.Warnings, tc.warning)
			}
			sig := strings.Split(strings.TrimSpace(string(tc.creds.AuthData)), ".")
			if len(sig) == 3 && len(sig[2]) > 8 && strings.Contains(dump(d), sig[2]) {
				t.Error("the decision shows the token's signature")
			}
		})
	}
}

func TestServiceAccountTokenES256(t *testing.T) {
	keys, _ := keySetFor(t, ecKeys[0].Public())
	tok := signToken(t, jwt.SigningMethodES256, ecKeys[0], tokenClaims("aio-internal"))
	d := New(Config{Authentication: authentication(satEntry("aio-internal"))}, Options{Keys: keys}).
		Explain(context.Background(), Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(tok)}, t0)
	if d.Decision != Granted {
		t.Fatalf("%+v", d.Steps)
	}
	if c, _ := checkByName(d.Steps[0], "attributes"); !strings.Contains(c.Detail, "ServiceAccount azure-iot-operations/mqtt-client is not in the bundle") {
		t.Errorf("attributes check %+v", c)
	}
}
