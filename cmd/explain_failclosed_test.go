package cmd

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExplainFailClosedDocs runs explain against a real HTTPS auth server
// on a loopback port that answers 403 with an HTML page instead of the API's
// JSON, and checks that docs/explain.md shows exactly this run (the server's
// port aside): a 403 denies whatever its body, and the X.509 method after it
// is never reached.
func TestExplainFailClosedDocs(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "<html><body>Forbidden</body></html>\n")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	bundle := fmt.Sprintf(`apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata:
  name: default
  namespace: azure-iot-operations
spec:
  authenticationMethods:
    - method: Custom
      customSettings:
        endpoint: %s
        caCertConfigMap: auth-server-ca
    - method: X509
      x509Settings:
        trustedClientCaCert: client-ca
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: auth-server-ca
  namespace: azure-iot-operations
data:
  ca.crt: |
%s`, srv.URL, indent(string(caPEM), "    "))
	if err := os.MkdirAll(filepath.Join(dir, "bundle"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bundle", "authn.yaml"), []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	args := []string{"-f", "bundle", "-f", "testdata/examples/client-ca.yaml", "--now", "2026-06-01T00:00:00Z",
		"--cert", "testdata/examples/clients/smart-fan.pem"}
	var out, errOut bytes.Buffer
	code := Execute(pluginName, append([]string{"explain"}, args...), nil, &out, &errOut)
	if code != 1 || errOut.Len() > 0 {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut.String(), out.String())
	}
	port := regexp.MustCompile(`https://127\.0\.0\.1:\d+`)
	got := "$ kubectl aio-authn explain " + strings.Join(args, " ") + "  # exit 1\n" +
		port.ReplaceAllString(out.String(), "https://127.0.0.1:8443")

	page, err := os.ReadFile(filepath.Join(root, "docs", "explain.md"))
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- output of TestExplainFailClosedDocs -->\n```text\n"
	_, block, ok := strings.Cut(string(page), marker)
	if !ok {
		t.Fatalf("docs/explain.md has no block after %q; it should show:\n%s", marker, got)
	}
	block, _, _ = strings.Cut(block, "```")
	if block != got {
		t.Errorf("docs/explain.md shows\n%s\nexplain prints\n%s", block, got)
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}
