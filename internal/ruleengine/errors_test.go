package ruleengine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const okRule = `
- rule: r1
  desc: d
  condition: event.name == "file.open"
  output: o
  priority: info
`

func TestLoaderErrors(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string // the whole error message
	}{
		{"bad yaml", []string{"- rule: x\n  desc: [unclosed\n"}, "a.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		// yaml.v3 names the line before (or where the enclosing item starts): the line is found again.
		{"yaml error line", []string{okRule + "  - seq\n"}, "a.yaml:7: invalid YAML: did not find expected key"},
		{"yaml tab", []string{okRule + "\tx: tab\n"}, "a.yaml:7: invalid YAML: found a tab character that violates indentation"},
		{"yaml flow mapping", []string{okRule + "  tags: {a: b\n"}, "a.yaml:7: invalid YAML: did not find expected ',' or '}'"},
		{"yaml unterminated quote", []string{okRule + "- rule: b\n  desc: \"open\n"}, "a.yaml:8: invalid YAML: found unexpected end of stream"},
		{"invalid UTF-8", []string{okRule + "  tags: [ab\xff]\n"}, "a.yaml:7:12: invalid UTF-8: a rules file is UTF-8 text"},
		{"bad regexp", []string{`
- rule: r
  desc: d
  condition: event.name == "process.exec" && process.executable.name.matches("a[")
  output: o
  priority: info
`}, "a.yaml:4:78: rule \"r\": invalid regular expression \"a[\": error parsing regexp: missing closing ]: `[` (condition column 65)"},
		{"recursion limit", []string{"- rule: r\n  desc: d\n  condition: >-\n    event.name == \"process.exec\" &&\n    " +
			strings.Repeat("(", 300) + "true" + strings.Repeat(")", 300) + "\n  output: o\n  priority: info\n"},
			`a.yaml:5:254: rule "r": invalid condition: expression recursion limit exceeded: 250 (condition column 282)`},
		{"unterminated output reference", []string{`
- rule: r
  desc: d
  condition: event.name == "process.exec"
  output: "started %{process.executable.name by %process.user.name"
  priority: info
`}, `a.yaml:5:20: rule "r": output: unterminated %{ (no closing })`},
		{"output reference swallowing text", []string{`
- rule: r
  desc: d
  condition: event.name == "process.exec"
  output: >-
    started %{process.executable.name by %{process.user.name}
  priority: info
`}, `a.yaml:6:13: rule "r": output: %{...} holds "process.executable.name by %{process.user.name", not an attribute name`},
		{"not a sequence", []string{"rule: x\n"}, "a.yaml:1:1: a rules file must be a YAML sequence of items (- rule: ..., - macro: ..., - list: ...)"},
		{"unknown list identifier", []string{`
- rule: r
  desc: d
  condition: event.name == "process.exec" && process.executable.name in shel_binaries
  output: o
  priority: info
`}, `a.yaml:4:73: rule "r": unknown identifier "shel_binaries": not a list, a macro or an attribute (attributes have dotted names) (condition column 60)`},
		{"unknown macro identifier", []string{`
- macro: m
  condition: spawned_proces && true
`}, `a.yaml:3:14: macro "m": unknown identifier "spawned_proces": not a list, a macro or an attribute (attributes have dotted names) (condition column 1)`},
		{"bad CEL syntax", []string{`
- rule: r
  desc: d
  condition: event.name == "file.open" && (file.path ==
  output: o
  priority: info
`}, `a.yaml:4:56: rule "r": invalid condition: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER} (condition column 43)`},
		{"bad CEL type", []string{`
- rule: r
  desc: d
  condition: |
    event.name == "file.open" &&
      process.pid == "1"
  output: o
  priority: info
`}, `a.yaml:6:19: rule "r": invalid condition: found no matching overload for '_==_' applied to '(int, string)' (condition column 15)`},
		{"non-bool condition", []string{`
- macro: m
  condition: file.path
`}, `a.yaml:3:14: macro "m": condition must be a boolean, it is string`},
		{"unknown override target", []string{okRule, `
- rule: r2
  condition: file.path == "/x"
  override: {condition: append}
`}, `b.yaml:2: rule "r2": override of unknown rule`},
		{"unknown list override", []string{`
- list: l
  items: [a]
  override: {items: append}
`}, `a.yaml:2: list "l": override of unknown list`},
		{"duplicate rule", []string{okRule, okRule}, `b.yaml:2: rule "r1": duplicate rule (first defined at a.yaml:2); use override: to change it, or ` + "`enabled: false`" + ` alone to disable it`},
		{"duplicate macro", []string{"- macro: m\n  condition: 'true'\n- macro: m\n  condition: 'false'\n"}, `a.yaml:3: macro "m": duplicate macro (first defined at a.yaml:1); use override: {condition: append|replace} to change it`},
		{"bad priority", []string{`
- rule: r
  desc: d
  condition: event.name == "file.open"
  output: o
  priority: SEVERE
`}, `a.yaml:6:13: rule "r": unknown priority "SEVERE" (want one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG)`},
		{"macro cycle", []string{`
- macro: a
  condition: b && event.name == "x"
- macro: b
  condition: c
- macro: c
  condition: a
- rule: r
  desc: d
  condition: a
  output: o
  priority: info
`}, `a.yaml:8: rule "r": macro cycle: a -> b -> c -> a`},
		{"missing field", []string{"- rule: r\n  desc: d\n  condition: 'true'\n  priority: info\n"}, `a.yaml:1: rule "r": rule has no output`},
		{"unknown key", []string{"- rule: r\n  desc: d\n  conditon: 'true'\n"}, `a.yaml:3:13: rule "r": unknown key "conditon"`},
		{"override field not listed", []string{okRule, "- rule: r1\n  condition: 'true'\n  output: x\n  override: {condition: append}\n"}, `b.yaml:3:11: rule "r1": field "output" is given in an override item but not listed in override`},
		{"exception int value", []string{`
- rule: r
  desc: d
  condition: event.name == "file.open"
  output: o
  priority: info
  exceptions:
    - name: e
      fields: [process.user.id]
      values: [[root]]
`}, `a.yaml:8: rule "r": exception "e": process.user.id is an integer attribute, "root" is not an integer`},
		{"enable unknown rule", []string{"- rule: nope\n  enabled: false\n"}, `a.yaml:1: rule "nope": enabling/disabling an unknown rule`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var srcs []Source
			for i, f := range tc.files {
				srcs = append(srcs, Source{Name: []string{"a.yaml", "b.yaml"}[i], Data: []byte(f)})
			}
			_, _, err := Compile(srcs, Options{})
			require.Error(t, err)
			var re *Error
			require.True(t, errors.As(err, &re), "%T", err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestErrorPositionsInBlockScalars(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"folded", `
- rule: r
  desc: d
  condition: >-
    event.name == "file.open" &&
      file.path.startsWith(1)
  output: o
  priority: info
`, `a.yaml:6:27: rule "r": invalid condition: found no matching overload for 'startsWith' applied to 'string.(int)' (condition column 23)`},
		{"plain multi-line", `
- macro: m
  condition: event.name == "file.open" &&
    nosuch_list
`, `a.yaml:4:5: macro "m": unknown identifier "nosuch_list": not a list, a macro or an attribute (attributes have dotted names) (condition column 30)`},
		{"double quoted", `
- macro: m
  condition: "event.name == 1"
`, `a.yaml:3:26: macro "m": invalid condition: found no matching overload for '_==_' applied to '(string, int)' (condition column 12)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Compile([]Source{{Name: "a.yaml", Data: []byte(tc.file)}}, Options{})
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestWarnings(t *testing.T) {
	_, warns, err := Compile([]Source{{Name: "a.yaml", Data: []byte(`
- rule: everywhere
  desc: d
  condition: process.executable.name == "nc"
  output: "%process.executabel.name"
  priority: info
- rule: typo
  desc: d
  condition: event.name == "file.open" && process.executabel.name == "nc"
  output: o
  priority: info
- macro: m
  condition: file.sizee > 3
- rule: other sources
  desc: d
  condition: event.name == "x" && log.file.name == "auth.log"
  output: o
  priority: info
`)}}, Options{})
	require.NoError(t, err)
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	assert.ElementsMatch(t, []string{
		`a.yaml:2: rule "everywhere": condition does not restrict event.name: it is evaluated on every record`,
		`a.yaml:5: rule "everywhere": output: attribute "process.executabel.name" is not in the otelsec event contract (a typo?); it is read as dyn and is absent from otelsec records`,
		`a.yaml:9: rule "typo": attribute "process.executabel.name" is not in the otelsec event contract (a typo?); it is read as dyn and is absent from otelsec records`,
		`a.yaml:13: macro "m": attribute "file.sizee" is not in the otelsec event contract (a typo?); it is read as dyn and is absent from otelsec records`,
	}, got)
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.yaml", "a.yaml"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(okRule), 0o600))
	}
	srcs, err := LoadFiles([]string{filepath.Join(dir, "*.yaml"), filepath.Join(dir, "a.yaml")})
	require.NoError(t, err)
	require.Len(t, srcs, 2, "a file matched twice is loaded once")
	assert.Equal(t, filepath.Join(dir, "a.yaml"), srcs[0].Name)
	assert.Equal(t, filepath.Join(dir, "b.yaml"), srcs[1].Name)
	_, err = LoadFiles([]string{filepath.Join(dir, "*.yml")})
	assert.EqualError(t, err, `rules glob "`+filepath.Join(dir, "*.yml")+`" matches no file`)
	// Two files defining the same rule: the duplicate names both places.
	_, _, err = Compile(srcs, Options{})
	assert.ErrorContains(t, err, "b.yaml:2: rule \"r1\": duplicate rule (first defined at "+filepath.Join(dir, "a.yaml")+":2)")
}

func TestMacroExpansionBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("- macro: m0\n  condition: event.name == \"file.open\"\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: m%d && m%d\n", i, i-1, i-1)
	}
	b.WriteString("- rule: r\n  desc: d\n  condition: m40\n  output: o\n  priority: info\n")
	_, _, err := Compile([]Source{{Name: "a.yaml", Data: []byte(b.String())}}, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `a.yaml:83: rule "r": condition is over 131072 bytes once macros are expanded`)
}

// A file that defines nothing is named in a warning: loading it had no effect.
func TestEmptyFileWarns(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n\n# and another\n", "- ruleset: empty\n"} {
		_, warns, err := Compile([]Source{{Name: "a.yaml", Data: []byte(okRule)}, {Name: "empty.yaml", Data: []byte(data)}}, Options{})
		require.NoError(t, err)
		var got []string
		for _, w := range warns {
			got = append(got, w.String())
		}
		assert.Equal(t, []string{"empty.yaml: the file defines no rule, macro or list (it is empty or only comments): it adds nothing"}, got, "%q", data)
	}
}

// A file named two ways (two spellings of its path, a symbolic link) is loaded once: loading
// it twice would define its list twice.
func TestSameFileLoadedOnce(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "a"), 0o700))
	x := filepath.Join(dir, "a", "x.yaml")
	require.NoError(t, os.WriteFile(x, []byte("- list: l\n  items: [a]\n"+okRule), 0o600))
	require.NoError(t, os.Symlink(x, filepath.Join(dir, "link.yaml")))
	srcs, err := LoadFiles([]string{x, filepath.Join(dir, "a", "..", "a", "x.yaml"), filepath.Join(dir, "link.yaml"), filepath.Join(dir, "*", "x.yaml")})
	require.NoError(t, err)
	require.Len(t, srcs, 1)
	assert.Equal(t, x, srcs[0].Name)
	_, _, err = Compile(srcs, Options{})
	require.NoError(t, err)
}
