// Package testenv runs a real Kubernetes control plane (etcd and
// kube-apiserver, no controllers, no nodes) for tests.
//
// A control plane listens on free loopback ports, keeps everything in a
// temporary directory, and is torn down with its processes when the test
// (Start) or the package's tests (StartMain, Shared) end. It authenticates
// two static users by bearer token: AdminUser, in system:masters, and
// NobodyUser, with no RBAC rights at all; any other user can be played by
// impersonation (RESTConfigAs, KubeconfigAs). Service account tokens are
// signed by a key pair generated per control plane, with issuer
// ServiceAccountIssuer, so TokenRequest and TokenReview behave as in a
// cluster. There is no kube-controller-manager: ServiceAccounts (including
// "default") and their namespaces' defaults are not created automatically,
// so tests create the ServiceAccounts they use.
//
// The binaries come from hack/setup-test-env.sh (see FindBinaries). When they
// are missing, tests are skipped under -short and fail otherwise, so CI can
// never pass without having run them.
package testenv

import (
	"context"
	"crypto/elliptic"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Users the control plane authenticates by static token.
const (
	// AdminUser is in system:masters: allowed everything.
	AdminUser = "admin"
	// NobodyUser is authenticated (system:authenticated) but bound to no
	// role, so anything beyond discovery is Forbidden.
	NobodyUser = "nobody"
)

// ServiceAccountIssuer is the issuer (iss claim) of the service account
// tokens the control plane signs; also the default API audience.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// ServiceClusterIPRange is the service CIDR the apiserver allocates from.
const ServiceClusterIPRange = "10.0.0.0/24"

// Bounds on startup and shutdown; generous for a loaded 2-core CI machine.
const (
	etcdReadyTimeout      = 30 * time.Second
	apiserverReadyTimeout = 60 * time.Second
	stopGrace             = 10 * time.Second
	startAttempts         = 3 // free ports can be taken between probe and bind
)

// ControlPlane is a running etcd and kube-apiserver. Its methods are safe for
// concurrent use.
type ControlPlane struct {
	opts      Options
	dir       string
	server    string
	etcdURL   string
	caPEM     []byte
	tokens    map[string]string // user -> bearer token
	etcd      *process
	apiserver *process

	kubeconfigs map[string]string // user -> kubeconfig path
	mu          sync.Mutex        // guards kubeconfigs
	stopOnce    sync.Once
	stopErr     error
}

// Options change how a control plane is set up; the zero value is what
// Start and StartMain use.
type Options struct {
	// ExtraServiceAccountKeys adds EC key pairs whose public halves
	// kube-apiserver trusts for service account tokens
	// (--service-account-key-file) without signing with them, as during a
	// signing-key rotation: P-256, then P-384, then P-521, in turn.
	// ServiceAccountKeyFiles lists them after the RSA key the server signs
	// with.
	ExtraServiceAccountKeys int
}

// Start starts a control plane for one test and stops it when the test and
// its subtests end. When the binaries are missing it skips the test under
// -short and fails it otherwise; any other startup failure fails the test.
func Start(t testing.TB) *ControlPlane {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *ControlPlane {
	t.Helper()
	cp, err := StartMainWith(opts)
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("stopping test control plane: %v", err)
		}
	})
	return cp
}

// StartDifferential starts a control plane for a differential test: one
// that puts the tool's offline verdicts beside a real kube-apiserver's. Such
// a test starts a control plane of its own (with opts) and runs long, so it
// is skipped under -short even where the binaries are installed.
func StartDifferential(t testing.TB, opts Options) *ControlPlane {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real kube-apiserver (hack/build-kube-apiserver.sh); skipped under -short")
	}
	return StartWith(t, opts)
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrBinariesNotFound) && testing.Short() {
		t.Skipf("skipping under -short: %v", err)
	}
	t.Fatalf("starting test control plane: %v", err)
}

// StartMain starts a control plane that outlives any one test, for use from
// TestMain; the caller must call Stop. The error wraps ErrBinariesNotFound
// when etcd or kube-apiserver cannot be found. Most packages are better
// served by Shared, which starts the control plane on first use and applies
// the -short skip rule per test.
func StartMain() (*ControlPlane, error) { return StartMainWith(Options{}) }

