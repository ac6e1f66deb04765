package ruleengine

import (
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
)

// template is a parsed output string: literal text and attribute references, alternating.
type template struct {
	lit   []string // len(refs)+1 literal pieces
	refs  []string // attribute names
	sizeH int      // literal length, to size the builder
}

// templateError is a malformed reference in an output template, at byte offset off.
type templateError struct {
	off int
	msg string
}

func (e *templateError) Error() string { return e.msg }

// parseTemplate splits "%attr.name" and "%{attr.name}" references out of an output string.
// A reference is the longest run of [A-Za-z0-9_.] after %, minus trailing dots (so "%file.path."
// at the end of a sentence works). "%%" is a literal %. A "%{" must hold an attribute name and
// be closed by "}".
func parseTemplate(s string) (template, error) {
	var t template
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' || i+1 >= len(s) {
			lit.WriteByte(c)
			continue
		}
		if s[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		if s[i+1] == '{' {
			end := i + 2
			for end < len(s) && isRefChar(s[end]) {
				end++
			}
			switch {
			case end == len(s) || (s[end] != '}' && !strings.Contains(s[end:], "}")):
				return t, &templateError{off: i, msg: "unterminated %{ (no closing })"}
			case s[end] != '}':
				close := end + strings.IndexByte(s[end:], '}')
				return t, &templateError{off: i, msg: fmt.Sprintf("%%{...} holds %q, not an attribute name", s[i+2:close])}
			case end == i+2:
				return t, &templateError{off: i, msg: "empty %{}"}
			}
			t.lit = append(t.lit, lit.String())
			t.refs = append(t.refs, s[i+2:end])
			lit.Reset()
			i = end
			continue
		}
		j := i + 1
		for j < len(s) && isRefChar(s[j]) {
			j++
		}
		for j > i+1 && s[j-1] == '.' {
			j--
		}
		if j == i+1 {
			lit.WriteByte(c)
			continue
		}
		t.lit = append(t.lit, lit.String())
		t.refs = append(t.refs, s[i+1:j])
		lit.Reset()
		i = j - 1
	}
	t.lit = append(t.lit, lit.String())
	for _, l := range t.lit {
		t.sizeH += len(l)
	}
	return t, nil
}

func isRefChar(c byte) bool {
	return c == '_' || c == '.' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

func (t template) render(res pcommon.Map, lr plog.LogRecord) string {
	if len(t.refs) == 0 {
		return t.lit[0]
	}
	var b strings.Builder
	b.Grow(t.sizeH + 16*len(t.refs))
	attrs := lr.Attributes()
	for i, name := range t.refs {
		b.WriteString(t.lit[i])
		if name == EventNameAttr {
			if n := logview.EventName(lr); n != "" {
				b.WriteString(n)
			} else {
				b.WriteString("<NA>")
			}
			continue
		}
		v, ok := logview.Attr(attrs, res, name)
		if !ok && name == BodyIdent {
			v, ok = lr.Body(), lr.Body().Type() != pcommon.ValueTypeEmpty
		}
		if !ok {
			b.WriteString("<NA>")
			continue
		}
		writeValue(&b, v)
	}
	b.WriteString(t.lit[len(t.refs)])
	return b.String()
}

// writeValue renders a value for humans: lists as comma-separated elements (Falco renders
// proc.aname-style lists that way), scalars as they are.
func writeValue(b *strings.Builder, v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		b.WriteString(v.Str())
	case pcommon.ValueTypeInt:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case pcommon.ValueTypeSlice:
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, sl.At(i))
		}
	default:
		b.WriteString(v.AsString())
	}
}
