package sat

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
)

// Keys are generated once per test binary: RSA generation is slow on a
// shared 2-core machine, and every test only needs distinct keys.
var (
	rsaKey      = mustRSA()
	rsaOther    = mustRSA()
	ecKey       = mustEC(elliptic.P256())
	ecOther     = mustEC(elliptic.P256())
	ecP384      = mustEC(elliptic.P384())
	ecP521      = mustEC(elliptic.P521())
	standardAud = jwt.ClaimStrings{"aio-internal"}
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEC(c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// sign makes a real token with internal/testjwt (golang-jwt), an
// implementation independent of the code under test.
func sign(t testing.TB, method jwt.SigningMethod, key any, kid string) string {
	t.Helper()
	claims := jwt.MapClaims{
		"iss": "https://kubernetes.default.svc.cluster.local",
		"sub": "system:serviceaccount:ns:client",
		"aud": standardAud,
		"exp": time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      "ns",
			"serviceaccount": map[string]any{"name": "client", "uid": "u1"},
		},
	}
	return testjwt.Sign(t, method, key, kid, claims)
}

func jwkOf(pub any, kid string) map[string]any {
	enc := base64.RawURLEncoding.EncodeToString
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": enc(p.N.Bytes()), "e": enc(big.NewInt(int64(p.E)).Bytes())}
	case *ecdsa.PublicKey:
		b, err := p.Bytes()
		if err != nil {
			panic(err)
		}
		size := (len(b) - 1) / 2
		return map[string]any{"kty": "EC", "kid": kid, "crv": p.Curve.Params().Name, "x": enc(b[1 : 1+size]), "y": enc(b[1+size:])}
	}
	panic("unsupported")
}

