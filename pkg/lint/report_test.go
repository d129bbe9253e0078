package lint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestLocation(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{File: "a.yaml", Line: 3, Column: 5}, "a.yaml:3:5"},
		{Finding{File: "a.yaml", Line: 3}, "a.yaml:3"},
		{Finding{File: "ns/pod/x"}, "ns/pod/x"},
	}
	for _, tt := range tests {
		if got := tt.f.Location(); got != tt.want {
			t.Errorf("Location(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

// TestReportOptions checks what a caller that adds findings of its own
// rules (audit) gets: SARIF lists each rule once and points every result at
// its rule, a finding without a line has no region, JUnit carries the
// command's name.
func TestReportOptions(t *testing.T) {
	extra := []Rule{
		{ID: "extra-rule", Severity: SeverityInfo, Summary: "An extra rule.", Help: "Listed after validate's."},
		{ID: RuleNoAuthn, Severity: SeverityWarning, Summary: "Listed already.", Help: "Not listed twice."},
	}
	res := &Result{Files: []string{"a.yaml"}, Findings: []Finding{
		{File: "a.yaml", Line: 2, Column: 3, Severity: SeverityInfo, Rule: "extra-rule", Message: "m1"},
		{File: "a.yaml", Severity: SeverityWarning, Rule: RuleNoAuthn, Message: "m2"},
		{File: "a.yaml", Line: 4, Severity: SeverityError, Rule: "unlisted", Message: "m3"},
	}}
	opts := ReportOptions{Version: "v9", Command: "audit", DocsURL: "https://example.com/audit.md", ExtraRules: extra}

	r, err := NewReporter("sarif", opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Report(&buf, res); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Version, InformationURI string
					Rules                   []struct{ ID, Name string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex *int
				Locations []struct {
					PhysicalLocation struct {
						Region *struct{ StartLine, StartColumn *int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Version != "v9" || d.InformationURI != opts.DocsURL {
		t.Errorf("driver version %q uri %q", d.Version, d.InformationURI)
	}
	if len(d.Rules) != len(Rules)+1 || d.Rules[len(Rules)].ID != "extra-rule" || d.Rules[len(Rules)].Name != "ExtraRule" {
		t.Errorf("%d rules (want %d), last %+v", len(d.Rules), len(Rules)+1, d.Rules[len(d.Rules)-1])
	}
	for i, res := range run.Results[:2] {
		if res.RuleIndex == nil || d.Rules[*res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d (%s) points at rule index %v", i, res.RuleID, res.RuleIndex)
		}
	}
	if run.Results[2].RuleIndex != nil {
		t.Errorf("a result of an unlisted rule has ruleIndex %d", *run.Results[2].RuleIndex)
	}
	regions := []string{}
	for _, res := range run.Results {
		rg := res.Locations[0].PhysicalLocation.Region
		switch {
		case rg == nil:
			regions = append(regions, "none")
		case rg.StartColumn == nil:
			regions = append(regions, "line")
		default:
			regions = append(regions, "line+column")
		}
	}
	if got := strings.Join(regions, ","); got != "line+column,none,line" {
		t.Errorf("regions %s, want line+column,none,line", got)
	}

	r, err = NewReporter("junit", opts)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := r.Report(&buf, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<testsuites name="kubectl aio-authn audit"`) || strings.Contains(buf.String(), ":0") {
		t.Errorf("junit report:\n%s", buf.String())
	}
	r, _ = NewReporter("junit", ReportOptions{})
	buf.Reset()
	_ = r.Report(&buf, res)
	if !strings.Contains(buf.String(), `<testsuites name="kubectl aio-authn validate"`) {
		t.Errorf("junit report without a command:\n%s", buf.String())
	}
}

func TestResettle(t *testing.T) {
	r := &Result{Findings: []Finding{
		{File: "b.yaml", Line: 1, Column: 1, Severity: SeverityInfo, Rule: "x"},
		{File: "a.yaml", Line: 2, Column: 1, Severity: SeverityWarning, Rule: "x"},
		{File: "a.yaml", Line: 2, Column: 1, Severity: SeverityError, Rule: "y"},
	}}
	r.Resettle()
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Location()+" "+string(f.Severity))
	}
	if strings.Join(got, ", ") != "a.yaml:2:1 error, a.yaml:2:1 warning, b.yaml:1:1 info" {
		t.Errorf("order: %s", strings.Join(got, ", "))
	}
	if s := r.Summary; s.Errors != 1 || s.Warnings != 1 || s.Infos != 1 {
		t.Errorf("summary %+v", s)
	}
}

// TestJSONReportEncodesTheWholeResult checks that the JSON report, written
// a finding at a time and a batch per core, is what encoding the summary
// and findings at once writes: for no findings, one, and around and far
// past a batch.
func TestJSONReportEncodesTheWholeResult(t *testing.T) {
	for _, n := range []int{-1, 0, 1, findingBatch - 1, findingBatch, findingBatch + 1, 9*findingBatch + 7} {
		res := &Result{Summary: Summary{Files: 1, Documents: max(n, 0)}}
		if n >= 0 {
			res.Findings = []Finding{}
		}
		for i := range max(n, 0) {
			res.Findings = append(res.Findings, Finding{
				File: "a.yaml", Line: i + 1, Column: 1 + i%7, Document: i, Kind: "BrokerListener", Name: fmt.Sprintf("l-%d", i),
				Field: fmt.Sprintf("spec.ports[%d].port", i%3), Severity: SeverityError, Rule: RuleDuplicatePort,
				Message: fmt.Sprintf("port %d <is> & \"was\" used\u2028by l-%d", i, i-1), Hint: "pick\nanother",
			})
		}
		want, err := json.MarshalIndent(struct {
			Summary  Summary   `json:"summary"`
			Findings []Finding `json:"findings"`
		}{res.Summary, res.Findings}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := (JSONReporter{}).Report(&got, res); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want)+"\n" {
			t.Errorf("%d findings: the report differs from encoding the result at once:\n%s\nwant:\n%s", n, got.String(), want)
		}
	}
}
