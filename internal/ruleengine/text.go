package ruleengine

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// text is a piece of rule source (a condition or a value) with where it came from, so errors
// found later (in CEL, in a macro expanded elsewhere) point at the right file line and column.
type text struct {
	s      string
	file   string
	line   int // line of the scalar's first character (1-based)
	col    int // column of the scalar's first character (1-based)
	style  yaml.Style
	rawSrc []string // the file's lines, to map offsets inside multi-line scalars
}

// pos maps a 1-based line and 0-based column inside s (as CEL reports them) onto the file.
// It walks the scalar's source lines, following YAML's folding rules for each style: literal
// blocks keep every line, folded blocks and plain or quoted scalars join lines with a space
// (except around blank or, in folded blocks, more-indented lines). Column 0 means unknown.
func (t text) pos(line, col int) (int, int) {
	block := t.style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	quoted := t.style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	first := t.line - 1 // index of the first content line in rawSrc
	if block {
		first = t.line // the line after the `|` or `>` indicator
	}
	if first < 0 || first >= len(t.rawSrc) {
		return t.line, 0
	}
	blockIndent := 0
	if block {
		for i := first; i < len(t.rawSrc); i++ {
			if strings.TrimSpace(t.rawSrc[i]) != "" {
				blockIndent = len(t.rawSrc[i]) - len(strings.TrimLeft(t.rawSrc[i], " "))
				break
			}
		}
	}
	target := line - 1
	vi, off := 0, 0
	blanks := 0
	prevMore := false
	started := false
	for i := first; i < len(t.rawSrc); i++ {
		raw := strings.TrimRight(t.rawSrc[i], " \t\r")
		var content string
		start := 0
		switch {
		case !block && i == first:
			start = t.col - 1
			if quoted {
				start++
			}
			if start > len(raw) {
				return t.line, 0
			}
			content = raw[start:]
		case block:
			if len(raw) < blockIndent {
				if strings.TrimSpace(raw) == "" {
					blanks++
					continue
				}
				return t.line, 0 // dedented: the scalar ended
			}
			start = blockIndent
			content = raw[start:]
		default:
			trimmed := strings.TrimLeft(raw, " \t")
			start = len(raw) - len(trimmed)
			content = trimmed
		}
		if content == "" {
			blanks++
			continue
		}
		more := t.style&yaml.FoldedStyle != 0 && (content[0] == ' ' || content[0] == '\t')
		if started {
			switch {
			case t.style&yaml.LiteralStyle != 0:
				vi += 1 + blanks
				off = 0
			case blanks > 0:
				vi += blanks
				off = 0
			case more || prevMore:
				vi++
				off = 0
			default:
				off++ // the folded line break became a space
			}
		}
		started, blanks, prevMore = true, 0, more
		if vi > target {
			break
		}
		if vi == target && col >= off && col <= off+len(content) {
			return i + 1, start + (col - off) + 1
		}
		off += len(content)
	}
	return t.line, 0
}
