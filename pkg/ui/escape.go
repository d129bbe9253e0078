package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape makes text that came from outside the program (file names,
// certificate subjects, token claims, a server's answer) safe to print on a
// terminal as one line: control characters (C0 but tab, DEL, C1), the
// Unicode characters that reorder text (bidirectional overrides and
// isolates) and invalid UTF-8 are written as Go escapes (\x1b, \u202e,
// \xff). An escape sequence in a certificate's subject then shows as text
// instead of moving the cursor or recolouring the terminal. Everything else,
// non-ASCII letters included, is unchanged. JSON output needs none of this:
// its encoder escapes control characters already.
func Escape(s string) string { return escape(s, false) }

// EscapeLines is Escape for text of several lines: newlines are kept.
func EscapeLines(s string) string { return escape(s, true) }

func escape(s string, lines bool) string {
	i := 0
	for i < len(s) {
		b := s[i]
		if b >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if unsafeRune(r, size) {
				break
			}
			i += size
			continue
		}
		if unsafeByte(b, lines) {
			break
		}
		i++
	}
	if i == len(s) {
		return s // the common case: nothing to escape, nothing allocated
	}
	var out strings.Builder
	out.Grow(len(s) + 8)
	out.WriteString(s[:i])
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			if unsafeByte(b, lines) {
				fmt.Fprintf(&out, `\x%02x`, b)
			} else {
				out.WriteByte(b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&out, `\x%02x`, b)
		case unsafeRune(r, size):
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			out.WriteString(s[i : i+size])
		}
		i += size
	}
	return out.String()
}

func unsafeByte(b byte, lines bool) bool {
	switch {
	case b == '\t':
		return false
	case b == '\n':
		return !lines
	}
	return b < 0x20 || b == 0x7f
}

func unsafeRune(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true // invalid UTF-8
	case r >= 0x80 && r <= 0x9f:
		return true // C1 controls, CSI (0x9b) among them
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional embeddings, overrides and isolates
	}
	return false
}
