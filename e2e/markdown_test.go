package e2e

import (
	"bufio"
	"fmt"
	"strings"
)

// fencedBlock is one ``` block of a Markdown page.
type fencedBlock struct {
	// section is the text of the heading the block is under ("Install").
	section string
	// lang is the info string after the opening fence ("console", "yaml").
	lang string
	// line is the page's line number of the block's first line of content.
	line  int
	lines []string
}

func (b fencedBlock) text() string { return strings.Join(b.lines, "\n") + "\n" }

// fencedBlocks returns the fenced code blocks of a Markdown page in order.
func fencedBlocks(file string, data []byte) ([]fencedBlock, error) {
	var blocks []fencedBlock
	var cur *fencedBlock
	section := ""
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur != nil && strings.HasPrefix(trimmed, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, line)
		case strings.HasPrefix(trimmed, "```"):
			cur = &fencedBlock{section: section, lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```")), line: n + 1}
		case strings.HasPrefix(line, "#"):
			section = strings.TrimSpace(strings.TrimLeft(line, "#"))
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: unterminated ``` block starting at line %d", file, cur.line-1)
	}
	return blocks, sc.Err()
}

// sectionBlocks returns the blocks of lang under the heading section.
func sectionBlocks(blocks []fencedBlock, section, lang string) []fencedBlock {
	var out []fencedBlock
	for _, b := range blocks {
		if b.section == section && b.lang == lang {
			out = append(out, b)
		}
	}
	return out
}
