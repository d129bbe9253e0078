package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
)

// TestExplainClusterResolvesEachCase runs explain --batch --from-cluster's
// Runner against the control plane: the cluster's signing keys are read
// only once a case presents a token, and once; each token's own
// ServiceAccount gives its attributes, each read once however many cases
// name it.
func TestExplainClusterResolvesEachCase(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "explain-cases", "sensor", "fan")
	c := adminClient(t, cp, ns)
	ctx := context.Background()
	createYAML(t, c, ns, satAuthentication)
	for name, group := range map[string]string{"sensor": "sensors", "fan": "fans"} {
		sa, err := clientset(c).CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sa.Annotations = map[string]string{"aio-broker-auth/group": group}
		if _, err := clientset(c).CoreV1().ServiceAccounts(ns).Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	for _, name := range []string{"sensor", "fan"} {
		tok, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: name, Audiences: []string{"aio-internal"}, Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(tok.Token), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// The Runner's client records its requests.
	var log requestLog
	logged, err := NewClientForConfig(log.wrap(cp.RESTConfig()), ns)
	if err != nil {
		t.Fatal(err)
	}
	x := logged.ExplainCluster()
	b, err := explain.ReadCluster(ctx, x, ns)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	r := &explain.Runner{Bundle: b, Cluster: x, Dir: dir, Workers: 2, Note: func(n string) { notes = append(notes, n) }}
	jwks := func() int {
		n := 0
		for _, req := range log.all() {
			if strings.HasPrefix(req, "GET "+JWKSPath+"?") {
				n++
			}
		}
		return n
	}

	// No token, no keys read.
	batch := func(lines ...string) []map[string]any {
		t.Helper()
		var out, errOut bytes.Buffer
		if _, err := r.Batch(ctx, strings.NewReader(strings.Join(lines, "\n")), "cases", explain.Case{}, &out, &errOut); err != nil {
			t.Fatal(err)
		}
		var ds []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var d map[string]any
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			ds = append(ds, d)
		}
		return ds
	}
	batch(`{"username": "u", "password": "p"}`)
	if n := jwks(); n != 0 {
		t.Errorf("a batch without tokens read the signing keys %d times", n)
	}

	ds := batch(`{"satFile": "sensor"}`, `{"satFile": "fan"}`, `{"satFile": "sensor"}`, `{"satFile": "fan"}`)
	for i, want := range []string{"sensors", "fans", "sensors", "fans"} {
		attrs, _ := ds[i]["attributes"].(map[string]any)
		if ds[i]["decision"] != "granted" || attrs["group"] != want {
			t.Errorf("case %d: decision %v, attributes %v; want granted with group %s", i+1, ds[i]["decision"], attrs, want)
		}
	}
	if n := jwks(); n != 1 {
		t.Errorf("the signing keys were read %d times, want once", n)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "the cluster's signing keys ("+JWKSPath) {
		t.Errorf("notes %q, want one naming the cluster's keys", notes)
	}
	gets := map[string]int{}
	for _, req := range log.all() {
		if strings.HasPrefix(req, "GET /api/v1/namespaces/"+ns+"/serviceaccounts/") {
			gets[req]++
		}
	}
	if len(gets) != 2 || gets["GET /api/v1/namespaces/"+ns+"/serviceaccounts/sensor?"] != 1 || gets["GET /api/v1/namespaces/"+ns+"/serviceaccounts/fan?"] != 1 {
		t.Errorf("ServiceAccount reads %v, want each of the two once", gets)
	}
}
