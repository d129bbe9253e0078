package cmd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
)

// TestExplainGolden runs explain on the example bundle and compares the
// whole output (stdout, stderr, exit code) with testdata/explain/golden.
// The example's custom auth server endpoint is a closed loopback port, so
// the outage is real and the same on every machine.
func TestExplainGolden(t *testing.T) {
	const now = "--now=2026-06-01T00:00:00Z"
	ex := "testdata/examples/"
	keys := "--sat-issuer-key=" + ex + "sat/jwks.json"
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"x509-granted.txt", []string{"-f", ex, now, "--cert", ex + "clients/smart-fan.pem"}, ""},
		{"x509-granted.json", []string{"-f", ex, now, "--cert", ex + "clients/smart-fan.pem", "-o", "json"}, ""},
		{"x509-granted.yaml", []string{"-f", ex, now, "--cert", ex + "clients/smart-fan.pem", "-o", "yaml", "--custom-result", "unreachable"}, ""},
		{"x509-expired.txt", []string{"-f", ex, now, "--cert", ex + "clients/old-lamp.pem", "--custom-result", "unreachable"}, ""},
		{"x509-mixed-keys.txt", []string{"-f", ex, now, "--cert", ex + "clients/thermostat.pem", "--custom-result", "unreachable"}, ""},
		{"x509-untrusted.txt", []string{"-f", ex, now, "--cert", ex + "clients/stranger.pem", "--custom-result", "unreachable"}, ""},
		{"x509-plain-port.txt", []string{"-f", ex, now, "--cert", ex + "clients/smart-fan.pem", "--custom-result", "unreachable", "--listener", "default", "--port", "1884"}, ""},
		{"sat-wrong-audience.txt", []string{"-f", ex, now, "--sat-file", ex + "tokens/wrong-audience.jwt", keys}, ""},
		{"sat-granted.json", []string{"-f", ex, now, "--sat-file", ex + "tokens/mqtt-client.jwt", keys, "--custom-result", "unreachable", "-o", "json"}, ""},
		{"sat-expiring.txt", []string{"-f", ex, now, "--sat-file", ex + "tokens/expiring.jwt", keys, "--custom-result", "unreachable"}, ""},
		{"sat-no-key.txt", []string{"-f", ex, now, "--sat-file", ex + "tokens/mqtt-client.jwt", "--custom-result", "unreachable"}, ""},
		// 30 seconds after exp: within the API server's leeway; the issuer
		// is checked because it is given.
		{"sat-expired-in-leeway.txt", []string{"-f", ex, "--now=2026-06-01T00:05:30Z", "--sat-file", ex + "tokens/expiring.jwt", "--sat-issuer-key=" + ex + "sat/sa_pub.pem",
			"--sat-issuer", "https://kubernetes.default.svc.cluster.local", "--custom-result", "unreachable"}, ""},
		// Signed with the example key, but the kid names another: the
		// API server refuses it, so explain must too, PEM key or JWKS.
		{"sat-unknown-kid.txt", []string{"-f", ex, now, "--sat-file", ex + "tokens/unknown-kid.jwt", "--sat-issuer-key=" + ex + "sat/sa_pub.pem", "--custom-result", "unreachable"}, ""},
		{"sat-unknown-kid-jwks.txt", []string{"-f", ex, now, "--sat-file", ex + "tokens/unknown-kid.jwt", keys, "--custom-result", "unreachable"}, ""},
		{"sat-foreign-issuer.txt", []string{"-f", ex, now, "--sat-file", ex + "tokens/mqtt-client.jwt", keys, "--sat-issuer", "https://cluster.example", "--custom-result", "unreachable"}, ""},
		{"sat-issuer-with-token-review.txt", []string{"-f", ex, now, "--sat-file", ex + "tokens/mqtt-client.jwt", "--token-review", "--sat-issuer", "https://cluster.example"}, ""},
		{"sat-legacy-username.txt", []string{"-f", ex, now, "--username", "K8S-SAT", "--password-file", ex + "tokens/mqtt-client.jwt", keys, "--custom-result", "unreachable"}, ""},
		{"custom-pass.txt", []string{"-f", ex, now, "--username", "smart-fan", "--password", "s3cret", "--custom-result", "pass"}, ""},
		{"custom-fail.json", []string{"-f", ex, now, "--username", "smart-fan", "--password", "s3cret", "--custom-result", "fail", "-o", "json"}, ""},
		{"enhanced-unknown-method.txt", []string{"-f", ex, now, "--auth-method", "SCRAM-SHA-256", "--auth-data", "x", "--custom-result", "unreachable"}, ""},
		{"listener-disabled.txt", []string{"-f", ex, now, "--listener", "default", "--port", "1883", "--username", "test"}, ""},
		{"batch.jsonl", []string{"-f", ex, "--batch", "testdata/explain/cases.jsonl", keys, "--custom-result", "unreachable"}, ""},
		{"batch-stdin.jsonl", []string{"-f", ex, "--batch", "-", keys, now, "--custom-result", "unreachable"},
			`{"cert": "testdata/examples/clients/smart-fan.pem"}` + "\n"},
		{"bad-bundle.txt", []string{"-f", "testdata/explain/broken.yaml", "--cert", ex + "clients/smart-fan.pem"}, ""},
		{"no-authn.txt", []string{"-f", ex + "client-ca.yaml", "--cert", ex + "clients/smart-fan.pem"}, ""},
		{"bad-flags.txt", []string{"-f", ex, "--port", "18883", "--cert", ex + "clients/smart-fan.pem"}, ""},
		{"bad-cert.txt", []string{"-f", ex, "--cert", ex + "authn.yaml"}, ""},
		{"bundle-stdin.txt", []string{"-f", "-", now, "--cert", ex + "clients/smart-fan.pem", "--custom-result", "unreachable"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir("..")
			stdin := tc.stdin
			if tc.name == "bundle-stdin.txt" {
				var all []byte
				for _, f := range []string{"authn.yaml", "client-ca.yaml"} {
					b, err := os.ReadFile(ex + f)
					if err != nil {
						t.Fatal(err)
					}
					all = append(append(all, b...), "---\n"...)
				}
				stdin = string(all)
			}
			var out, errOut bytes.Buffer
			code := Execute(pluginName, append([]string{"explain"}, tc.args...), strings.NewReader(stdin), &out, &errOut)
			got := fmt.Sprintf("$ kubectl aio-authn explain %s\n%s", strings.Join(tc.args, " "), out.String())
			if errOut.Len() > 0 {
				got += "--- stderr\n" + errOut.String()
			}
			got += fmt.Sprintf("--- exit %d\n", code)
			path := filepath.Join("testdata", "explain", "golden", tc.name)
			golden.Check(t, path, []byte(got))
			if strings.Contains(out.String()+errOut.String(), "s3cret") {
				t.Error("the output shows the password")
			}
		})
	}
}
