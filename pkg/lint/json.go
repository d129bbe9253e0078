package lint

import (
	"bufio"
	"encoding/json"
	"io"
)

// JSONReporter writes the Result as the JSON document of docs/contracts.md:
// {"summary": {...}, "findings": [...]}, indented, every finding with all
// its fields (empty strings where a field does not apply).
type JSONReporter struct{}

// Report writes the JSON document, a finding at a time: what encoding the
// whole Result at once would write, without holding all of it in memory.
func (JSONReporter) Report(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	summary, err := json.MarshalIndent(r.Summary, "  ", "  ")
	if err != nil {
		return err
	}
	bw.WriteString("{\n  \"summary\": ")
	bw.Write(summary)
	bw.WriteString(",\n  \"findings\": ")
	switch {
	case r.Findings == nil:
		bw.WriteString("null")
	case len(r.Findings) == 0:
		bw.WriteString("[]")
	default:
		bw.WriteString("[")
		for i, f := range r.Findings {
			b, err := json.MarshalIndent(f, "    ", "  ")
			if err != nil {
				return err
			}
			if i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			bw.Write(b)
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
