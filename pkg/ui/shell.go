package ui

import "strings"

// ShellQuote quotes s for a POSIX shell when it needs it, so that a command
// printed for the operator to paste (a file name in a hint) runs as
// printed: words of letters, digits and -_./=:@+, stay as they are,
// anything else goes in single quotes.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