// StartMainWith is StartMain with options.
func StartMainWith(opts Options) (*ControlPlane, error) {
	bins, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		cp, err := start(bins, opts)
		if err == nil {
			return cp, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func start(bins Binaries, opts Options) (_ *ControlPlane, err error) {
	dir, err := os.MkdirTemp("", "aio-authn-testenv-")
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{
		opts:        opts,
		dir:         dir,
		tokens:      map[string]string{AdminUser: randomToken(), NobodyUser: randomToken()},
		kubeconfigs: map[string]string{},
	}
	defer func() {
		if err != nil {
			_ = cp.Stop()
		}
	}()

	if err := cp.startEtcd(bins.Etcd); err != nil {
		return nil, err
	}
	if err := cp.startAPIServer(bins.KubeAPIServer); err != nil {
		return nil, err
	}
	for _, user := range []string{AdminUser, NobodyUser} {
		if _, err := cp.writeKubeconfig(user); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

func (cp *ControlPlane) startEtcd(bin string) error {
	clientPort, err := freePort()
	if err != nil {
		return err
	}
	peerPort, err := freePort()
	if err != nil {
		return err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	args := []string{
		"--name=testenv",
		"--data-dir=" + filepath.Join(cp.dir, "etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=testenv=" + peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	}
	var env []string
	// etcd 3.4 refuses to start on architectures other than amd64 and
	// ppc64le unless told this one is acceptable (it is, for tests).
	if os.Getenv("ETCD_UNSUPPORTED_ARCH") == "" {
		env = append(env, "ETCD_UNSUPPORTED_ARCH="+runtime.GOARCH)
	}
	cp.etcd, err = startProcess("etcd", bin, args, env, cp.dir, filepath.Join(cp.dir, "etcd.log"))
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	err = waitReady(cp.etcd, etcdReadyTimeout, func() bool {
		resp, err := client.Get(clientURL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		return err
	}
	cp.etcdURL = clientURL
	return nil
}

func (cp *ControlPlane) startAPIServer(bin string) error {
	pki := filepath.Join(cp.dir, "pki")
	if err := os.Mkdir(pki, 0o700); err != nil {
		return err
	}
	saKey, saPub := filepath.Join(pki, "sa.key"), filepath.Join(pki, "sa.pub")
	if err := writeServiceAccountKeys(saKey, saPub); err != nil {
		return err
	}
	verificationKeys := []string{"--service-account-key-file=" + saPub}
	curves := []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()}
	for i := 1; i <= cp.opts.ExtraServiceAccountKeys; i++ {
		key, pub := cp.extraServiceAccountKey(i)
		if err := writeECServiceAccountKeys(key, pub, curves[(i-1)%len(curves)]); err != nil {
			return err
		}
		verificationKeys = append(verificationKeys, "--service-account-key-file="+pub)
	}
	certFile, keyFile, caFile := filepath.Join(pki, "apiserver.crt"), filepath.Join(pki, "apiserver.key"), filepath.Join(pki, "ca.crt")
	certs, err := writeServingCerts(certFile, keyFile, caFile)
	if err != nil {
		return err
	}
	cp.caPEM = certs.caPEM

	tokenFile := filepath.Join(pki, "tokens.csv")
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n",
		cp.tokens[AdminUser], AdminUser, "uid-"+AdminUser,
		cp.tokens[NobodyUser], NobodyUser, "uid-"+NobodyUser)
	if err := os.WriteFile(tokenFile, []byte(tokens), 0o600); err != nil {
		return err
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	cp.server = "https://127.0.0.1:" + strconv.Itoa(port)
	args := []string{
		"--etcd-servers=" + cp.etcdURL,
		"--cert-dir=" + pki,
		"--tls-cert-file=" + certFile,
		"--tls-private-key-file=" + keyFile,
		"--secure-port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// Endpoints may not hold loopback addresses: without controllers or
		// nodes nobody needs the kubernetes Service's endpoints anyway.
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--service-account-issuer=" + ServiceAccountIssuer,
		"--service-account-signing-key-file=" + saKey,
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=RBAC",
		"--profiling=false",
	}
	args = append(args, verificationKeys...)
	cp.apiserver, err = startProcess("kube-apiserver", bin, args, nil, cp.dir, filepath.Join(cp.dir, "kube-apiserver.log"))
	if err != nil {
		return err
	}
	httpClient, err := rest.HTTPClientFor(cp.RESTConfig())
	if err != nil {
		return err
	}
	httpClient.Timeout = 5 * time.Second
	return waitReady(cp.apiserver, apiserverReadyTimeout, func() bool {
		resp, err := httpClient.Get(cp.server + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitReady polls ready until it holds, p exits, or timeout passes.
func waitReady(p *process, timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ok, _ := p.exited(); ok {
			return p.failure("exited during startup")
		}
		if ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return p.failure(fmt.Sprintf("not ready after %s", timeout))
		}
		select {
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago. Another
// process can take it before the server binds it; StartMain retries then.
// FreePorts returns n distinct loopback TCP ports that were free a moment
// ago: all n are held open together, so none is returned twice, then
// released for the test's servers to bind.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	held := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop stops kube-apiserver and etcd (their whole process groups) and
// removes the control plane's directory. It is idempotent; later calls
// return the first call's result.
func (cp *ControlPlane) Stop() error {
	cp.stopOnce.Do(func() {
		cp.apiserver.stop(stopGrace)
		cp.etcd.stop(stopGrace)
		cp.stopErr = os.RemoveAll(cp.dir)
	})
	return cp.stopErr
}

// Server returns the apiserver's URL, https://127.0.0.1:PORT.
func (cp *ControlPlane) Server() string { return cp.server }

// CAData returns the PEM certificate of the CA that signed the apiserver's
// serving certificate.
func (cp *ControlPlane) CAData() []byte { return append([]byte(nil), cp.caPEM...) }

// Dir returns the control plane's temporary directory, which holds the
// servers' logs (etcd.log, kube-apiserver.log) and the kubeconfig files.
// It is removed by Stop.
func (cp *ControlPlane) Dir() string { return cp.dir }

// ServiceAccountKeyFiles are the PEM private keys whose public halves the
// API server trusts for service account tokens: first the RSA key it signs
// its own tokens with, then the Options.ExtraServiceAccountKeys.
func (cp *ControlPlane) ServiceAccountKeyFiles() []string {
	pki := filepath.Join(cp.dir, "pki")
	files := []string{filepath.Join(pki, "sa.key")}
	for i := 1; i <= cp.opts.ExtraServiceAccountKeys; i++ {
		key, _ := cp.extraServiceAccountKey(i)
		files = append(files, key)
	}
	return files
}

// extraServiceAccountKey is where the i-th (from 1) extra service account
// key pair is written: the private and the public key file.
func (cp *ControlPlane) extraServiceAccountKey(i int) (key, pub string) {
	base := filepath.Join(cp.dir, "pki", fmt.Sprintf("sa-extra-%d", i))
	return base + ".key", base + ".pub"
}

// RESTConfig returns a new client configuration for AdminUser.
func (cp *ControlPlane) RESTConfig() *rest.Config {
	return cp.RESTConfigAs(AdminUser)
}

// RESTConfigAs returns a new client configuration for user: AdminUser and
// NobodyUser authenticate with their own tokens; any other name (for
// example "system:serviceaccount:NS:NAME") is played by AdminUser
// impersonating it, so requests are authorized as that user, with the
// groups the apiserver gives it (system:authenticated, and a service
// account's groups).
func (cp *ControlPlane) RESTConfigAs(user string) *rest.Config {
	cfg := &rest.Config{
		Host:            cp.server,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.CAData()},
		// Tests make bursts of calls; client-side throttling would only
		// slow them down.
		QPS:   100,
		Burst: 200,
	}
	if token, ok := cp.tokens[user]; ok {
		cfg.BearerToken = token
	} else {
		cfg.BearerToken = cp.tokens[AdminUser]
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	}
	return cfg
}

// Clientset returns a typed client for AdminUser.
func (cp *ControlPlane) Clientset() kubernetes.Interface {
	return kubernetes.NewForConfigOrDie(cp.RESTConfig())
}

// CreateNamespace creates a namespace as AdminUser. A namespace that
// already exists is not an error, so tests sharing a control plane can
// each ask for the namespaces they use.
func (cp *ControlPlane) CreateNamespace(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := cp.Clientset().CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating namespace %q: %w", name, err)
	}
	return nil
}
