// Package ui decides how output looks: colour and symbols only when writing to
// a terminal, never when NO_COLOR is set, and plain text everywhere else so that
// pipes, files and CI logs stay clean.
package ui

import (
	"io"
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// ColorEnabled reports whether output to w may be coloured: w is a terminal and
// NO_COLOR is unset (https://no-color.org).
func ColorEnabled(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	return IsTerminal(w)
}

// Styles are the few styles the commands use. The zero-colour variant renders
// text unchanged, so callers never branch on whether colour is on.
type Styles struct {
	Color   bool
	Error   lipgloss.Style
	Warning lipgloss.Style
	Info    lipgloss.Style
	Success lipgloss.Style
	Faint   lipgloss.Style
	Bold    lipgloss.Style
	Code    lipgloss.Style
}

// NewStyles returns styles for writing to w.
func NewStyles(w io.Writer) *Styles {
	return newStyles(w, ColorEnabled(w))
}

// PlainStyles returns styles that render text unchanged.
func PlainStyles() *Styles { return newStyles(io.Discard, false) }

func newStyles(w io.Writer, color bool) *Styles {
	r := lipgloss.NewRenderer(w)
	if color {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return &Styles{
		Color:   color,
		Error:   r.NewStyle().Foreground(lipgloss.Color("9")).Bold(true),
		Warning: r.NewStyle().Foreground(lipgloss.Color("11")),
		Info:    r.NewStyle().Foreground(lipgloss.Color("12")),
		Success: r.NewStyle().Foreground(lipgloss.Color("10")).Bold(true),
		Faint:   r.NewStyle().Faint(true),
		Bold:    r.NewStyle().Bold(true),
		Code:    r.NewStyle().Foreground(lipgloss.Color("14")),
	}
}
