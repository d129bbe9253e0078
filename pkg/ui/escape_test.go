package ui

import "testing"

func TestEscape(t *testing.T) {
	tests := []struct{ in, want, lines string }{
		{"plain text, ünïcode 设备", "plain text, ünïcode 设备", "plain text, ünïcode 设备"},
		{"red \x1b[31mALERT\x1b[0m", `red \x1b[31mALERT\x1b[0m`, `red \x1b[31mALERT\x1b[0m`},
		{"two\nlines\r\n", `two\x0alines\x0d\x0a`, "two\nlines\\x0d\n"},
		{"tab\tkept", "tab\tkept", "tab\tkept"},
		{"bell\a del\x7f", `bell\x07 del\x7f`, `bell\x07 del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`, `c1 \u009b31m`},
		{"evil\u202etxt.exe", `evil\u202etxt.exe`, `evil\u202etxt.exe`},
		{"bad \xff utf8", `bad \xff utf8`, `bad \xff utf8`},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := EscapeLines(tt.in); got != tt.lines {
			t.Errorf("EscapeLines(%q) = %q, want %q", tt.in, got, tt.lines)
		}
	}
}

func TestEscapeAllocatesNothingForPlainText(t *testing.T) {
	s := "CN = smart-fan, O = Contoso, C = US"
	if n := testing.AllocsPerRun(100, func() { _ = Escape(s) }); n != 0 {
		t.Errorf("Escape allocated %v times for text with nothing to escape", n)
	}
}
