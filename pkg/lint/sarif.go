package lint

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
)

// SARIFReporter writes SARIF 2.1.0, the format code-scanning services read:
// one run whose driver lists the rules (with their help text) and whose
// results point at file regions.
type SARIFReporter struct {
	// Version is the tool version recorded in the driver.
	Version string
	// InformationURI is where viewers send readers of the rules; empty
	// means DocsValidate.
	InformationURI string
	// ExtraRules are listed after Rules (those with an ID Rules has are
	// not listed again).
	ExtraRules []Rule
}

// DocsValidate is the validate guide, the SARIF driver's informationUri.
const DocsValidate = "https://github.com/aio-authn/kubectl-aio-authn/blob/main/docs/validate.md"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifText    `json:"shortDescription"`
	FullDescription      sarifText    `json:"fullDescription"`
	Help                 sarifText    `json:"help"`
	DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
}

type sarifDefault struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID string `json:"ruleId"`
	// RuleIndex is absent for a rule the driver does not list.
	RuleIndex *int            `json:"ruleIndex,omitempty"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	// Region is absent for a finding about a whole file: SARIF lines and
	// columns start at 1.
	Region *sarifRegion `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}

// ruleName turns "settings-block" into "SettingsBlock", SARIF's name style.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// Report writes the SARIF log.
func (s SARIFReporter) Report(w io.Writer, r *Result) error {
	driver := sarifDriver{Name: "kubectl-aio-authn", Version: s.Version, InformationURI: s.InformationURI}
	if driver.InformationURI == "" {
		driver.InformationURI = DocsValidate
	}
	index := map[string]int{}
	for _, rule := range append(append([]Rule(nil), Rules...), s.ExtraRules...) {
		if _, listed := index[rule.ID]; listed {
			continue
		}
		index[rule.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRule{
			ID: rule.ID, Name: ruleName(rule.ID),
			ShortDescription:     sarifText{rule.Summary},
			FullDescription:      sarifText{rule.Help},
			Help:                 sarifText{rule.Summary + " " + rule.Help},
			DefaultConfiguration: sarifDefault{sarifLevel(rule.Severity)},
		})
	}
	results := []sarifResult{}
	for _, f := range r.Findings {
		msg := f.Message
		if f.Hint != "" {
			msg += "\nhint: " + f.Hint
		}
		res := sarifResult{RuleID: f.Rule, Level: sarifLevel(f.Severity), Message: sarifText{msg}}
		if i, ok := index[f.Rule]; ok {
			res.RuleIndex = &i
		}
		loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(f.File)}}
		if f.Line >= 1 {
			loc.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
		}
		res.Locations = []sarifLocation{{PhysicalLocation: loc}}
		results = append(results, res)
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}
