package sat

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
)

var mintNow = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// verifyWithStdlib checks a compact JWS with nothing but the standard
// library: the signing input hashed with SHA-256, RS256 as PKCS #1 v1.5,
// ES256 as r||s.
func verifyWithStdlib(t *testing.T, token string, pub crypto.PublicKey) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig); err != nil {
			t.Errorf("RS256 signature does not verify: %v", err)
		}
	case *ecdsa.PublicKey:
		if len(sig) != 64 || !ecdsa.Verify(k, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			t.Errorf("ES256 signature does not verify (%d bytes)", len(sig))
		}
	default:
		t.Fatalf("unexpected key %T", pub)
	}
}

func TestMintVerifiesIndependently(t *testing.T) {
	rsaSigner, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecSigner, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		alg    string
		key    crypto.Signer
		method jwt.SigningMethod
	}{{AlgRS256, rsaSigner, jwt.SigningMethodRS256}, {AlgES256, ecSigner, jwt.SigningMethodES256}} {
		t.Run(tt.alg, func(t *testing.T) {
			now := time.Now().Truncate(time.Second)
			token, err := Mint(MintSpec{Key: tt.key, ServiceAccount: "mqtt-client", Namespace: "azure-iot-operations",
				Audiences: []string{"aio-internal"}, Duration: 2 * time.Hour, Pod: "mqtt-client-7d9f"})
			if err != nil {
				t.Fatal(err)
			}
			verifyWithStdlib(t, token, tt.key.Public())

			// The header is a bound token's: alg and the Kubernetes kid,
			// nothing else.
			kid, _ := KeyID(tt.key.Public())
			header := rawPart(t, token, 0)
			if len(header) != 2 || header["alg"] != tt.alg || header["kid"] != kid {
				t.Errorf("header %v, want exactly alg %s and kid %s", header, tt.alg, kid)
			}

			// A second JWT library, with every check it has.
			parsed, err := jwt.Parse(token, func(tok *jwt.Token) (any, error) { return tt.key.Public(), nil },
				jwt.WithValidMethods([]string{tt.method.Alg()}), jwt.WithAudience("aio-internal"),
				jwt.WithIssuer(DefaultIssuer), jwt.WithSubject("system:serviceaccount:azure-iot-operations:mqtt-client"),
				jwt.WithExpirationRequired(), jwt.WithIssuedAt())
			if err != nil {
				t.Fatalf("golang-jwt: %v", err)
			}
			claims := parsed.Claims.(jwt.MapClaims)
			exp, _ := claims.GetExpirationTime()
			iat, _ := claims.GetIssuedAt()
			nbf, _ := claims.GetNotBefore()
			if d := exp.Sub(iat.Time); d != 2*time.Hour || !nbf.Equal(iat.Time) || iat.Before(now) || iat.After(now.Add(5*time.Second)) {
				t.Errorf("iat %s nbf %s exp %s, want exp = iat + 2h, nbf = iat = now", iat, nbf, exp)
			}
			if _, err := uuid.Parse(claims["jti"].(string)); err != nil {
				t.Errorf("jti %v is not a UUID", claims["jti"])
			}
			// aud is a list even with one audience, as the API server
			// writes it.
			if aud, ok := claims["aud"].([]any); !ok || len(aud) != 1 || aud[0] != "aio-internal" {
				t.Errorf("aud = %#v, want [aio-internal]", claims["aud"])
			}
			k8s := claims["kubernetes.io"].(map[string]any)
			sa := k8s["serviceaccount"].(map[string]any)
			pod := k8s["pod"].(map[string]any)
			if k8s["namespace"] != "azure-iot-operations" || sa["name"] != "mqtt-client" || pod["name"] != "mqtt-client-7d9f" {
				t.Errorf("kubernetes.io = %v", k8s)
			}
			for _, ref := range []map[string]any{sa, pod} {
				if _, err := uuid.Parse(ref["uid"].(string)); err != nil {
					t.Errorf("uid %v is not a UUID", ref["uid"])
				}
			}

			// The project's own verifier and decoder agree.
			ks, err := ParseKeySet(mustJWKS(t, tt.key.Public()))
			if err != nil {
				t.Fatal(err)
			}
			h, c, err := ks.Verify(token)
			if err != nil {
				t.Fatal(err)
			}
			if h.Kid != kid || c.Kubernetes == nil || c.Kubernetes.ServiceAccount.Name != "mqtt-client" || c.Kubernetes.Pod == nil {
				t.Errorf("Verify: header %+v claims %+v", h, c)
			}
		})
	}
}

