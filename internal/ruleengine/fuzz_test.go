package ruleengine

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// FuzzCompile feeds arbitrary rule files to the loader: it must return an engine or an *Error,
// never panic, and a compiled engine must match and render a record without panicking.
func FuzzCompile(f *testing.F) {
	f.Add([]byte(base), []byte(""))
	f.Add([]byte(okRule), []byte("- rule: r1\n  enabled: false\n"))
	f.Add([]byte("- list: l\n  items: [a, l]\n- macro: m\n  condition: x in l\n"), []byte("- list: l\n  items: [b]\n  override: {items: append}\n"))
	f.Add([]byte("- macro: a\n  condition: b\n- macro: b\n  condition: a\n"), []byte(""))
	f.Add([]byte("- rule: r\n  desc: d\n  condition: |\n    event.name == \"file.open\" &&\n      glob(file.path, \"/etc/**\")\n  output: \"%file.path %{host.name} %%\"\n  priority: debug\n  exceptions:\n    - name: e\n      fields: [process.user.id, file.path]\n      comps: [=, pmatch]\n      values: [[0, [/etc]]]\n"), []byte(""))
	f.Add([]byte("- rule: r\n  desc: d\n  condition: present(\"a.b\") && !(body.x == 1)\n  output: o\n  priority: info\n"), []byte("- rule: r\n  condition: 'true'\n  override: {condition: append}\n"))
	f.Add([]byte("[1, 2"), []byte("- ruleset: x\n- ruleset: y\n"))
	f.Add([]byte("- list: &a l\n  items: [*a, *a]\n- macro: m\n  condition: *a\n"), []byte("- &x [*x]\n"))
	// && chains (their terms are parsed once each), strings holding operators, bad templates.
	f.Add([]byte("- macro: m\n  condition: event.name == \"a && b\" && file.path != r'x||y'\n- rule: r\n  desc: d\n  condition: m && file.path.matches(\"[a\") && m\n  output: \"%{file.path\"\n  priority: info\n"), []byte("- rule: r2\n  desc: \xff\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		// A hang (e.g. exponential matching) is a bug too: fail loudly with the input.
		tm := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("HANG %q %q", a, b)) })
		defer tm.Stop()
		e, _, err := Compile([]Source{{Name: "a.yaml", Data: a}, {Name: "b.yaml", Data: b}}, Options{MatchAll: true})
		if err != nil {
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			return
		}
		res := pcommon.NewMap()
		res.PutStr("host.name", "h")
		for _, lr := range fuzzRecords() {
			for _, r := range e.Match(res, lr, nil) {
				_ = r.Render(res, lr)
			}
		}
	})
}

// FuzzGlob checks glob against the standard library's path.Match wherever their syntaxes
// agree (no "**", no "!" negation, well-formed patterns), and that it never hangs or panics.
func FuzzGlob(f *testing.F) {
	for _, c := range [][2]string{{"/etc/*", "/etc/passwd"}, {"/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key"},
		{"/tmp/[a-c]?", "/tmp/bx"}, {`\*x`, "*x"}, {"**/x", "/a/b/x"}, {"[^a]", "b"}, {"a*b*c", "aXbYc"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		got := globMatch(pat, s)
		// path.Match compares literals byte by byte even inside a multi-byte character; glob
		// matches whole characters. Compare on valid UTF-8 only.
		if strings.Contains(pat, "**") || strings.Contains(pat, "!") || strings.Contains(pat, "[]") ||
			!utf8.ValidString(pat) || !utf8.ValidString(s) {
			return
		}
		// A bracket expression never matches "/" in glob (as in shell pathname expansion);
		// path.Match lets a negated class ("[^0]") match it. Compare only where they agree.
		if strings.Contains(pat, "[") && strings.Contains(s, "/") {
			return
		}
		want, err := path.Match(pat, s)
		if err != nil {
			return
		}
		if got != want {
			t.Fatalf("glob(%q, %q) = %v, path.Match says %v", s, pat, got, want)
		}
	})
}

// FuzzFastPath compares the fast path with cel-go on records with arbitrary string and
// integer values (odd paths, unicode, empty strings) over every fast-path construct.
func FuzzFastPath(f *testing.F) {
	srcs, err := LoadFiles([]string{"testdata/semantics.yaml"})
	if err != nil {
		f.Fatal(err)
	}
	fast, _, err := Compile(srcs, Options{MatchAll: true})
	if err != nil {
		f.Fatal(err)
	}
	slow, _, err := Compile(srcs, Options{MatchAll: true, celOnly: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("/etc/passwd", "bash", "/home/a/.ssh/x", int64(0), "0644")
	f.Add("/etcx/", "", "/", int64(65534), "4755")
	f.Add("//etc//", "sh", "relative", int64(-1), "x")
	f.Fuzz(func(t *testing.T, path, exe, cwd string, uid int64, mode string) {
		lr := plog.NewLogRecord()
		lr.SetEventName("file.open")
		a := lr.Attributes()
		a.PutStr("file.path", path)
		a.PutStr("process.executable.name", exe)
		a.PutStr("process.working_directory", cwd)
		a.PutInt("process.user.id", uid)
		a.PutInt("process.pid", uid%5000)
		a.PutStr("file.mode", mode)
		anc := a.PutEmptySlice("process.ancestors.executable.name")
		anc.AppendEmpty().SetStr(exe)
		anc.AppendEmpty().SetStr(path)
		res := pcommon.NewMap()
		got, want := names(fast.Match(res, lr, nil)), names(slow.Match(res, lr, nil))
		if !slices.Equal(got, want) {
			t.Fatalf("fast %q, cel %q", got, want)
		}
	})
}
