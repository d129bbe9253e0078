package lint

import (
	"regexp"
	"strings"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// tomlLine matches a whole line written as a TOML assignment.
var tomlLine = regexp.MustCompile(`^(\s*)([A-Za-z_][\w.-]*)\s*=\s*(.+?)\s*$`)

// syntaxFinding reports the YAML syntax error that stopped reading a file,
// after documents good documents, found in src. When the lines around it
// are TOML assignments (a published X.509 example writes `subject = "..."`),
// the hint shows the YAML form.
func syntaxFinding(e *manifest.SyntaxError, documents int, src *text) Finding {
	fd := Finding{
		File: e.File, Line: max(e.Line, 1), Column: max(e.Column, 1), Document: documents,
		Severity: SeverityError, Rule: RuleYAMLSyntax, Message: "YAML syntax error: " + e.Msg,
		Hint:    "fix the YAML here; the documents after it were not checked",
		rejects: true,
	}
	if hint, line, col := tomlAround(src, fd.Line); hint != "" {
		fd.Rule, fd.Line, fd.Column = RuleTOMLSyntax, line, col
		fd.Message = "TOML `key = value` syntax inside YAML: " + e.Msg
		fd.Hint = hint
	}
	return fd
}

// tomlAround looks for TOML assignments within a few lines of the error and
// returns a hint rewriting them as YAML, with the first one's position.
func tomlAround(src *text, line int) (hint string, at, col int) {
	// lines are the file's lines from lo, around the error.
	lo := max(line-3, 1)
	var lines []string
	for n := lo; n <= line+2; n++ {
		if l, ok := src.line(n); ok {
			lines = append(lines, l)
		} else if n >= line {
			break
		} else {
			lo = n + 1
		}
	}
	first, last := -1, -1
	for i := range lines {
		if tomlLine.MatchString(lines[i]) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return "", 0, 0
	}
	// Rewrite the span from the first to the last assignment, keeping the
	// YAML lines between them as they are.
	var out []string
	base := -1
	for i := first; i <= last; i++ {
		l := strings.TrimRight(lines[i], " \t\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if m := tomlLine.FindStringSubmatch(l); m != nil {
			l = m[1] + renderYAML(mapNode(m[2], strings.Trim(m[3], `"'`)))
		}
		if ind := len(l) - len(strings.TrimLeft(l, " ")); base < 0 || ind < base {
			base = ind
		}
		out = append(out, l)
	}
	for i, l := range out {
		out[i] = "  " + l[min(base, len(l)):]
	}
	m := tomlLine.FindStringSubmatch(lines[first])
	return "YAML writes `key: value`:\n" + strings.Join(out, "\n"), lo + first, len(m[1]) + 1
}
