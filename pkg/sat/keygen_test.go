package sat

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/keyutil"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// kubernetesKeyIDVector is Kubernetes' own test vector for the key ID of a
// public key (k8s.io/kubernetes pkg/serviceaccount/keyid_test.go): the kid
// must never change, or clusters could not verify tokens they issued.
const kubernetesKeyIDVector = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA249XwEo9k4tM8fMxV7zx
OhcrP+WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt+ecI
zshKuv1gKIxbbLQMOuK1eA/4HALyEkFgmS/tleLJrhc65tKPMGD+pKQ/xhmzRuCG
51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJU
j7OTh/AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv+OrN80j6xrw0OjEi
B4Ycr0PqfzZcvy8efTtFQ/Jnc4Bp1zUtFXt7+QeevePtQ2EcyELXE0i63T1CujRM
WwIDAQAB
-----END PUBLIC KEY-----
`

func TestKeyIDIsKubernetes(t *testing.T) {
	keys, err := keyutil.ParsePublicKeysPEM([]byte(kubernetesKeyIDVector))
	if err != nil {
		t.Fatal(err)
	}
	got, err := KeyID(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU"; got != want {
		t.Errorf("KeyID = %q, Kubernetes computes %q", got, want)
	}
}

// TestKeyIDOfARealAPIServer asks a real kube-apiserver for a token and
// checks that KeyID names its signing key as the server does, and that a
// token minted here has the same claims, of the same JSON types, as the
// server's.
func TestKeyIDOfARealAPIServer(t *testing.T) {
	cp := testenv.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := cp.Clientset()
	const ns = "azure-iot-operations"
	if err := cp.CreateNamespace(ns); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "mqtt-client"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "mqtt-client", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{Audiences: []string{"aio-internal"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	real := tr.Status.Token

	pubs, err := keyutil.PublicKeysFromFile(filepath.Join(cp.Dir(), "pki", "sa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	kid, err := KeyID(pubs[0])
	if err != nil {
		t.Fatal(err)
	}
	realHeader := rawPart(t, real, 0)
	if realHeader["kid"] != kid {
		t.Errorf("the API server's kid is %v, KeyID computes %q", realHeader["kid"], kid)
	}

	// The same claims, shaped the same way, from our own signer with the
	// server's key.
	keyData, err := os.ReadFile(filepath.Join(cp.Dir(), "pki", "sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.ParsePrivateKey("sa.key", keyData)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Mint(MintSpec{Key: key, ServiceAccount: "mqtt-client", Namespace: ns, Audiences: []string{"aio-internal"},
		Duration: time.Hour, Issuer: testenv.ServiceAccountIssuer})
	if err != nil {
		t.Fatal(err)
	}
	if got := rawPart(t, ours, 0); !sameShape(got, realHeader) {
		t.Errorf("header %v, the API server's %v", got, realHeader)
	}
	realClaims, ourClaims := rawPart(t, real, 1), rawPart(t, ours, 1)
	if !sameShape(ourClaims, realClaims) {
		t.Errorf("claims differ in shape:\nours:   %v\nserver: %v", ourClaims, realClaims)
	}
	if ourClaims["iss"] != realClaims["iss"] || ourClaims["sub"] != realClaims["sub"] {
		t.Errorf("iss/sub %v %v, the server's %v %v", ourClaims["iss"], ourClaims["sub"], realClaims["iss"], realClaims["sub"])
	}
	// The server's token verifies with a KeySet built from our JWKS of
	// its public key.
	jwks, err := JWKS(pubs[0])
	if err != nil {
		t.Fatal(err)
	}
	ks, err := ParseKeySet(jwks)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ks.Verify(real); err != nil {
		t.Errorf("the API server's token does not verify with our JWKS: %v", err)
	}
}

// rawPart decodes part i (0 header, 1 claims) of a token as generic JSON.
func rawPart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameShape reports whether a and b have the same keys, recursively, with
// values of the same JSON types.
func sameShape(a, b any) bool {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, v := range av {
			if w, ok := bv[k]; !ok || !sameShape(v, w) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		return ok && len(av) == len(bv) && (len(av) == 0 || sameShape(av[0], bv[0]))
	case string:
		_, ok := b.(string)
		return ok
	case float64:
		_, ok := b.(float64)
		return ok
	}
	return false
}

func TestKeygen(t *testing.T) {
	for _, tt := range []struct {
		kty, alg, desc string
	}{{"", AlgRS256, "RSA 2048"}, {"RSA", AlgRS256, "RSA 2048"}, {"ec", AlgES256, "EC P-256"}} {
		t.Run(tt.desc+" "+tt.kty, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			keys, err := Keygen(KeygenSpec{OutDir: dir, KeyType: tt.kty})
			if err != nil {
				t.Fatal(err)
			}
			if keys.Algorithm != tt.alg || keys.Key.String() != tt.desc {
				t.Errorf("algorithm %s key %s, want %s %s", keys.Algorithm, keys.Key, tt.alg, tt.desc)
			}
			for _, f := range []struct {
				name string
				mode os.FileMode
			}{{SigningKeyFile, 0o600}, {PublicKeyFile, 0o644}, {JWKSFile, 0o644}} {
				info, err := os.Stat(filepath.Join(dir, f.name))
				if err != nil {
					t.Fatal(err)
				}
				if perm := info.Mode().Perm(); perm&^f.mode != 0 || (f.mode == 0o600 && perm != 0o600) {
					t.Errorf("%s: mode %v, want %v", f.name, perm, f.mode)
				}
			}
			// The private key signs, the public key and the JWKS hold its
			// public half, and the JWKS kid is the Kubernetes one.
			key, err := LoadSigningKey(filepath.Join(dir, SigningKeyFile))
			if err != nil {
				t.Fatal(err)
			}
			pubs, err := keyutil.PublicKeysFromFile(filepath.Join(dir, PublicKeyFile))
			if err != nil || len(pubs) != 1 {
				t.Fatalf("sa_pub.pem: %v", err)
			}
			if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pubs[0]) {
				t.Errorf("sa_pub.pem does not hold the public half of sa_key.pem")
			}
			var set struct {
				Keys []map[string]any `json:"keys"`
			}
			data, err := os.ReadFile(filepath.Join(dir, JWKSFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &set); err != nil || len(set.Keys) != 1 {
				t.Fatalf("jwks.json: %v, %d keys", err, len(set.Keys))
			}
			kid, _ := KeyID(key.Public())
			jwk := set.Keys[0]
			if jwk["kid"] != kid || jwk["alg"] != tt.alg || jwk["use"] != "sig" || keys.KeyID != kid {
				t.Errorf("JWK %v, want kid %s alg %s use sig", jwk, kid, tt.alg)
			}
			if _, private := jwk["d"]; private {
				t.Errorf("jwks.json holds the private key")
			}
			switch key.Public().(type) {
			case *rsa.PublicKey:
				if jwk["kty"] != "RSA" || jwk["n"] == nil || jwk["e"] != "AQAB" {
					t.Errorf("RSA JWK %v", jwk)
				}
			case *ecdsa.PublicKey:
				if jwk["kty"] != "EC" || jwk["crv"] != "P-256" || jwk["x"] == nil || jwk["y"] == nil {
					t.Errorf("EC JWK %v", jwk)
				}
			}
			// The files are what the verifier loads.
			for _, f := range []string{PublicKeyFile, JWKSFile} {
				ks, err := LoadKeySet(filepath.Join(dir, f))
				if err != nil {
					t.Fatalf("LoadKeySet(%s): %v", f, err)
				}
				token, err := Mint(MintSpec{Key: key, ServiceAccount: "a", Namespace: "b", Audiences: []string{"c"}, Duration: time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := ks.Verify(token); err != nil {
					t.Errorf("a minted token does not verify with %s: %v", f, err)
				}
			}

			// Never overwritten without Force.
			before, _ := os.ReadFile(filepath.Join(dir, SigningKeyFile))
			_, err = Keygen(KeygenSpec{OutDir: dir, KeyType: tt.kty})
			var exists *atomicfile.ExistsError
			if !errors.As(err, &exists) || exists.Path != filepath.Join(dir, SigningKeyFile) || exists.More != 2 {
				t.Errorf("second keygen: %v, want sa_key.pem (and 2 more) named", err)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, SigningKeyFile)); string(after) != string(before) {
				t.Errorf("sa_key.pem was overwritten")
			}
			if _, err := Keygen(KeygenSpec{OutDir: dir, KeyType: tt.kty, Force: true}); err != nil {
				t.Errorf("--force: %v", err)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, SigningKeyFile)); string(after) == string(before) {
				t.Errorf("--force left sa_key.pem unchanged")
			}
		})
	}
	for _, tt := range []struct {
		spec KeygenSpec
		want string
	}{
		{KeygenSpec{KeyType: "RSA"}, "--out-dir is required"},
		{KeygenSpec{OutDir: t.TempDir(), KeyType: "OKP"}, `unknown --kty "OKP"`},
	} {
		if _, err := Keygen(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Keygen(%+v) = %v, want %q", tt.spec, err, tt.want)
		}
	}
}
