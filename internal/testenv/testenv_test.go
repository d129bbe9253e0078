package testenv_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

var cluster testenv.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		println("stopping test control plane:", err.Error())
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

const widgetCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.testenv.aio-authn.example
spec:
  group: testenv.aio-authn.example
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size:
                type: integer
`

func TestServiceAccountTokens(t *testing.T) {
	cp := cluster.Get(t)
	ctx := context.Background()
	cs := cp.Clientset()

	const ns, sa = "tokens", "sensor"
	if err := cp.CreateNamespace(ns); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			Audiences:         []string{"aio-internal"},
			ExpirationSeconds: ptr.To[int64](600),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	token := tr.Status.Token
	if token == "" {
		t.Fatal("TokenRequest returned an empty token")
	}

	claims := decodeClaims(t, token)
	if claims["iss"] != testenv.ServiceAccountIssuer {
		t.Errorf("iss = %v, want %s", claims["iss"], testenv.ServiceAccountIssuer)
	}
	if want := "system:serviceaccount:" + ns + ":" + sa; claims["sub"] != want {
		t.Errorf("sub = %v, want %s", claims["sub"], want)
	}

	review := func(audience string) *authenticationv1.TokenReview {
		t.Helper()
		r, err := cs.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: []string{audience}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("TokenReview (audience %s): %v", audience, err)
		}
		return r
	}

	ok := review("aio-internal")
	if !ok.Status.Authenticated {
		t.Fatalf("TokenReview with audience aio-internal: not authenticated: %s", ok.Status.Error)
	}
	if want := "system:serviceaccount:" + ns + ":" + sa; ok.Status.User.Username != want {
		t.Errorf("username = %q, want %q", ok.Status.User.Username, want)
	}
	if len(ok.Status.Audiences) != 1 || ok.Status.Audiences[0] != "aio-internal" {
		t.Errorf("audiences = %v, want [aio-internal]", ok.Status.Audiences)
	}

	other := review("some-other-audience")
	if other.Status.Authenticated {
		t.Errorf("TokenReview with another audience: authenticated as %q, want refused", other.Status.User.Username)
	}
}

func TestIssuerDiscovery(t *testing.T) {
	cp := cluster.Get(t)
	ctx := context.Background()
	rc := cp.Clientset().Discovery().RESTClient()

	raw, err := rc.Get().AbsPath("/.well-known/openid-configuration").DoRaw(ctx)
	if err != nil {
		t.Fatalf("openid-configuration: %v", err)
	}
	var discovery struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(raw, &discovery); err != nil {
		t.Fatalf("openid-configuration: %v\n%s", err, raw)
	}
	if discovery.Issuer != testenv.ServiceAccountIssuer {
		t.Errorf("issuer = %q, want %q", discovery.Issuer, testenv.ServiceAccountIssuer)
	}

	raw, err = rc.Get().AbsPath("/openid/v1/jwks").DoRaw(ctx)
	if err != nil {
		t.Fatalf("jwks: %v", err)
	}
	var jwks struct {
		Keys []struct {
			Kty string `json:"kty"`
			Alg string `json:"alg"`
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(raw, &jwks); err != nil {
		t.Fatalf("jwks: %v\n%s", err, raw)
	}
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kty != "RSA" || jwks.Keys[0].Alg != "RS256" || jwks.Keys[0].Kid == "" {
		t.Errorf("jwks = %s, want one RS256 key with a kid", raw)
	}
}

func TestInstallCRDs(t *testing.T) {
	cp := cluster.Get(t)
	ctx := context.Background()

	// Twice: a CRD that already exists is updated, not an error.
	for range 2 {
		if err := cp.InstallCRDs(ctx, [][]byte{[]byte(widgetCRD)}); err != nil {
			t.Fatal(err)
		}
	}

	const ns = "crds"
	if err := cp.CreateNamespace(ns); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cp.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	widgets := dyn.Resource(schema.GroupVersionResource{Group: "testenv.aio-authn.example", Version: "v1", Resource: "widgets"})
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "testenv.aio-authn.example/v1",
		"kind":       "Widget",
		"metadata":   map[string]any{"name": "w1"},
		"spec":       map[string]any{"size": int64(3)},
	}}
	if _, err := widgets.Namespace(ns).Create(ctx, w, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a Widget: %v", err)
	}
	// The schema is enforced: the CRD is really served, not just stored.
	w.SetName("w2")
	w.Object["spec"] = map[string]any{"size": "large"}
	_, err = widgets.Namespace(ns).Create(ctx, w, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Errorf("creating a Widget with a string size: err = %v, want Invalid", err)
	}

	if err := cp.InstallCRDs(ctx, [][]byte{[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")}); err == nil {
		t.Error("InstallCRDs accepted a ConfigMap")
	}
}

func TestNobodyIsForbidden(t *testing.T) {
	cp := cluster.Get(t)
	ctx := context.Background()

	nobody, err := kubernetes.NewForConfig(cp.RESTConfigAs(testenv.NobodyUser))
	if err != nil {
		t.Fatal(err)
	}
	_, err = nobody.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("nobody listing configmaps: err = %v, want Forbidden", err)
	}

	// The same through the written kubeconfig files, as kubectl would use them.
	for _, tc := range []struct {
		path, context string
		wantForbidden bool
	}{
		{cp.Kubeconfig(), "", false},
		{cp.Kubeconfig(), testenv.NobodyUser, true},
		{cp.KubeconfigAs(testenv.NobodyUser), "", true},
		{cp.KubeconfigAs("system:serviceaccount:default:nothing"), "", true},
	} {
		cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			&clientcmd.ClientConfigLoadingRules{ExplicitPath: tc.path},
			&clientcmd.ConfigOverrides{CurrentContext: tc.context}).ClientConfig()
		if err != nil {
			t.Fatalf("%s (context %q): %v", tc.path, tc.context, err)
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
		if got := apierrors.IsForbidden(err); got != tc.wantForbidden || (!tc.wantForbidden && err != nil) {
			t.Errorf("%s (context %q): list configmaps: err = %v, want forbidden=%v", tc.path, tc.context, err, tc.wantForbidden)
		}
	}
}

func TestStartStopsWithTheTest(t *testing.T) {
	var dir, kubeconfig string
	t.Run("own control plane", func(t *testing.T) {
		cp := testenv.Start(t)
		dir, kubeconfig = cp.Dir(), cp.Kubeconfig()
		if _, err := cp.Clientset().Discovery().ServerVersion(); err != nil {
			t.Fatal(err)
		}
	})
	if dir == "" {
		return // skipped
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("control plane directory %s still there after the test (stat: %v)", dir, err)
	}
	if _, err := os.Stat(kubeconfig); !os.IsNotExist(err) {
		t.Errorf("kubeconfig %s still there after the test (stat: %v)", kubeconfig, err)
	}
}

func TestFindBinariesNamesSetupScript(t *testing.T) {
	t.Setenv(testenv.EnvKubeAPIServer, "/nonexistent/kube-apiserver")
	_, err := testenv.FindBinaries()
	if err == nil {
		t.Fatal("FindBinaries found a binary that does not exist")
	}
	if !strings.Contains(err.Error(), testenv.SetupScript) || !strings.Contains(err.Error(), testenv.EnvKubeAPIServer) {
		t.Errorf("error %q does not name %s and %s", err, testenv.SetupScript, testenv.EnvKubeAPIServer)
	}
}

// decodeClaims returns a JWT's claims, unverified (TokenReview verifies).
func decodeClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return claims
}

// fatalRecorder is a testing.TB whose Fatalf records instead of stopping, to
// see what Shared tells each of its callers.
type fatalRecorder struct {
	testing.TB
	fatals []string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

// TestSharedSetupFailureFailsEveryCaller: a failed Setup must fail every test
// that asks for the control plane, not only the first.
func TestSharedSetupFailureFailsEveryCaller(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	calls := 0
	s := &testenv.Shared{Setup: func(*testenv.ControlPlane) error { calls++; return errors.New("no CRDs today") }}
	defer s.Stop()
	rec := &fatalRecorder{TB: t}
	s.Get(rec)
	s.Get(rec)
	if calls != 1 {
		t.Errorf("Setup ran %d times, want once", calls)
	}
	if len(rec.fatals) != 2 {
		t.Fatalf("fatals = %q, want one per caller", rec.fatals)
	}
	for _, f := range rec.fatals {
		if !strings.Contains(f, "no CRDs today") {
			t.Errorf("fatal %q does not carry the setup error", f)
		}
	}
}
