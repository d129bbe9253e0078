package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/crds"
)

// brokerNS is the broker's namespace, the cluster commands' default.
const brokerNS = "azure-iot-operations"

// clusterEnv is a real control plane with the broker's CRDs, and a work
// directory, for running the plugin through kubectl against it.
type clusterEnv struct {
	t          *testing.T
	cp         *testenv.ControlPlane
	dir        string
	kubeconfig string
}

func startCluster(t *testing.T) *clusterEnv {
	t.Helper()
	requireKubectl(t)
	cp := testenv.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cp.InstallCRDs(ctx, crds.YAML()); err != nil {
		t.Fatal(err)
	}
	return &clusterEnv{t: t, cp: cp, dir: t.TempDir(), kubeconfig: cp.Kubeconfig()}
}

// plugin runs `kubectl aio-authn ARGS --kubeconfig K` in the work
// directory: kubectl finds the plugin on PATH and passes the flags on.
func (e *clusterEnv) plugin(args ...string) result {
	e.t.Helper()
	return run(e.t, e.dir, "kubectl", append(append([]string{"aio-authn"}, args...), "--kubeconfig", e.kubeconfig)...)
}

// offline runs `kubectl aio-authn ARGS` for a command that needs no cluster.
func (e *clusterEnv) offline(args ...string) result {
	e.t.Helper()
	return run(e.t, e.dir, "kubectl", append([]string{"aio-authn"}, args...)...)
}

