// Package lint checks BrokerAuthentication and BrokerListener manifests the
// way the API server would (schema, through the apiextensions machinery and
// the project's CRDs) and beyond it (semantic and cross-reference rules), and
// reports every problem as a Finding positioned at a file line and column.
//
// Reporters (text, json, sarif, junit) turn a Result into output; the
// command in cmd/validate.go only wires flags to Lint and a Reporter.
package lint

import (
	"fmt"
	"sort"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
)

// Severity is how bad a finding is. Errors fail validation (exit 1);
// warnings do too under --strict; infos never do.
type Severity string

// The severities, from worst to mildest.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	default:
		return 2
	}
}

// Finding is one problem at one place. The JSON field names are the stable
// contract of `validate -o json` (docs/contracts.md).
type Finding struct {
	// File is the path as given on the command line (or found under a
	// directory given), or "<stdin>".
	File string `json:"file"`
	// Line and Column are 1-based and relative to the file.
	Line   int `json:"line"`
	Column int `json:"column"`
	// Document is the index of the document in the file, from 0.
	Document int `json:"document"`
	// Kind and Name identify the resource, when there is one.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Field is the field path the finding is about, as the API server
	// writes it ("spec.authenticationMethods[0].method"); empty for a whole
	// document or file.
	Field    string   `json:"field"`
	Severity Severity `json:"severity"`
	// Rule is the rule ID (see Rules).
	Rule    string `json:"rule"`
	Message string `json:"message"`
	// Hint says how to fix it, often as the corrected YAML; may span lines.
	Hint string `json:"hint"`

	// rejects marks findings that the API server itself would raise, so
	// that the API server would refuse the document (the schema verdict).
	rejects bool
	// hidden findings count for the verdict but are not shown, because a
	// more precise finding says the same thing.
	hidden bool
}

// Location renders file:line:col, file:line for a finding without a
// column, and the file alone for one without a line.
func (f Finding) Location() string {
	switch {
	case f.Line < 1:
		return f.File
	case f.Column < 1:
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)
}

// sortFindings orders findings by file, line, column, then severity and rule
// so that output is stable whatever order the workers finished in.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Severity.rank() != b.Severity.rank() {
			return a.Severity.rank() < b.Severity.rank()
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// Summary counts what was read and found.
type Summary struct {
	// Files read, documents in them (empty ones not counted).
	Files     int `json:"files"`
	Documents int `json:"documents"`
	// Resources checked: broker resources of every API generation, plus
	// the ConfigMaps and Secrets checked because an authn references them.
	Resources int `json:"resources"`
	Errors    int `json:"errors"`
	Warnings  int `json:"warnings"`
	Infos     int `json:"infos"`
}

// Resource is one checked resource, for reporters that list them (JUnit).
type Resource struct {
	File     string `json:"file"`
	Document int    `json:"document"`
	Line     int    `json:"line"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
}

// Result is the outcome of Lint.
type Result struct {
	Summary  Summary   `json:"summary"`
	Findings []Finding `json:"findings"`
	// Files lists the files read, in input order, for reporters that give
	// one section per file.
	Files []string `json:"-"`
	// Resources lists the checked resources in input order.
	Resources []Resource `json:"-"`
	// Notes say what was skipped while walking directories (a FIFO, a
	// dangling link), for standard error.
	Notes []input.Note `json:"-"`
	// rejections are the reasons the API server would refuse documents.
	rejections map[docRef][]string
}

// Failed reports whether the result has errors (after --strict promotion).
func (r *Result) Failed() bool { return r.Summary.Errors > 0 }

// Resettle sorts the findings as Lint does and counts them again, for
// callers that add findings of their own to a Result or drop some (audit).
func (r *Result) Resettle() {
	sortFindings(r.Findings)
	r.count()
}

// count fills the summary's severity counts.
func (r *Result) count() {
	r.Summary.Errors, r.Summary.Warnings, r.Summary.Infos = 0, 0, 0
	for _, f := range r.Findings {
		switch f.Severity {
		case SeverityError:
			r.Summary.Errors++
		case SeverityWarning:
			r.Summary.Warnings++
		default:
			r.Summary.Infos++
		}
	}
}