func jwks(t testing.TB, keys ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKeySet(t testing.TB, data []byte) *KeySet {
	t.Helper()
	ks, err := ParseKeySet(data)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestVerifyAccepts(t *testing.T) {
	cert := selfSigned(t, rsaKey)
	for _, tc := range []struct {
		name  string
		keys  []byte
		token string
	}{
		{"RS256 PKIX PEM", testjwt.PublicPEM(t, &rsaKey.PublicKey), sign(t, jwt.SigningMethodRS256, rsaKey, "")},
		{"RS256 PKCS1 PEM", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)}), sign(t, jwt.SigningMethodRS256, rsaKey, "")},
		{"RS256 certificate PEM", cert, sign(t, jwt.SigningMethodRS256, rsaKey, keyID(t, &rsaKey.PublicKey))},
		{"RS256 second PEM key, no kid", append(testjwt.PublicPEM(t, &rsaOther.PublicKey), testjwt.PublicPEM(t, &rsaKey.PublicKey)...), sign(t, jwt.SigningMethodRS256, rsaKey, "")},
		{"RS256 JWKS key without kid, by derived kid", jwks(t, jwkOf(&rsaKey.PublicKey, "")), sign(t, jwt.SigningMethodRS256, rsaKey, keyID(t, &rsaKey.PublicKey))},
		{"ES256 PEM", testjwt.PublicPEM(t, &ecKey.PublicKey), sign(t, jwt.SigningMethodES256, ecKey, "")},
		{"RS256 JWKS by kid", jwks(t, jwkOf(&rsaOther.PublicKey, "a"), jwkOf(&rsaKey.PublicKey, "b")), sign(t, jwt.SigningMethodRS256, rsaKey, "b")},
		{"ES256 JWKS", jwks(t, jwkOf(&ecKey.PublicKey, "e")), sign(t, jwt.SigningMethodES256, ecKey, "e")},
		{"single JWK", func() []byte { b, _ := json.Marshal(jwkOf(&ecKey.PublicKey, "e")); return b }(), sign(t, jwt.SigningMethodES256, ecKey, "")},
		{"mixed set, no kid", append(testjwt.PublicPEM(t, &ecKey.PublicKey), testjwt.PublicPEM(t, &rsaKey.PublicKey)...), sign(t, jwt.SigningMethodRS256, rsaKey, "")},
		// Every algorithm kube-apiserver (go-jose) verifies with the key
		// types its key files hold.
		{"RS384", testjwt.PublicPEM(t, &rsaKey.PublicKey), sign(t, jwt.SigningMethodRS384, rsaKey, "")},
		{"RS512", testjwt.PublicPEM(t, &rsaKey.PublicKey), sign(t, jwt.SigningMethodRS512, rsaKey, "")},
		{"PS256", testjwt.PublicPEM(t, &rsaKey.PublicKey), sign(t, jwt.SigningMethodPS256, rsaKey, "")},
		{"PS384", testjwt.PublicPEM(t, &rsaKey.PublicKey), sign(t, jwt.SigningMethodPS384, rsaKey, "")},
		{"PS512", testjwt.PublicPEM(t, &rsaKey.PublicKey), sign(t, jwt.SigningMethodPS512, rsaKey, "")},
		{"PS256, salt of any length", testjwt.PublicPEM(t, &rsaKey.PublicKey), signPSSSalt(t, rsaKey, 0)},
		{"RS384, JWKS declaring RS256", jwks(t, jwkOf(&rsaKey.PublicKey, "k")), sign(t, jwt.SigningMethodRS384, rsaKey, "k")},
		{"ES384 PEM", testjwt.PublicPEM(t, &ecP384.PublicKey), sign(t, jwt.SigningMethodES384, ecP384, "")},
		{"ES384 JWKS", jwks(t, jwkOf(&ecP384.PublicKey, "e")), sign(t, jwt.SigningMethodES384, ecP384, "e")},
		{"ES512 PEM", testjwt.PublicPEM(t, &ecP521.PublicKey), sign(t, jwt.SigningMethodES512, ecP521, "")},
		{"ES512 JWKS", jwks(t, jwkOf(&ecP521.PublicKey, "e")), sign(t, jwt.SigningMethodES512, ecP521, "e")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := mustKeySet(t, tc.keys)
			h, c, err := ks.Verify(tc.token)
			if err != nil {
				t.Fatalf("Verify: %v (keys: %s)", err, ks.Describe())
			}
			if h.Alg == "" || c.Subject != "system:serviceaccount:ns:client" || c.Kubernetes.ServiceAccount.Name != "client" {
				t.Errorf("header %+v claims %+v", h, c)
			}
		})
	}
}

