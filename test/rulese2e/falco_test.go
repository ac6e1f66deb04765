//go:build linux

package rulese2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/schema"
)

// Falco's stable and incubating rules files, unchanged, through the real receiver and
// processor: real syscalls make Falco's rules fire under Falco's names, and a near miss of
// each (what the rule's main exception lets through, or the closest thing it must not see)
// does not. Behaviours the default rules' tests perform are reused by name (ours).

func TestFalcoStableEndToEnd(t *testing.T) {
	h := newHarness(t, filepath.Join(falcotest.Dir(t), falcotest.Stable))
	h.performFalco(t, falcoStableHost(h))
	// The benign workload (a Go build, git, routine administration) with Falco's stable
	// rules loaded too: nothing at Warning or above.
	t.Run("benign", func(t *testing.T) {
		h.t = t
		benignWorkload(t, h)
	})
}

func TestFalcoIncubatingEndToEnd(t *testing.T) {
	dir := falcotest.Dir(t)
	h := newHarness(t, filepath.Join(dir, falcotest.Stable), filepath.Join(dir, falcotest.Incubating))
	h.performFalco(t, falcoIncubatingHost(h))
}

// falcoReports says what became of each rule of Falco's stable and incubating files, loaded
// as the harnesses load them, in file order.
func falcoReports(t *testing.T) []ruleengine.FalcoRuleReport {
	dir := falcotest.Dir(t)
	var srcs []ruleengine.Source
	for _, f := range []string{falcotest.Stable, falcotest.Incubating} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, ruleengine.Source{Name: f, Data: data})
	}
	e, _, err := ruleengine.Compile(srcs, ruleengine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e.FalcoRules()
}

// performFalco performs each behaviour in its own subtest; one whose rule this sensor cannot
// run (a field it does not record yet) skips, saying what the rule lacks, and runs once the
// sensor records it.
func (h *harness) performFalco(t *testing.T, bs []behaviour) {
	cannot := map[string]string{}
	for _, r := range falcoReports(t) {
		if r.State != "loaded" {
			cannot[r.Name] = r.State + ": " + strings.Join(append(r.Missing, r.Uncaptured...), ", ")
		}
	}
	for _, b := range bs {
		t.Run(b.name, func(t *testing.T) {
			if why, ok := cannot[b.rule]; ok {
				t.Skipf("%q cannot run on this sensor (%s)", b.rule, why)
			}
			h.perform(t, b)
		})
	}
}

// ours is the default rules' behaviour of that name, checked against Falco's rule instead,
// with nearMiss (nil keeps ours).
func (h *harness) ours(name, rule string, nearMiss func(*testing.T, *harness) int) behaviour {
	self, _ := os.Executable()
	for _, b := range behaviours(filepath.Base(self), h.token) {
		if b.name == name {
			b.name, b.rule, b.notRules = name+" ("+rule+")", rule, nil
			if nearMiss != nil {
				b.nearMiss = nearMiss
			}
			return b
		}
	}
	h.t.Fatalf("no behaviour %q in the default rules' test", name)
	return behaviour{}
}

// runs runs a command and returns its pid; its exit status is not the test's business.
func runs(args ...string) func(*testing.T, *harness) int {
	return func(t *testing.T, h *harness) int {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout = io.Discard
		return h.runQuiet(cmd)
	}
}

// doing is runs as a behaviour, whose violation carries its command line.
func doing(args ...string) func(*testing.T, *harness) (int, map[string]any) {
	return func(t *testing.T, h *harness) (int, map[string]any) {
		return runs(args...)(t, h), map[string]any{schema.AttrProcessCommandLine: strings.Join(args, " ")}
	}
}

// as runs a copy of the helper named name performing mode, and returns its pid.
func as(name, mode string, args ...string) func(*testing.T, *harness) int {
	return func(t *testing.T, h *harness) int {
		return h.run(h.helperCmd(h.copyExecutable(h.helper, name), mode, args...))
	}
}

func doingAs(name, mode string, args ...string) func(*testing.T, *harness) (int, map[string]any) {
	return func(t *testing.T, h *harness) (int, map[string]any) {
		return as(name, mode, args...)(t, h), map[string]any{schema.AttrProcessExecutableName: name}
	}
}

