// Package corpus generates a deterministic mix of valid and invalid
// BrokerAuthentication and BrokerListener manifests, for benchmarking
// validate (the hack/corpusgen command, hack/bench-validate.sh and
// pkg/lint's BenchmarkValidateCorpus).
package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// File is one generated manifest file.
type File struct {
	Name string
	Data []byte
}

// Generate returns n documents spread over files of perFile documents each.
// Each file holds BrokerAuthentications and a BrokerListener that references
// them; about a quarter of the documents carry one mistake (an unknown
// field, a wrong-case method, a settings block under the wrong method, empty
// audiences, an http endpoint, a duplicate port, a dangling reference...).
// The same seed gives the same corpus.
func Generate(n, perFile int, seed uint64) []File {
	if perFile < 1 {
		perFile = 1
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var files []File
	for start := 0; start < n; start += perFile {
		count := min(perFile, n-start)
		var docs []string
		var authns []string
		for i := 0; i < count; i++ {
			id := start + i
			if i == count-1 && count > 1 {
				docs = append(docs, listener(r, id, authns))
				continue
			}
			name := fmt.Sprintf("authn-%05d", id)
			authns = append(authns, name)
			docs = append(docs, authn(r, name))
		}
		files = append(files, File{
			Name: fmt.Sprintf("corpus-%05d.yaml", start/perFile),
			Data: []byte(strings.Join(docs, "---\n")),
		})
	}
	return files
}

const header = `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: %s
metadata:
  name: %s
  namespace: azure-iot-operations
spec:
`

func authn(r *rand.Rand, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, header, "BrokerAuthentication", name)
	b.WriteString("  authenticationMethods:\n")
	mistake := r.IntN(4) == 0
	kind := r.IntN(8)
	methods := 1 + r.IntN(3)
	for m := 0; m < methods; m++ {
		switch (kind + m) % 3 {
		case 0:
			b.WriteString("  - method: ServiceAccountToken\n    serviceAccountTokenSettings:\n      audiences: [aio-internal]\n")
		case 1:
			fmt.Fprintf(&b, "  - method: X509\n    x509Settings:\n      trustedClientCaCert: client-ca\n      authorizationAttributes:\n        dev%d:\n          subject: CN = device-%d, O = Contoso\n          attributes:\n            building: \"%d\"\n", m, r.IntN(1000), r.IntN(100))
		default:
			fmt.Fprintf(&b, "  - method: Custom\n    customSettings:\n      endpoint: https://auth-%d.azure-iot-operations.svc:8443\n      headers:\n        x-tenant: contoso\n", r.IntN(10))
		}
	}
	if !mistake {
		return b.String()
	}
	s := b.String()
	switch kind {
	case 0:
		return strings.Replace(s, "audiences: [aio-internal]", "audience: [aio-internal]", 1)
	case 1:
		return strings.Replace(s, "method: X509", "method: x509", 1)
	case 2:
		return strings.Replace(s, "endpoint: https://", "endpoint: http://", 1)
	case 3:
		return strings.Replace(s, "audiences: [aio-internal]", "audiences: []", 1)
	case 4:
		return strings.Replace(s, "x509Settings:", "x509Credentials:", 1)
	case 5:
		return strings.Replace(s, "    customSettings:\n", "    serviceAccountTokenSettings:\n      audiences: [aio-internal]\n    customSettings:\n", 1)
	case 6:
		return strings.Replace(s, "name: "+name, "name: "+strings.ToUpper(name), 1)
	}
	return strings.Replace(s, "  authenticationMethods:\n", "  authenticationMethods:\n  - method: ServiceAccountToken\n", 1)
}

func listener(r *rand.Rand, id int, authns []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, header, "BrokerListener", fmt.Sprintf("listener-%05d", id))
	b.WriteString("  serviceType: LoadBalancer\n  ports:\n")
	ports := 1 + r.IntN(3)
	for p := 0; p < ports; p++ {
		ref := authns[r.IntN(len(authns))]
		fmt.Fprintf(&b, "  - port: %d\n    authenticationRef: %s\n    tls:\n      mode: Automatic\n", 20000+id*4+p, ref)
	}
	s := b.String()
	if r.IntN(4) == 0 {
		switch r.IntN(3) {
		case 0:
			s = strings.Replace(s, "authenticationRef: authn-", "authenticationRef: authm-", 1)
		case 1:
			s = strings.Replace(s, "mode: Automatic", "mode: automatic", 1)
		default:
			s += "  - port: 1883\n"
		}
	}
	return s
}
