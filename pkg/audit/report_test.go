package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
)

func TestReportSARIFNamesEveryRule(t *testing.T) {
	// A finding of validate's rules (no-authentication), and of the
	// audit's own (listener-port, pod-token-audience, ref-missing).
	seed := authnSAT + "---" + listenerSAT + "---" + podYAML("legacy", "", "aio-mq") + `---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: open}
spec:
  ports:
  - {port: 1883}
  - {port: 8883, authenticationRef: sat, tls: {mode: Manual, manual: {secretRef: gone}}}
`
	rep, err := Audit(snapshotOf(t, seed), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReporter("sarif", nil, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Report(&buf, rep.Result); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Version, InformationURI string
					Rules                   []struct {
						ID                   string
						DefaultConfiguration struct{ Level string }
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	run := log.Runs[0]
	if run.Tool.Driver.Version != "v1.2.3" || !strings.HasSuffix(run.Tool.Driver.InformationURI, "docs/audit.md") {
		t.Errorf("driver %+v", run.Tool.Driver)
	}
	seen := map[string]int{}
	for _, rule := range run.Tool.Driver.Rules {
		seen[rule.ID]++
	}
	for _, rule := range append(append([]lint.Rule(nil), lint.Rules...), Rules...) {
		if seen[rule.ID] != 1 {
			t.Errorf("rule %s listed %d times, want once", rule.ID, seen[rule.ID])
		}
	}
	rules := map[string]bool{}
	for _, res := range run.Results {
		rules[res.RuleID] = true
		if got := run.Tool.Driver.Rules[res.RuleIndex].ID; got != res.RuleID {
			t.Errorf("result of %s has ruleIndex %d, which is %s", res.RuleID, res.RuleIndex, got)
		}
		if loc := res.Locations[0].PhysicalLocation; !strings.HasPrefix(loc.ArtifactLocation.URI, "ns/") || loc.Region.StartLine < 1 {
			t.Errorf("result of %s at %+v", res.RuleID, loc)
		}
	}
	for _, id := range []string{lint.RuleNoAuthn, RuleListenerPort, RulePodTokenAudience, RuleRefMissing} {
		if !rules[id] {
			t.Errorf("no %s result in:\n%s", id, buf.String())
		}
	}
}

func TestReportJUnitIsNamedAudit(t *testing.T) {
	rep, err := Audit(snapshotOf(t, authnSAT+"---"+listenerSAT), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReporter("junit", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Report(&buf, rep.Result); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<testsuites name="kubectl aio-authn audit"`) || strings.Contains(buf.String(), "validate") {
		t.Errorf("junit report:\n%s", buf.String())
	}
	if _, err := NewReporter("xml", nil, ""); err == nil {
		t.Error("NewReporter accepted format xml")
	}
}
