package authn

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
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

func keySetFor(t testing.TB, pub any) (*sat.KeySet, []byte) {
	t.Helper()
	pemBytes := testjwt.PublicPEM(t, pub)
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

func without(c jwt.MapClaims, keys ...string) jwt.MapClaims {
	out := with(c)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func TestServiceAccountToken(t *testing.T) {
	keys, pubPEM := keySetFor(t, rsaKeys[0].Public())
	good := testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-internal"))
	parts := strings.Split(good, ".")
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	objects := boundObjects("0c1d", "9a8b")

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
		detail     string
		connack    uint8
	}{
		{name: "granted offline", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(good + "\n")},
			result: Granted, relevant: true, reason: `token for "system:serviceaccount:azure-iot-operations:mqtt-client" verified, audience "aio-internal"`,
			attributes: map[string]string{"group": "authz-sat"}},
		{name: "second audience matches", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("https://kubernetes.default.svc", "aio-internal")))},
			result: Granted, relevant: true},
		{name: "wrong audience", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-mq")))},
			result: Denied, relevant: true, failed: "audience",
			reason: `aud ["aio-mq"] has none of the configured audiences ["aio-internal"]: request the token with --audience aio-internal`, connack: 0x87},
		{name: "forged signature", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[1], "", tokenClaims("aio-internal")))},
			result: Denied, relevant: true, failed: "signature", reason: "signature does not verify", connack: 0x87},
		{name: "alg none", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(unsigned)},
			result: Denied, relevant: true, failed: "signature", reason: "unsigned"},
		{name: "HS256 keyed with the RSA public key", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodHS256, pubPEM, "", tokenClaims("aio-internal")))},
			result: Denied, relevant: true, failed: "signature", reason: "HMAC"},
		{name: "expired beyond the leeway", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "exp", t0.Add(-61*time.Second).Unix())))},
			result: Denied, relevant: true, failed: "expiry", reason: "expired 61s ago, at 2026-06-01T11:58:59Z, beyond the API server's 60s leeway"},
		{name: "expired within the leeway", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "exp", t0.Add(-30*time.Second).Unix())))},
			result: Granted, relevant: true, detail: "expired 30s ago, at 2026-06-01T11:59:30Z, within the API server's 60s leeway",
			warning: "the token expired 30s ago (2026-06-01T11:59:30Z): the API server still accepts it within its 60s leeway"},
		{name: "expiring at this very second", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "exp", t0.Unix())))},
			result: Granted, relevant: true, detail: "expired just now, at 2026-06-01T12:00:00Z, within the API server's 60s leeway"},
		{name: "not yet valid", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "nbf", t0.Add(time.Hour).Unix())))},
			result: Denied, relevant: true, failed: "not-before", reason: "not valid before 2026-06-01T13:00:00Z, in 60m (now is 2026-06-01T12:00:00Z): beyond the API server's 60s leeway"},
		{name: "valid in 30s: within the leeway", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "nbf", t0.Add(30*time.Second).Unix())))},
			result: Granted, relevant: true, detail: "not valid before 2026-06-01T12:00:30Z, in 30s: within the API server's 60s leeway"},
		{name: "issued 5 minutes in the future", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "iat", t0.Add(5*time.Minute).Unix())))},
			result: Denied, relevant: true, failed: "issued-at", reason: "issued 5m in the future, at 2026-06-01T12:05:00Z (now is 2026-06-01T12:00:00Z): the API server refuses a token issued more than its 60s leeway ahead"},
		{name: "issued 30s in the future: within the leeway", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "iat", t0.Add(30*time.Second).Unix())))},
			result: Granted, relevant: true, detail: "issued 30s in the future, at 2026-06-01T12:00:30Z: within the API server's 60s leeway"},
		{name: "kid that names no key, with a PEM key", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "no-such-key", tokenClaims("aio-internal")))},
			result: Denied, relevant: true, failed: "signature", reason: `the token's kid "no-such-key" names none of the keys`},
		{name: "no verifier", creds: Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(good)},
			result: Indeterminate, relevant: true, reason: "add --sat-issuer-key F"},
		{name: "no verifier but wrong audience is still a denial", creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-mq")))},
			result: Denied, relevant: true, failed: "audience", connack: 0x87},
		{name: "not a token", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT", AuthData: []byte("hello")},
			result: Denied, relevant: true, failed: "token", reason: "not a service account token"},
		{name: "legacy username form", keys: keys, creds: Credentials{Username: "K8S-SAT", Password: []byte(good)},
			result: Denied, reason: "legacy form, which v1 does not read (the broker's documentation contradicts itself on it; this tool assumes, as Microsoft's SDK does, that the broker reads the token only from enhanced authentication)", connack: 0x87},
		{name: "another enhanced method", keys: keys, creds: Credentials{AuthMethod: "SCRAM-SHA-256", AuthData: []byte("x")},
			result: Denied, reason: `enhanced authentication method "SCRAM-SHA-256" is not K8S-SAT`, connack: 0x8C},
		{name: "nothing", keys: keys, result: Denied, reason: "no enhanced authentication method K8S-SAT", connack: 0x87},
		{name: "expires within ten minutes", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "exp", t0.Add(4*time.Minute).Unix())))},
			result: Granted, relevant: true, warning: "the token expires in 4m (2026-06-01T12:04:00Z)"},
		{name: "warnafter passed", keys: keys, creds: Credentials{AuthMethod: "K8S-SAT",
			AuthData: []byte(testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "kubernetes.io", map[string]any{
				"namespace": "azure-iot-operations", "serviceaccount": map[string]any{"name": "mqtt-client", "uid": "0c1d"}, "warnafter": t0.Add(-time.Minute).Unix()})))},
			result: Granted, relevant: true, warning: "warnafter (2026-06-01T11:59:00Z) has passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := objects
			cfg.Authentication = authentication(satEntry("aio-internal"))
			e := New(cfg, Options{Keys: tc.keys})
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
			if tc.detail != "" && !strings.Contains(dump(step.Checks), strings.ReplaceAll(tc.detail, `"`, `\"`)) {
				t.Errorf("checks %+v\nwant one saying %q", step.Checks, tc.detail)
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
	tok := testjwt.Sign(t, jwt.SigningMethodES256, ecKeys[0], "", tokenClaims("aio-internal"))
	cfg := boundObjects("0c1d", "9a8b")
	cfg.Authentication = authentication(satEntry("aio-internal"))
	d := New(cfg, Options{Keys: keys}).Explain(context.Background(), Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(tok)}, t0)
	if d.Decision != Granted {
		t.Fatalf("%+v", d.Steps)
	}
}

