package explain

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// The batch benchmarks compare `explain --batch` (reading a JSON Lines file,
// resolving each case, running the engine, writing a JSON decision per
// line) with the least work that can decide the same cases: a bare
// crypto/x509 Verify loop over already parsed chains, and a bare RS256
// signature check over already split tokens. hack/bench-explain.sh runs
// them and prints the ratios.

const (
	batchCases = 10000
	// distinct credentials the cases cycle through: real batches test a
	// fleet of devices, each certificate file named by several cases.
	distinct = 100
)

var benchNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

type x509Fixture struct {
	dir    string
	cases  []byte
	chains [][]*x509.Certificate
	roots  *x509.CertPool
	inters *x509.CertPool
	bundle *bundle.Bundle
}

func newX509Fixture(b *testing.B) *x509Fixture {
	b.Helper()
	dir := b.TempDir()
	valid := testpki.Spec{NotBefore: benchNow.Add(-time.Hour), NotAfter: benchNow.Add(time.Hour * 24 * 365)}
	mk := func(subject string, profile pki.Profile, parent *testpki.Cert) *testpki.Cert {
		s := valid
		s.Subject, s.Profile = "CN = "+subject, profile
		if parent == nil {
			return testpki.SelfSigned(b, s)
		}
		return parent.Issue(b, s)
	}
	rootCA := mk("Bench Root", pki.ProfileRootCA, nil)
	interCA := mk("Bench Intermediate", pki.ProfileIntermediateCA, rootCA)
	root, inter := rootCA.Cert, interCA.Cert
	f := &x509Fixture{dir: dir, roots: x509.NewCertPool(), inters: x509.NewCertPool()}
	f.roots.AddCert(root)
	f.inters.AddCert(inter)
	var leaves [][]*x509.Certificate
	for i := 0; i < distinct; i++ {
		leaf := mk(fmt.Sprintf("device-%03d", i), pki.ProfileLeaf, interCA).Cert
		chain := []*x509.Certificate{leaf, inter}
		leaves = append(leaves, chain)
		var pemData []byte
		for _, c := range chain {
			pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("device-%03d.pem", i)), pemData, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var cases bytes.Buffer
	for i := 0; i < batchCases; i++ {
		fmt.Fprintf(&cases, `{"cert": "device-%03d.pem"}`+"\n", i%distinct)
		f.chains = append(f.chains, leaves[i%distinct])
	}
	f.cases = cases.Bytes()
	a := &v1.BrokerAuthentication{Spec: v1.BrokerAuthenticationSpec{AuthenticationMethods: []v1.BrokerAuthenticatorMethods{{
		Method: v1.MethodX509, X509Settings: &v1.BrokerAuthenticatorMethodX509{AuthorizationAttributes: map[string]v1.BrokerAuthenticatorMethodX509Attributes{
			"fleet": {Subject: "CN = Bench Intermediate", Attributes: map[string]string{"fleet": "bench"}},
		}}}}}}
	a.Name = "default"
	f.bundle = &bundle.Bundle{
		Authentications: []*bundle.Authentication{{BrokerAuthentication: a, Position: "bench.yaml:1"}},
		ConfigMaps: []*corev1.ConfigMap{{ObjectMeta: metav1.ObjectMeta{Name: "client-ca"},
			Data: map[string]string{"ca.pem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}))}}},
	}
	return f
}

// cpuTime is the CPU time the process has used (testenv.CPUTime), zero
// where it cannot be read.
func cpuTime(*testing.B) time.Duration {
	d, _ := testenv.CPUTime()
	return d
}

// reportCPU adds the metric hack/bench-explain.sh compares: CPU
// milliseconds per batch of 10,000 cases, where CPU time can be read.
func reportCPU(b *testing.B, start time.Duration) {
	if _, ok := testenv.CPUTime(); ok {
		b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N)/1e6, "cpu-ms/batch")
	}
}

func runBatch(b *testing.B, workers int, bnd *bundle.Bundle, opts authn.Options, dir string, cases []byte, want string) {
	b.Helper()
	var out bytes.Buffer
	out.Grow(len(cases) * 80)
	start := cpuTime(b)
	defer reportCPU(b, start)
	for b.Loop() {
		out.Reset()
		// A new runner per batch: the file and engine caches are built
		// inside the measured time, as in one run of the command.
		r := &Runner{Bundle: bnd, Options: opts, Dir: dir, Clock: func() time.Time { return benchNow }, Workers: workers}
		res, err := r.Batch(context.Background(), bytes.NewReader(cases), "cases.jsonl", Case{}, &out, io.Discard)
		if err != nil || res.Granted != batchCases {
			b.Fatalf("batch: %+v, %v", res, err)
		}
	}
	if n := bytes.Count(out.Bytes(), []byte(want)); n != batchCases {
		b.Fatalf("%d of %d decisions contain %q", n, batchCases, want)
	}
}

// BenchmarkBatchX509 is explain --batch over 10,000 X.509 cases, one after
// the other: the engine's overhead over the bare loop.
func BenchmarkBatchX509(b *testing.B) {
	f := newX509Fixture(b)
	runBatch(b, 1, f.bundle, authn.Options{}, f.dir, f.cases, `"decision":"granted","method":"X509"`)
}

// BenchmarkBatchX509Parallel is the same batch as the command runs it, on
// GOMAXPROCS workers.
func BenchmarkBatchX509Parallel(b *testing.B) {
	f := newX509Fixture(b)
	runBatch(b, 0, f.bundle, authn.Options{}, f.dir, f.cases, `"decision":"granted","method":"X509"`)
}

// BenchmarkBareX509Verify is crypto/x509's Verify over the same 10,000
// chains, already parsed, with the same options.
func BenchmarkBareX509Verify(b *testing.B) {
	f := newX509Fixture(b)
	bareLoop(b, f.chains, func(chain []*x509.Certificate) error {
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		_, err := chain[0].Verify(x509.VerifyOptions{Roots: f.roots, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, CurrentTime: benchNow})
		return err
	})
}

// bareLoop runs check on every item of a batch, per benchmark iteration,
// and reports the CPU time as runBatch does.
func bareLoop[T any](b *testing.B, items []T, check func(T) error) {
	b.Helper()
	start := cpuTime(b)
	defer reportCPU(b, start)
	for b.Loop() {
		for _, it := range items {
			if err := check(it); err != nil {
				b.Fatal(err)
			}
		}
	}
}

type satFixture struct {
	dir    string
	cases  []byte
	tokens []string
	key    *rsa.PublicKey
	keys   *sat.KeySet
	bundle *bundle.Bundle
}

func newSATFixture(b *testing.B) *satFixture {
	b.Helper()
	dir := b.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ks, err := sat.ParseKeySet(testjwt.PublicPEM(b, &key.PublicKey))
	if err != nil {
		b.Fatal(err)
	}
	f := &satFixture{dir: dir, key: &key.PublicKey, keys: ks}
	// The kid the API server derives from its key, which it selects by.
	kid := testjwt.KeyID(b, &key.PublicKey)
	var distinctTokens []string
	var serviceAccounts []*corev1.ServiceAccount
	for i := 0; i < distinct; i++ {
		tok := testjwt.Sign(b, jwt.SigningMethodRS256, key, kid, jwt.MapClaims{
			"aud": []string{"aio-internal"}, "exp": benchNow.Add(time.Hour).Unix(), "iat": benchNow.Add(-time.Hour).Unix(),
			"nbf": benchNow.Add(-time.Hour).Unix(), "iss": "https://kubernetes.default.svc.cluster.local",
			"sub": fmt.Sprintf("system:serviceaccount:fleet:client-%03d", i), "jti": fmt.Sprint(i),
			"kubernetes.io": map[string]any{"namespace": "fleet", "serviceaccount": map[string]string{"name": fmt.Sprintf("client-%03d", i), "uid": "u"}},
		})
		distinctTokens = append(distinctTokens, tok)
		serviceAccounts = append(serviceAccounts, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("client-%03d", i), Namespace: "fleet", UID: "u"}})
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("client-%03d.jwt", i)), []byte(tok+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var cases bytes.Buffer
	for i := 0; i < batchCases; i++ {
		fmt.Fprintf(&cases, `{"satFile": "client-%03d.jwt"}`+"\n", i%distinct)
		f.tokens = append(f.tokens, distinctTokens[i%distinct])
	}
	f.cases = cases.Bytes()
	a := &v1.BrokerAuthentication{Spec: v1.BrokerAuthenticationSpec{AuthenticationMethods: []v1.BrokerAuthenticatorMethods{{
		Method: v1.MethodServiceAccountToken, ServiceAccountTokenSettings: &v1.BrokerAuthenticatorMethodSat{Audiences: []string{"aio-internal"}}}}}}
	a.Name = "default"
	f.bundle = &bundle.Bundle{Authentications: []*bundle.Authentication{{BrokerAuthentication: a, Position: "bench.yaml:1"}}, ServiceAccounts: serviceAccounts}
	return f
}

// BenchmarkBatchSAT is explain --batch over 10,000 token cases verified
// offline, one after the other.
func BenchmarkBatchSAT(b *testing.B) {
	f := newSATFixture(b)
	runBatch(b, 1, f.bundle, authn.Options{Keys: f.keys}, f.dir, f.cases, `"decision":"granted","method":"ServiceAccountToken"`)
}

// BenchmarkBatchSATParallel is the same batch on GOMAXPROCS workers.
func BenchmarkBatchSATParallel(b *testing.B) {
	f := newSATFixture(b)
	runBatch(b, 0, f.bundle, authn.Options{Keys: f.keys}, f.dir, f.cases, `"decision":"granted","method":"ServiceAccountToken"`)
}

// BenchmarkBareSignature is the bare RS256 check of the same 10,000 tokens:
// split, decode the signature, hash, verify with crypto/rsa, which rebuilds
// the key's Montgomery form on every call; the batch's KeySet builds it once
// per key, as any verifier that checks many tokens against one key may.
func BenchmarkBareSignature(b *testing.B) {
	f := newSATFixture(b)
	bareLoop(b, f.tokens, func(tok string) error {
		i := strings.LastIndexByte(tok, '.')
		sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
		if err != nil {
			return err
		}
		digest := sha256.Sum256([]byte(tok[:i]))
		return rsa.VerifyPKCS1v15(f.key, crypto.SHA256, digest[:], sig)
	})
}

// BenchmarkBareKeySetVerify is the least the batch does per token with the
// same precomputed key: sat.KeySet's verification of each token (split,
// header, algorithm, signature, claims). hack/bench-explain.sh shows the
// batch against it as well, for what the engine, the case and the decision
// cost on top.
func BenchmarkBareKeySetVerify(b *testing.B) {
	f := newSATFixture(b)
	bareLoop(b, f.tokens, func(tok string) error {
		_, _, err := f.keys.VerifyTyped(tok)
		return err
	})
}
