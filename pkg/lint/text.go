package lint

import (
	"fmt"
	"io"
	"strings"

	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// TextReporter writes one line per finding, `file:line:col: severity:
// message (rule)`, followed by the hint indented under it: the format
// compilers and editors jump to. File names, messages and hints carry what
// the manifests hold, so they are escaped for the terminal.
type TextReporter struct {
	Styles *ui.Styles
}

// hintIndent aligns hint continuation lines under the hint's text.
const hintIndent = "        "

// Report writes the findings.
func (t *TextReporter) Report(w io.Writer, r *Result) error {
	s := t.Styles
	for _, f := range r.Findings {
		sev := string(f.Severity)
		switch f.Severity {
		case SeverityError:
			sev = s.Error.Render(sev)
		case SeverityWarning:
			sev = s.Warning.Render(sev)
		default:
			sev = s.Info.Render(sev)
		}
		if _, err := fmt.Fprintf(w, "%s: %s: %s %s\n", s.Bold.Render(ui.Escape(f.Location())), sev, ui.Escape(f.Message), s.Faint.Render("("+f.Rule+")")); err != nil {
			return err
		}
		if f.Hint == "" {
			continue
		}
		lines := strings.Split(ui.EscapeLines(f.Hint), "\n")
		if _, err := fmt.Fprintf(w, "  %s %s\n", s.Faint.Render("hint:"), lines[0]); err != nil {
			return err
		}
		for _, l := range lines[1:] {
			if _, err := fmt.Fprintf(w, "%s%s\n", hintIndent, s.Code.Render(l)); err != nil {
				return err
			}
		}
	}
	return nil
}

// SummaryLine is the one-line count the text format prints on stderr
// (a notice, not data), e.g. "2 files, 3 documents, 2 resources: 1 error,
// 0 warnings, 1 info".
func SummaryLine(r *Result) string {
	s := r.Summary
	return fmt.Sprintf("%s, %s, %s: %s, %s, %s",
		ui.Plural(s.Files, "file"), ui.Plural(s.Documents, "document"), ui.Plural(s.Resources, "resource"),
		ui.Plural(s.Errors, "error"), ui.Plural(s.Warnings, "warning"), ui.Plural(s.Infos, "info"))
}
