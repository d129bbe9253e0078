package lint

import (
	"regexp"
	"strings"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// tomlLine matches a whole line written as a TOML assignment.
var tomlLine = regexp.MustCompile(`^(\s*)([A-Za-z_][\w.-]*)\s*=\s*(.+?)\s*$`)

// syntaxFinding reports the YAML syntax error that stopped reading a file.
// When the lines around it are TOML assignments (a published X.509 example
// writes `subject = "..."`), the hint shows the YAML form.
func syntaxFinding(f *manifest.File, lines []string) Finding {
	e := f.Err
	fd := Finding{
		File: f.Path, Line: max(e.Line, 1), Column: max(e.Column, 1), Document: len(f.Documents),
		Severity: SeverityError, Rule: RuleYAMLSyntax, Message: "YAML syntax error: " + e.Msg,
		Hint:    "fix the YAML here; the documents after it were not checked",
		rejects: true,
	}
	if hint, line, col := tomlAround(lines, fd.Line); hint != "" {
		fd.Rule, fd.Line, fd.Column = RuleTOMLSyntax, line, col
		fd.Message = "TOML `key = value` syntax inside YAML: " + e.Msg
		fd.Hint = hint
	}
	return fd
}

// tomlAround looks for TOML assignments within a few lines of the error and
// returns a hint rewriting them as YAML, with the first one's position.
func tomlAround(lines []string, line int) (hint string, at, col int) {
	from, to := max(line-4, 0), min(line+2, len(lines))
	first, last := -1, -1
	for i := from; i < to; i++ {
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
	return "YAML writes `key: value`:\n" + strings.Join(out, "\n"), first + 1, len(m[1]) + 1
}
