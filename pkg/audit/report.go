package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// NewReporter returns validate's reporter for format (text, json, sarif,
// junit), adjusted for an audit where validate's own would mislead: the
// SARIF driver also lists the audit's rules (validate's table does not
// know them, so their results would point at another rule), and the JUnit
// report is named after audit.
func NewReporter(format string, styles *ui.Styles, version string) (lint.Reporter, error) {
	r, err := lint.NewReporter(format, styles, version)
	if err != nil {
		return nil, err
	}
	switch format {
	case "sarif":
		return sarifReporter{r}, nil
	case "junit":
		return junitReporter{r}, nil
	}
	return r, nil
}

// auditDocs is where SARIF viewers send readers of a rule.
const auditDocs = "https://github.com/aio-authn/kubectl-aio-authn/blob/main/docs/audit.md"

// The parts of validate's SARIF log the audit amends; everything else is
// carried through as written, in the same field order.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool struct {
		Driver sarifDriver `json:"driver"`
	} `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifDriver struct {
	Name           string            `json:"name"`
	Version        string            `json:"version,omitempty"`
	InformationURI string            `json:"informationUri"`
	Rules          []json.RawMessage `json:"rules"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   json.RawMessage `json:"message"`
	Locations json.RawMessage `json:"locations"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string    `json:"id"`
	Name                 string    `json:"name"`
	ShortDescription     sarifText `json:"shortDescription"`
	FullDescription      sarifText `json:"fullDescription"`
	Help                 sarifText `json:"help"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifReporter struct{ lint lint.Reporter }

func (s sarifReporter) Report(w io.Writer, r *lint.Result) error {
	var buf bytes.Buffer
	if err := s.lint.Report(&buf, r); err != nil {
		return err
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		return fmt.Errorf("amending the SARIF log: %w", err)
	}
	for i := range log.Runs {
		run := &log.Runs[i]
		driver := &run.Tool.Driver
		driver.InformationURI = auditDocs
		index := map[string]int{}
		for j, raw := range driver.Rules {
			var rule struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(raw, &rule); err != nil {
				return fmt.Errorf("amending the SARIF log: %w", err)
			}
			index[rule.ID] = j
		}
		for _, rule := range Rules {
			if _, ok := index[rule.ID]; ok {
				continue
			}
			sr := sarifRule{ID: rule.ID, Name: sarifName(rule.ID),
				ShortDescription: sarifText{rule.Summary}, FullDescription: sarifText{rule.Help},
				Help: sarifText{rule.Summary + " " + rule.Help}}
			sr.DefaultConfiguration.Level = sarifLevel(rule.Severity)
			raw, err := json.Marshal(sr)
			if err != nil {
				return err
			}
			index[rule.ID] = len(driver.Rules)
			driver.Rules = append(driver.Rules, raw)
		}
		for j := range run.Results {
			if k, ok := index[run.Results[j].RuleID]; ok {
				run.Results[j].RuleIndex = k
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// sarifName turns "pod-token-audience" into "PodTokenAudience", as
// validate names its rules in SARIF.
func sarifName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func sarifLevel(s lint.Severity) string {
	switch s {
	case lint.SeverityError:
		return "error"
	case lint.SeverityWarning:
		return "warning"
	}
	return "note"
}

type junitReporter struct{ lint lint.Reporter }

func (j junitReporter) Report(w io.Writer, r *lint.Result) error {
	var buf bytes.Buffer
	if err := j.lint.Report(&buf, r); err != nil {
		return err
	}
	out := bytes.Replace(buf.Bytes(), []byte(`<testsuites name="kubectl aio-authn validate"`), []byte(`<testsuites name="kubectl aio-authn audit"`), 1)
	_, err := w.Write(out)
	return err
}