// spawnedBy runs the program args below a copy of the helper named parent, as uid, and
// returns the program's pid.
func spawnedBy(parent string, uid uint32, args ...string) func(*testing.T, *harness) int {
	return func(t *testing.T, h *harness) int {
		cmd := h.helperCmd(h.copyExecutable(h.helper, parent), "exec", args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		cmd.Dir = "/"
		_, out := h.runHelper(cmd)
		var pid int
		if _, err := fmt.Sscan(out, &pid); err != nil {
			t.Fatalf("helper printed %q", out)
		}
		return pid
	}
}

func pidOnly(f func(*testing.T, *harness) int) func(*testing.T, *harness) (int, map[string]any) {
	return func(t *testing.T, h *harness) (int, map[string]any) { return f(t, h), nil }
}

func falcoStableHost(h *harness) []behaviour {
	tok := h.token
	oldServer := startOldServer(h, "nginx", "/etc/shadow")
	logFile := "/var/log/otelsec-rulese2e-" + tok + ".log"
	h.t.Cleanup(func() { os.Remove(logFile) })
	link := func(flag, target, name string) func(*testing.T, *harness) (int, map[string]any) {
		p := filepath.Join(h.work, name)
		return doing("ln", flag, target, p)
	}
	hard := func(target, name string) func(*testing.T, *harness) (int, map[string]any) {
		p := filepath.Join(h.work, name)
		return func(t *testing.T, h *harness) (int, map[string]any) {
			os.Remove(p) // from an earlier attempt
			t.Cleanup(func() { os.Remove(p) })
			return doing("ln", target, p)(t, h)
		}
	}
	return []behaviour{
		h.ours("read shadow", "Read sensitive file untrusted", runs("bash", "-c", "read -r x < /etc/shadow")), // shells are trusted
		// Falco lets a server read secrets in its first 5 s (proc_is_new): the near miss is a
		// server that just started.
		{name: "a server reads /etc/shadow", rule: "Read sensitive file trusted after startup",
			do: oldServer, nearMiss: as("nginx", "read", "/etc/shadow")},
		h.ours("shell below a server", "Run shell untrusted", h.ours("shell below an unexpected program", "", nil).pid()),
		{name: "daemon's session below sshd", rule: "System user interactive",
			do: pidOnly(spawnedBy("sshd", 1, "/usr/bin/id")), nearMiss: spawnedBy("sshd", 0, "/usr/bin/id")},
		{name: "cat through ../", rule: "Directory traversal monitored file read",
			// The rule wants two "../" (*../*../*): one is the near miss.
			do: doing("cat", "/etc/../../etc/hostname"), nearMiss: runs("cat", "/etc/../etc/hostname")},
		{name: "grep for a private key", rule: "Search Private Keys or Passwords",
			do: doing("grep", "-q", "BEGIN RSA PRIVATE "+tok, "/dev/null"), nearMiss: runs("grep", "-q", "password "+tok, "/dev/null")},
		{name: "truncate a log", rule: "Clear Log Activities",
			do: doing("sh", "-c", ": > "+logFile), nearMiss: runs("sh", "-c", ": >> "+logFile)},
		h.ours("shred", "Remove Bulk Data from Disk", func(t *testing.T, h *harness) int {
			p := filepath.Join(h.work, "not-shredded")
			writeFile(t, p, "data", 0o644)
			return runs("rm", p)(t, h)
		}),
		{name: "symlink over /etc/shadow", rule: "Create Symlink Over Sensitive Files",
			do: link("-sf", "/etc/shadow", "shadow-link"), nearMiss: pidAs(link("-sf", "/etc/hostname", "hostname-link"))},
		{name: "hard link to /etc/shadow", rule: "Create Hardlink Over Sensitive Files",
			do: hard("/etc/shadow", "shadow-hard"), nearMiss: pidAs(hard("/etc/hostname", "hostname-hard"))},
		// Each ptrace behaviour is the other's near miss: an attach is not PTRACE_TRACEME.
		h.ours("ptrace attach", "PTRACE attached to process", h.ours("PTRACE_TRACEME", "", nil).pid()),
		h.ours("PTRACE_TRACEME", "PTRACE anti-debug attempt", h.ours("ptrace attach", "", nil).pid()),
		{name: "grep for aws credentials", rule: "Find AWS Credentials",
			do: doing("grep", "-q", "aws_secret_access_key "+tok, "/dev/null"), nearMiss: runs("grep", "-q", "aws_region "+tok, "/dev/null")},
		{name: "find aws credentials", rule: "Find AWS Credentials",
			do: doing("find", h.work, "-path", "*/.aws/credentials"), nearMiss: runs("find", h.work, "-path", "*/.aws/config")},
		h.ours("script from dev-shm run by its interpreter", "Execution from /dev/shm", nil),
		h.ours("ssh out on an egress port", "Disallowed SSH Connection Non Standard Port", sshToFreePort),
		h.ours("memfd exec", "Fileless execution via memfd_create", func(t *testing.T, h *harness) int {
			return h.run(h.helperCmd(h.helper, "exec", "/usr/bin/true")) // an executable on disk
		}),
	}
}

// withEnv runs a copy of true named name with only PATH and variable in its environment (ours
// may be longer than the receiver's max_env_bytes); the violation carries the variable.
func withEnv(name, variable string) func(*testing.T, *harness) (int, map[string]any) {
	return func(t *testing.T, h *harness) (int, map[string]any) {
		cmd := exec.Command(h.copyExecutable("/usr/bin/true", name))
		cmd.Env = []string{"PATH=/usr/bin:/bin", variable}
		return h.run(cmd), map[string]any{schema.AttrProcessEnvironment: []any{"PATH=/usr/bin:/bin", variable}}
	}
}

// pid is the behaviour's do as a near miss: its pid only.
func (b behaviour) pid() func(*testing.T, *harness) int {
	return pidAs(b.do)
}

func pidAs(do func(*testing.T, *harness) (int, map[string]any)) func(*testing.T, *harness) int {
	return func(t *testing.T, h *harness) int {
		pid, _ := do(t, h)
		return pid
	}
}

func falcoIncubatingHost(h *harness) []behaviour {
	tok := h.token
	home := "/home/otelsec-e2e-" + tok
	h.t.Cleanup(func() { os.RemoveAll(home) })
	sshKey := filepath.Join(home, ".ssh", "id_rsa")
	writeKey := func(t *testing.T, h *harness) int {
		writeFile(t, sshKey, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n", 0o600)
		return as("sftp-server", "read", sshKey)(t, h) // ssh's own programs are trusted
	}
	dockerish := "/var/lib/docker-otelsec-e2e-" + tok
	h.t.Cleanup(func() { os.RemoveAll(dockerish) })
	return []behaviour{
		{name: "curl run with HTTP_PROXY", rule: "Program run with disallowed http proxy env",
			do: withEnv("curl", "HTTP_PROXY=http://proxy.invalid:3128"),
			// curl without it: the rule is on the variable, not on curl.
			nearMiss: pidAs(withEnv("curl", "NO_PROXY=localhost"))},
		{name: "program run with GLIBC_TUNABLES", rule: "Potential Local Privilege Escalation via Environment Variables Misuse",
			do: withEnv("tunable-true", "GLIBC_TUNABLES=glibc.malloc.tcache_count=7"),
			// A name that only starts the same.
			nearMiss: pidAs(withEnv("tunable-true", "GLIBC_TUNABLE=glibc.malloc.tcache_count=7"))},
		h.ours("startup file written by a copy named useradd", "Modify Shell Configuration File",
			h.ours("startup file of a service account's home", "", nil).pid()), // shells are trusted
		h.ours("cron.d file", "Schedule Cron Jobs", func(t *testing.T, h *harness) int {
			p := "/etc/otelsec-e2e-" + tok
			t.Cleanup(func() { os.Remove(p) })
			return h.run(touch(p))
		}),
		{name: "ssh key read", rule: "Read ssh information",
			do: doing("cat", sshKey), nearMiss: writeKey}, // the near miss runs first
		h.ours("database server runs a program", "DB program spawned process", spawnedBy("report-generator", 0, "/usr/bin/id")),
		{name: "setns by a renamed nsenter", rule: "Change thread namespace",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				ns := h.copyExecutable("/usr/bin/nsenter", "ns-switch")
				return doing(ns, fmt.Sprintf("--net=/proc/%d/ns/net", os.Getpid()), "true")(t, h)
			},
			// nsenter on the host is trusted.
			nearMiss: h.ours("nsenter into a network namespace", "", nil).pid()},
		{name: "setuid(0) by nobody", rule: "Non sudo setuid",
			// setpriv drops to nobody with setresuid, so the helper's setuid(0) is nobody's.
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := exec.LookPath("setpriv"); err != nil {
					t.Skip("no setpriv")
				}
				cmd := h.helperCmd("setpriv", "setuid0", "--reuid=65534", "--regid=65534", "--clear-groups", h.helper)
				return h.run(cmd), map[string]any{schema.AttrProcessUserID: 65534, schema.AttrPrivilegeTargetUserID: 0}
			},
			// Go's exec as another user calls setuid(65534) in the child, as root: Falco's
			// user is the caller's before the call (the enter event), root.
			nearMiss: func(t *testing.T, h *harness) int {
				cmd := exec.Command("/usr/bin/true")
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				return h.runQuiet(cmd)
			}},
		h.ours("account tool run", "User mgmt binaries", nil),
		h.ours("file created below dev", "Create files below dev", nil),
		h.ours("network scanner run", "Launch Suspicious Network Tool on Host", as("nmap-report", "idle")),
		h.ours("history emptied by a redirect", "Delete or rename shell history", func(t *testing.T, h *harness) int {
			p := filepath.Join(dockerish, ".bash_history") // Docker's files are excepted
			writeFile(t, p, "ls\n", 0o600)
			return runs("bash", "-c", `: > "$0"`, p)(t, h)
		}),
		h.ours("setuid bit on a copy", "Set Setuid or Setgid bit", func(t *testing.T, h *harness) int {
			return runs("chmod", "0755", h.copyExecutable("/usr/bin/true", "plain-true"))(t, h)
		}),
		h.ours("authorized_keys", "Adding ssh keys to authorized_keys", func(t *testing.T, h *harness) int {
			p := filepath.Join(home, ".ssh", "authorized_keys")
			return as("ssh-keygen", "append", p)(t, h) // ssh's own tools are trusted
		}),
		h.ours("sshd opens liblzma 5.6.1", "Backdoored library loaded into SSHD (CVE-2024-3094)", func(t *testing.T, h *harness) int {
			lib := filepath.Join(h.work, "liblzma.so.5.4.1")
			writeFile(t, lib, "not a library", 0o644)
			return as("sshd", "read", lib)(t, h)
		}),
		h.ours("bpf program load", "BPF Program Not Profiled", as("bpftool", "bpf-load")),
		h.ours("shell connects to a remote address", "System procs network activity", func(t *testing.T, h *harness) int {
			l, err := net.Listen("tcp", nonLoopbackIPv4(t)+":0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			return h.run(h.helperCmd(h.helper, "connect", l.Addr().String())) // not a system program
		}),
		{name: "udp to an unexpected port", rule: "Unexpected UDP Traffic",
			// A UDP connect sends nothing: this machine's own address is always routable.
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(h.helperCmd(h.helper, "connect", nonLoopbackIPv4(t)+":9999", "udp")), map[string]any{
					schema.AttrNetworkTransport: "udp", schema.AttrNetworkPeerPort: 9999}
			},
			nearMiss: func(t *testing.T, h *harness) int { // DNS is expected
				return h.run(h.helperCmd(h.helper, "connect", nonLoopbackIPv4(t)+":53", "udp"))
			}},
	}
}

