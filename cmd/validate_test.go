package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runValidate(t *testing.T, stdin string, args ...string) cmdResult {
	t.Helper()
	return runCmd(t, stdin, append([]string{"validate"}, args...)...)
}

func example(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata", "validate"}, parts...)...)
}

func TestValidateExitCodesAndStreams(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		stdout   string // substring; "" means empty
		stderr   string // substring
		noStdout bool
	}{
		{name: "clean", args: []string{example("good")}, code: 0, noStdout: true,
			stderr: "1 file, 3 documents, 3 resources: 0 errors, 0 warnings, 0 infos"},
		{name: "errors", args: []string{example("bad", "method-spelling.yaml")}, code: 1,
			stdout: `method-spelling.yaml:13:13: error: unknown method "X590" (method-enum)`, stderr: "1 error"},
		{name: "warnings only pass", args: []string{"-"}, code: 0,
			stdin:  "apiVersion: mqttbroker.iotoperations.azure.com/v1\nkind: BrokerListener\nmetadata:\n  name: open\nspec:\n  ports:\n  - port: 1883\n",
			stdout: "<stdin>:7:11: warning: port 1883 has no authenticationRef", stderr: "1 warning"},
		{name: "strict fails on warnings", args: []string{"--strict", "-"}, code: 1,
			stdin:  "apiVersion: mqttbroker.iotoperations.azure.com/v1\nkind: BrokerListener\nmetadata:\n  name: open\nspec:\n  ports:\n  - port: 1883\n",
			stdout: "<stdin>:7:11: error: port 1883 has no authenticationRef", stderr: "1 error, 0 warnings"},
		{name: "broken YAML is a finding", args: []string{example("bad", "broken.yaml")}, code: 1,
			stdout: "broken.yaml:10:1: error: YAML syntax error"},
		{name: "missing path", args: []string{example("nope.yaml")}, code: 2, noStdout: true,
			stderr: "nope.yaml: no such file or directory"},
		{name: "unknown format", args: []string{"-o", "yaml", example("good")}, code: 2, noStdout: true,
			stderr: `invalid argument "yaml" for "-o, --output" flag: want one of text, json, sarif, junit`},
		{name: "bad --now", args: []string{"--now", "yesterday", example("good")}, code: 2, noStdout: true,
			stderr: `invalid argument "yesterday" for "--now" flag: want an RFC 3339 time such as 2026-01-02T15:04:05Z`},
		{name: "no path", args: nil, code: 2, noStdout: true, stderr: "requires at least 1 arg"},
		{name: "apiserver engine", args: []string{"--schema-engine", "apiserver", example("bad", "method-spelling.yaml")}, code: 1,
			stdout: `method-spelling.yaml:13:13: error: unknown method "X590" (method-enum)`, stderr: "1 error"},
		{name: "unknown engine", args: []string{"--schema-engine", "cel", example("good")}, code: 2, noStdout: true,
			stderr: `--schema-engine "cel": give fast or apiserver`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runValidate(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.noStdout && r.stdout != "" {
				t.Errorf("stdout should be empty:\n%s", r.stdout)
			}
			if tt.stdout != "" && !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
			if tt.code == 2 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
				t.Errorf("an input error is one line (plus a help pointer):\n%s", r.stderr)
			}
		})
	}
}

func TestValidateMachineFormats(t *testing.T) {
	for _, format := range []string{"json", "sarif"} {
		r := runValidate(t, "", "-o", format, "--now", "2026-06-01T00:00:00Z", example("bad"))
		if r.code != 1 || r.stderr != "" {
			t.Fatalf("-o %s: exit %d, stderr %q", format, r.code, r.stderr)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("-o %s is not JSON: %v", format, err)
		}
	}
	r := runValidate(t, "", "-o", "json", "--now", "2026-06-01T00:00:00Z", example("bad", "ca-bundle.yaml"))
	var res struct {
		Summary  map[string]int `json:"summary"`
		Findings []map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Summary["errors"] != 1 || res.Summary["warnings"] != 3 || len(res.Findings) != 4 {
		t.Errorf("summary %v, %d findings", res.Summary, len(res.Findings))
	}
	for _, key := range []string{"file", "line", "column", "document", "kind", "name", "field", "severity", "rule", "message", "hint"} {
		if _, ok := res.Findings[0][key]; !ok {
			t.Errorf("finding lacks %q: %v", key, res.Findings[0])
		}
	}
	// --warn-within moves the horizon of the expiry warning (19 days away).
	r = runValidate(t, "", "-o", "json", "--now", "2026-06-01T00:00:00Z", "--warn-within", "240h", example("bad", "ca-bundle.yaml"))
	if strings.Contains(r.stdout, "ca-expiring") {
		t.Errorf("--warn-within 240h still warns about a certificate 19 days from expiry")
	}
}

func TestValidateReadsDirectoriesAndStdinTogether(t *testing.T) {
	dir := t.TempDir()
	authn := "apiVersion: mqttbroker.iotoperations.azure.com/v1\nkind: BrokerAuthentication\nmetadata:\n  name: devices\nspec:\n  authenticationMethods:\n  - method: ServiceAccountToken\n    serviceAccountTokenSettings:\n      audiences: [aio-internal]\n"
	if err := os.WriteFile(filepath.Join(dir, "authn.yaml"), []byte(authn), 0o644); err != nil {
		t.Fatal(err)
	}
	listener := "apiVersion: mqttbroker.iotoperations.azure.com/v1\nkind: BrokerListener\nmetadata:\n  name: devices\nspec:\n  ports:\n  - port: 8883\n    authenticationRef: devices\n    tls: {mode: Automatic}\n"
	r := runValidate(t, listener, dir, "-")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("the listener on stdin should find the authn in the directory: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "2 files, 2 documents, 2 resources") {
		t.Errorf("summary: %s", r.stderr)
	}
}
