package convert

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

const (
	inDir   = "../../testdata/convert/in"
	wantDir = "../../testdata/convert/want"
)

// TestGolden converts every input under testdata/convert/in: the output and
// the report, or the error, must match testdata/convert/want.
func TestGolden(t *testing.T) {
	inputs, err := os.ReadDir(inDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range inputs {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata/convert/in", name) // as a user would name it
			data, err := os.ReadFile(filepath.Join(inDir, name))
			if err != nil {
				t.Fatal(err)
			}
			res, err := File(path, data)
			if strings.HasPrefix(name, "bad-") {
				if err == nil {
					t.Fatalf("converted a file that cannot be converted:\n%s", res.Output)
				}
				golden.Check(t, filepath.Join(wantDir, name+".error"), []byte(err.Error()+"\n"))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join(wantDir, name), res.Output)
			var report bytes.Buffer
			if err := Report(&report, res); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join(wantDir, name+".report"), report.Bytes())
			checkConverted(t, path, data, res)
		})
	}
}

// checkConverted checks what goldens alone would not: every broker
// document of the output is v1 and decodes as the API types, documents that
// did not need converting are byte for byte what they were, and converting
// again changes nothing.
func checkConverted(t *testing.T, path string, in []byte, res *Result) {
	t.Helper()
	before := manifest.Parse(path, in)
	after := manifest.Parse(path, res.Output)
	if after.Err != nil {
		t.Fatalf("output does not parse: %v", after.Err)
	}
	if len(before.Documents) != len(after.Documents) {
		t.Fatalf("%d documents in, %d out", len(before.Documents), len(after.Documents))
	}
	converted := map[int]bool{}
	for _, d := range res.Converted {
		converted[d.Index] = true
	}
	inChunks, outChunks := split(in), split(res.Output)
	docIndex := 0
	for i := range inChunks {
		if docs := decodeAll(inChunks[i].body); len(docs) == 0 {
			continue
		}
		if !converted[docIndex] && !bytes.Equal(inChunks[i].body, outChunks[i].body) {
			t.Errorf("document %d was not converted but changed:\n%s", docIndex, outChunks[i].body)
		}
		docIndex++
	}
	for _, d := range after.Documents {
		if d.Group() == api.Group2023 || (d.Is(api.Group, api.KindBrokerAuthentication) && d.APIVersion != api.APIVersionV1) {
			t.Errorf("document %d is still %s", d.Index, d.APIVersion)
		}
		if d.Is(api.Group, api.KindBrokerAuthentication) {
			data, _, err := d.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if _, notes, err := api.DecodeBrokerAuthentication(d.APIVersion, data); err != nil || len(notes) > 0 {
				t.Errorf("document %d: %v %v", d.Index, err, notes)
			}
		}
	}
	again, err := File(path, res.Output)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Converted) > 0 || !bytes.Equal(again.Output, res.Output) {
		t.Errorf("converting the output again changed it")
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"syntax error", "apiVersion: v1\nkind: [\n", "f.yaml:2: did not find expected node content"},
		{"2023 two keys", `apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - sat: {audiences: [a]}
    x509: {}
`, "f.yaml:6: spec.authenticationMethods[0]: expected exactly one of sat, x509, custom, usernamePassword (the 2023 shape) or a method (the v1 shape); found sat, x509"},
		{"both names", `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountToken: {audiences: [a]}
    serviceAccountTokenSettings: {audiences: [a]}
`, "f.yaml:1: the document mixes the mid-2024 preview shape (spec.authenticationMethods[0].serviceAccountToken) with the 2025 preview shape (spec.authenticationMethods[0].serviceAccountTokenSettings)"},
		{"mixed shapes", `# A third-party manifest: v1beta1 apiVersion, v1 block names, preview method spelling.
apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata:
  name: mixed
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
  - method: X509Credentials
    x509Settings: {}
`, "f.yaml:2: the document mixes the mid-2024 preview shape (spec.authenticationMethods[1].method: X509Credentials) with the 2025 preview shape (spec.authenticationMethods[0].serviceAccountTokenSettings, spec.authenticationMethods[1].x509Settings)"},
		{"no methods list", `apiVersion: mqttbroker.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: authn}
spec:
  authenticationMethods: {method: Custom}
`, "f.yaml:5: spec.authenticationMethods: expected a list of methods"},
		{"2023 listener", `apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerListener
metadata: {name: listener}
spec: {brokerRef: broker, port: 8883}
`, "f.yaml:1: the 2023 BrokerListener"},
		{"marker with content", "apiVersion: v1\nkind: ConfigMap\n--- {apiVersion: mqttbroker.iotoperations.azure.com/v1beta1, kind: BrokerListener}\n",
			`f.yaml:3: cannot convert a document that starts on its "---" line`},
		{"two errors", `apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: a}
spec: {authenticationMethods: [{usernamePassword: {}}]}
---
apiVersion: mq.iotoperations.azure.com/v1beta1
kind: BrokerAuthentication
metadata: {name: b}
spec: {authenticationMethods: [{usernamePassword: {}}]}
`, "f.yaml:4: spec.authenticationMethods[0].usernamePassword: username/password authentication ended with the 2023 preview: move those clients to X509 or ServiceAccountToken, or check passwords in a Custom auth server\nf.yaml:9:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := File("f.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error:\n%s", res.Output)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q\nwant prefix %q", err, tt.want)
			}
			var ce *Error
			var se *manifest.SyntaxError
			if !errors.As(err, &ce) && !errors.As(err, &se) {
				t.Errorf("error %T does not carry a file line", err)
			}
		})
	}
}

func TestNothingToConvertIsIdentity(t *testing.T) {
	for _, in := range []string{
		"",
		"# only a comment\n",
		"---\n---\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		"apiVersion: v1\r\nkind: ConfigMap\r\n---\r\napiVersion: v1\r\nkind: Secret\r\n",
		"apiVersion: v1\nkind: ConfigMap", // no final newline
	} {
		res, err := File("f.yaml", []byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if string(res.Output) != in || len(res.Converted) != 0 {
			t.Errorf("%q became %q", in, res.Output)
		}
	}
}

func BenchmarkFile(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(inDir, "seed-v1beta1.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var big []byte
	for i := 0; i < 100; i++ {
		big = append(big, data...)
		big = append(big, "---\n"...)
	}
	b.SetBytes(int64(len(big)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := File("big.yaml", big); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCRLFStaysCRLF: a file with Windows line endings converts to the same
// output as its LF twin, with CRLF line endings throughout.
func TestCRLFStaysCRLF(t *testing.T) {
	inputs, err := os.ReadDir(inDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range inputs {
		name := e.Name()
		if strings.HasPrefix(name, "bad-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(inDir, name))
			if err != nil {
				t.Fatal(err)
			}
			lf, err := File(name, data)
			if err != nil {
				t.Fatal(err)
			}
			crlf, err := File(name, bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")))
			if err != nil {
				t.Fatal(err)
			}
			if want := bytes.ReplaceAll(lf.Output, []byte("\n"), []byte("\r\n")); !bytes.Equal(crlf.Output, want) {
				t.Errorf("CRLF input converts to\n%q\nwant\n%q", crlf.Output, want)
			}
		})
	}
}
