package explain

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// The marks of the trace, one per step result.
const (
	markGranted       = "✓"
	markDenied        = "✗"
	markNotRelevant   = "–"
	markNotEvaluated  = "·"
	markIndeterminate = "?"
)

// WriteText writes the trace an operator reads: what was explained, one line
// per method with its mark, the checks of the deciding method, the warnings,
// and the verdict with the CONNACK code last. What came from outside (names,
// subjects, claims, a custom auth server's answer) is escaped for the
// terminal.
func WriteText(w io.Writer, d *authn.Decision, t Target, st *ui.Styles) error {
	var b strings.Builder
	if h := heading(t); h != "" {
		b.WriteString(st.Bold.Render(ui.Escape(h)) + "\n")
	}
	width := 0
	for _, s := range d.Steps {
		width = max(width, len(s.Method))
	}
	for _, s := range d.Steps {
		mark, style := markOf(s.Result, st)
		fmt.Fprintf(&b, "  %s %d %-*s  %s\n", style.Render(mark), s.Index, width, s.Method, ui.Escape(stepText(s)))
		if d.MethodIndex == nil || *d.MethodIndex != s.Index {
			continue
		}
		nameWidth := 0
		for _, c := range s.Checks {
			nameWidth = max(nameWidth, len(c.Name))
		}
		for _, c := range s.Checks {
			mark, style := markGranted, st.Success
			switch {
			case c.Skipped:
				mark, style = markNotRelevant, st.Faint
			case !c.OK:
				mark, style = markDenied, st.Error
			}
			fmt.Fprintf(&b, "      %s %-*s  %s\n", style.Render(mark), nameWidth, c.Name, ui.Escape(c.Detail))
		}
	}
	for _, warning := range d.Warnings {
		b.WriteString(st.Warning.Render("warning:") + " " + ui.Escape(warning) + "\n")
	}
	b.WriteString(verdict(d, st) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Heading names what a decision is about, as the trace's first line does:
// the BrokerAuthentication (and listener port), "" when nothing is known.
func Heading(t Target) string { return heading(t) }

// Verdict is the trace's last line: the decision, the entry that made it
// and the CONNACK code.
func Verdict(d *authn.Decision, st *ui.Styles) string { return verdict(d, st) }

func heading(t Target) string {
	var parts []string
	if t.Authentication != nil {
		parts = append(parts, fmt.Sprintf("BrokerAuthentication %s (%s)", t.Authentication.Name, t.Authentication.Position))
	}
	if p := t.Port; p != nil {
		tls := "TLS"
		if !p.TLS() {
			tls = "no TLS"
		}
		parts = append(parts, fmt.Sprintf("BrokerListener %s port %d (%s)", p.Listener.Name, p.Port.Port, tls))
	}
	return strings.Join(parts, ", ")
}

func markOf(r authn.Result, st *ui.Styles) (string, lipgloss.Style) {
	switch r {
	case authn.Granted:
		return markGranted, st.Success
	case authn.Denied:
		return markDenied, st.Error
	case authn.Indeterminate:
		return markIndeterminate, st.Warning
	case authn.NotEvaluated:
		return markNotEvaluated, st.Faint
	}
	return markNotRelevant, st.Faint
}

func stepText(s authn.Step) string {
	switch s.Result {
	case authn.NotEvaluated:
		return "not evaluated"
	case authn.NotRelevant:
		return "not relevant: " + s.Reason
	}
	return string(s.Result) + ": " + s.Reason
}

func verdict(d *authn.Decision, st *ui.Styles) string {
	var s string
	switch {
	case d.Method == nil && d.Decision == authn.Granted:
		s = "granted: authentication is disabled on this port"
	case d.Method == nil:
		s = "denied: no method is relevant to these credentials"
	case d.Decision == authn.Indeterminate:
		s = fmt.Sprintf("indeterminate: %s (entry %d) cannot decide", *d.Method, *d.MethodIndex)
	default:
		s = fmt.Sprintf("%s by %s (entry %d)", d.Decision, *d.Method, *d.MethodIndex)
	}
	if d.Decision == authn.Granted && d.Method != nil {
		if d.Username != nil {
			s += fmt.Sprintf(" as %q", *d.Username)
		}
		s += "; attributes " + authn.FormatAttributes(d.Attributes, "none")
		if d.ExpiresAt != nil {
			s += "; expires " + d.ExpiresAt.UTC().Format(time.RFC3339)
		} else {
			s += "; no expiry"
		}
	}
	style := st.Error
	switch d.Decision {
	case authn.Granted:
		style = st.Success
	case authn.Indeterminate:
		style = st.Warning
	}
	s = ui.Escape(s)
	if d.Connack == nil {
		return style.Render(s) + " (exit 3: no CONNACK known)"
	}
	return style.Render(s) + fmt.Sprintf(" — CONNACK %s %s", d.Connack.Hex(), ui.Escape(d.Connack.Name))
}
