package lint

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// checkInvariants holds for every result: every finding has a file, a
// position from 1, a known rule and a message; findings are sorted; the
// counts add up; every reporter renders it.
func checkInvariants(t *testing.T, res *Result) {
	t.Helper()
	for i, f := range res.Findings {
		if f.File == "" || f.Line < 1 || f.Column < 1 || f.Message == "" {
			t.Fatalf("bad finding %+v", f)
		}
		if _, ok := RuleByID(f.Rule); !ok {
			t.Fatalf("finding with unknown rule %q", f.Rule)
		}
		if i > 0 {
			p := res.Findings[i-1]
			if p.File > f.File || (p.File == f.File && (p.Line > f.Line || (p.Line == f.Line && p.Column > f.Column))) {
				t.Fatalf("findings not sorted: %s after %s", f.Location(), p.Location())
			}
		}
	}
	s := res.Summary
	if s.Errors+s.Warnings+s.Infos != len(res.Findings) {
		t.Fatalf("summary %+v does not count %d findings", s, len(res.Findings))
	}
	for _, format := range Formats {
		r, err := NewReporter(format, ReportOptions{Version: "fuzz"})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := r.Report(&buf, res); err != nil {
			t.Fatalf("%s reporter: %v", format, err)
		}
		switch format {
		case "json", "sarif":
			if !json.Valid(buf.Bytes()) {
				t.Fatalf("%s output is not JSON:\n%s", format, buf.Bytes())
			}
		case "junit":
			if err := xml.Unmarshal(buf.Bytes(), new(junitSuites)); err != nil {
				t.Fatalf("junit output does not parse: %v", err)
			}
		}
	}
}

// FuzzParse feeds arbitrary bytes through the manifest reader into the
// linter: it must never panic, and every finding must point into the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(satAuthn + v1Listener + "  - port: 8883\n    authenticationRef: default\n"))
	f.Add([]byte("a: [1\n"))
	f.Add([]byte(v1Authn + "  - method: X509\n    x509Settings:\n      authorizationAttributes:\n        root:\n          subject = \"CN = x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file := manifest.Parse("fuzz.yaml", data)
		res := Lint([]*manifest.File{file}, Options{Now: testNow})
		checkInvariants(t, res)
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, fd := range res.Findings {
			if fd.File != "fuzz.yaml" || fd.Line > lines {
				t.Fatalf("finding outside the file (%d lines): %+v", lines, fd)
			}
		}
	})
}

// FuzzValidate lints a broker manifest together with a second file that may
// reference it or be referenced (listeners, ConfigMaps, Secrets), so the
// cross-reference rules see arbitrary partners, under --strict or not.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(satAuthn), []byte(v1Listener+"  - port: 8883\n    authenticationRef: default\n"), false)
	f.Add([]byte(v1Authn+"  - method: X509\n    x509Settings: {}\n"),
		[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client-ca\ndata:\n  ca.pem: |\n    -----BEGIN CERTIFICATE-----\n    AAAA\n    -----END CERTIFICATE-----\n"), true)
	f.Add([]byte(v1Authn+"  - method: Custom\n    customSettings:\n      endpoint: https://x\n      auth:\n        x509:\n          secretRef: s\n"),
		[]byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: kubernetes.io/tls\ndata:\n  tls.crt: '!!'\n"), false)
	f.Fuzz(func(t *testing.T, a, b []byte, strict bool) {
		files := []*manifest.File{manifest.Parse("a.yaml", a), manifest.Parse("b.yaml", b)}
		res := Lint(files, Options{Now: testNow, Strict: strict})
		checkInvariants(t, res)
		if strict && res.Summary.Warnings != 0 {
			t.Fatalf("--strict left %d warnings", res.Summary.Warnings)
		}
		for _, fd := range res.Findings {
			if fd.File != "a.yaml" && fd.File != "b.yaml" {
				t.Fatalf("finding in no input file: %+v", fd)
			}
		}
	})
}
