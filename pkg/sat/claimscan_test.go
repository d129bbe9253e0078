package sat

import (
	"testing"
)

// boundTokenClaims is the payload of a pod-bound token as kube-apiserver issues
// it (1.30), with the extended-token warnafter.
var boundTokenClaims = []byte(`{"aud":["aio-internal"],"exp":1767229200,"iat":1767225600,"iss":"https://kubernetes.default.svc.cluster.local","jti":"5b6a1c0e-7a4f-4bd1-9f0e-3f6f1b0c2d11","kubernetes.io":{"namespace":"azure-iot-operations","node":{"name":"aks-nodepool1-12345678-vmss000000","uid":"c2a4e0f6-1b9d-4f7e-8a3c-5d6e7f8a9b0c"},"pod":{"name":"thermostat-7d9c8b6f5-x2k4p","uid":"0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"},"serviceaccount":{"name":"thermostat","uid":"9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4"},"warnafter":1767229200},"nbf":1767225600,"sub":"system:serviceaccount:azure-iot-operations:thermostat"}`)

// BenchmarkDecodeClaims compares the claim scanner (what VerifyTyped and
// explain --batch use) with the map decoder (what Verify and sat decode
// use) on one bound token's claims. The figures in claimscan.go's opening
// comment come from here.
func BenchmarkDecodeClaims(b *testing.B) {
	for _, bc := range []struct {
		name   string
		decode func([]byte) (Claims, error)
	}{{"scanner", parseClaimsTyped}, {"map", parseClaims}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(boundTokenClaims)))
			for b.Loop() {
				c, err := bc.decode(boundTokenClaims)
				if err != nil || c.Kubernetes == nil || c.Kubernetes.Pod == nil {
					b.Fatal(c, err)
				}
			}
		})
	}
}

// BenchmarkDecodeHeader is the same comparison for the JOSE header.
func BenchmarkDecodeHeader(b *testing.B) {
	header := []byte(`{"alg":"RS256","kid":"Zb8VJ0mGgFhoyeo5pl4M_lN1a4dU5eQv0cQhKq3lC8E"}`)
	for _, bc := range []struct {
		name   string
		decode func([]byte) (Header, error)
	}{{"scanner", parseHeader}, {"map", parseHeaderMap}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if h, err := bc.decode(header); err != nil || h.Alg != "RS256" {
					b.Fatal(h, err)
				}
			}
		})
	}
}
