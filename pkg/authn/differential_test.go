package authn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// TestDifferentialTokenReview judges crafted service account tokens twice:
// by a real kube-apiserver's TokenReview, which is what the broker asks,
// and by the engine offline with the cluster's public keys (as PEM and as
// the cluster's JWKS). They must agree on every token; offline explain may
// only answer indeterminate where the API server knows more than it was
// given (a ServiceAccount or Pod not in the bundle).
//
// The tokens are signed by internal/testjwt (golang-jwt and crypto), not
// with pkg/sat, so the engine is not its own referee. Time claims are set relative to the
// moment each token is judged, tens of seconds from every boundary, so the
// clock moving during the test cannot flip a case.
func TestDifferentialTokenReview(t *testing.T) {
	cp := testenv.StartDifferential(t, testenv.Options{ExtraServiceAccountKeys: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const ns = "differential"
	if err := cp.CreateNamespace(ns); err != nil {
		t.Fatal(err)
	}
	cs := cp.Clientset()
	client, err := kube.NewClientForConfig(cp.RESTConfig(), ns)
	if err != nil {
		t.Fatal(err)
	}

	// The API server signs with an RSA key and also trusts EC keys on
	// each curve, as during a key rotation: tokens of all must verify.
	files := cp.ServiceAccountKeyFiles()
	keyA := testenv.ReadPrivateKey(t, files[0]).(*rsa.PrivateKey)
	keyB := testenv.ReadPrivateKey(t, files[1]).(*ecdsa.PrivateKey)
	keyP384 := testenv.ReadPrivateKey(t, files[2]).(*ecdsa.PrivateKey)
	keyP521 := testenv.ReadPrivateKey(t, files[3]).(*ecdsa.PrivateKey)
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kidA, kidB, kidForeign := testjwt.KeyID(t, &keyA.PublicKey), testjwt.KeyID(t, &keyB.PublicKey), testjwt.KeyID(t, &foreign.PublicKey)
	var pemData []byte
	for _, pub := range []any{&keyA.PublicKey, &keyB.PublicKey, &keyP384.PublicKey, &keyP521.PublicKey} {
		pemData = append(pemData, testjwt.PublicPEM(t, pub)...)
	}
	pemKeys, err := sat.ParseKeySet(pemData)
	if err != nil {
		t.Fatal(err)
	}
	discovered, err := client.FetchIssuerKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	jwksKeys, err := sat.ParseKeySet(discovered.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	if discovered.Issuer != testenv.ServiceAccountIssuer {
		t.Fatalf("the discovery document names issuer %q, want %q", discovered.Issuer, testenv.ServiceAccountIssuer)
	}

	createSA := func(name string) *corev1.ServiceAccount {
		sa, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return sa
	}
	createPod := func(name, sa string) *corev1.Pod {
		pod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "client", Image: "example"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return pod
	}
	client1 := createSA("client")
	pod1 := createPod("client-pod", "client")
	doomedSA := createSA("doomed")
	doomedPod := createPod("doomed-pod", "client")

	var jti atomic.Int64
	// claims are a bound token's claims as the API server issues them, for
	// a token judged at now.
	claims := func(now time.Time, sa *corev1.ServiceAccount, pod *corev1.Pod) jwt.MapClaims {
		k := map[string]any{
			"namespace":      ns,
			"serviceaccount": map[string]any{"name": sa.Name, "uid": string(sa.UID)},
		}
		if pod != nil {
			k["pod"] = map[string]any{"name": pod.Name, "uid": string(pod.UID)}
		}
		return jwt.MapClaims{
			"iss": testenv.ServiceAccountIssuer, "sub": "system:serviceaccount:" + ns + ":" + sa.Name,
			"aud": []string{"aio-internal"},
			"iat": now.Add(-2 * time.Minute).Unix(), "nbf": now.Add(-2 * time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
			"jti":           fmt.Sprintf("differential-%d", jti.Add(1)),
			"kubernetes.io": k,
		}
	}
	std := func(now time.Time) jwt.MapClaims { return claims(now, client1, pod1) }
	rs := func(kid string, c jwt.MapClaims) string {
		return testjwt.Sign(t, jwt.SigningMethodRS256, keyA, kid, c)
	}
	at := func(now time.Time, d time.Duration) int64 { return now.Add(d).Unix() }

	type tokenCase struct {
		name string
		// token makes the token to judge at now.
		token func(now time.Time) string
		// authenticated is what the API server must answer: the case is
		// built to land on that side of its rules.
		authenticated bool
		// before runs first (deleting an object the token is bound to).
		before func(t *testing.T)
	}
	cases := []tokenCase{
		// Time claims, each side of every boundary, with and without the
		// one-minute leeway.
		{"valid, pod-bound, kid of the signing key", func(n time.Time) string { return rs(kidA, std(n)) }, true, nil},
		{"valid, ServiceAccount only", func(n time.Time) string { return rs(kidA, claims(n, client1, nil)) }, true, nil},
		{"exp in 30s", func(n time.Time) string { return rs(kidA, authn.With(std(n), "exp", at(n, 30*time.Second))) }, true, nil},
		{"exp 30s ago: within the leeway", func(n time.Time) string { return rs(kidA, authn.With(std(n), "exp", at(n, -30*time.Second))) }, true, nil},
		{"exp 90s ago", func(n time.Time) string { return rs(kidA, authn.With(std(n), "exp", at(n, -90*time.Second))) }, false, nil},
		{"exp 10m ago", func(n time.Time) string { return rs(kidA, authn.With(std(n), "exp", at(n, -10*time.Minute))) }, false, nil},
		{"nbf 30s ago", func(n time.Time) string { return rs(kidA, authn.With(std(n), "nbf", at(n, -30*time.Second))) }, true, nil},
		{"nbf in 30s: within the leeway", func(n time.Time) string { return rs(kidA, authn.With(std(n), "nbf", at(n, 30*time.Second))) }, true, nil},
		{"nbf in 90s", func(n time.Time) string { return rs(kidA, authn.With(std(n), "nbf", at(n, 90*time.Second))) }, false, nil},
		{"nbf in 10m", func(n time.Time) string { return rs(kidA, authn.With(std(n), "nbf", at(n, 10*time.Minute))) }, false, nil},
		{"iat in 30s: within the leeway", func(n time.Time) string { return rs(kidA, authn.With(std(n), "iat", at(n, 30*time.Second))) }, true, nil},
		{"iat in 90s", func(n time.Time) string { return rs(kidA, authn.With(std(n), "iat", at(n, 90*time.Second))) }, false, nil},
		{"iat in 5m", func(n time.Time) string { return rs(kidA, authn.With(std(n), "iat", at(n, 5*time.Minute))) }, false, nil},
		{"exp, nbf and iat all within the leeway", func(n time.Time) string {
			return rs(kidA, authn.With(std(n), "exp", at(n, -30*time.Second), "nbf", at(n, 30*time.Second), "iat", at(n, 30*time.Second)))
		}, true, nil},
		{"no nbf and no iat", func(n time.Time) string { return rs(kidA, authn.Without(std(n), "nbf", "iat")) }, true, nil},
		{"no exp", func(n time.Time) string { return rs(kidA, authn.Without(std(n), "exp")) }, true, nil},

		// Key selection: by kid when there is one, every key otherwise.
		{"no kid, signing key", func(n time.Time) string { return rs("", std(n)) }, true, nil},
		{"no kid, second key (ES256)", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodES256, keyB, "", std(n)) }, true, nil},
		{"kid of the second key, second key", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodES256, keyB, kidB, std(n)) }, true, nil},
		{"kid that names no key", func(n time.Time) string { return rs("no-such-key", std(n)) }, false, nil},

		// Algorithms: the API server signs RS256 and ES256, but verifies
		// every RS, PS and ES algorithm with a key of the right type.
		{"RS384", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodRS384, keyA, kidA, std(n)) }, true, nil},
		{"RS512", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodRS512, keyA, kidA, std(n)) }, true, nil},
		{"PS256", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodPS256, keyA, kidA, std(n)) }, true, nil},
		{"PS512, no kid", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodPS512, keyA, "", std(n)) }, true, nil},
		{"ES384, P-384 key", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodES384, keyP384, "", std(n)) }, true, nil},
		{"ES512, P-521 key", func(n time.Time) string {
			return testjwt.Sign(t, jwt.SigningMethodES512, keyP521, testjwt.KeyID(t, &keyP521.PublicKey), std(n))
		}, true, nil},
		{"RS256 signature relabelled PS256", func(n time.Time) string {
			good := strings.Split(rs(kidA, std(n)), ".")
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"PS256","kid":"`+kidA+`"}`)) + "." + good[1] + "." + good[2]
		}, false, nil},
		{"kid of the second key, signed by the first", func(n time.Time) string { return rs(kidB, std(n)) }, false, nil},
		{"foreign key with its own kid", func(n time.Time) string {
			return testjwt.Sign(t, jwt.SigningMethodRS256, foreign, kidForeign, std(n))
		}, false, nil},
		{"foreign key, no kid", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodRS256, foreign, "", std(n)) }, false, nil},
		{"foreign key claiming the signing key's kid", func(n time.Time) string { return testjwt.Sign(t, jwt.SigningMethodRS256, foreign, kidA, std(n)) }, false, nil},
		{"alg none", func(n time.Time) string {
			return testjwt.Sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", std(n))
		}, false, nil},
		{"HS256 keyed with the public key", func(n time.Time) string {
			return testjwt.Sign(t, jwt.SigningMethodHS256, testjwt.PublicPEM(t, &keyA.PublicKey), kidA, std(n))
		}, false, nil},
		{"payload swapped after signing", func(n time.Time) string {
			good := strings.Split(rs(kidA, std(n)), ".")
			other := strings.Split(rs(kidA, authn.With(std(n), "sub", "system:serviceaccount:"+ns+":admin")), ".")
			return good[0] + "." + other[1] + "." + good[2]
		}, false, nil},

		// Issuer and audience.
		{"foreign issuer", func(n time.Time) string { return rs(kidA, authn.With(std(n), "iss", "https://issuer.example")) }, false, nil},
		{"no issuer", func(n time.Time) string { return rs(kidA, authn.Without(std(n), "iss")) }, false, nil},
		{"wrong audience", func(n time.Time) string { return rs(kidA, authn.With(std(n), "aud", []string{"aio-mq"})) }, false, nil},
		{"two audiences, one of them ours", func(n time.Time) string {
			return rs(kidA, authn.With(std(n), "aud", []string{"https://kubernetes.default.svc", "aio-internal"}))
		}, true, nil},
		{"audience as a string", func(n time.Time) string { return rs(kidA, authn.With(std(n), "aud", "aio-internal")) }, true, nil},
		{"no audience", func(n time.Time) string { return rs(kidA, authn.Without(std(n), "aud")) }, false, nil},

		// The objects the token is bound to.
		{"ServiceAccount uid mismatch", func(n time.Time) string {
			impostor := client1.DeepCopy()
			impostor.UID = "00000000-0000-0000-0000-000000000001"
			return rs(kidA, claims(n, impostor, pod1))
		}, false, nil},
		{"Pod uid mismatch", func(n time.Time) string {
			impostor := pod1.DeepCopy()
			impostor.UID = "00000000-0000-0000-0000-000000000002"
			return rs(kidA, claims(n, client1, impostor))
		}, false, nil},
		{"ServiceAccount that never existed", func(n time.Time) string {
			ghost := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ghost", UID: "00000000-0000-0000-0000-000000000003"}}
			return rs(kidA, claims(n, ghost, nil))
		}, false, nil},
		{"no kubernetes.io claim", func(n time.Time) string { return rs(kidA, authn.Without(std(n), "kubernetes.io")) }, false, nil},
		{"ServiceAccount deleted", func(n time.Time) string { return rs(kidA, claims(n, doomedSA, nil)) }, false, func(t *testing.T) {
			if err := cs.CoreV1().ServiceAccounts(ns).Delete(ctx, doomedSA.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			waitRefused(t, ctx, client, func() string { return rs(kidA, claims(time.Now(), doomedSA, nil)) })
		}},
		{"bound Pod deleted", func(n time.Time) string { return rs(kidA, claims(n, client1, doomedPod)) }, false, func(t *testing.T) {
			if err := cs.CoreV1().Pods(ns).Delete(ctx, doomedPod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
				t.Fatal(err)
			}
			waitRefused(t, ctx, client, func() string { return rs(kidA, claims(time.Now(), client1, doomedPod)) })
		}},
	}
	if len(cases) < 30 {
		t.Fatalf("%d cases; the differential test promises at least 30", len(cases))
	}

	authentication := &v1.BrokerAuthentication{Spec: v1.BrokerAuthenticationSpec{AuthenticationMethods: []v1.BrokerAuthenticatorMethods{{
		Method: v1.MethodServiceAccountToken, ServiceAccountTokenSettings: &v1.BrokerAuthenticatorMethodSat{Audiences: []string{"aio-internal"}}}}}}
	authentication.Name, authentication.Namespace = "default", ns

	// The ways offline explain can be run: the two key formats, and what it
	// knows of the objects tokens are bound to (nothing, a bundle exported
	// from the cluster at the time, or the cluster itself).
	type mode struct {
		name    string
		keys    *sat.KeySet
		issuers []string
		objects string
	}
	modes := []mode{
		{"PEM keys, no objects", pemKeys, []string{testenv.ServiceAccountIssuer}, "none"},
		{"PEM keys, cluster objects", pemKeys, []string{testenv.ServiceAccountIssuer}, "cluster"},
		{"JWKS, exported bundle", jwksKeys, []string{discovered.Issuer}, "bundle"},
		{"JWKS, cluster objects", jwksKeys, []string{discovered.Issuer}, "cluster"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before(t)
			}
			now := time.Now()
			token := tc.token(now)
			review, err := client.ReviewToken(ctx, token, []string{"aio-internal"})
			if err != nil {
				t.Fatal(err)
			}
			judged := time.Now()
			if review.Authenticated != tc.authenticated {
				t.Fatalf("the API server answers authenticated=%v (%s), the case is built for %v", review.Authenticated, review.Error, tc.authenticated)
			}
			t.Logf("API server: authenticated=%v %s", review.Authenticated, review.Error)
			for _, m := range modes {
				cfg := authn.Config{Authentication: authentication}
				opts := authn.Options{Keys: m.keys, Issuers: m.issuers}
				switch m.objects {
				case "bundle":
					cfg.ServiceAccounts, cfg.Pods = exportBundle(t, ctx, cs.CoreV1().ServiceAccounts(ns).List, cs.CoreV1().Pods(ns).List)
				case "cluster":
					opts.Objects = client.ObjectFinder()
				}
				d := authn.New(cfg, opts).Explain(ctx, authn.Credentials{AuthMethod: authn.SATMethod, AuthData: []byte(token)}, judged)
				step := d.Steps[0]
				switch {
				case d.Decision == authn.Granted && review.Authenticated, d.Decision == authn.Denied && !review.Authenticated:
				case d.Decision == authn.Indeterminate && m.objects != "cluster" && strings.Contains(step.Reason, "is not in the bundle: the API server accepts the token only while"):
					// The API server knows more than the bundle, and the
					// step says so.
				default:
					t.Errorf("%s: offline %s (%s); the API server: authenticated=%v %s", m.name, d.Decision, step.Reason, review.Authenticated, review.Error)
				}
			}
		})
	}
}

// waitRefused waits until the API server refuses fresh tokens of a deleted
// object: it learns of deletions through an informer, within seconds. Each
// probe is a new token, so no cached answer delays it.
func waitRefused(t *testing.T, ctx context.Context, c *kube.Client, token func() string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		r, err := c.ReviewToken(ctx, token(), []string{"aio-internal"})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Authenticated {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the API server still accepts tokens of the deleted object after 30s")
		}
	}
}

// exportBundle is what `kubectl get serviceaccounts,pods -o yaml` would put
// in a bundle at this moment.
func exportBundle(t *testing.T, ctx context.Context,
	listSAs func(context.Context, metav1.ListOptions) (*corev1.ServiceAccountList, error),
	listPods func(context.Context, metav1.ListOptions) (*corev1.PodList, error)) (map[string]*corev1.ServiceAccount, map[string]*corev1.Pod) {
	t.Helper()
	sas, err := listSAs(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := listPods(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	saMap, podMap := map[string]*corev1.ServiceAccount{}, map[string]*corev1.Pod{}
	for i := range sas.Items {
		saMap[sas.Items[i].Namespace+"/"+sas.Items[i].Name] = &sas.Items[i]
	}
	for i := range pods.Items {
		podMap[pods.Items[i].Namespace+"/"+pods.Items[i].Name] = &pods.Items[i]
	}
	return saMap, podMap
}
