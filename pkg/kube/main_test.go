package kube

import (
	"context"
	"flag"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/crds"
)

// cluster is the real control plane (etcd + kube-apiserver) the tests of
// this package share; each test works in namespaces of its own.
var cluster = testenv.Shared{Setup: testenv.CRDSetup(crds.YAML())}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(cluster.Main(m))
}

// controlPlane returns the shared control plane with the broker's CRDs
// installed.
func controlPlane(t *testing.T) *testenv.ControlPlane {
	t.Helper()
	return cluster.Get(t)
}

// namespace creates a namespace for one test, with the service accounts
// given (there is no controller to create "default").
func namespace(t *testing.T, cp *testenv.ControlPlane, name string, serviceAccounts ...string) string {
	t.Helper()
	if err := cp.CreateNamespace(name); err != nil {
		t.Fatal(err)
	}
	for _, sa := range serviceAccounts {
		_, err := cp.Clientset().CoreV1().ServiceAccounts(name).Create(context.Background(),
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating serviceaccount %s/%s: %v", name, sa, err)
		}
	}
	return name
}

// adminClient is a Client for the admin user in namespace ns.
func adminClient(t *testing.T, cp *testenv.ControlPlane, ns string) *Client {
	t.Helper()
	c, err := NewClientForConfig(cp.RESTConfig(), ns)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientset is client-go's clientset for c's configuration, for setting up
// what a test needs beyond what Client does.
func clientset(c *Client) kubernetes.Interface { return kubernetes.NewForConfigOrDie(c.Config) }

// requestLog records the requests a client makes, through
// rest.Config.WrapTransport, so tests can assert how many calls (and which)
// an operation costs.
type requestLog struct {
	mu       sync.Mutex
	requests []string // "GET /api/v1/namespaces/x/pods?limit=500"
}

func (l *requestLog) wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			l.mu.Lock()
			l.requests = append(l.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
			l.mu.Unlock()
			return rt.RoundTrip(r)
		})
	}
	return cfg
}

// all returns the requests recorded so far.
func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.requests...)
}

// lists returns the recorded LIST calls: GETs of a collection (the path
// ends in a resource name, not an object's), keyed by path, with their
// count.
func (l *requestLog) lists() map[string]int {
	out := map[string]int{}
	for _, r := range l.all() {
		method, rest, _ := strings.Cut(r, " ")
		path, _, _ := strings.Cut(rest, "?")
		if method == http.MethodGet && isCollection(path) {
			out[path]++
		}
	}
	return out
}

// isCollection reports whether an API path names a collection:
// /api/v1/pods, /api/v1/namespaces/NS/pods, /apis/G/V/RESOURCE,
// /apis/G/V/namespaces/NS/RESOURCE.
func isCollection(path string) bool {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var rest []string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		rest = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		rest = parts[3:]
	default:
		return false
	}
	if len(rest) >= 2 && rest[0] == "namespaces" {
		rest = rest[2:]
	}
	return len(rest) == 1
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
