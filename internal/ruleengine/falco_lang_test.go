package ruleengine

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Falco's language on small files: the grammar, the operators, lists and macros, Falco's
// rules for several files, and its errors.

func falcoSources(files ...string) []Source {
	var srcs []Source
	for i, f := range files {
		srcs = append(srcs, Source{Name: fmt.Sprintf("f%d.yaml", i+1), Data: []byte(f)})
	}
	return srcs
}

func falcoCompile(t *testing.T, files ...string) (*Engine, []Warning) {
	t.Helper()
	e, w, err := Compile(falcoSources(files...), Options{MatchAll: true})
	require.NoError(t, err)
	return e, w
}

func falcoCompileErr(files ...string) string {
	_, _, err := Compile(falcoSources(files...), Options{})
	if err == nil {
		return ""
	}
	return err.Error()
}

// falcoRule is a Falco file with one rule (and the version item that marks it Falco's).
func falcoRule(name, cond string) string {
	return fmt.Sprintf("- required_engine_version: 0.50.0\n- rule: %s\n  desc: d\n  condition: %s\n  output: o %%proc.name\n  priority: WARNING\n", name, cond)
}

func TestFalcoOperators(t *testing.T) {
	p := shellUser.with(func(p *falcoProc) { p.cmdline, p.exe = "cat /home/alice/a.txt", "/usr/bin/cat" })
	openOf := func(path string) falcoCase {
		return falcoCase{open(p.with(func(p *falcoProc) { p.syscall, p.ret = "openat", 4 }), path, "O_RDONLY")}
	}
	cases := []struct {
		cond  string
		yes   falcoCase
		no    falcoCase
		issue string
	}{
		{`evt.type = openat and fd.name = /etc/shadow`, openOf("/etc/shadow"), openOf("/etc/shadow2"), ""},
		{`evt.type=openat and fd.name==/etc/shadow`, openOf("/etc/shadow"), openOf("/etc"), ""},
		{`evt.type = openat and fd.name != /etc/shadow`, openOf("/etc/x"), openOf("/etc/shadow"), ""},
		{`evt.type = openat and fd.num >= 4 and fd.num < 5 and fd.num <= 4 and fd.num > 3`, openOf("/x"), falcoCase{open(p.with(func(p *falcoProc) { p.syscall, p.ret = "openat", 7 }), "/x", "O_RDONLY")}, ""},
		{`evt.type = openat and fd.num = -1`, falcoCase{open(p.with(func(p *falcoProc) { p.syscall, p.ret, p.errno = "openat", -2, "ENOENT" }), "/x", "O_RDONLY")}, openOf("/x"), "a failed open's fd.num is -1"},
		{`evt.type = openat and fd.name in (/etc/shadow, /etc/sudoers)`, openOf("/etc/sudoers"), openOf("/etc/hosts"), ""},
		{`evt.type = openat and fd.name intersects (/etc/shadow, /etc/sudoers)`, openOf("/etc/sudoers"), openOf("/etc/hosts"), ""},
		{`evt.type = openat and fd.name contains alice`, openOf("/home/alice/a"), openOf("/home/bob/a"), ""},
		{`evt.type = openat and fd.name icontains ALICE`, openOf("/home/alice/a"), openOf("/home/bob/a"), ""},
		{`evt.type = openat and fd.name startswith /home/`, openOf("/home/alice/a"), openOf("/homes/a"), ""},
		{`evt.type = openat and fd.name endswith .txt`, openOf("/a.txt"), openOf("/a.txt.gz"), ""},
		{`evt.type = openat and fd.name glob '/home/*/.ssh/*'`, openOf("/home/alice/.ssh/id_rsa"), openOf("/home/.ssh/id_rsa"), ""},
		{`evt.type = openat and fd.name glob '/var/*.log'`, openOf("/var/log/app/x.log"), openOf("/var/log/app/x.txt"), "Falco's * crosses /"},
		{`evt.type = openat and fd.name glob '/tmp/[a-c]?.[!o]*'`, openOf("/tmp/bx.c"), openOf("/tmp/bx.o"), ""},
		{`evt.type = openat and fd.name pmatch (/etc, /usr/lib)`, openOf("/usr/lib/x/y"), openOf("/usr/libexec/x"), ""},
		{`evt.type = openat and fd.name regex '/home/[a-z]+/a\\.txt'`, openOf("/home/alice/a.txt"), openOf("/x/home/alice/a.txt"), "regex matches the whole value"},
		{`evt.type = openat and fd.name bcontains 616c696365`, openOf("/home/alice/a"), openOf("/home/bob/a"), "hex of alice"},
		{`evt.type = openat and fd.name bstartswith 2f686f6d65`, openOf("/home/alice/a"), openOf("/tmp/home"), ""},
		{`evt.type = openat and proc.cwd exists`, openOf("/x"), falcoCase{open(p.with(func(p *falcoProc) { p.cwd = ""; p.syscall = "openat" }), "/x", "O_RDONLY")}, ""},
		{`evt.type = openat and not proc.cwd exists`, falcoCase{open(p.with(func(p *falcoProc) { p.cwd = ""; p.syscall = "openat" }), "/x", "O_RDONLY")}, openOf("/x"), ""},
		{`evt.type in (open, openat) and proc.cwd = /home/alice/`, openOf("/x"), falcoCase{open(p.with(func(p *falcoProc) { p.cwd = "/home/bob"; p.syscall = "openat" }), "/x", "O_RDONLY")}, "proc.cwd ends with /"},
		{`evt.type = openat and fd.directory = /home/alice and fd.filename = a.txt`, openOf("/home/alice/a.txt"), openOf("/home/alice/b.txt"), ""},
		{`evt.type = openat and fd.typechar = 'f' and fd.type = file`, openOf("/x"), falcoCase{open(p.with(func(p *falcoProc) { p.syscall = "openat" }), "/x", "O_RDONLY", "O_DIRECTORY")}, ""},
		{`evt.type = openat and evt.dir = < and evt.res = SUCCESS and evt.rawres = 4 and not evt.failed = true`, openOf("/x"),
			falcoCase{open(p.with(func(p *falcoProc) { p.syscall, p.ret, p.errno = "openat", -13, "EACCES" }), "/x", "O_RDONLY")}, ""},
		{`evt.type = openat and evt.res startswith E`, falcoCase{open(p.with(func(p *falcoProc) { p.syscall, p.ret, p.errno = "openat", -13, "EACCES" }), "/x", "O_RDONLY")}, openOf("/x"), ""},
		{`evt.type = openat and evt.num > 0 and not evt.num = 0`, openOf("/x"), falcoCase{execRec(p)}, "evt.num is positive"},
		{`evt.type = openat and (proc.name = cat or proc.name = dog) and not proc.name = dog`, openOf("/x"), falcoCase{open(p.with(runAs("/bin/dog", "dog x")).with(func(p *falcoProc) { p.syscall = "openat" }), "/x", "O_RDONLY")}, ""},
		{`evt.type = openat and not not proc.name = cat`, openOf("/x"), falcoCase{open(p.with(runAs("/bin/dog", "dog x")).with(func(p *falcoProc) { p.syscall = "openat" }), "/x", "O_RDONLY")}, ""},
		{`evt.type = openat and not(proc.name = dog)`, openOf("/x"), falcoCase{open(p.with(runAs("/bin/dog", "dog x")).with(func(p *falcoProc) { p.syscall = "openat" }), "/x", "O_RDONLY")}, ""},
		{`evt.type=openat and(proc.name=cat)or(proc.name=dog and evt.type=execve)`, openOf("/x"), falcoCase{execRec(p)}, "and/or followed by ( need no blank"},
		{`spawned and proc.aname[1] = sshd and proc.aname[2] = sshd and proc.aname[3] = systemd and proc.aname[0] = bash`, falcoCase{execRec(shellUser)}, falcoCase{execRec(catShadow)}, ""},
		{`spawned and proc.aname = systemd and proc.aname in (x, sshd) and proc.aname startswith sys`, falcoCase{execRec(shellUser)}, falcoCase{execRec(catShadow.with(func(p *falcoProc) { p.ancestors = []string{"bash"} }))}, "any ancestor"},
		{`spawned and proc.args contains "-name id_rsa" and proc.exe = find and proc.cmdline = "find / -name id_rsa"`,
			falcoCase{execRec(shellUser.with(runAs("/usr/bin/find", "find / -name id_rsa")))}, falcoCase{execRec(shellUser)}, ""},
		{`spawned and proc.name = polkit-agent-he`, falcoCase{execRec(shellUser.with(runAs("/usr/lib/polkit-1/polkit-agent-helper-1", "/usr/lib/polkit-1/polkit-agent-helper-1 alice")))},
			falcoCase{execRec(shellUser)}, "comm is cut to 15 bytes"},
		{`spawned and user.uid = 1000 and user.name = alice and proc.tty != 0`, falcoCase{execRec(shellUser)}, falcoCase{execRec(shellUser.with(func(p *falcoProc) { p.tty = false }))}, ""},
		{`spawned and container.id = host`, falcoCase{execRec(shellUser)}, falcoCase{execRec(shellUser.with(inContainer))}, "container.id is host on the host"},
		{`spawned and container.id != host and container.id startswith 3f4e`, falcoCase{execRec(shellUser.with(inContainer))}, falcoCase{execRec(shellUser)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.cond, func(t *testing.T) {
			e, _ := falcoCompile(t, "- required_engine_version: 0.57.0\n- macro: spawned\n  condition: evt.type in (execve, execveat)\n"+
				strings.TrimPrefix(falcoRule("r", tc.cond), "- required_engine_version: 0.50.0\n"))
			require.Len(t, e.Rules(), 1, "the rule loads")
			assert.Equal(t, []string{"r"}, matchAll(e, tc.yes.lr), "fires: %s\n%s", tc.issue, e.Rules()[0].Condition)
			assert.Empty(t, matchAll(e, tc.no.lr), "does not fire: %s\n%s", tc.issue, e.Rules()[0].Condition)
			assert.NotNil(t, e.Rules()[0].fast, e.Rules()[0].slowReason)
		})
	}
}

type falcoCase struct{ lr plog.LogRecord }

func TestFalcoListsAndMacros(t *testing.T) {
	e, _ := falcoCompile(t, `
- required_engine_version: 0.57.0
- list: shells
  items: [bash, '"sh"']
- list: more_shells
  items: [shells, zsh, "fish shell", '"(systemd)"']
- list: ports
  items: [22, 2222]
- macro: spawned
  condition: evt.type = execve
- macro: a_shell
  condition: proc.name in (more_shells, csh)
- rule: Shell
  desc: d
  condition: spawned and a_shell
  output: o
  priority: NOTICE
- rule: Shell by list name
  desc: d
  condition: spawned and proc.name in more_shells
  output: o
  priority: NOTICE
- rule: Cmdline
  desc: d
  condition: spawned and proc.cmdline in (more_shells)
  output: o
  priority: NOTICE
- rule: Port
  desc: d
  condition: evt.type = connect and fd.sport in (ports)
  output: o
  priority: NOTICE
`)
	for _, cmd := range []string{"bash", "sh", "zsh", "csh", "(systemd)"} {
		assert.Contains(t, matchAll(e, execRec(shellUser.with(runAs("/x", cmd)))), "Shell", cmd)
	}
	assert.Equal(t, []string{"Shell", "Shell by list name", "Cmdline"}, matchAll(e, execRec(shellUser.with(runAs("/x", "zsh")))), "`in list` without parentheses")
	assert.Equal(t, []string{"Cmdline"}, matchAll(e, execRec(shellUser.with(runAs("/usr/bin/fish", "fish shell")))), "an item with a space is one value")
	assert.Empty(t, matchAll(e, execRec(shellUser.with(runAs("/usr/bin/fish", "fish")))), "an item with a space is one value")
	connect := func(port int) []string {
		return matchAll(e, shellUser.with(func(p *falcoProc) { p.syscall = "connect" }).record("network.connect", "network.peer.port", port, "network.type", "ipv4"))
	}
	assert.Equal(t, []string{"Port"}, connect(2222))
	assert.Empty(t, connect(80))
}

// TestFalcoSeveralFiles: Falco's rules for several files, as incubating after stable relies
// on them.
func TestFalcoSeveralFiles(t *testing.T) {
	first := `
- required_engine_version: 0.57.0
- list: tools
  items: [curl]
- macro: spawned
  condition: evt.type = execve
- macro: tool
  condition: proc.name in (tools)
- rule: Tool
  desc: d
  condition: spawned and tool
  output: "tool %proc.name"
  priority: NOTICE
  tags: [a]
- rule: Other
  desc: d
  condition: spawned and proc.name = other
  output: o
  priority: NOTICE
- rule: Third
  desc: d
  condition: spawned and proc.name = third
  output: o
  priority: NOTICE
`
	second := `
- list: tools
  items: [wget]
- macro: tool
  condition: proc.name in (tools, nc)
- list: tools
  items: [socat]
  append: true
- rule: Tool
  condition: and not proc.pname = sshd
  append: true
- rule: Tool
  exceptions:
    - name: by_cron
      fields: [proc.pname, proc.name]
      values: [[cron, wget]]
  override:
    exceptions: append
- rule: Tool
  tags: [b]
  override:
    tags: append
- rule: Other
  condition: spawned and proc.name = other2
  output: o2
  override:
    condition: replace
    output: replace
- rule: Third
  enabled: false
- rule: k8s thing
  source: k8s_audit
  desc: d
  condition: ka.verb = create
  output: o
  priority: NOTICE
- rule: k8s thing
  condition: and ka.user.name = x
  append: true
`
	e, warns := falcoCompile(t, first, second)
	run := func(cmd, parent string) []string {
		return matchAll(e, execRec(shellUser.with(func(p *falcoProc) { p.cmdline, p.parentCmdline = cmd, parent })))
	}
	assert.Empty(t, run("curl x", "bash"), "the later list replaced the first")
	assert.Equal(t, []string{"Tool"}, run("wget x", "bash"))
	assert.Equal(t, []string{"Tool"}, run("socat x", "bash"), "appended to the list")
	assert.Equal(t, []string{"Tool"}, run("nc x", "bash"), "the later macro replaced the first")
	assert.Empty(t, run("wget x", "sshd"), "the appended condition")
	assert.Empty(t, run("wget x", "cron"), "the appended exception")
	assert.Equal(t, []string{"Tool"}, run("socat x", "cron"), "the exception is the tuple")
	assert.Empty(t, run("other x", "bash"), "the condition was replaced")
	assert.Equal(t, []string{"Other"}, run("other2 x", "bash"))
	assert.Empty(t, run("third", "bash"), "disabled")
	for _, r := range e.Rules() {
		if r.Name == "Tool" {
			assert.Equal(t, []string{"a", "b"}, r.Tags)
		}
	}
	var skipped []string
	for _, w := range warns {
		if w.Rule == "k8s thing" {
			skipped = append(skipped, w.Msg)
		}
	}
	assert.Equal(t, []string{`source "k8s_audit" is not one otelsec has (only Falco's "syscall" source: the kernel's events): the rule is skipped`}, skipped,
		"one warning for the skipped rule, none for its append")
}

// TestFalcoMixedWithOtelsec: Falco files and otelsec files in one rules list, rules in
// files' order, one namespace of rule names.
func TestFalcoMixedWithOtelsec(t *testing.T) {
	ours := `
- rule: Ours
  desc: d
  condition: event.name == "process.exec" && process.executable.name == "bash"
  output: o
  priority: notice
`
	e, _, err := Compile([]Source{{Name: "ours.yaml", Data: []byte(ours)}, {Name: "falco.yaml", Data: []byte(falcoRule("Falco's", "evt.type = execve and proc.name = bash"))},
		{Name: "ours2.yaml", Data: []byte(strings.ReplaceAll(ours, "Ours", "Ours too"))}}, Options{MatchAll: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"Ours", "Falco's", "Ours too"}, matchAll(e, execRec(shellUser)))
	assert.Equal(t, "falco", e.Rules()[1].Ruleset)

	_, _, err = Compile([]Source{{Name: "ours.yaml", Data: []byte(ours)}, {Name: "falco.yaml", Data: []byte(falcoRule("Ours", "evt.type = execve"))}}, Options{})
	assert.EqualError(t, err, `falco.yaml:2: rule "Ours": an otelsec rule of that name exists (ours.yaml:2): Falco's rules and otelsec's share one namespace of rule names`)
}

// TestFalcoRecognition: files are Falco's by their content; otelsec's own are not.
func TestFalcoRecognition(t *testing.T) {
	ff := newFalcoFront()
	def, err := os.ReadFile("../../rules/otelsec_rules.yaml")
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		data  string
		falco bool
	}{
		"otelsec's default rules":  {string(def), false},
		"a version item":           {"- required_engine_version: 0.31.0\n", true},
		"Falco's syntax":           {"- macro: m\n  condition: proc.name = x or proc.name = y\n", true},
		"Falco's fields":           {"- macro: m\n  condition: (evt.type = execve)\n", true},
		"CEL":                      {"- macro: m\n  condition: process.executable.name == \"x\" || false\n", false},
		"a field name in a string": {"- macro: m\n  condition: file.path == \"proc.name and x\"\n", false},
		"a ruleset":                {"- ruleset: x\n- macro: m\n  condition: proc.name = x\n", false},
	} {
		assert.Equal(t, tc.falco, ff.claims(Source{Name: name, Data: []byte(tc.data)}), name)
	}
	// A file of list items only is Falco's when it changes a Falco list.
	require.NoError(t, ff.load(Source{Name: "a", Data: []byte("- list: l\n  items: [a]\n")}, 0))
	assert.True(t, ff.claims(Source{Name: "b", Data: []byte("- list: l\n  items: [b]\n  append: true\n")}))
	assert.False(t, ff.claims(Source{Name: "c", Data: []byte("- list: other\n  items: [b]\n  append: true\n")}))
}

