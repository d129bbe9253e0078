package audit

import (
	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// auditDocs is where SARIF viewers send readers of a rule.
const auditDocs = "https://github.com/aio-authn/kubectl-aio-authn/blob/main/docs/audit.md"

// NewReporter returns validate's reporter for format (text, json, sarif,
// junit), told that it reports an audit: the SARIF driver also lists the
// audit's own rules (so their results point at them) and links the audit
// guide, and the JUnit report is named after audit.
func NewReporter(format string, styles *ui.Styles, version string) (lint.Reporter, error) {
	return lint.NewReporter(format, lint.ReportOptions{
		Styles: styles, Version: version,
		Command: "audit", DocsURL: auditDocs, ExtraRules: Rules,
	})
}