// falcoNotPerformed are the rules of Falco's stable and incubating files that load and are
// not performed here, and why.
var falcoNotPerformed = map[string]string{}

// TestFalcoRulesCovered: every rule of Falco's stable and incubating files that can run on
// this sensor has a behaviour above or a reason in falcoNotPerformed; the others are listed
// with what they lack.
func TestFalcoRulesCovered(t *testing.T) {
	reports := falcoReports(t)
	// The behaviour lists only describe what they do: a harness that runs nothing names them.
	h := &harness{t: t, token: "coverage", work: t.TempDir()}
	covered := map[string]bool{}
	for _, list := range [][]behaviour{falcoStableHost(h), falcoIncubatingHost(h), falcoContainer(h, boxes{&box{}, &box{}, &box{}})} {
		for _, b := range list {
			covered[b.rule] = true
		}
	}
	for _, r := range reports {
		switch {
		case r.State != "loaded":
			waiting := ""
			if covered[r.Name] {
				waiting = " (its behaviour here runs once the sensor can)"
			}
			t.Logf("cannot run: %s %q: %s: %s%s", r.File, r.Name, r.State, strings.Join(append(r.Missing, r.Uncaptured...), ", "), waiting)
		case covered[r.Name]:
		case falcoNotPerformed[r.Name] != "":
			t.Logf("not performed: %s %q: %s", r.File, r.Name, falcoNotPerformed[r.Name])
		default:
			t.Errorf("%s: rule %q runs on this sensor but has no behaviour here and no reason in falcoNotPerformed", r.File, r.Name)
		}
		delete(covered, r.Name)
	}
	for name := range covered {
		t.Errorf("a behaviour checks %q, which is not a rule of the files", name)
	}
}
