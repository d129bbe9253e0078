package authn

import (
	"context"
	"crypto/x509"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// BenchmarkExplainX509 is one decision for a client certificate chain
// (leaf + intermediate, EC) against a prepared engine.
func BenchmarkExplainX509(b *testing.B) {
	p := newTestPKI(b)
	e := New(Config{
		Authentication: authentication(x509Entry(map[string]v1.BrokerAuthenticatorMethodX509Attributes{"fan": attr("CN = smart-fan, OU = Devices, C = US", "building", "17")})),
		ConfigMaps:     map[string]*corev1.ConfigMap{"client-ca": configMap("client-ca", map[string]string{"ca": pemOf(p.root.cert)})},
	}, Options{})
	creds := Credentials{Certificates: []*x509.Certificate{p.leaf.cert, p.intermediate.cert}}
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
	e := New(Config{Authentication: authentication(satEntry("aio-internal"))}, Options{Keys: keys})
	creds := Credentials{AuthMethod: SATMethod, AuthData: []byte(signToken(b, jwt.SigningMethodRS256, rsaKeys[0], tokenClaims("aio-internal")))}
	for b.Loop() {
		if d := e.Explain(context.Background(), creds, t0); d.Decision != Granted {
			b.Fatal(d.Steps)
		}
	}
}
