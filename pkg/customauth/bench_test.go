package customauth

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// BenchmarkDecide measures one decision per kind of entry: what a request
// costs the server beyond HTTP and TLS. bcrypt at its default cost (10)
// dominates by design.
func BenchmarkDecide(b *testing.B) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	u, err := ParseUsers("users.yaml", []byte(`users:
- username: alice
  password: wonderland
- username: carol
  passwordHash: "`+string(hash)+`"
certificates:
- subject: "CN = smart-fan, OU = Devices, C = US"
  attributes: {device: fan}
`))
	if err != nil {
		b.Fatal(err)
	}
	fan := readBenchChain(b)
	now := time.Now()
	for _, bc := range []struct {
		name string
		req  Request
	}{
		{"plain", Request{Type: TypeConnect, Username: strp("alice"), Password: []byte("wonderland")}},
		{"bcrypt", Request{Type: TypeConnect, Username: strp("carol"), Password: []byte("s3cret")}},
		{"certificate", Request{Type: TypeConnect, Certs: fan}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if d := u.Decide(&bc.req, now); d.Status != 200 {
					b.Fatalf("%d %s", d.Status, d.Body)
				}
			}
		})
	}
}

// BenchmarkServeHTTP measures a whole request through the handler (body
// read, checks, JSON), without the network.
func BenchmarkServeHTTP(b *testing.B) {
	u, err := ParseUsers("users.yaml", []byte(serverUsers))
	if err != nil {
		b.Fatal(err)
	}
	s := NewServer(u)
	body := `{"type":"connect","username":"alice","password":"d29uZGVybGFuZA=="}`
	for b.Loop() {
		r := httptest.NewRequest("POST", "/?api-version=0.5.0", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func readBenchChain(b *testing.B) string {
	certs, err := pki.ReadBundle("../../testdata/examples/clients/smart-fan.pem")
	if err != nil {
		b.Fatal(err)
	}
	var all []byte
	for _, c := range certs {
		all = append(all, pki.EncodeCertificates(c.Cert)...)
	}
	return string(all)
}