func mustJWKS(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	data, err := JWKS(pub)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestMintClaims(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spec := MintSpec{Key: key, ServiceAccount: "sensor", Namespace: "factory", Audiences: []string{"aio-internal", "https://broker"},
		Duration: 24 * time.Hour, Issuer: "https://oidc.example.com", NotBefore: mintNow.Add(5 * time.Minute), Now: mintNow}
	a, err := Mint(spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Mint(spec)
	if err != nil {
		t.Fatal(err)
	}
	_, ca, err := Decode(a)
	if err != nil {
		t.Fatal(err)
	}
	_, cb, _ := Decode(b)
	if ca.Issuer != "https://oidc.example.com" || ca.Subject != "system:serviceaccount:factory:sensor" ||
		strings.Join(ca.Audience, ",") != "aio-internal,https://broker" || !ca.IssuedAt.Equal(mintNow) ||
		!ca.NotBefore.Equal(mintNow.Add(5*time.Minute)) || !ca.Expiry.Equal(mintNow.Add(24*time.Hour)) || ca.Kubernetes.Pod != nil {
		t.Errorf("claims %+v", ca)
	}
	// Same service account, same uid; every token its own jti.
	if ca.Kubernetes.ServiceAccount.UID != cb.Kubernetes.ServiceAccount.UID || ca.ID == cb.ID {
		t.Errorf("uids %s %s, jtis %s %s", ca.Kubernetes.ServiceAccount.UID, cb.Kubernetes.ServiceAccount.UID, ca.ID, cb.ID)
	}
	spec.ServiceAccount = "other"
	c, _ := Mint(spec)
	if _, cc, _ := Decode(c); cc.Kubernetes.ServiceAccount.UID == ca.Kubernetes.ServiceAccount.UID {
		t.Errorf("two service accounts share a uid")
	}
}

func TestMintRefusals(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ok := func(mod func(*MintSpec)) MintSpec {
		s := MintSpec{Key: key, ServiceAccount: "a", Namespace: "b", Audiences: []string{"c"}, Duration: time.Hour, Now: mintNow}
		mod(&s)
		return s
	}
	for _, tt := range []struct {
		name string
		spec MintSpec
		want string
	}{
		{"no key", ok(func(s *MintSpec) { s.Key = nil }), "--signing-key is required"},
		{"no audience", ok(func(s *MintSpec) { s.Audiences = nil }), "--audience is required"},
		{"empty audience", ok(func(s *MintSpec) { s.Audiences = []string{" "} }), "empty --audience"},
		{"zero duration", ok(func(s *MintSpec) { s.Duration = 0 }), "must be positive"},
		{"negative duration", ok(func(s *MintSpec) { s.Duration = -time.Hour }), "must be positive"},
		{"no service account", ok(func(s *MintSpec) { s.ServiceAccount = "" }), "invalid --service-account"},
		{"bad service account", ok(func(s *MintSpec) { s.ServiceAccount = "My_SA" }), "invalid --service-account"},
		{"bad namespace", ok(func(s *MintSpec) { s.Namespace = "a.b" }), "invalid namespace"},
		{"bad pod", ok(func(s *MintSpec) { s.Pod = "Pod!" }), "invalid --bound-pod"},
		{"starts after it ends", ok(func(s *MintSpec) { s.NotBefore = mintNow.Add(2 * time.Hour) }), "is not before the expiry"},
		{"P-384 key", ok(func(s *MintSpec) { s.Key = p384 }), "ES256 needs P-256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Mint(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLoadSigningKeyRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keys, err := Keygen(KeygenSpec{OutDir: filepath.Join(dir, "k"), KeyType: "EC"})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := os.ReadFile(filepath.Join(keys.Dir, PublicKeyFile))
	for _, tt := range []struct{ file, want string }{
		{write("pub.pem", pub), "not a private key"},
		{write("junk.pem", []byte("junk")), "no PEM private key found"},
		{filepath.Join(dir, "missing.pem"), "no such file"},
	} {
		if _, err := LoadSigningKey(tt.file); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadSigningKey(%s) = %v, want %q", filepath.Base(tt.file), err, tt.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	token, err := Mint(MintSpec{Key: key, ServiceAccount: "mqtt-client", Namespace: "azure-iot-operations", Audiences: []string{"aio-internal"},
		Duration: time.Hour, Pod: "mqtt-client", Now: mintNow})
	if err != nil {
		t.Fatal(err)
	}
	h, c, err := Decode(token)
	if err != nil {
		t.Fatal(err)
	}
	// Random parts (kid, jti, pod uid) are replaced so the golden file
	// stays put.
	h.Kid, c.ID, c.Kubernetes.Pod.UID = "KID", "JTI", "POD-UID"
	var text bytes.Buffer
	WriteText(&text, h, c, mintNow.Add(90*time.Minute))
	golden.Check(t, filepath.Join("testdata", "decode-expired.txt"), text.Bytes())
	text.Reset()
	WriteText(&text, h, c, mintNow.Add(-10*time.Minute))
	mustHave(t, text.String(), "exp: 2026-05-01T11:00:00Z (in 70m)", "nbf: 2026-05-01T10:00:00Z (not valid yet, in 10m)")
	// Within a minute of exp or nbf the API server still accepts the
	// token; past it, it does not.
	text.Reset()
	WriteText(&text, h, c, mintNow.Add(time.Hour+30*time.Second))
	mustHave(t, text.String(), "exp: 2026-05-01T11:00:00Z (expired 30s ago, within the API server's 60s leeway)")
	text.Reset()
	WriteText(&text, h, c, mintNow.Add(-30*time.Second))
	mustHave(t, text.String(), "nbf: 2026-05-01T10:00:00Z (not valid yet, in 30s, within the API server's 60s leeway)",
		"iat: 2026-05-01T10:00:00Z (in 30s, within the API server's 60s leeway)")
	text.Reset()
	WriteText(&text, h, c, mintNow.Add(time.Hour+61*time.Second))
	if strings.Contains(text.String(), "leeway") {
		t.Errorf("61s after exp is past the leeway:\n%s", text.String())
	}

	data, err := json.Marshal(NewDecoded(h, c))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != 2 || doc["header"]["alg"] != AlgES256 || doc["claims"]["sub"] != "system:serviceaccount:azure-iot-operations:mqtt-client" {
		t.Errorf("decoded JSON %s", data)
	}
	if exp, ok := doc["claims"]["exp"].(float64); !ok || int64(exp) != mintNow.Add(time.Hour).Unix() {
		t.Errorf("exp in JSON = %v, want the number %d as the token carries it", doc["claims"]["exp"], mintNow.Add(time.Hour).Unix())
	}
	sig := token[strings.LastIndex(token, ".")+1:]
	if strings.Contains(string(data), sig) || strings.Contains(text.String(), sig) {
		t.Errorf("the signature was printed")
	}
}

func mustHave(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
}