// boundObjects is a bundle's ServiceAccount and Pod for tokenClaims, with
// these uids ("" for manifests without one).
func boundObjects(saUID, podUID string) Config {
	return Config{
		ServiceAccounts: map[string]*corev1.ServiceAccount{"azure-iot-operations/mqtt-client": {
			ObjectMeta: metav1.ObjectMeta{Name: "mqtt-client", Namespace: "azure-iot-operations", UID: types.UID(saUID),
				Annotations: map[string]string{"aio-broker-auth/group": "authz-sat", "unrelated": "x"}}}},
		Pods: map[string]*corev1.Pod{"azure-iot-operations/mqtt-client": {
			ObjectMeta: metav1.ObjectMeta{Name: "mqtt-client", Namespace: "azure-iot-operations", UID: types.UID(podUID)}}},
	}
}

// TestServiceAccountTokenBoundObjects: offline, a token is valid only while
// the objects it is bound to exist with its uids, as the API server checks;
// what the bundle does not show makes the step indeterminate, never a
// silent grant.
func TestServiceAccountTokenBoundObjects(t *testing.T) {
	keys, _ := keySetFor(t, rsaKeys[0].Public())
	good := testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-internal"))
	deleted := func(cfg Config, ago time.Duration) Config {
		at := metav1.NewTime(t0.Add(-ago))
		sa := *cfg.ServiceAccounts["azure-iot-operations/mqtt-client"]
		sa.DeletionTimestamp = &at
		cfg.ServiceAccounts = map[string]*corev1.ServiceAccount{"azure-iot-operations/mqtt-client": &sa}
		return cfg
	}
	noPod := boundObjects("0c1d", "9a8b")
	noPod.Pods = nil
	noSA := boundObjects("0c1d", "9a8b")
	noSA.ServiceAccounts = nil
	for _, tc := range []struct {
		name   string
		cfg    Config
		token  string
		result Result
		reason string
		detail string
	}{
		{"uids match", boundObjects("0c1d", "9a8b"), good, Granted, "",
			"Pod azure-iot-operations/mqtt-client is in the bundle with the token's uid 9a8b"},
		{"manifests without uids", boundObjects("", ""), good, Granted, "",
			"ServiceAccount azure-iot-operations/mqtt-client is in the bundle without a uid (a manifest not read from the cluster), so the token's uid 0c1d is not compared"},
		{"ServiceAccount uid differs", boundObjects("7e7e", "9a8b"), good, Denied,
			"ServiceAccount azure-iot-operations/mqtt-client is in the bundle with uid 7e7e, but the token names uid 0c1d: it was issued for an earlier ServiceAccount of that name", ""},
		{"Pod uid differs", boundObjects("0c1d", "1111"), good, Denied, "Pod azure-iot-operations/mqtt-client is in the bundle with uid 1111", ""},
		{"ServiceAccount deleted two minutes ago", deleted(boundObjects("0c1d", "9a8b"), 2*time.Minute), good, Denied,
			"ServiceAccount azure-iot-operations/mqtt-client has been deleted (at 2026-06-01T11:58:00Z)", ""},
		{"ServiceAccount deleted 30s ago: within the leeway", deleted(boundObjects("0c1d", "9a8b"), 30*time.Second), good, Granted, "", ""},
		{"Pod not in the bundle", noPod, good, Indeterminate,
			"Pod azure-iot-operations/mqtt-client is not in the bundle: the API server accepts the token only while that Pod exists with uid 9a8b; add it to the bundle (kubectl get pod mqtt-client -n azure-iot-operations -o yaml), or ask the cluster (--from-cluster or --token-review)", ""},
		{"ServiceAccount not in the bundle", noSA, good, Indeterminate, "ServiceAccount azure-iot-operations/mqtt-client is not in the bundle", ""},
		{"no kubernetes.io claim", boundObjects("0c1d", "9a8b"),
			testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", without(tokenClaims("aio-internal"), "kubernetes.io")), Denied,
			"the token has no kubernetes.io serviceaccount claim", ""},
		{"bound to a node only", boundObjects("0c1d", "9a8b"),
			testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "kubernetes.io", map[string]any{
				"namespace": "azure-iot-operations", "serviceaccount": map[string]any{"name": "mqtt-client", "uid": "0c1d"},
				"node": map[string]any{"name": "node-1", "uid": "5555"}})), Indeterminate,
			"the token is bound to node node-1 (uid 5555), which explain cannot look up", ""},
		{"a failed check first: nothing is looked up", noSA,
			testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-mq")), Denied, "has none of the configured audiences", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Authentication = authentication(satEntry("aio-internal"))
			d := New(cfg, Options{Keys: keys}).Explain(context.Background(), Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(tc.token)}, t0)
			step := d.Steps[0]
			if d.Decision != tc.result || !strings.Contains(step.Reason, tc.reason) {
				t.Fatalf("decision %s reason %q, want %s %q", d.Decision, step.Reason, tc.result, tc.reason)
			}
			if tc.detail != "" && !strings.Contains(dump(step.Checks), tc.detail) {
				t.Errorf("checks %+v\nwant one saying %q", step.Checks, tc.detail)
			}
			if tc.result == Indeterminate && d.Connack != nil {
				t.Errorf("indeterminate with a CONNACK: %+v", d.Connack)
			}
		})
	}
}