// kubectl runs kubectl itself against the control plane.
func (e *clusterEnv) kubectl(args ...string) result {
	e.t.Helper()
	r := run(e.t, e.dir, "kubectl", append(args, "--kubeconfig", e.kubeconfig)...)
	if r.code != 0 {
		e.t.Fatalf("kubectl %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// write saves a command's output as a file of the work directory.
func (e *clusterEnv) write(name, data string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(data), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func expect(t *testing.T, r result, code int, what string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.code, code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Fatalf("%s: stack trace on stderr:\n%s", what, r.stderr)
	}
}

// oneLineError checks a command failed with a usage error (exit 2) and
// printed exactly one line, the error.
func oneLineError(t *testing.T, r result, want string) {
	t.Helper()
	oneLineErrorExit(t, r, 2, want)
}

// oneLineErrorExit checks a command failed with exit code and printed
// exactly one line, the error.
func oneLineErrorExit(t *testing.T, r result, code int, want string) {
	t.Helper()
	expect(t, r, code, want)
	if lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") {
		t.Errorf("stderr is not one error line:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", r.stderr, want)
	}
}

// TestClusterLoop is the operator's loop against a real control plane, all
// through `kubectl aio-authn`: mint a chain, import its CA (again, as a
// server dry run, over someone else's edit), apply generated manifests,
// request a token, explain it live, audit.
func TestClusterLoop(t *testing.T) {
	e := startCluster(t)
	if err := e.cp.CreateNamespace(brokerNS); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cs := e.cp.Clientset()

	expect(t, e.offline("certs", "chain", "--out-dir", "certs", "--client", "smart-fan"), 0, "certs chain")

	t.Run("ca import", func(t *testing.T) {
		r := e.plugin("ca", "import", "certs/client_ca.pem", "--name", "client-ca", "-n", brokerNS)
		expect(t, r, 0, "import")
		if r.stdout != "configmap/client-ca serverside-applied\n" {
			t.Errorf("import printed %q", r.stdout)
		}
		first, err := cs.CoreV1().ConfigMaps(brokerNS).Get(ctx, "client-ca", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}

		// Re-import with a second CA: updated in place.
		r = e.plugin("ca", "import", "certs/client_ca.pem", "certs/intermediate_ca_cert.pem", "--name", "client-ca", "-n", brokerNS)
		expect(t, r, 0, "re-import")
		second, err := cs.CoreV1().ConfigMaps(brokerNS).Get(ctx, "client-ca", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if second.UID != first.UID || strings.Count(second.Data["client_ca.pem"], "BEGIN CERTIFICATE") != 2 {
			t.Errorf("re-import: uid %s -> %s, %d certificates; want the same object with 2",
				first.UID, second.UID, strings.Count(second.Data["client_ca.pem"], "BEGIN CERTIFICATE"))
		}

		// A server dry run goes to the server, which stores nothing.
		r = e.plugin("ca", "import", "certs/client_ca.pem", "--name", "client-ca", "-n", brokerNS, "--dry-run=server")
		expect(t, r, 0, "server dry run")
		if r.stdout != "configmap/client-ca serverside-applied (server dry run)\n" {
			t.Errorf("server dry run printed %q", r.stdout)
		}
		after, err := cs.CoreV1().ConfigMaps(brokerNS).Get(ctx, "client-ca", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if after.ResourceVersion != second.ResourceVersion || after.Data["client_ca.pem"] != second.Data["client_ca.pem"] {
			t.Errorf("the server dry run changed the stored object (resourceVersion %s -> %s)", second.ResourceVersion, after.ResourceVersion)
		}
		// The server really saw it: a dry run into a missing namespace fails.
		oneLineError(t, e.plugin("ca", "import", "certs/client_ca.pem", "--name", "client-ca", "-n", "no-such-ns", "--dry-run=server"),
			`namespace "no-such-ns" does not exist`)

		// The field manager is recorded.
		managed := e.kubectl("get", "configmap", "client-ca", "-n", brokerNS, "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}")
		if strings.TrimSpace(managed.stdout) != "kubectl-aio-authn" {
			t.Errorf("managers = %q, want kubectl-aio-authn", managed.stdout)
		}

		// kubectl's output formats.
		r = e.plugin("ca", "import", "certs/client_ca.pem", "certs/intermediate_ca_cert.pem", "--name", "client-ca", "-n", brokerNS, "-o", "name")
		expect(t, r, 0, "-o name")
		if r.stdout != "configmap/client-ca\n" {
			t.Errorf("-o name printed %q", r.stdout)
		}
		r = e.plugin("ca", "import", "certs/client_ca.pem", "certs/intermediate_ca_cert.pem", "--name", "client-ca", "-n", brokerNS, "-o", "yaml")
		expect(t, r, 0, "-o yaml")
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(r.stdout), &obj); err != nil {
			t.Fatalf("-o yaml: %v\n%s", err, r.stdout)
		}
		md, _ := obj["metadata"].(map[string]any)
		if obj["kind"] != "ConfigMap" || md["uid"] != string(first.UID) || md["managedFields"] != nil {
			t.Errorf("-o yaml printed the wrong object (or its managedFields):\n%s", r.stdout)
		}

		// Someone edits the bundle by hand: importing again is a conflict
		// until --force-conflicts.
		e.kubectl("patch", "configmap", "client-ca", "-n", brokerNS, "--type", "merge", "-p", `{"data":{"client_ca.pem":"edited"}}`)
		oneLineError(t, e.plugin("ca", "import", "certs/client_ca.pem", "--name", "client-ca", "-n", brokerNS),
			`conflict with "kubectl-patch"`)
		expect(t, e.plugin("ca", "import", "certs/client_ca.pem", "--name", "client-ca", "-n", brokerNS, "--force-conflicts"), 0, "--force-conflicts")
	})

	// The manifests the operator applies: generated, then applied with kubectl.
	e.write("authn.yaml", e.offline("generate", "authn", "--method", "sat", "--method", "x509").stdout)
	e.write("listener.yaml", e.offline("generate", "listener", "--name", "default", "--port", "18883", "--authn", "default").stdout)
	e.write("client.yaml", e.offline("generate", "sat-client").stdout)
	e.kubectl("apply", "-f", "authn.yaml", "-f", "listener.yaml", "-f", "client.yaml")

	explainToken := func(t *testing.T, tokenFile string, extra ...string) (result, map[string]any) {
		t.Helper()
		args := append([]string{"explain", "--from-cluster", "--listener", "default", "--port", "18883", "--sat-file", tokenFile, "-o", "json"}, extra...)
		r := e.plugin(args...)
		var d map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("explain -o json: %v\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
		}
		return r, d
	}

	t.Run("sat request and explain live", func(t *testing.T) {
		r := e.plugin("sat", "request", "mqtt-client", "-n", brokerNS, "--audience", "aio-internal", "--bound-pod", "mqtt-client")
		expect(t, r, 0, "sat request")
		if strings.Count(r.stdout, ".") != 2 || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
			t.Fatalf("sat request should print the token alone; stdout %q stderr %q", r.stdout, r.stderr)
		}
		e.write("token", r.stdout)
		claims := e.offline("sat", "decode", "token", "-o", "json")
		expect(t, claims, 0, "sat decode")
		if !strings.Contains(claims.stdout, `"mqtt-client"`) || !strings.Contains(claims.stdout, `"aio-internal"`) {
			t.Errorf("the requested token claims:\n%s", claims.stdout)
		}

		r, d := explainToken(t, "token", "--token-review")
		expect(t, r, 0, "explain --token-review")
		if d["decision"] != "granted" || !strings.Contains(r.stdout, "TokenReview with the API server at "+e.cp.Server()) {
			t.Errorf("explain --token-review: %s", r.stdout)
		}

		// Without --token-review, the cluster's JWKS verifies offline, and
		// explain says so.
		r, d = explainToken(t, "token")
		expect(t, r, 0, "explain with the cluster's JWKS")
		if d["decision"] != "granted" || !strings.Contains(r.stderr, "verifying service account tokens offline with the cluster's signing keys (/openid/v1/jwks") {
			t.Errorf("explain --from-cluster: decision %v, stderr %q", d["decision"], r.stderr)
		}

		wrong := e.plugin("sat", "request", "mqtt-client", "-n", brokerNS, "--audience", "aio-mq")
		expect(t, wrong, 0, "sat request, other audience")
		e.write("wrong-token", wrong.stdout)
		r, d = explainToken(t, "wrong-token", "--token-review")
		expect(t, r, 1, "explain of a token for another audience")
		if d["decision"] != "denied" || !strings.Contains(r.stdout, `token audiences [\"aio-mq\"] is invalid for the target audiences [\"aio-internal\"]`) {
			t.Errorf("wrong audience: %s", r.stdout)
		}

		oneLineError(t, e.plugin("sat", "request", "mqtt-client", "-n", brokerNS, "--audience", "aio-internal", "--duration", "5m"),
			"may not specify a duration less than 10 minutes")

		// A batch against the cluster looks up each token's own
		// ServiceAccount: its attributes, and that it exists.
		e.kubectl("create", "serviceaccount", "sensor", "-n", brokerNS)
		e.kubectl("annotate", "serviceaccount", "sensor", "-n", brokerNS, "aio-broker-auth/group=sensors")
		sensor := e.plugin("sat", "request", "sensor", "-n", brokerNS, "--audience", "aio-internal")
		expect(t, sensor, 0, "sat request sensor")
		e.write("sensor-token", sensor.stdout)
		e.write("cases.jsonl", `{"satFile": "token"}`+"\n"+`{"satFile": "sensor-token"}`+"\n"+`{"satFile": "wrong-token"}`+"\n")
		r = e.plugin("explain", "--from-cluster", "--listener", "default", "--port", "18883", "--batch", "cases.jsonl")
		expect(t, r, 1, "explain --batch --from-cluster (a denied case)")
		got := batchDecisions(t, r)
		if len(got) != 3 || got[0].Decision != "granted" || got[0].Attributes["group"] != "" ||
			got[1].Decision != "granted" || got[1].Attributes["group"] != "sensors" || got[2].Decision != "denied" {
			t.Errorf("explain --batch --from-cluster: %+v\nstderr: %s", got, r.stderr)
		}
		if n := strings.Count(r.stderr, "note: verifying service account tokens offline with the cluster's signing keys"); n != 1 {
			t.Errorf("the note on the cluster's keys is printed %d times, want once:\n%s", n, r.stderr)
		}

		// A user who may read the broker's namespace but not the
		// cluster's signing keys: the token cannot be verified
		// (indeterminate, exit 3, saying why); the certificate needs no
		// key.
		e.kubectl("create", "role", "reader", "-n", brokerNS, "--verb=get,list",
			"--resource=brokerauthentications.mqttbroker.iotoperations.azure.com,brokerlisteners.mqttbroker.iotoperations.azure.com,configmaps,secrets,serviceaccounts,pods")
		e.kubectl("create", "rolebinding", "reader", "-n", brokerNS, "--role=reader", "--user=reader")
		chain := e.read("certs/smart-fan_cert.pem") + e.read("certs/intermediate_ca_cert.pem")
		e.write("smart-fan-chain.pem", chain)
		e.write("reader.jsonl", `{"satFile": "sensor-token"}`+"\n"+`{"cert": "smart-fan-chain.pem"}`+"\n")
		r = e.plugin("explain", "--from-cluster", "--listener", "default", "--port", "18883", "--batch", "reader.jsonl", "--as", "reader")
		expect(t, r, 3, "explain --batch --from-cluster without the right to read the signing keys")
		got = batchDecisions(t, r)
		if len(got) != 2 || got[0].Decision != "indeterminate" || got[1].Decision != "granted" ||
			!slices.ContainsFunc(got[0].Warnings, func(w string) bool {
				return strings.Contains(w, "signing keys could not be read") && strings.Contains(w, `user "reader" is not allowed to get /.well-known/openid-configuration`)
			}) {
			t.Errorf("explain --batch --from-cluster as reader: %s\nstderr: %s", r.stdout, r.stderr)
		}

		// Deleting the service account invalidates its tokens; the API
		// server notices through its informer and token cache, so the
		// verdict changes within seconds rather than at once.
		e.kubectl("delete", "serviceaccount", "mqtt-client", "-n", brokerNS)
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, d = explainToken(t, "token", "--token-review")
			if d["decision"] == "denied" || time.Now().After(deadline) {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		expect(t, r, 1, "explain after the service account was deleted")
		if !strings.Contains(r.stdout, `serviceaccounts \"mqtt-client\" not found`) {
			t.Errorf("deleted service account: %s", r.stdout)
		}
		// Verified offline with the cluster's keys, the token is refused
		// too: explain reads the ServiceAccount from the cluster, as the
		// API server does.
		r, d = explainToken(t, "token")
		expect(t, r, 1, "explain offline after the service account was deleted")
		if d["decision"] != "denied" || !strings.Contains(r.stdout, `ServiceAccount azure-iot-operations/mqtt-client does not exist in the cluster: the API server refuses the token (serviceaccounts \"mqtt-client\" not found)`) {
			t.Errorf("deleted service account, offline: %s", r.stdout)
		}
	})

	t.Run("audit", func(t *testing.T) {
		r := e.plugin("audit", "-o", "json")
		expect(t, r, 0, "audit")
		var rep struct {
			Summary  struct{ Errors, Infos int }
			Findings []struct{ Rule, Message string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("audit -o json: %v\n%s", err, r.stdout)
		}
		if rep.Summary.Errors != 0 || len(rep.Findings) != 1 || rep.Findings[0].Rule != "listener-port" {
			t.Errorf("audit of the loop's namespace: %s", r.stdout)
		}
	})
}

// TestClusterAuditSeeded audits the seeded namespace with the binary and
// gets the report pkg/audit's golden file holds, and checks that finding
// positions point into `kubectl get -o yaml`.
func TestClusterAuditSeeded(t *testing.T) {
	e := startCluster(t)
	const ns = "audit-seed"
	if err := e.cp.CreateNamespace(ns); err != nil {
		t.Fatal(err)
	}
	// kubectl create, not apply: apply's last-applied annotation would
	// shift the lines the golden report points at.
	e.kubectl("create", "-n", ns, "-f", filepath.Join(repoRoot, "testdata", "audit", "seed.yaml"))

	for _, format := range []string{"json", "text"} {
		r := e.plugin("audit", "-n", ns, "--now", "2026-03-01T12:00:00Z", "-o", format)
		expect(t, r, 1, "audit -o "+format)
		want, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "audit", "report."+format))
		if err != nil {
			t.Fatal(err)
		}
		if r.stdout != string(want) {
			t.Errorf("audit -o %s differs from testdata/audit/report.%s:\n%s", format, format, r.stdout)
		}
		if format == "text" && !strings.Contains(r.stderr, `namespace "audit-seed": 2 listeners (5 ports), 3 authentications`) {
			t.Errorf("text summary on stderr: %q", r.stderr)
		}
	}

	r := e.plugin("audit", "-n", ns, "--now", "2026-03-01T12:00:00Z", "-o", "json")
	var rep struct {
		Findings []struct {
			File, Field string
			Line        int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		parts := strings.Split(f.File, "/") // NAMESPACE/KIND/NAME
		got := e.kubectl("get", parts[1], parts[2], "-n", parts[0], "-o", "yaml")
		lines := strings.Split(got.stdout, "\n")
		// A certificate finding points at its BEGIN line, others at the
		// field's value.
		last := f.Field[strings.LastIndex(f.Field, ".")+1:]
		if strings.HasPrefix(f.Field, "data[") {
			last = "-----BEGIN CERTIFICATE-----"
		}
		if f.Line > len(lines) || !strings.Contains(lines[f.Line-1], last) {
			t.Errorf("%s:%d (%s) is not that field in kubectl get -o yaml:\n%s", f.File, f.Line, f.Field, got.stdout)
		}
	}

	for _, format := range []string{"sarif", "junit"} {
		r := e.plugin("audit", "-n", ns, "--now", "2026-03-01T12:00:00Z", "-o", format)
		expect(t, r, 1, "audit -o "+format)
		if !strings.Contains(r.stdout, "pod-token-audience") || !strings.Contains(r.stdout, "audit-seed/pod/legacy-0") {
			t.Errorf("audit -o %s lacks the pod finding:\n%s", format, r.stdout)
		}
	}
}

// batchDecision is what the tests read of an explain --batch output line:
// the cluster tests its attributes and warnings, the consistency corpus its
// CONNACK and reasons.
type batchDecision struct {
	Decision   string            `json:"decision"`
	Method     *string           `json:"method"`
	Attributes map[string]string `json:"attributes"`
	Connack    *struct {
		Code uint8 `json:"code"`
	} `json:"connack"`
	Steps []struct {
		Reason string `json:"reason"`
	} `json:"steps"`
	Warnings []string `json:"warnings"`
	Error    string   `json:"error"`
}

func batchDecisions(t *testing.T, r result) []batchDecision {
	t.Helper()
	var out []batchDecision
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var d batchDecision
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("explain --batch: %v\n%s", err, r.stdout)
		}
		out = append(out, d)
	}
	return out
}

// read returns a file of the work directory.
func (e *clusterEnv) read(name string) string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

// TestClusterErrors checks the one-line errors and the exit codes of a
// user without RBAC rights (3: the cluster could not be asked), of an
// unreachable cluster (3) and of a missing kubeconfig (2), through kubectl.
func TestClusterErrors(t *testing.T) {
	e := startCluster(t)
	if err := e.cp.CreateNamespace(brokerNS); err != nil {
		t.Fatal(err)
	}
	expect(t, e.offline("certs", "chain", "--out-dir", "certs", "--client", "smart-fan"), 0, "certs chain")
	nobody := e.cp.KubeconfigAs(testenv.NobodyUser)
	as := func(args ...string) result {
		return run(t, e.dir, "kubectl", append(append([]string{"aio-authn"}, args...), "--kubeconfig", nobody)...)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"ca", "import", "certs/client_ca.pem", "--name", "client-ca", "-n", brokerNS},
			`error: cannot apply configmap/client-ca in namespace "azure-iot-operations": user "nobody" is not allowed to patch configmaps in namespace "azure-iot-operations"`},
		{[]string{"audit"},
			`error: cannot list brokerauthentications in namespace "azure-iot-operations": user "nobody" is not allowed to list brokerauthentications.mqttbroker.iotoperations.azure.com in namespace "azure-iot-operations"`},
		{[]string{"audit", "-A"},
			`user "nobody" is not allowed to list brokerauthentications.mqttbroker.iotoperations.azure.com at the cluster scope`},
		{[]string{"sat", "request", "mqtt-client", "-n", brokerNS, "--audience", "aio-internal"},
			`user "nobody" is not allowed to create serviceaccounts/token in namespace "azure-iot-operations"`},
		{[]string{"explain", "--from-cluster", "--authn", "default"},
			`user "nobody" is not allowed to list brokerauthentications.mqttbroker.iotoperations.azure.com`},
		{[]string{"explain", "--from-cluster", "--batch", "-"},
			`user "nobody" is not allowed to list brokerauthentications.mqttbroker.iotoperations.azure.com`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[:min(2, len(tc.args))], " "), func(t *testing.T) {
			oneLineErrorExit(t, as(tc.args...), 3, tc.want)
		})
	}

	t.Run("no kubeconfig", func(t *testing.T) {
		// The test environment's KUBECONFIG names a file that does not exist.
		r := run(t, e.dir, "kubectl", "aio-authn", "audit")
		oneLineError(t, r, "error: no cluster configured: no kubeconfig found; pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config")
	})

	t.Run("unreachable", func(t *testing.T) {
		r := e.plugin("audit", "--server", "https://127.0.0.1:1")
		oneLineErrorExit(t, r, 3, "cannot reach the cluster at https://127.0.0.1:1: connection refused")
		r = e.plugin("explain", "--from-cluster", "--server", "https://127.0.0.1:1", "--batch", "-")
		oneLineErrorExit(t, r, 3, "cannot reach the cluster at https://127.0.0.1:1: connection refused")
	})
}
