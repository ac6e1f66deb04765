package ruleengine

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yaml.v3 reports a syntax error at the line where the construct around the problem starts,
// and for parser errors that line is 0-based: one too low, or several. It names no line for
// invalid UTF-8. yamlError finds the problem's line again.

var yamlLineRE = regexp.MustCompile(`^line (\d+): `)

// maxYAMLRetries bounds how many prefixes of a file yamlError parses to find a problem's line.
const maxYAMLRetries = 64

// yamlError is a YAML syntax error as an Error at the problem's line (and column, for
// invalid UTF-8).
func yamlError(src Source, err error) *Error {
	problem, reported := yamlProblem(err), 0
	if m := yamlLineRE.FindStringSubmatch(strings.TrimPrefix(err.Error(), "yaml: ")); m != nil {
		reported, _ = strconv.Atoi(m[1])
	}
	if strings.Contains(problem, "UTF-8") {
		if line, col, ok := invalidUTF8(src.Data); ok {
			return &Error{File: src.Name, Line: line, Column: col, Msg: "invalid UTF-8: a rules file is UTF-8 text"}
		}
	}
	return &Error{File: src.Name, Line: problemLine(src.Data, problem, reported), Msg: "invalid YAML: " + problem}
}

// problemLine is the first line whose end, when the file is cut there, already gives the
// problem: the line where the parser met it. The reported line is never past it.
func problemLine(data []byte, problem string, reported int) int {
	line, end := 1, 0 // end: the offset just past line
	for k := max(reported, 1); k < reported+maxYAMLRetries && end < len(data); k++ {
		for line <= k && end < len(data) {
			if nl := strings.IndexByte(string(data[end:]), '\n'); nl >= 0 {
				end += nl + 1
			} else {
				end = len(data)
			}
			line++
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data[:end], &doc); err != nil && yamlProblem(err) == problem {
			return k
		}
	}
	return reported
}

// yamlProblem is a yaml.v3 error's message without its line.
func yamlProblem(err error) string {
	p := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(p); m != nil {
		p = p[len(m[0]):]
	}
	return p
}

// invalidUTF8 is the line and column (1-based, in characters) of the first byte of data that
// is not UTF-8.
func invalidUTF8(data []byte) (line, col int, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return line, col, true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0, false
}