// TestServiceAccountTokenIssuer: the issuer is checked where it is known,
// and a note says when it was not.
func TestServiceAccountTokenIssuer(t *testing.T) {
	keys, _ := keySetFor(t, rsaKeys[0].Public())
	cfg := boundObjects("0c1d", "9a8b")
	cfg.Authentication = authentication(satEntry("aio-internal"))
	good := testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-internal"))
	foreign := testjwt.Sign(t, jwt.SigningMethodRS256, rsaKeys[0], "", with(tokenClaims("aio-internal"), "iss", "https://evil.example"))
	const cluster = "https://kubernetes.default.svc.cluster.local"
	for _, tc := range []struct {
		name    string
		issuers []string
		token   string
		result  Result
		check   Check
	}{
		{"the cluster's issuer", []string{cluster}, good, Granted, Check{Name: "issuer", OK: true, Detail: "iss " + cluster + " is the API server's issuer"}},
		{"one of several issuers", []string{"https://old.example", cluster}, good, Granted, Check{Name: "issuer", OK: true, Detail: "iss " + cluster + " is the API server's issuer"}},
		{"a foreign issuer", []string{cluster}, foreign, Denied, Check{Name: "issuer", Detail: "iss https://evil.example is not the API server's issuer " + cluster + ": it refuses tokens of other issuers"}},
		{"issuer unknown: a note", nil, foreign, Granted, Check{Name: "issuer", OK: true, Skipped: true,
			Detail: "iss https://evil.example not checked: give --sat-issuer URL (the API server's --service-account-issuer) to check it, as the API server does"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(cfg, Options{Keys: keys, Issuers: tc.issuers}).Explain(context.Background(), Credentials{AuthMethod: "K8S-SAT", AuthData: []byte(tc.token)}, t0)
			if d.Decision != tc.result {
				t.Fatalf("decision %s: %+v", d.Decision, d.Steps[0])
			}
			if c, _ := checkByName(d.Steps[0], "issuer"); c != tc.check {
				t.Errorf("issuer check %+v\nwant %+v", c, tc.check)
			}
		})
	}
}
