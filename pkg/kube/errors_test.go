package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// checkOneLine asserts err is a *ClusterError of kind (a *ConfigError for
// kind 0) of one line matching want.
func checkOneLine(t *testing.T, err error, kind FailureKind, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one matching %q", want)
	}
	var ce *ClusterError
	var cfg *ConfigError
	switch {
	case kind == 0 && !errors.As(err, &cfg):
		t.Errorf("%T, want a *ConfigError", err)
	case kind != 0 && !errors.As(err, &ce):
		t.Errorf("%T, want a *ClusterError", err)
	case kind != 0 && ce.Kind != kind:
		t.Errorf("kind %v, want %v", ce.Kind, kind)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines:\n%s", msg)
	}
	if !regexp.MustCompile(want).MatchString(msg) {
		t.Errorf("error = %q\nwant it to match %q", msg, want)
	}
}

func TestExplainClusterErrors(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "errors")
	ctx := context.Background()
	cm := caConfigMap(ns, "x")

	// A port nothing listens on: taken and released at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "https://" + l.Addr().String()
	l.Close()

	wrongCA := cp.RESTConfig()
	wrongCA.TLSClientConfig = rest.TLSClientConfig{} // system roots do not know the test CA
	badToken := cp.RESTConfig()
	badToken.BearerToken = "not-a-valid-token"
	unreachable := cp.RESTConfig()
	unreachable.Host = closedURL

	tests := []struct {
		name string
		cfg  *rest.Config
		ns   string
		kind FailureKind
		want string
	}{
		{"forbidden", cp.RESTConfigAs(testenv.NobodyUser), ns, Forbidden,
			`^cannot apply configmap/client-ca in namespace "errors": user "nobody" is not allowed to patch configmaps in namespace "errors"; ask a cluster admin for an RBAC role that grants it, or choose another --context or --as$`},
		{"forbidden by impersonation", cp.RESTConfigAs("system:serviceaccount:errors:nothing"), ns, Forbidden,
			`user "system:serviceaccount:errors:nothing" is not allowed to patch configmaps in namespace "errors"`},
		{"missing namespace", cp.RESTConfig(), "no-such-namespace", Rejected,
			`^cannot apply configmap/client-ca in namespace "no-such-namespace": namespace "no-such-namespace" does not exist; create it \(kubectl create namespace no-such-namespace\) or choose another with -n$`},
		{"unreachable", unreachable, ns, Unreachable,
			`^cannot apply configmap/client-ca in namespace "errors": cannot reach the cluster at ` + regexp.QuoteMeta(closedURL) + `: connection refused; check --kubeconfig and --context, and that the API server is running$`},
		{"unknown CA", wrongCA, ns, Unreachable,
			`cannot reach the cluster at https://127\.0\.0\.1:\d+: its certificate is signed by an unknown authority`},
		{"bad credentials", badToken, ns, Unauthorized,
			`: the cluster at https://127\.0\.0\.1:\d+ rejected the credentials in use \(401 Unauthorized\); log in again or choose another --context$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClientForConfig(tc.cfg, tc.ns)
			if err != nil {
				t.Fatal(err)
			}
			cm := cm.DeepCopy()
			cm.Namespace = tc.ns
			_, err = c.ApplyConfigMap(ctx, cm, ApplyOptions{})
			checkOneLine(t, err, tc.kind, tc.want)
		})
	}
}

func TestExplainForbiddenNonResource(t *testing.T) {
	cp := controlPlane(t)
	c, err := NewClientForConfig(cp.RESTConfigAs(testenv.NobodyUser), "default")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.FetchIssuerKeys(context.Background())
	checkOneLine(t, err, Forbidden, `^cannot read the service account issuer \(/\.well-known/openid-configuration\): user "nobody" is not allowed to get /\.well-known/openid-configuration; ask a cluster admin`)
}

func TestExplainClusterScopeForbidden(t *testing.T) {
	cp := controlPlane(t)
	c, err := NewClientForConfig(cp.RESTConfigAs(testenv.NobodyUser), "default")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ReadSnapshot(context.Background(), SnapshotOptions{AllNamespaces: true})
	checkOneLine(t, err, Forbidden, `^cannot list brokerauthentications in all namespaces: user "nobody" is not allowed to list brokerauthentications\.mqttbroker\.iotoperations\.azure\.com at the cluster scope;`)
}

func TestNewClientFromFlags(t *testing.T) {
	cp := controlPlane(t)
	namespace(t, cp, "from-flags")
	str := func(s string) *string { return &s }

	t.Run("kubeconfig, context and namespace", func(t *testing.T) {
		flags := NewConfigFlags()
		flags.KubeConfig = str(cp.Kubeconfig())
		flags.Namespace = str("from-flags")
		c, err := NewClient(flags)
		if err != nil {
			t.Fatal(err)
		}
		if c.Namespace != "from-flags" || c.Context != testenv.AdminUser {
			t.Errorf("namespace %q, context %q", c.Namespace, c.Context)
		}
		if err := c.listObjects(context.Background(), "configmaps", c.Namespace, metav1.ListOptions{}, &corev1.ConfigMapList{}); err != nil {
			t.Errorf("listing with the client: %v", err)
		}
	})

	t.Run("the context's namespace", func(t *testing.T) {
		flags := NewConfigFlags()
		flags.KubeConfig = str(cp.Kubeconfig())
		flags.Context = str(testenv.NobodyUser)
		c, err := NewClient(flags)
		if err != nil {
			t.Fatal(err)
		}
		if c.Namespace != "default" || c.Context != testenv.NobodyUser {
			t.Errorf("namespace %q, context %q", c.Namespace, c.Context)
		}
		_, err = c.ApplyConfigMap(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, ApplyOptions{})
		checkOneLine(t, err, Forbidden, `user "nobody" is not allowed to patch configmaps in namespace "default"`)
	})

	t.Run("no kubeconfig", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv("HOME", home)
		t.Setenv("KUBECONFIG", filepath.Join(home, "missing"))
		// Not in a pod: no in-cluster configuration to fall back to.
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
		_, err := NewClient(NewConfigFlags())
		checkOneLine(t, err, 0, `^no cluster configured: no kubeconfig found; pass --kubeconfig, set KUBECONFIG, or create ~/\.kube/config$`)
	})

	t.Run("missing --kubeconfig file", func(t *testing.T) {
		flags := NewConfigFlags()
		missing := filepath.Join(t.TempDir(), "nope")
		flags.KubeConfig = &missing
		_, err := NewClient(flags)
		checkOneLine(t, err, 0, `^--kubeconfig `+regexp.QuoteMeta(missing)+`: no such file$`)
	})

	t.Run("unknown context", func(t *testing.T) {
		flags := NewConfigFlags()
		flags.KubeConfig = str(cp.Kubeconfig())
		flags.Context = str("elsewhere")
		_, err := NewClient(flags)
		checkOneLine(t, err, 0, `^kubeconfig: .*"elsewhere".*; `+"`kubectl config get-contexts`"+` lists the contexts$`)
	})

	t.Run("broken kubeconfig", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "config")
		if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\nclusters: {{{\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		flags := NewConfigFlags()
		flags.KubeConfig = &path
		_, err := NewClient(flags)
		checkOneLine(t, err, 0, `^kubeconfig: `)
	})
}

// TestServerFailureKinds: a server that accepts connections but never
// answers is Unreachable (no answer in time), one that answers 503 is
// Unavailable: both mean the cluster could not be asked.
func TestServerFailureKinds(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()

	busy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: leader changed","reason":"ServiceUnavailable","code":503}`)
	}))
	defer busy.Close()

	for _, tc := range []struct {
		name string
		cfg  *rest.Config
		kind FailureKind
		want string
	}{
		{"no answer", &rest.Config{Host: "http://" + silent.Addr().String(), Timeout: 300 * time.Millisecond}, Unreachable,
			`^cannot list brokerauthentications in namespace "default": cannot reach the cluster at http://127\.0\.0\.1:\d+: no answer in time;`},
		{"503", &rest.Config{Host: busy.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}, Unavailable,
			`^cannot list brokerauthentications in namespace "default": etcdserver: leader changed$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClientForConfig(tc.cfg, "default")
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ReadSnapshot(context.Background(), SnapshotOptions{})
			checkOneLine(t, err, tc.kind, tc.want)
		})
	}
}
