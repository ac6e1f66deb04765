//go:build linux

package rulese2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/containertest"
	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/schema"
)

// Falco's container rules (stable and incubating) in real Docker containers, with the
// container_metadata processor asking that dockerd, as a sensor runs.
func TestFalcoContainerEndToEnd(t *testing.T) {
	dir := falcotest.Dir(t)
	rt := containertest.Start(t)
	h := newHarnessDocker(t, rt.DockerSock, filepath.Join(dir, falcotest.Stable), filepath.Join(dir, falcotest.Incubating))
	h.performFalco(t, falcoContainer(h, boxes{plain: newBox(t, h, rt), priv: newBox(t, h, rt, "--privileged"),
		capable: newBox(t, h, rt, "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_MODULE")}))
}

// box is a running busybox container. It shares the host's pid namespace, so that a
// process's pid in it is the one the receiver reports, and the host's network, so that
// connections leave it as from a pod on a node; the host's libraries and the harness's work
// directory are mounted so the test's helper runs in it too.
type box struct {
	rt  *containertest.Runtimes
	id  string
	err error // why the box could not be made: its behaviours skip
}

// errorLine is the line of docker's output that says what failed.
func errorLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "Error") {
			return l
		}
	}
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// boxes are the containers the behaviours run in: a plain one, a privileged one and one with
// CAP_SYS_ADMIN and CAP_SYS_MODULE added.
type boxes struct{ plain, priv, capable *box }

// newBox starts a box with docker run's extra options.
func newBox(t *testing.T, h *harness, rt *containertest.Runtimes, extra ...string) *box {
	args := append([]string{"run", "-d", "--pid", "host", "--network", "host",
		"-v", "/usr/lib:/usr/lib:ro", "-v", "/usr/lib:/lib:ro", "-v", "/lib64:/lib64:ro", "-v", h.work + ":" + h.work}, extra...)
	privileged := len(extra) > 0 && extra[0] == "--privileged"
	id, err := rt.Docker(append(args, containertest.Image, "sleep", "100000")...)
	if err != nil && privileged {
		// A privileged container has every capability, which runc cannot grant where root
		// lacks some (this machine's root has no CAP_SYS_RESOURCE): its behaviours skip.
		return &box{rt: rt, err: fmt.Errorf("no privileged container here: %v: %s", err, errorLine(id))}
	}
	if err != nil {
		t.Fatalf("docker run: %v: %s", err, id)
	}
	id = lastLine(id)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rt.WaitRunning(ctx, id); err != nil {
		t.Fatal(err)
	}
	// busybox applets under the names of tools the rules look for.
	rt.MustDocker("exec", id, "sh", "-c", "cp /bin/busybox /tmp/debugfs && cp /bin/busybox /tmp/scp")
	return &box{rt: rt, id: id}
}

