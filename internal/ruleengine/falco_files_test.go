package ruleengine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/schema"
)

// Falco's own rules files, unchanged, from ../shared/falco-rules (test data outside the
// project: see its README).

// loadFalco compiles Falco's files (names in falcotest.Dir) and returns the engine, the
// warnings and what became of each rule.
func loadFalco(t testing.TB, opts Options, files ...string) (*Engine, []Warning, []FalcoRuleReport) {
	t.Helper()
	dir := falcotest.Dir(t)
	var srcs []Source
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		srcs = append(srcs, Source{Name: f, Data: data})
	}
	e, warns, err := Compile(srcs, opts)
	require.NoError(t, err)
	return e, warns, e.FalcoRules()
}

func TestFalcoFilesLoad(t *testing.T) {
	for _, set := range [][]string{
		{falcotest.Stable},
		{falcotest.Stable, falcotest.Incubating},
		{falcotest.Stable, falcotest.Incubating, falcotest.Sandbox},
	} {
		t.Run(strings.Join(set, "+"), func(t *testing.T) {
			e, warns, reports := loadFalco(t, Options{}, set...)
			byState := map[string][]string{}
			perFile := map[string]map[string]int{}
			for _, r := range reports {
				byState[r.State] = append(byState[r.State], r.Name)
				if perFile[r.File] == nil {
					perFile[r.File] = map[string]int{}
				}
				perFile[r.File][r.State]++
			}
			for _, f := range set {
				t.Logf("%s: %d rules: %d loaded, %d disabled by the file, %d disabled for missing fields, %d only on events not captured, %d never fire",
					f, sumStates(perFile[f]), perFile[f]["loaded"], perFile[f]["disabled"], perFile[f]["missing fields"], perFile[f]["no events"], perFile[f]["never fires"])
			}
			for _, r := range reports {
				if r.State != "loaded" && r.State != "disabled" {
					t.Logf("  %s: %q needs %s%s", r.State, r.Name, strings.Join(r.Missing, ", "), strings.Join(r.Uncaptured, ", "))
				}
			}
			assert.Len(t, e.Rules(), len(byState["loaded"]), "every loaded rule is in the engine")

			// One warning per rule at most, and each names the rule.
			perRule := map[string]int{}
			for _, w := range warns {
				if w.Rule != "" {
					perRule[w.Rule]++
				}
			}
			for r, n := range perRule {
				assert.Equal(t, 1, n, "rule %q has %d warnings", r, n)
			}
			for _, r := range reports {
				if r.State != "loaded" && r.State != "disabled" {
					assert.Equal(t, 1, perRule[r.Name], "a rule disabled at load is named in a warning: %q", r.Name)
				}
			}

			// Every loaded rule is indexed by the events it is on and runs on the fast path.
			for _, r := range e.Rules() {
				assert.False(t, r.req.any, "%q is evaluated on every record", r.Name)
				assert.NotNil(t, r.fast, "%q is not on the fast path: %s", r.Name, r.slowReason)
			}
		})
	}
}

