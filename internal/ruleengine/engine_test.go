package ruleengine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
)

// rec builds a log record: event name plus attributes (string, int, bool, []string values).
func rec(event string, kv ...any) plog.LogRecord {
	lr := plog.NewLogRecord()
	lr.SetEventName(event)
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			lr.Attributes().PutStr(k, v)
		case int:
			lr.Attributes().PutInt(k, int64(v))
		case int64:
			lr.Attributes().PutInt(k, v)
		case bool:
			lr.Attributes().PutBool(k, v)
		case []string:
			s := lr.Attributes().PutEmptySlice(k)
			for _, x := range v {
				s.AppendEmpty().SetStr(x)
			}
		}
	}
	return lr
}

func compile(t *testing.T, opts Options, files ...string) *Engine {
	t.Helper()
	var srcs []Source
	for i, f := range files {
		srcs = append(srcs, Source{Name: []string{"a.yaml", "b.yaml", "c.yaml"}[i], Data: []byte(f)})
	}
	e, _, err := Compile(srcs, opts)
	require.NoError(t, err)
	return e
}

func names(rs []*Rule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func match(e *Engine, lr plog.LogRecord) []string {
	return names(e.Match(pcommon.NewMap(), lr, nil))
}

const base = `
- list: shell_binaries
  items: [bash, sh, zsh]
- list: server_binaries
  items: [nginx, sshd]
- macro: spawned_process
  condition: event.name == "process.exec"
- rule: Shell spawned by a server
  desc: A shell was started by a network server process.
  condition: spawned_process && process.executable.name in shell_binaries && any_in(process.ancestors.executable.name, server_binaries)
  output: "Shell spawned by server (user=%process.user.name shell=%process.executable.path parent=%process.parent.executable.name)"
  priority: WARNING
  tags: [process, mitre_execution, T1059.004]
  exceptions:
    - name: known_parents
      fields: [process.parent.executable.name, process.executable.name]
      values: [[tmux, sh]]
- rule: Read shadow
  desc: shadow read
  condition: event.name == "file.open" && file.path == "/etc/shadow"
  output: "shadow read by %process.executable.name"
  priority: error
`

func TestBasicMatch(t *testing.T) {
	e := compile(t, Options{}, base)
	assert.Equal(t, []string{"Shell spawned by a server"}, match(e, rec(schema.EventProcessExec,
		schema.AttrProcessExecutableName, "bash", schema.AttrProcessAncestorsExecName, []string{"nginx", "systemd"})))
	// exception tuple
	assert.Empty(t, match(e, rec(schema.EventProcessExec, schema.AttrProcessExecutableName, "sh",
		schema.AttrProcessParentExecutableName, "tmux", schema.AttrProcessAncestorsExecName, []string{"nginx"})))
	assert.Empty(t, match(e, rec(schema.EventProcessExec, schema.AttrProcessExecutableName, "bash")))
	assert.Equal(t, []string{"Read shadow"}, match(e, rec(schema.EventFileOpen, schema.AttrFilePath, "/etc/shadow")))
	assert.Empty(t, match(e, rec(schema.EventFileOpen, schema.AttrFilePath, "/etc/passwd")))
	assert.Equal(t, 1, e.Candidates(schema.EventFileOpen))
	assert.Equal(t, 0, e.Candidates(schema.EventNetworkConnect))
}

func TestAbsentSemantics(t *testing.T) {
	e := compile(t, Options{MatchAll: true}, `
- rule: not eq
  desc: d
  condition: event.name == "file.open" && !(file.path == "/x")
  output: o
  priority: info
- rule: eq
  desc: d
  condition: event.name == "file.open" && file.path == "/x"
  output: o
  priority: info
- rule: ne
  desc: d
  condition: event.name == "file.open" && file.path != "/x"
  output: o
  priority: info
- rule: or
  desc: d
  condition: event.name == "file.open" && (file.path == "/x" || process.pid == 7)
  output: o
  priority: info
- rule: not exists
  desc: d
  condition: event.name == "file.open" && !process.ancestors.executable.name.exists(a, a == "sshd")
  output: o
  priority: info
- rule: present
  desc: d
  condition: event.name == "file.open" && present("file.path")
  output: o
  priority: info
- rule: not present
  desc: d
  condition: event.name == "file.open" && !present("file.path")
  output: o
  priority: info
`)
	assert.Equal(t, []string{"not eq", "or", "not exists", "not present"}, match(e, rec(schema.EventFileOpen, schema.AttrProcessPID, 7)))
	assert.Equal(t, []string{"eq", "or", "not exists", "present"}, match(e, rec(schema.EventFileOpen, schema.AttrFilePath, "/x")))
	assert.Equal(t, []string{"not eq", "ne", "present"}, match(e, rec(schema.EventFileOpen, schema.AttrFilePath, "/y",
		schema.AttrProcessAncestorsExecName, []string{"bash", "sshd"})))
}

func TestRender(t *testing.T) {
	e := compile(t, Options{}, base)
	lr := rec(schema.EventFileOpen, schema.AttrFilePath, "/etc/shadow")
	res := pcommon.NewMap()
	res.PutStr(schema.AttrHostName, "h1")
	r := e.Match(res, lr, nil)[0]
	assert.Equal(t, "shadow read by <NA>", r.Render(res, lr))
	lr.Attributes().PutStr(schema.AttrProcessExecutableName, "cat")
	assert.Equal(t, "shadow read by cat", r.Render(res, lr))
	tpl, err := parseTemplate("x=%file.path. h=%{host.name} %% %event.name end %")
	require.NoError(t, err)
	assert.Equal(t, "x=/etc/shadow. h=h1 % file.open end %", tpl.render(res, lr))
	assert.True(t, strings.HasPrefix(e.Rules()[0].Output, "Shell spawned"))
}

func fuzzRecords() []plog.LogRecord {
	return []plog.LogRecord{
		rec(schema.EventFileOpen, schema.AttrFilePath, "/etc/shadow", schema.AttrProcessUserID, 0),
		rec(schema.EventProcessExec, schema.AttrProcessExecutableName, "bash", schema.AttrProcessAncestorsExecName, []string{"nginx"}),
		rec("", "event.name", "file.open", "a.b", 1),
		rec(""),
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"[^0]", "/", false}, // a bracket expression never matches "/" (shell pathname rules)
		{"/tmp[!x]a", "/tmp/a", false},
		{"/etc/*", "/etc/passwd", true},
		{"/etc/*", "/etc/ssh/sshd_config", false},
		{"/etc/**", "/etc/ssh/sshd_config", true},
		{"/etc/**/sshd_config", "/etc/sshd_config", true},
		{"/etc/**/sshd_config", "/etc/a/b/sshd_config", true},
		{"/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key", true},
		{"/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key.pub", false},
		{"/tmp/?", "/tmp/a", true},
		{"/tmp/?", "/tmp/ab", false},
		{"/tmp/[a-c]x", "/tmp/bx", true},
		{"/tmp/[!a-c]x", "/tmp/bx", false},
		{"/tmp/[!a-c]x", "/tmp/dx", true},
		{`/tmp/\*`, "/tmp/*", true},
		{`/tmp/\*`, "/tmp/a", false},
		{"*", "", true},
		{"", "", true},
		{"a[", "a[", true},
		{"**/**/**/**/**/**/**/**/**/**/x", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/y", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, globMatch(c.pat, c.s), "glob(%q, %q)", c.s, c.pat)
	}
	long := strings.Repeat("*a", 200)
	assert.False(t, globMatch(long, strings.Repeat("a", 300)+"b"))
	assert.True(t, pathUnder("/etc/x", "/etc"))
	assert.True(t, pathUnder("/etc", "/etc/"))
	assert.False(t, pathUnder("/etcx", "/etc"))
	assert.True(t, pathUnder("/anything", "/"))
	assert.Equal(t, "b", basename("/a/b/"))
	assert.Equal(t, "/a", dirname("/a/b"))
	assert.Equal(t, "/", dirname("/a"))
	assert.Equal(t, ".", dirname("a"))
	assert.True(t, icontains("Authentication FAILURE", "failure"))
	assert.False(t, icontains("abc", "abcd"))
}

func TestPathUnderList(t *testing.T) {
	e := compile(t, Options{}, `
- list: dirs
  items: [/etc/, /usr/bin]
- rule: under
  desc: d
  condition: event.name == "file.open" && path_under(file.path, dirs)
  output: o
  priority: info
`)
	for path, want := range map[string]bool{"/etc": true, "/etc/x": true, "/etcx": false, "/usr/bin/ls": true,
		"/usr": false, "/usr/binx/y": false, "relative/etc": false, "": false, "/": false} {
		got := match(e, rec(schema.EventFileOpen, schema.AttrFilePath, path))
		assert.Equal(t, want, len(got) == 1, path)
	}
}

func TestOverrides(t *testing.T) {
	e := compile(t, Options{MatchAll: true}, base+`
- rule: Write below /etc
  desc: d
  condition: event.name == "file.open" && path_under(file.path, "/etc")
  output: o
  priority: error
`, `
- list: shell_binaries
  items: [fish]
  override: {items: append}
- list: server_binaries
  items: [node]
  override: {items: replace}
- macro: spawned_process
  condition: '!present("error.type")'
  override: {condition: append}
- rule: Shell spawned by a server
  condition: '!present("container.id")'
  output: "Shell below a server on the host (cmd=%process.command_line)"
  priority: ERROR
  tags: [extra]
  exceptions:
    - name: known_parents
      values: [[supervisord, fish]]
    - name: by_user
      fields: process.user.name
      values: [backup]
  override:
    condition: append
    output: replace
    priority: replace
    exceptions: append
    tags: append
- rule: Write below /etc
  enabled: false
`)
	var shell *Rule
	for _, r := range e.Rules() {
		require.NotEqual(t, "Write below /etc", r.Name, "disabled rule is compiled")
		if r.Name == "Shell spawned by a server" {
			shell = r
		}
	}
	require.NotNil(t, shell)
	assert.Equal(t, PriorityError, shell.Priority)
	assert.Equal(t, []string{"process", "mitre_execution", "T1059.004", "extra"}, shell.Tags)
	assert.Equal(t, "Shell below a server on the host (cmd=%process.command_line)", shell.Output)
	exec := func(kv ...any) []string {
		return match(e, rec(schema.EventProcessExec, append([]any{schema.AttrProcessAncestorsExecName, []string{"node"}}, kv...)...))
	}
	assert.Equal(t, []string{shell.Name}, exec(schema.AttrProcessExecutableName, "fish"))
	assert.Empty(t, exec(schema.AttrProcessExecutableName, "fish", schema.AttrErrorType, "ENOENT"), "appended macro condition")
	assert.Empty(t, exec(schema.AttrProcessExecutableName, "fish", schema.AttrContainerID, "abc"), "appended rule condition")
	assert.Empty(t, exec(schema.AttrProcessExecutableName, "fish", schema.AttrProcessParentExecutableName, "supervisord"), "appended exception values")
	assert.Empty(t, exec(schema.AttrProcessExecutableName, "bash", schema.AttrProcessUserName, "backup"), "added exception")
	assert.Empty(t, exec(schema.AttrProcessExecutableName, "sh", schema.AttrProcessParentExecutableName, "tmux"),
		"the original exception tuple still applies")
	assert.Equal(t, []string{shell.Name}, exec(schema.AttrProcessExecutableName, "sh", schema.AttrProcessParentExecutableName, "cron"))
}

func TestYAMLAnchors(t *testing.T) {
	e := compile(t, Options{}, `
- list: shells
  items: &shells [bash, sh]
- rule: r
  desc: &d shared description
  condition: event.name == "process.exec" && process.executable.name in shells
  output: o
  priority: info
  tags: *shells
- rule: r2
  desc: *d
  condition: 'false'
  output: o
  priority: info
`)
	assert.Equal(t, "shared description", e.Rules()[1].Description)
	assert.Equal(t, []string{"bash", "sh"}, e.Rules()[0].Tags)
	_, _, err := Compile([]Source{{Name: "a.yaml", Data: []byte("- &a [*a]\n")}}, Options{})
	assert.Error(t, err)
}

func TestPresentLiteralForms(t *testing.T) {
	for _, lit := range []string{`"file.path"`, `'file.path'`, `r"file.path"`, `"""file.path"""`, `'''file.path'''`} {
		e := compile(t, Options{}, "- rule: r\n  desc: d\n  condition: >-\n    event.name == \"file.open\" && present("+lit+") && !present('error.type')\n  output: o\n  priority: info\n")
		assert.Len(t, match(e, rec(schema.EventFileOpen, schema.AttrFilePath, "/x")), 1, lit)
		assert.Empty(t, match(e, rec(schema.EventFileOpen)), lit)
	}
}
