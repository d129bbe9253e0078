package lint

import (
	"encoding/json"
	"io"
)

// JSONReporter writes the Result as the JSON document DESIGN.md specifies:
// {"summary": {...}, "findings": [...]}, indented, every finding with all
// its fields (empty strings where a field does not apply).
type JSONReporter struct{}

// Report writes the JSON document.
func (JSONReporter) Report(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
