package lint

import (
	"fmt"
	"io"
	"strings"

	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// Reporter writes a Result in one output format. Like kubeconform's
// outputs, there is one implementation per format; unlike them, a reporter
// gets the whole result at once, because findings are sorted across files.
type Reporter interface {
	Report(w io.Writer, r *Result) error
}

// Formats are the output formats, for flag help and completion.
var Formats = []string{"text", "json", "sarif", "junit"}

// ReportOptions tune a reporter for the command whose result it writes.
// The zero value reports for validate, without colour.
type ReportOptions struct {
	// Styles colour the text format: pass ui.NewStyles(w) so that colour
	// appears only on a terminal. Nil means no colour.
	Styles *ui.Styles
	// Version is the tool version recorded in SARIF.
	Version string
	// Command is the kubectl aio-authn command the result comes from
	// ("audit"), which names the JUnit report; empty means validate.
	Command string
	// DocsURL is where SARIF viewers send readers of the rules; empty means
	// the validate guide.
	DocsURL string
	// ExtraRules describe the rules of findings the caller adds to Lint's
	// (audit's own), so that SARIF lists them and points their results at
	// them. A rule whose ID Rules already has is listed once.
	ExtraRules []Rule
}

// NewReporter returns the reporter for format.
func NewReporter(format string, opts ReportOptions) (Reporter, error) {
	switch format {
	case "", "text":
		styles := opts.Styles
		if styles == nil {
			styles = ui.PlainStyles()
		}
		return &TextReporter{Styles: styles}, nil
	case "json":
		return JSONReporter{}, nil
	case "sarif":
		return SARIFReporter{Version: opts.Version, InformationURI: opts.DocsURL, ExtraRules: opts.ExtraRules}, nil
	case "junit":
		return JUnitReporter{Command: opts.Command}, nil
	}
	return nil, fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
}