func keyID(t testing.TB, pub any) string {
	t.Helper()
	kid, err := KeyID(pub)
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

func TestVerifyDerivedKidSelectsPEMKey(t *testing.T) {
	ks := mustKeySet(t, append(testjwt.PublicPEM(t, &rsaOther.PublicKey), testjwt.PublicPEM(t, &rsaKey.PublicKey)...))
	var kid string
	for _, k := range ks.keys {
		if k.rsa.N.Cmp(rsaKey.N) == 0 {
			kid = k.derivedKid
		}
	}
	if got := ks.candidates(Header{Alg: AlgRS256, Kid: kid}); len(got) != 1 || got[0].rsa.N.Cmp(rsaKey.N) != 0 {
		t.Fatalf("kid %s selected %d keys", kid, len(got))
	}
	if _, _, err := ks.Verify(sign(t, jwt.SigningMethodRS256, rsaKey, kid)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRejects(t *testing.T) {
	rsaPEM := testjwt.PublicPEM(t, &rsaKey.PublicKey)
	enc := base64.RawURLEncoding.EncodeToString
	good := sign(t, jwt.SigningMethodRS256, rsaKey, "")
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + enc([]byte(`{"sub":"system:serviceaccount:ns:admin","aud":["aio-internal"]}`)) + "." + parts[2]
	hmacWithPublicKey := sign(t, jwt.SigningMethodHS256, rsaPEM, "")
	unsigned := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	noneCased := enc([]byte(`{"alg":"None"}`)) + "." + parts[1] + "."
	// An RS256 header over an ES256 signature: the key type, not the
	// header, decides how a signature is checked.
	ecSigned := sign(t, jwt.SigningMethodES256, ecKey, "")
	relabelled := enc([]byte(`{"alg":"RS256"}`)) + "." + strings.SplitN(ecSigned, ".", 2)[1]

	for _, tc := range []struct {
		name  string
		keys  []byte
		token string
		want  error
		msg   string
	}{
		{"forged signature", rsaPEM, sign(t, jwt.SigningMethodRS256, rsaOther, ""), ErrSignature, "does not verify"},
		{"tampered payload", rsaPEM, tampered, ErrSignature, ""},
		{"alg none", rsaPEM, unsigned, ErrAlgorithm, "unsigned"},
		{"alg None", rsaPEM, noneCased, ErrAlgorithm, "unsigned"},
		{"HS256 keyed with the RSA public key", rsaPEM, hmacWithPublicKey, ErrAlgorithm, "HMAC"},
		{"HS256 keyed with the JWKS", jwks(t, jwkOf(&rsaKey.PublicKey, "k")), sign(t, jwt.SigningMethodHS256, jwks(t, jwkOf(&rsaKey.PublicKey, "k")), "k"), ErrAlgorithm, "HMAC"},
		{"EdDSA", rsaPEM, enc([]byte(`{"alg":"EdDSA"}`)) + "." + parts[1] + "." + parts[2], ErrAlgorithm, "not one the API server verifies"},
		{"PS256 other key", rsaPEM, sign(t, jwt.SigningMethodPS256, rsaOther, ""), ErrSignature, ""},
		{"RS256 signature relabelled PS256", rsaPEM, enc([]byte(`{"alg":"PS256"}`)) + "." + parts[1] + "." + parts[2], ErrSignature, ""},
		{"ES384 token, P-256 key", testjwt.PublicPEM(t, &ecKey.PublicKey), sign(t, jwt.SigningMethodES384, ecP384, ""), ErrNoKey, "needs an EC P-384 key"},
		{"ES256 header, P-384 key", testjwt.PublicPEM(t, &ecP384.PublicKey), sign(t, jwt.SigningMethodES256, ecKey, ""), ErrNoKey, "needs an EC P-256 key"},
		{"ES512 other key", testjwt.PublicPEM(t, &mustEC(elliptic.P521()).PublicKey), sign(t, jwt.SigningMethodES512, ecP521, ""), ErrSignature, ""},
		{"ES256 token, RSA keys", rsaPEM, ecSigned, ErrNoKey, "needs an EC P-256 key"},
		{"RS256 header over ES256 signature", testjwt.PublicPEM(t, &ecKey.PublicKey), relabelled, ErrNoKey, "needs an RSA key"},
		{"ES256 other key", testjwt.PublicPEM(t, &ecOther.PublicKey), ecSigned, ErrSignature, ""},
		{"JWKS kid not found", jwks(t, jwkOf(&rsaKey.PublicKey, "a")), sign(t, jwt.SigningMethodRS256, rsaKey, "b"), ErrNoKey, `kid "b" names none of the keys`},
		// The API server picks keys by kid whatever their source: a kid
		// that names no key verifies with none, PEM or JWKS alike.
		{"PEM key, unknown kid", rsaPEM, sign(t, jwt.SigningMethodRS256, rsaKey, "unknown-kid"), ErrNoKey, `kid "unknown-kid" names none of the keys`},
		{"certificate PEM, unknown kid", selfSigned(t, rsaKey), sign(t, jwt.SigningMethodRS256, rsaKey, "whatever"), ErrNoKey, "the API server tries only the keys its kid names"},
		{"two PEM keys, kid of the other", append(testjwt.PublicPEM(t, &rsaOther.PublicKey), rsaPEM...), sign(t, jwt.SigningMethodRS256, rsaKey, keyID(t, &rsaOther.PublicKey)), ErrSignature, ""},
		{"JWKS declared kid wins over the derived one", jwks(t, jwkOf(&rsaKey.PublicKey, "a")), sign(t, jwt.SigningMethodRS256, rsaKey, keyID(t, &rsaKey.PublicKey)), ErrNoKey, "names none"},
		{"kid of a key of the other type", testjwt.PublicPEM(t, &ecKey.PublicKey), sign(t, jwt.SigningMethodRS256, rsaKey, keyID(t, &ecKey.PublicKey)), ErrNoKey, "the token is RS256 but its kid"},
		{"JWKS kid selects the wrong key", jwks(t, jwkOf(&rsaKey.PublicKey, "a"), jwkOf(&rsaOther.PublicKey, "b")), sign(t, jwt.SigningMethodRS256, rsaKey, "b"), ErrSignature, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := mustKeySet(t, tc.keys).Verify(tc.token)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.msg)
			}
		})
	}
}