// launch starts another container from the box's image with docker run's extra options,
// in its own pid namespace, and returns the host pid of its first process (pid 1 in it).
func (b *box) launch(extra ...string) func(*testing.T, *harness) int {
	return func(t *testing.T, h *harness) int {
		args := append(append([]string{"run", "-d", "--network", "none"}, extra...), containertest.Image, "sleep", "100000")
		id, err := b.rt.Docker(args...)
		if err != nil && slices.Contains(extra, "--privileged") {
			t.Skipf("no privileged container here: %v: %s", err, errorLine(id))
		}
		if err != nil {
			t.Fatalf("docker run: %v: %s", err, id)
		}
		id = lastLine(id)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := b.rt.WaitRunning(ctx, id); err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(b.rt.MustDocker("inspect", "-f", "{{.State.Pid}}", id))
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
}

// run runs script with sh -c in the box; the script prints the pid of the process the
// test is about on its first line, which run returns.
func (b *box) run(script string, env ...string) func(*testing.T, *harness) int {
	return func(t *testing.T, h *harness) int {
		if b.err != nil {
			t.Skip(b.err)
		}
		args := []string{"exec"}
		for _, e := range env {
			args = append(args, "-e", e)
		}
		out, _ := b.rt.Docker(append(args, b.id, "sh", "-c", script)...)
		// The output is stdout and stderr together: the pid is the line that is a number.
		for _, l := range strings.Split(out, "\n") {
			if pid, err := strconv.Atoi(strings.TrimSpace(l)); err == nil {
				return pid
			}
		}
		t.Fatalf("docker exec %s printed %q", script, out)
		return 0
	}
}

// exec runs command in the box (sh execs it: the shell's pid is the command's). Some
// applets are named by their path (/usr/bin/nc): busybox's sh may run an applet named bare
// by re-executing /proc/self/exe, whose comm at the exec, Falco's proc.name, is then "exe".
func (b *box) exec(command string, env ...string) func(*testing.T, *harness) int {
	return b.run("echo $$; exec "+command, env...)
}

// doing is exec as a behaviour, whose violation carries the box's container id.
func (b *box) doing(command string, env ...string) func(*testing.T, *harness) (int, map[string]any) {
	return func(t *testing.T, h *harness) (int, map[string]any) {
		return b.exec(command, env...)(t, h), map[string]any{schema.AttrContainerID: b.id}
	}
}

func falcoContainer(h *harness, bx boxes) []behaviour {
	plain, priv, capable := bx.plain, bx.priv, bx.capable
	metadata := func(p *box) func(*testing.T, *harness) int {
		return p.exec(h.helper+" 169.254.169.254:80", helperEnv+"=connect")
	}
	fromHost := func(t *testing.T, h *harness) int {
		return h.run(h.helperCmd(h.helper, "connect", "169.254.169.254:80"))
	}
	return []behaviour{
		{name: "shell on a terminal by docker exec -it", rule: "Terminal shell in container",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := exec.LookPath("script"); err != nil {
					t.Skip("no script(1) to give docker exec a terminal")
				}
				cmd := exec.Command("script", "-qec", "docker exec -it "+plain.id+` sh -c 'echo $$'`, "/dev/null")
				cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+plain.rt.DockerSock)
				var out strings.Builder
				cmd.Stdout = &out
				h.run(cmd)
				// The terminal may echo a byte that reaches it before docker exec puts it
				// in raw mode ("^@"), so the pid is the first number printed, not the first word.
				digits := regexp.MustCompile(`[0-9]+`).FindString(out.String())
				pid, err := strconv.Atoi(digits)
				if err != nil {
					t.Fatalf("script printed %q", out.String())
				}
				return pid, map[string]any{schema.AttrContainerID: plain.id, schema.AttrProcessInteractive: true}
			},
			nearMiss: plain.exec("sh -c 'echo x'")}, // no terminal
		{name: "nc -e in a container", rule: "Netcat Remote Code Execution in Container",
			do: plain.doing("/usr/bin/nc -e /bin/true 127.0.0.1 1"), nearMiss: plain.exec("/usr/bin/nc 127.0.0.1 1")},
		{name: "nc gives a program its socket in a container", rule: "Redirect STDOUT/STDIN to Network Connection in Container",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				go func() {
					if c, err := l.Accept(); err == nil {
						c.Close()
					}
				}()
				return plain.doing(fmt.Sprintf("/usr/bin/nc 127.0.0.1 %d -e /bin/true", l.Addr().(*net.TCPAddr).Port))(t, h)
			},
			nearMiss: plain.exec("sh -c 'exec 1>/dev/null'")}, // a file, not a socket
		{name: "debugfs in a privileged container", rule: "Debugfs Launched in Privileged Container",
			do: priv.doing("/tmp/debugfs -V"), nearMiss: plain.exec("/tmp/debugfs -V")},
		{name: "unshare in a container", rule: "Change namespace privileges via unshare",
			do: plain.doing("unshare -n true"), nearMiss: runs("unshare", "-n", "true")}, // on the host
		{name: "metadata service from a container", rule: "Contact EC2 Instance Metadata Service From Container",
			do: pidWith(metadata(plain), plain), nearMiss: fromHost},
		{name: "cloud metadata service from a container", rule: "Contact cloud metadata service from container",
			do: pidWith(metadata(plain), plain), nearMiss: fromHost},
		{name: "dpkg in a container", rule: "Launch Package Management Process in Container",
			do: plain.doing("/usr/bin/dpkg -l"), nearMiss: runs("dpkg", "-l")},
		{name: "nc in a container", rule: "Launch Suspicious Network Tool in Container",
			do: plain.doing("/usr/bin/nc 127.0.0.1 1"), nearMiss: as("nc", "idle")},
		{name: "scp in a container", rule: "Launch Remote File Copy Tools in Container",
			do: plain.doing("/tmp/scp -V"), nearMiss: as("scp", "idle")},
		{name: "mount in a privileged container", rule: "Mount Launched in Privileged Container",
			do: priv.doing("mount -t tmpfs otelsec-e2e /mnt"), nearMiss: priv.exec("mount")}, // listing mounts
		{name: "wget in a container", rule: "Launch Ingress Remote File Copy Tools in Container",
			do: plain.doing("/usr/bin/wget -q -O /dev/null http://127.0.0.1:1/"), nearMiss: as("wget", "idle")},
		{name: "environ read in a container", rule: "Read environment variable from /proc files",
			do: plain.doing("cat /proc/self/environ"), nearMiss: runs("cat", "/proc/self/environ")},
		{name: "tar run by kubectl cp", rule: "Exfiltrating Artifacts via Kubernetes Control Plane",
			// Not to /dev/null: tar would read nothing.
			do: plain.doing("tar cf /tmp/out.tar /tmp/scp"),
			// What kubectl cp's side effects read (/etc, /proc, ...) is excepted.
			nearMiss: plain.exec("tar cf /tmp/out.tar /etc/hostname")},
		{name: "privileged container started", rule: "Launch Privileged Container",
			do: pidOnly(plain.launch("--privileged")), nearMiss: plain.launch()},
		{name: "container started with CAP_SYS_ADMIN", rule: "Launch Excessively Capable Container",
			do: pidOnly(plain.launch("--cap-add", "SYS_ADMIN")), nearMiss: plain.launch()}, // Docker's default capabilities
		{name: "executable written in a container run", rule: "Drop and execute new binary in container",
			do: plain.doing("/tmp/scp -V"), nearMiss: plain.exec("/bin/busybox true")}, // the image's own
		{name: "packet socket in a container", rule: "Packet socket created in container",
			do: plain.doing(h.helper, helperEnv+"=packet-socket"), nearMiss: plain.exec(h.helper+" 127.0.0.1:9 udp", helperEnv+"=connect")},
		{name: "release_agent written with CAP_SYS_ADMIN", rule: "Detect release_agent File Container Escapes",
			do: capable.doing("touch /tmp/release_agent"), nearMiss: plain.exec("touch /tmp/release_agent")},
		{name: "module load with CAP_SYS_MODULE", rule: "Linux Kernel Module Injection Detected",
			do: func(t *testing.T, h *harness) (int, map[string]any) {
				if _, err := os.Stat("/proc/modules"); err != nil {
					t.Skip("this kernel has no loadable module support (no /proc/modules): finit_module does not exist")
				}
				ko := filepath.Join(h.work, "rootkit.ko")
				writeFile(t, ko, "not an ELF module", 0o644)
				return capable.doing(h.helper+" "+ko, helperEnv+"=module-load")(t, h)
			},
			nearMiss: func(t *testing.T, h *harness) int {
				ko := filepath.Join(h.work, "rootkit.ko")
				writeFile(t, ko, "not an ELF module", 0o644)
				return plain.exec(h.helper+" "+ko, helperEnv+"=module-load")(t, h)
			}},
	}
}

func pidWith(f func(*testing.T, *harness) int, b *box) func(*testing.T, *harness) (int, map[string]any) {
	return func(t *testing.T, h *harness) (int, map[string]any) {
		return f(t, h), map[string]any{schema.AttrContainerID: b.id}
	}
}
