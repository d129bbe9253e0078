package cmd

import (
	"fmt"
	"io"
	"strings"
)

// progressBar draws one self-overwriting line on a terminal. Commands create
// it only when stderr is a terminal, so logs and pipes never see it.
type progressBar struct {
	w     io.Writer
	label string
	shown int // last percentage drawn, to redraw at most 100 times
}

func newProgressBar(w io.Writer, label string) *progressBar {
	return &progressBar{w: w, label: label, shown: -1}
}

// update draws done of total; it is a no-op on a nil bar.
func (b *progressBar) update(done, total int) {
	if b == nil || total <= 0 {
		return
	}
	pct := done * 100 / total
	if pct == b.shown && done != total {
		return
	}
	b.shown = pct
	fmt.Fprintf(b.w, "\r%s", progressLine(b.label, done, total, 30))
}

// finish clears the line so what follows starts clean; no-op on a nil bar.
func (b *progressBar) finish() {
	if b == nil || b.shown < 0 {
		return
	}
	fmt.Fprint(b.w, "\r\033[K")
}

// progressLine renders "label [=====>    ] done/total".
func progressLine(label string, done, total, width int) string {
	filled := done * width / total
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	return fmt.Sprintf("%s [%s] %d/%d", label, bar, done, total)
}