func TestVerifyMalformedSignature(t *testing.T) {
	good := sign(t, jwt.SigningMethodRS256, rsaKey, "")
	_, _, err := mustKeySet(t, testjwt.PublicPEM(t, &rsaKey.PublicKey)).Verify(good + "!")
	var me *MalformedError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseKeySetRejects(t *testing.T) {
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	privJWK := jwkOf(&ecKey.PublicKey, "p")
	privJWK["d"] = "AAAA"
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "neither PEM public keys nor a JWKS"},
		{"garbage", []byte("hello"), "neither PEM public keys nor a JWKS"},
		{"private PEM", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}), "private key"},
		{"private JWK", jwks(t, privJWK), "private key"},
		{"P-224 only", testjwt.PublicPEM(t, &mustEC(elliptic.P224()).PublicKey), "only P-256, P-384 and P-521"},
		{"bad JSON", []byte(`{"keys": [`), "not a JWKS"},
		{"encryption key only", jwks(t, map[string]any{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}), `use "enc"`},
		{"alg mismatch", jwks(t, func() map[string]any { k := jwkOf(&rsaKey.PublicKey, "k"); k["alg"] = "HS256"; return k }()), `alg "HS256" is not accepted`},
		{"bad n", jwks(t, map[string]any{"kty": "RSA", "n": "***", "e": "AQAB"}), `"n" is not base64url`},
		{"1-bit modulus", jwks(t, map[string]any{"kty": "RSA", "n": "AQ", "e": "AQAB"}), "RSA modulus of 1 bits is not a valid key"},
		{"even modulus", jwks(t, map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(append(bytes.Repeat([]byte{0xff}, 255), 0xfe)), "e": "AQAB"}), "RSA modulus of 2048 bits is not a valid key"},
		{"bad point", jwks(t, map[string]any{"kty": "EC", "crv": "P-256", "x": base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "y": base64.RawURLEncoding.EncodeToString(make([]byte, 32))}), "not a P-256 point"},
		{"no kty", []byte(`{"kid":"x"}`), `no "kty"`},
		{"corrupt PEM key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), "PEM block 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeySet(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadKeySetDescribe(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(path, jwks(t, jwkOf(&rsaKey.PublicKey, "r1"), jwkOf(&ecKey.PublicKey, "e1"), map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "AA"}), 0o644); err != nil {
		t.Fatal(err)
	}
	ks, err := LoadKeySet(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "2 keys from " + path + ": RSA 2048-bit RS256 (kid r1), EC P-256 ES256 (kid e1) (1 skipped)"
	if got := ks.Describe(); got != want {
		t.Errorf("Describe() = %q\nwant         %q", got, want)
	}
	if _, err := LoadKeySet(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("missing file: no error")
	}
}

func selfSigned(t testing.TB, key *rsa.PrivateKey) []byte {
	t.Helper()
	return []byte(testpki.SelfSigned(t, testpki.Spec{Subject: "CN = sa-signer", Key: key}).PEM())
}

// FuzzVerify feeds arbitrary tokens to the decoder and to both verifiers:
// none may panic, and VerifyTyped (the batch path's claim scanner) must
// agree with Verify (the map decoder) on every token: the same error or
// none, the same header, the same claims. Each input is tried as given and
// with its header and payload signed by the key set's key (by golang-jwt,
// not by the code under test), so that the claim decoders are reached and
// not only the signature check.
func FuzzVerify(f *testing.F) {
	ks := mustKeySet(f, testjwt.PublicPEM(f, &ecKey.PublicKey))
	f.Add(sign(f, jwt.SigningMethodES256, ecKey, ""))
	f.Add(sign(f, jwt.SigningMethodRS256, rsaKey, "k"))
	f.Add(rawToken(`{"alg":"none"}`, `{"aud":[1]}`))
	f.Add(rawToken(`{"alg":"ES256","kid":null}`, `{"aud":"a","exp":1.5,"nbf":null,"kubernetes.io":{"pod":{"name":"p"},"serviceaccount":null}}`))
	f.Add(rawToken(`{"alg":"ES256"}`, `{"exp":"soon","aud":["a",2]}`))
	f.Add(rawToken(`{"alg":"ES256","crit":["x"]}`, `{}`))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		Decode(token)
		verifiersAgree(t, ks, token)
		if h, p, _, err := splitToken(token); err == nil {
			sig, err := jwt.SigningMethodES256.Sign(h+"."+p, ecKey)
			if err != nil {
				t.Fatal(err)
			}
			verifiersAgree(t, ks, h+"."+p+"."+base64.RawURLEncoding.EncodeToString(sig))
		}
	})
}

