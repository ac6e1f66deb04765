//go:build linux

// Package containertest runs real container runtimes for tests: a containerd (with its CRI
// plugin) and a dockerd on top of it, all state under one scratch directory, and a busybox
// image made from the host's busybox-static (no registry). Everything it starts it stops by
// pid, and it removes the cgroup folders the runtimes leave. Tests that call it need root and
// the Debian packages busybox-static, runc, containerd and docker.io (.ci/run installs them);
// without them they are skipped, saying which is missing.
package containertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Image is the busybox image every runtime has once Start returns: in Docker, and in
// containerd's k8s.io namespace for CRI. Its command is a shell; it carries one label.
const (
	Image      = "localhost/otelsec-bb:latest"
	ImageRepo  = "localhost/otelsec-bb"
	ImageTag   = "latest"
	ImageLabel = "org.otelsec.test"
	// PauseImage is CRI's sandbox image: busybox sleeping, standing in for pause.
	PauseImage = "localhost/otelsec-pause:latest"
)

// Runtimes are the daemons one test started.
type Runtimes struct {
	t              testing.TB
	Dir            string
	ContainerdSock string
	DockerSock     string
	procs          []*exec.Cmd
	cgroupsBefore  map[string]bool
}

// Require skips t unless it runs as root with every program the runtimes need.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("container runtimes need root")
	}
	for _, p := range []string{"containerd", "dockerd", "docker", "runc", "ctr"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed (apt-get install runc containerd docker.io; .ci/run does)", p)
		}
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("/bin/busybox is missing (apt-get install busybox-static; .ci/run does)")
	}
}

// Start runs containerd (CRI on) and dockerd, and imports the busybox images.
func Start(t testing.TB) *Runtimes {
	t.Helper()
	Require(t)
	// Short: unix socket paths are bounded (108 bytes) and the shims put theirs below it.
	dir, err := os.MkdirTemp("/tmp", "otelsec-rt-")
	if err != nil {
		t.Fatal(err)
	}
	r := &Runtimes{t: t, Dir: dir, ContainerdSock: filepath.Join(dir, "containerd.sock"),
		DockerSock: filepath.Join(dir, "docker.sock"), cgroupsBefore: cgroupFolders()}
	t.Cleanup(r.stop)
	r.startContainerd()
	r.startDockerd()
	r.importImages()
	return r
}