// TestFalcoErrors: a file Falco rejects is rejected, naming file, line, column and reason.
func TestFalcoErrors(t *testing.T) {
	v := "- required_engine_version: 0.57.0\n"
	rule := func(cond string) string {
		return v + "- rule: r\n  desc: d\n  condition: " + cond + "\n  output: o\n  priority: INFO\n"
	}
	for _, tc := range []struct{ name, file, want string }{
		{"syntax in a block", v + "- rule: r\n  desc: d\n  condition: >\n    evt.type = execve and\n    (proc.name = a or\n     proc.name in (a, b)\n  output: o\n  priority: INFO\n",
			`f1.yaml:7:25: rule "r": invalid condition: expected a ')' token`},
		{"operator", rule("evt.type = execve and proc.name is bash"), `f1.yaml:4:46: rule "r": invalid condition: expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'`},
		{"and without blank", rule("evt.type = execve andproc.name = x"), `f1.yaml:4:35: rule "r": invalid condition: expected blank or '(' after 'and'`},
		{"trailing", rule("evt.type = execve)"), `f1.yaml:4:31: rule "r": invalid condition: unexpected token after the condition, expecting 'or', 'and'`},
		{"unknown field", rule("evt.type = execve and proc.nam = bash"), `f1.yaml:4:36: rule "r": filter_check called with nonexistent field proc.nam`},
		{"undefined macro", rule("spawned_proces and proc.name = x"), `f1.yaml:4:14: rule "r": undefined macro 'spawned_proces' used in filter`},
		{"macro before its definition", v + "- macro: a\n  condition: b\n- macro: b\n  condition: evt.type = execve\n" + strings.TrimPrefix(rule("a"), v),
			`f1.yaml:3:14: macro "a": undefined macro 'b' used in filter`},
		{"numeric operator", rule("evt.type = openat and fd.num contains 3"), `f1.yaml:4:36: rule "r": fd.num contains: 'contains' is not supported for numeric fields`},
		{"not a number", rule("evt.type = openat and fd.num = three"), `f1.yaml:4:36: rule "r": fd.num =: "three" is not a number`},
		{"bad regex", rule("evt.type = openat and fd.name regex '(['"), `f1.yaml:4:36: rule "r": fd.name regex: invalid regex "([": error parsing regexp: missing closing ]: ` + "`[`"},
		{"bad escape", rule(`evt.type = openat and fd.name = "a\q"`), `f1.yaml:4:46: rule "r": invalid condition: unsupported string escape sequence: \q`},
		{"newer engine", "- required_engine_version: 0.58.0\n", `f1.yaml:1:28: the file requires Falco rule engine version 0.58.0; otelsec reads rules files up to engine version 0.57.0 (fields or syntax of newer engines are unknown to it)`},
		{"no output", v + "- rule: r\n  desc: d\n  condition: evt.type = execve\n  priority: INFO\n", `f1.yaml:2:3: rule "r": rule has no output`},
		{"output field", v + "- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: x %proc.nam\n  priority: INFO\n", `f1.yaml:5:11: rule "r": output: invalid formatting token %proc.nam: no such field`},
		{"append to nothing", v + "- list: l\n  items: [a]\n  append: true\n", `f1.yaml:2:3: list "l": list has 'append' or 'override' but no list by that name is defined`},
		{"exception field", v + "- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.nam]\n      values: [[x]]\n",
			`f1.yaml:8: rule "r": exception "e": unknown exception field proc.nam`},
		{"exception comps", v + "- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name, proc.pname]\n      comps: [=]\n      values: [[x, y]]\n",
			`f1.yaml:10:14: rule "r": exception "e": fields and comps lists must have equal length`},
		{"priority", v + "- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: LOUD\n", `f1.yaml:6:13: rule "r": unknown priority "LOUD" (want one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, falcoCompileErr(tc.file))
		})
	}
}

// TestFalcoRuleStates: what load says of a rule that cannot run.
func TestFalcoRuleStates(t *testing.T) {
	e, warns := falcoCompile(t, `
- required_engine_version: 0.57.0
- list: empty
  items: []
- rule: Template
  desc: a template rule, for the user to fill the list
  condition: evt.type = execve and proc.name in (empty)
  output: o
  priority: NOTICE
- rule: Reads
  desc: on events otelsec does not capture
  condition: evt.type in (read, pread64) and fd.name = /etc/shadow
  output: o
  priority: NOTICE
- rule: Login uid
  desc: needs a field the sensor lacks
  condition: evt.type = execve and user.homedir = /root
  output: o
  priority: NOTICE
- rule: Off
  desc: disabled in its file
  condition: evt.type = execve
  output: o
  priority: NOTICE
  enabled: false
- rule: Running
  desc: d
  condition: evt.type = execve and not proc.sname contains X
  output: "%user.shell %proc.name"
  priority: NOTICE
`)
	states := map[string]string{}
	for _, r := range e.FalcoRules() {
		states[r.Name] = r.State
	}
	assert.Equal(t, map[string]string{"Template": "never fires", "Reads": "no events", "Login uid": "missing fields", "Off": "disabled", "Running": "loaded"}, states)
	assert.Equal(t, []string{"Running"}, names(e.Rules()))
	got := map[string]string{}
	for _, w := range warns {
		if w.Rule != "" {
			got[w.Rule] = w.Msg
		}
	}
	assert.Equal(t, map[string]string{
		"Template":  "not run: its condition is false on every event, in Falco too (an empty list of a template rule?)",
		"Reads":     "disabled: it is only on events the sensor does not capture: pread64, read",
		"Login uid": "disabled: it needs Falco fields the sensor cannot supply, so it could never fire: user.homedir (not supplied)",
		"Running": "checks on Falco fields the sensor cannot supply are false, as in Falco for a field it cannot read: proc.sname (sessions are not recorded); " +
			"output fields the sensor cannot supply show <NA>: user.shell",
	}, got)
	assert.Equal(t, []string{"Running"}, matchAll(e, execRec(shellUser)), "not (a check on a missing field) is true")
}