// verifiersAgree fails unless Verify and VerifyTyped read token alike.
func verifiersAgree(t *testing.T, ks *KeySet, token string) {
	t.Helper()
	wh, wc, werr := ks.Verify(token)
	gh, gc, gerr := ks.VerifyTyped(token)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) {
		t.Fatalf("%q: Verify says %v, VerifyTyped %v", token, werr, gerr)
	}
	wc.Raw = nil
	if wh != gh || !reflect.DeepEqual(wc, gc) {
		t.Fatalf("%q: Verify read\n%+v %+v\nVerifyTyped\n%+v %+v", token, wh, wc, gh, gc)
	}
}

// TestVerifyTypedMatchesVerify: the struct decoder of the batch path must
// read every claim exactly as the map decoder does, and report the same
// errors.
func TestVerifyTypedMatchesVerify(t *testing.T) {
	ks := mustKeySet(t, testjwt.PublicPEM(t, &rsaKey.PublicKey))
	for _, claims := range []jwt.MapClaims{
		{"aud": "one", "sub": "s", "exp": 1767225600.25},
		{"aud": []string{"a", "b"}, "iss": "i", "jti": "j", "nbf": 1, "iat": 2, "exp": 3,
			"kubernetes.io": map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "sa", "uid": "u"},
				"pod": map[string]any{"name": "p", "uid": "pu"}, "node": map[string]any{"name": "n"}, "warnafter": 4}},
		{"aud": nil, "sub": nil},
		{"aud": 5},
		{"exp": "soon"},
		{"kubernetes.io": map[string]any{"pod": "p"}},
		{"kubernetes.io": map[string]any{"warnafter": 1e300}},
	} {
		tok := testjwt.Sign(t, jwt.SigningMethodRS256, rsaKey, "", claims)
		_, want, werr := ks.Verify(tok)
		_, got, gerr := ks.VerifyTyped(tok)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Errorf("%v: errors differ: Verify %v, VerifyTyped %v", claims, werr, gerr)
			continue
		}
		want.Raw = nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v: VerifyTyped\n%+v\nwant\n%+v", claims, got, want)
		}
	}
}

// signPSSSalt signs a token PS256 with a salt of saltLen bytes: go-jose, and
// so kube-apiserver, verifies a PSS signature whatever its salt length.
func signPSSSalt(t testing.TB, key *rsa.PrivateKey, saltLen int) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	signed := enc([]byte(`{"alg":"PS256","typ":"JWT"}`)) + "." + strings.Split(sign(t, jwt.SigningMethodRS256, key, ""), ".")[1]
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: saltLen})
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + enc(sig)
}
