package audit

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/crds"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
)

// cluster is the real control plane the cluster tests share.
var cluster = testenv.Shared{Setup: testenv.CRDSetup(crds.YAML())}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(cluster.Main(m))
}

// controlPlane returns the shared control plane with the broker's CRDs
// installed.
func controlPlane(t testing.TB) *testenv.ControlPlane {
	t.Helper()
	return cluster.Get(t)
}

// seedDir holds the seed manifests and golden reports, shared with the
// docs and e2e tests.
var seedDir = filepath.Join("..", "..", "testdata", "audit")

// applyYAML creates every document of a multi-document YAML file in ns.
func applyYAML(t testing.TB, cp *testenv.ControlPlane, ns string, data []byte) {
	t.Helper()
	c, err := kube.NewClientForConfig(cp.RESTConfig(), ns)
	if err != nil {
		t.Fatal(err)
	}
	resources := map[string]schema.GroupVersionResource{
		"BrokerAuthentication": kube.BrokerAuthenticationsResource,
		"BrokerListener":       kube.BrokerListenersResource,
		"ConfigMap":            {Version: "v1", Resource: "configmaps"},
		"Secret":               {Version: "v1", Resource: "secrets"},
		"ServiceAccount":       {Version: "v1", Resource: "serviceaccounts"},
		"Pod":                  {Version: "v1", Resource: "pods"},
	}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("seed: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		gvr, ok := resources[u.GetKind()]
		if !ok {
			t.Fatalf("seed: no resource for kind %s", u.GetKind())
		}
		if _, err := c.Dynamic.Resource(gvr).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

func TestAuditSeededCluster(t *testing.T) {
	cp := controlPlane(t)
	const ns = "audit-seed"
	if err := cp.CreateNamespace(ns); err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile(filepath.Join(seedDir, "seed.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	applyYAML(t, cp, ns, seed)

	c, err := kube.NewClientForConfig(cp.RESTConfig(), ns)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), c, kube.SnapshotOptions{}, Options{Now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "text"} {
		r, err := NewReporter(format, nil, "test")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := r.Report(&buf, rep.Result); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join(seedDir, "report."+format), buf.Bytes())
	}
	const wantSummary = `namespace "audit-seed": 2 listeners (5 ports), 3 authentications, 2 configmaps, 0 secrets, 3 pods: 6 errors, 4 warnings, 3 infos`
	if got := rep.SummaryLine(); got != wantSummary {
		t.Errorf("summary line\n%s\nwant\n%s", got, wantSummary)
	}
}

// Scale of the cluster the LIST-count test and the benchmark audit.
const (
	scalePods      = 500
	scaleListeners = 20
	scaleAuthns    = 20
)

var scaleOnce sync.Once

// scaleCluster seeds namespace audit-scale once: scaleAuthns
// BrokerAuthentications (ServiceAccountToken, then X509 with a CA
// ConfigMap each), scaleListeners BrokerListeners with one TLS port each,
// and scalePods pods of 10 ReplicaSets, half of which give their pods a
// token for an audience no port accepts.
func scaleCluster(t testing.TB, cp *testenv.ControlPlane) string {
	t.Helper()
	const ns = "audit-scale"
	var err error
	scaleOnce.Do(func() { err = seedScale(cp, ns) })
	if err != nil {
		t.Fatalf("seeding %s: %v", ns, err)
	}
	return ns
}

func seedScale(cp *testenv.ControlPlane, ns string) error {
	if err := cp.CreateNamespace(ns); err != nil {
		return err
	}
	ctx := context.Background()
	c, err := kube.NewClientForConfig(cp.RESTConfig(), ns)
	if err != nil {
		return err
	}
	core := cp.Clientset().CoreV1()
	if _, err := core.ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "client"}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	for i := range scaleAuthns {
		authn := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "mqttbroker.iotoperations.azure.com/v1", "kind": "BrokerAuthentication",
			"metadata": map[string]any{"name": fmt.Sprintf("authn-%02d", i)},
			"spec": map[string]any{"authenticationMethods": []any{
				map[string]any{"method": "ServiceAccountToken", "serviceAccountTokenSettings": map[string]any{"audiences": []any{"aio-internal"}}},
				map[string]any{"method": "X509", "x509Settings": map[string]any{"trustedClientCaCert": fmt.Sprintf("ca-%02d", i)}},
			}},
		}}
		if _, err := c.Dynamic.Resource(kube.BrokerAuthenticationsResource).Namespace(ns).Create(ctx, authn, metav1.CreateOptions{}); err != nil {
			return err
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ca-%02d", i)}, Data: map[string]string{"client_ca.pem": scaleCA}}
		if _, err := core.ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	for i := range scaleListeners {
		l := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "mqttbroker.iotoperations.azure.com/v1", "kind": "BrokerListener",
			"metadata": map[string]any{"name": fmt.Sprintf("listener-%02d", i)},
			"spec": map[string]any{"ports": []any{map[string]any{
				"port": int64(18000 + i), "authenticationRef": fmt.Sprintf("authn-%02d", i%scaleAuthns),
				"tls": map[string]any{"mode": "Automatic"},
			}}},
		}}
		if _, err := c.Dynamic.Resource(kube.BrokerListenersResource).Namespace(ns).Create(ctx, l, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	jobs := make(chan int)
	errs := make(chan error, scalePods)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				// Pods of a ReplicaSet share their spec: the even
				// ReplicaSets' pods all have the wrong audience.
				audience := "aio-internal"
				if i%10%2 == 0 {
					audience = "aio-mq"
				}
				rs := fmt.Sprintf("client-%d", i%10)
				p := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("client-%03d", i),
						OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs,
							UID: types.UID("uid-" + rs), Controller: ptrTo(true)}}},
					Spec: corev1.PodSpec{
						ServiceAccountName: "client",
						Containers:         []corev1.Container{{Name: "client", Image: "eclipse-mosquitto"}},
						Volumes: []corev1.Volume{{Name: "broker-sat", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
							Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
								Path: "broker-sat", Audience: audience, ExpirationSeconds: ptrTo(int64(86400))}}},
						}}}},
					},
				}
				if _, err := core.Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range scalePods {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

func ptrTo[T any](v T) *T { return &v }

// scaleCA is any CA certificate: the scale test counts calls, not findings.
var scaleCA = func() string {
	data, err := os.ReadFile(filepath.Join(seedDir, "seed.yaml"))
	if err != nil {
		return ""
	}
	s := string(data)
	begin := strings.Index(s, "-----BEGIN CERTIFICATE-----")
	end := strings.Index(s, "-----END CERTIFICATE-----")
	if begin < 0 || end < 0 {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(s[begin:end+len("-----END CERTIFICATE-----")], "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	return strings.Join(lines, "\n") + "\n"
}()

// countingConfig wraps cfg's transport to record every request.
func countingConfig(cfg *rest.Config, log *[]string, mu *sync.Mutex) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			*log = append(*log, r.Method+" "+r.URL.Path)
			mu.Unlock()
			return rt.RoundTrip(r)
		})
	}
	return cfg
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestAuditListCalls audits scalePods pods, scaleListeners listeners and
// scaleAuthns authns and asserts the audit costs one LIST per resource type
// and nothing else: no GET per object.
func TestAuditListCalls(t *testing.T) {
	cp := controlPlane(t)
	ns := scaleCluster(t, cp)
	var requests []string
	var mu sync.Mutex
	c, err := kube.NewClientForConfig(countingConfig(cp.RESTConfig(), &requests, &mu), ns)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := Run(context.Background(), c, kube.SnapshotOptions{}, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("audit of %d pods, %d listeners, %d authns: %s, %d requests", scalePods, scaleListeners, scaleAuthns, time.Since(start), len(requests))

	want := []string{
		"GET /apis/mqttbroker.iotoperations.azure.com/v1/namespaces/audit-scale/brokerauthentications",
		"GET /apis/mqttbroker.iotoperations.azure.com/v1/namespaces/audit-scale/brokerlisteners",
		"GET /api/v1/namespaces/audit-scale/configmaps",
		"GET /api/v1/namespaces/audit-scale/pods",
	}
	if strings.Join(requests, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant one LIST per resource type:\n%s", strings.Join(requests, "\n"), strings.Join(want, "\n"))
	}
	if rep.Scope.Pods != scalePods || rep.Scope.Listeners != scaleListeners || rep.Scope.Authentications != scaleAuthns || rep.Scope.ConfigMaps != scaleAuthns {
		t.Errorf("audited %+v", rep.Scope)
	}
	// The five even ReplicaSets' 50 pods each have a token for aio-mq:
	// one finding per ReplicaSet, not per pod.
	audience := 0
	for _, f := range rep.Findings {
		if f.Rule == RulePodTokenAudience {
			audience++
			if !strings.Contains(f.Message, "(so do 49 more pods of ReplicaSet/client-") {
				t.Errorf("finding does not group the ReplicaSet's pods: %s", f.Message)
			}
		}
	}
	if audience != 5 {
		t.Errorf("%d pod-token-audience findings, want 5 (one per ReplicaSet with wrong tokens)", audience)
	}
}

// BenchmarkAuditCluster measures a whole audit (LISTs, rendering, rules)
// of the scale namespace: go test -run '^$' -bench AuditCluster ./pkg/audit
func BenchmarkAuditCluster(b *testing.B) {
	cp := controlPlane(b)
	ns := scaleCluster(b, cp)
	c, err := kube.NewClientForConfig(cp.RESTConfig(), ns)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Run(context.Background(), c, kube.SnapshotOptions{}, Options{Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}
