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

// NewReporter returns the reporter for format. styles colour the text
// format (pass ui.NewStyles(w) so colour appears only on a terminal);
// version names the tool in SARIF.
func NewReporter(format string, styles *ui.Styles, version string) (Reporter, error) {
	switch format {
	case "", "text":
		if styles == nil {
			styles = ui.PlainStyles()
		}
		return &TextReporter{Styles: styles}, nil
	case "json":
		return JSONReporter{}, nil
	case "sarif":
		return SARIFReporter{Version: version}, nil
	case "junit":
		return JUnitReporter{}, nil
	}
	return nil, fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
}