func sumStates(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// TestFalcoStableRuleStates pins that the rules the fixture tests exercise are loaded, and
// what becomes of the one the sensor cannot serve.
func TestFalcoStableRuleStates(t *testing.T) {
	_, _, reports := loadFalco(t, Options{}, falcotest.Stable)
	require.Len(t, reports, 25, "the stable file has 25 rules")
	got := map[string]FalcoRuleReport{}
	for _, r := range reports {
		got[r.Name] = r
	}
	for _, name := range []string{"Read sensitive file untrusted", "Terminal shell in container", "Search Private Keys or Passwords",
		"Clear Log Activities", "Create Symlink Over Sensitive Files", "Create Hardlink Over Sensitive Files", "Run shell untrusted",
		"PTRACE attached to process", "PTRACE anti-debug attempt", "Execution from /dev/shm", "Fileless execution via memfd_create",
		"Disallowed SSH Connection Non Standard Port", "Redirect STDOUT/STDIN to Network Connection in Container",
		"Netcat Remote Code Execution in Container", "Remove Bulk Data from Disk", "Find AWS Credentials", "System user interactive",
		"Read sensitive file trusted after startup", "Directory traversal monitored file read", "Packet socket created in container",
		"Detect release_agent File Container Escapes", "Drop and execute new binary in container", "Linux Kernel Module Injection Detected"} {
		assert.Equal(t, "loaded", got[name].State, name)
	}
	// The container fields come from the container_metadata processor's attributes.
	require.Contains(t, schema.Types, "container.image.name")
	assert.Equal(t, "loaded", got["Debugfs Launched in Privileged Container"].State)
	assert.Equal(t, []string{"fd.sip.name (the DNS names of addresses are not recorded)"}, got["Contact K8S API Server From Container"].Missing)
}

// falcoProc is a process as the receiver describes it on every record.
type falcoProc struct {
	exe, cmdline  string // the running image, argv joined
	user          string
	uid           int
	parentExe     string
	parentCmdline string
	ancestors     []string // executable names: parent, grandparent, ...
	// comm and parentComm are the kernel's comms; empty: what exec gives a program run by
	// its command line's argv[0] (its basename, cut to 15 bytes). The ancestors' comms are
	// their executable names, cut likewise.
	comm, parentComm string
	loginuid         *int
	capEff, capPerm  int64
	vpid             int  // process.exec
	upperLayer       bool // process.exec
	container        string
	tty              bool
	cwd              string
	syscall          string
	ret              int
	errno            string
	extra            []any
	resourceHostName string
}

func (p falcoProc) record(event string, kv ...any) plog.LogRecord {
	attrs := []any{
		schema.AttrProcessPID, 4242, schema.AttrThreadID, 4242, schema.AttrProcessParentPID, 4200,
		schema.AttrProcessExecutablePath, p.exe, schema.AttrProcessExecutableName, basename(p.exe),
		schema.AttrProcessCommandLine, p.cmdline, schema.AttrProcessUserID, p.uid, schema.AttrProcessRealUserID, p.uid,
		schema.AttrProcessUserName, p.user, schema.AttrProcessInteractive, p.tty,
		schema.AttrProcessParentExecutablePath, p.parentExe, schema.AttrProcessParentExecutableName, basename(p.parentExe),
		schema.AttrProcessParentCommandLine, p.parentCmdline, schema.AttrProcessAncestorsExecName, p.ancestors,
		schema.AttrSyscallReturn, p.ret,
		schema.AttrProcessLinuxComm, orComm(p.comm, p.cmdline), schema.AttrProcessParentLinuxComm, orComm(p.parentComm, p.parentCmdline),
		schema.AttrProcessAncestorsLinuxComm, truncComms(p.ancestors),
	}
	if p.capEff != 0 { // the receiver leaves empty sets out
		attrs = append(attrs, schema.AttrThreadCapabilitiesEffective, p.capEff)
	}
	if p.capPerm != 0 {
		attrs = append(attrs, schema.AttrThreadCapabilitiesPermitted, p.capPerm)
	}
	if p.loginuid != nil {
		attrs = append(attrs, schema.AttrProcessLoginUserID, *p.loginuid)
	}
	if p.syscall != "" {
		attrs = append(attrs, schema.AttrSyscallName, p.syscall)
	}
	if p.errno != "" {
		attrs = append(attrs, schema.AttrErrorType, p.errno)
	}
	if p.container != "" {
		attrs = append(attrs, schema.AttrContainerID, p.container)
	}
	if p.cwd != "" {
		attrs = append(attrs, schema.AttrProcessWorkingDirectory, p.cwd)
	}
	return rec(event, append(attrs, kv...)...)
}

// orComm is comm, or the comm exec gives the command line's argv[0] (a login shell's "-" and
// a process title's ":" aside).
func orComm(comm, cmdline string) string {
	if comm != "" {
		return comm
	}
	a, _, _ := strings.Cut(cmdline, " ")
	a = strings.TrimSuffix(strings.TrimPrefix(a, "-"), ":")
	return truncComm(a[strings.LastIndexByte(a, '/')+1:])
}

func truncComm(s string) string {
	if len(s) > 15 {
		return s[:15]
	}
	return s
}

func truncComms(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = truncComm(n)
	}
	return out
}

func (p falcoProc) with(f func(*falcoProc)) falcoProc {
	f(&p)
	return p
}

// Processes of the fixtures.
var (
	shellUser = falcoProc{exe: "/usr/bin/bash", cmdline: "bash", user: "alice", uid: 1000, parentExe: "/usr/sbin/sshd",
		parentCmdline: "sshd: alice@pts/0", ancestors: []string{"sshd", "sshd", "systemd"}, tty: true, cwd: "/home/alice"}
	catShadow = falcoProc{exe: "/usr/bin/cat", cmdline: "cat /etc/shadow", user: "root", uid: 0, parentExe: "/usr/bin/bash",
		parentCmdline: "bash", ancestors: []string{"bash", "sshd", "systemd"}, tty: true, syscall: "openat", ret: 3}
)

func matchAll(e *Engine, lr plog.LogRecord) []string {
	return names(e.Match(pcommon.NewMap(), lr, nil))
}
