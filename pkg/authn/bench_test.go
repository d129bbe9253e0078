package authn

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"

	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// BenchmarkExplainX509 is one decision for a client certificate chain
// (leaf + intermediate, EC) against a prepared engine.
func BenchmarkExplainX509(b *testing.B) {
	p := newTestPKI(b)
	e := New(Config{
		Authentication: authentication(x509Entry(map[string]v1.BrokerAuthenticatorMethodX509Attributes{"fan": attr("CN = smart-fan, OU = Devices, C = US", "building", "17")})),
		ConfigMaps:     map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"ca": pemOf(p.root.Cert)})},
	}, Options{})
	creds := Credentials{Certificates: []*x509.Certificate{p.leaf.Cert, p.intermediate.Cert}}
	for b.Loop() {
		if d := e.Explain(context.Background(), creds, t0); d.Decision != Granted {
			b.Fatal(d.Steps)
		}
	}
}

// BenchmarkExplainSATOffline is one decision for an RS256 service account
// token verified with an offline key.
func BenchmarkExplainSATOffline(b *testing.B) {
	keys, _ := keySetFor(b, rsaKeys[0].Public())
	cfg := boundObjects("0c1d", "9a8b")
	cfg.Authentication = authentication(satEntry("aio-internal"))
	e := New(cfg, Options{Keys: keys})
	creds := Credentials{AuthMethod: SATMethod, AuthData: []byte(testjwt.Sign(b, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-internal")))}
	for b.Loop() {
		if d := e.Explain(context.Background(), creds, t0); d.Decision != Granted {
			b.Fatal(d.Steps)
		}
	}
}

// BenchmarkBareRS256 is the signature check alone on the token of
// BenchmarkExplainSATOffline, for the ratio.
func BenchmarkBareRS256(b *testing.B) {
	tok := testjwt.Sign(b, jwt.SigningMethodRS256, rsaKeys[0], "", tokenClaims("aio-internal"))
	i := strings.LastIndexByte(tok, '.')
	pub := rsaKeys[0].Public().(*rsa.PublicKey)
	for b.Loop() {
		sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
		if err != nil {
			b.Fatal(err)
		}
		digest := sha256.Sum256([]byte(tok[:i]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}