func (r *Runtimes) startContainerd() {
	cfg := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[4]q
  enable_selinux = false
  # The pause sandbox asks for oom_score_adj -998, which root without CAP_SYS_RESOURCE (these
  # machines) may not set; restricted, it keeps containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[5]q
    conf_dir = %[5]q
`, filepath.Join(r.Dir, "containerd-root"), filepath.Join(r.Dir, "containerd-state"), r.ContainerdSock, PauseImage,
		filepath.Join(r.Dir, "cni"))
	path := filepath.Join(r.Dir, "containerd.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		r.t.Fatal(err)
	}
	r.daemon("containerd", "containerd", "--config", path)
	r.waitSocket(r.ContainerdSock, "containerd")
}

func (r *Runtimes) startDockerd() {
	conf := filepath.Join(r.Dir, "daemon.json")
	if err := os.WriteFile(conf, []byte("{}"), 0o600); err != nil {
		r.t.Fatal(err)
	}
	r.daemon("dockerd", "dockerd", "--config-file", conf,
		"--data-root", filepath.Join(r.Dir, "docker-root"), "--exec-root", filepath.Join(r.Dir, "docker-exec"),
		"--pidfile", filepath.Join(r.Dir, "dockerd.pid"), "-H", "unix://"+r.DockerSock,
		"--storage-driver", "overlay2", "--bridge", "none", "--iptables=false", "--ip6tables=false",
		"--ip-masq=false", "--containerd", r.ContainerdSock)
	r.waitSocket(r.DockerSock, "dockerd")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := r.Docker("version"); err == nil {
			return
		} else if time.Now().After(deadline) {
			r.t.Fatalf("dockerd does not answer: %v\n%s", err, r.daemonLog("dockerd"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *Runtimes) daemon(name string, args ...string) {
	logf, err := os.Create(filepath.Join(r.Dir, name+".log"))
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start %s: %v", name, err)
	}
	logf.Close()
	r.procs = append(r.procs, cmd)
}

func (r *Runtimes) daemonLog(name string) string {
	b, _ := os.ReadFile(filepath.Join(r.Dir, name+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (r *Runtimes) waitSocket(path, name string) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s did not create %s\n%s", name, path, r.daemonLog(name))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// importImages makes the busybox root filesystem and imports it into Docker, then copies the
// image into containerd's k8s.io namespace for CRI.
func (r *Runtimes) importImages() {
	rootfs := filepath.Join(r.Dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(rootfs, "bin"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.must("cp", "/bin/busybox", filepath.Join(rootfs, "bin", "busybox"))
	// The applets' links are made here rather than by `busybox --install` in a chroot: that
	// would be a program below /tmp writing to /bin, which the rules rightly report, and the
	// runtimes' noise is what tests measure while these images are made.
	list, err := exec.Command("/bin/busybox", "--list-full").Output()
	if err != nil {
		r.t.Fatalf("busybox --list-full: %v", err)
	}
	for _, applet := range strings.Fields(string(list)) {
		link := filepath.Join(rootfs, applet)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.Symlink("/bin/busybox", link); err != nil && !os.IsExist(err) {
			r.t.Fatal(err)
		}
	}
	for _, d := range []string{"tmp", "etc", "proc", "sys", "dev", "root"} {
		_ = os.MkdirAll(filepath.Join(rootfs, d), 0o755)
	}
	_ = os.WriteFile(filepath.Join(rootfs, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	tar := filepath.Join(r.Dir, "bb.tar")
	r.must("tar", "-C", rootfs, "-cf", tar, ".")
	if out, err := r.Docker("import", "--change", `CMD ["/bin/sh"]`, "--change", "LABEL "+ImageLabel+"=busybox", tar, Image); err != nil {
		r.t.Fatalf("docker import: %v\n%s", err, out)
	}
	if out, err := r.Docker("import", "--change", `CMD ["/bin/sleep", "100000"]`, tar, PauseImage); err != nil {
		r.t.Fatalf("docker import: %v\n%s", err, out)
	}
	saved := filepath.Join(r.Dir, "images.tar")
	if out, err := r.Docker("save", "-o", saved, Image, PauseImage); err != nil {
		r.t.Fatalf("docker save: %v\n%s", err, out)
	}
	if out, err := r.Ctr("k8s.io", "images", "import", saved); err != nil {
		r.t.Fatalf("ctr images import: %v\n%s", err, out)
	}
}

func (r *Runtimes) must(args ...string) {
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		r.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Docker runs the docker CLI against this dockerd; the output is trimmed.
func (r *Runtimes) Docker(args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+r.DockerSock)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// MustDocker is Docker, failing the test on error.
func (r *Runtimes) MustDocker(args ...string) string {
	r.t.Helper()
	out, err := r.Docker(args...)
	if err != nil {
		r.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Ctr runs ctr against this containerd in namespace ns.
func (r *Runtimes) Ctr(ns string, args ...string) (string, error) {
	out, err := exec.Command("ctr", append([]string{"--address", r.ContainerdSock, "--namespace", ns}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// stop removes every container, stops the daemons by pid, and cleans what they leave.
func (r *Runtimes) stop() {
	if ids, err := r.Docker("ps", "-aq"); err == nil && ids != "" {
		_, _ = r.Docker(append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
	}
	r.removeContainerdContainers()
	for i := len(r.procs) - 1; i >= 0; i-- {
		stopProcess(r.procs[i])
	}
	r.killShims()
	_ = syscall.Unmount(filepath.Join(r.Dir, "docker-exec", "netns", "default"), syscall.MNT_DETACH)
	r.removeCgroups()
	_ = unmountBelow(r.Dir)
	if r.t.Failed() {
		r.t.Logf("runtimes' state kept in %s", r.Dir)
		return
	}
	_ = os.RemoveAll(r.Dir)
}

func (r *Runtimes) removeContainerdContainers() {
	nss, err := r.Ctr("default", "namespaces", "ls", "-q")
	if err != nil {
		return
	}
	for _, ns := range strings.Fields(nss) {
		tasks, _ := r.Ctr(ns, "tasks", "ls", "-q")
		for _, id := range strings.Fields(tasks) {
			_, _ = r.Ctr(ns, "tasks", "kill", "-s", "SIGKILL", id)
			_, _ = r.Ctr(ns, "tasks", "rm", "-f", id)
		}
		cs, _ := r.Ctr(ns, "containers", "ls", "-q")
		for _, id := range strings.Fields(cs) {
			_, _ = r.Ctr(ns, "containers", "rm", id)
		}
	}
}

func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// killShims ends the containerd shims of this containerd (they outlive it by design), found
// by the address they were given.
func (r *Runtimes) killShims() {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(cmdline, []byte("containerd-shim")) && bytes.Contains(cmdline, []byte(r.ContainerdSock)) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cgroupFolders lists the folders at the top of every cgroup hierarchy.
func cgroupFolders() map[string]bool {
	m := map[string]bool{}
	hiers, _ := filepath.Glob("/sys/fs/cgroup/*")
	hiers = append(hiers, "/sys/fs/cgroup")
	for _, h := range hiers {
		ents, _ := os.ReadDir(h)
		for _, e := range ents {
			if e.IsDir() {
				m[filepath.Join(h, e.Name())] = true
			}
		}
	}
	return m
}

// runtimeCgroups are the top cgroup folders the runtimes here make (docker, CRI's kubepods
// parent the tests give, containerd's per-namespace ones).
var runtimeCgroups = map[string]bool{"docker": true, "kubepods": true, "k8s.io": true, "moby": true, "default": true}

// removeCgroups removes the (empty) cgroup folders the runtimes made, deepest first: only
// folders of runtimeCgroups' names that were not there before Start.
func (r *Runtimes) removeCgroups() {
	for dir := range cgroupFolders() {
		if r.cgroupsBefore[dir] || !runtimeCgroups[filepath.Base(dir)] {
			continue
		}
		var dirs []string
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = syscall.Rmdir(dirs[i])
		}
	}
}

// unmountBelow detaches every mount under dir (overlay snapshots, shm) before removal.
func unmountBelow(dir string) error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var mps []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			mps = append(mps, f[4])
		}
	}
	for i := len(mps) - 1; i >= 0; i-- {
		_ = syscall.Unmount(mps[i], syscall.MNT_DETACH)
	}
	return nil
}

// WaitRunning waits until the docker container is running.
func (r *Runtimes) WaitRunning(ctx context.Context, id string) error {
	for {
		if out, _ := r.Docker("inspect", "-f", "{{.State.Running}}", id); out == "true" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container %s not running: %w", id, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
