//go:build linux

package rulese2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/otelsec/otelsec/internal/falcotest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/containertest"
	"github.com/otelsec/otelsec/internal/schema"
)

// Low noise is part of detection: routine work on a host (the benign developer workload, a C
// build, containers started and stopped through every runtime here, packages installed and
// removed) raises nothing at Warning or above, with the default rules and with Falco's stable
// file.
//
// What counts is every record of this test's own process tree: the test binary (the sensor
// runs inside it), the daemons it starts and everything below them. The test makes itself a
// child subreaper for the run, so that processes which daemonize (containerd's shims, runc's
// init) stay below it instead of being re-parented to pid 1, and attributes a record to the
// tree by process.ancestors.executable.name, the way the receiver reports ancestry. Other
// agents' work on this shared machine never has the test binary among its ancestors, so
// nothing of ours is filtered out by guessing what belongs to whom.

func TestNoiseDefaultRules(t *testing.T) {
	noise(t, newHarnessUnfiltered(t))
}

func TestNoiseFalcoStable(t *testing.T) {
	noise(t, newHarnessUnfiltered(t, filepath.Join(falcotest.Dir(t), falcotest.Stable)))
}

func noise(t *testing.T, h *harness) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ours := filepath.Base(self)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	// Other tests of this binary expect orphans to go to pid 1.
	t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	h.col.mu.Lock()
	h.col.treeName = ours
	h.col.mu.Unlock()

	parts := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"benign workload", benignWorkload},
		{"C build", cBuild},
		{"containers", containers},
		{"packages", packages},
	}
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) {
			h.t = t
			start := time.Now()
			p.run(t, h)
			t.Logf("%s ran in %s", p.name, time.Since(start).Round(time.Millisecond))
		})
	}
	h.t = t
	time.Sleep(50 * flushInterval)

	h.col.mu.Lock()
	ready := make(map[int]bool, len(h.readyPIDs))
	for pid := range h.readyPIDs {
		ready[pid] = true
	}
	h.col.mu.Unlock()
	// find holds the collector's lock while it calls inTree.
	inTree := func(v violation) bool {
		if ready[int(v.int(schema.AttrProcessPID))] {
			return false
		}
		return v.str(schema.AttrProcessExecutableName) == ours || listHas(ours)(v.attrs[schema.AttrProcessAncestorsExecName])
	}
	// Violations at Warning or above, grouped by rules, program and command line (an image
	// unpack writes hundreds of files), each group with its count and one example.
	var bad []string
	groups := map[string]int{}
	below := map[string]int{}
	for _, v := range h.col.find(inTree) {
		if atLeastWarning(v) {
			key := fmt.Sprintf("%v exe=%s cmdline=%q", v.rules, v.str(schema.AttrProcessExecutablePath), v.str(schema.AttrProcessCommandLine))
			if groups[key] == 0 {
				bad = append(bad, key)
			}
			groups[key]++
			if groups[key] == 1 {
				bad[len(bad)-1] = key + "\n\te.g. " + v.String() + " file=" + v.str(schema.AttrFilePath)
			}
		} else {
			below[v.rules[0]]++
		}
	}
	for r, n := range below {
		t.Logf("below Warning (allowed): %d x %q", n, r)
	}
	h.col.mu.Lock()
	inContainers := h.col.treeContainer
	h.col.mu.Unlock()
	if inContainers == 0 {
		t.Errorf("no record of a container process below this test arrived: the containers' processes were not checked")
	}
	t.Logf("records of container processes below this test: %d", inContainers)
	if len(bad) > 0 {
		n := 0
		for i, b := range bad {
			k := strings.SplitN(b, "\n", 2)[0]
			n += groups[k]
			bad[i] = fmt.Sprintf("%5d x %s", groups[k], b)
		}
		t.Errorf("%d violations at Warning or above in routine work:\n%s", n, strings.Join(bad, "\n"))
	}
}

// script runs a bash script with arguments and fails the test with its output on error.
func script(t *testing.T, env []string, body string, args ...string) string {
	t.Helper()
	cmd := exec.Command("/bin/bash", append([]string{"-euc", body, "script"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return string(out)
}

// cBuild generates a small C project (a library and a program, a header each) and builds it
// with make -j2, runs it and cleans it, as a developer would.
func cBuild(t *testing.T, h *harness) {
	for _, p := range []string{"gcc", "make", "cc"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed (apt-get install gcc make; .ci/run does)", p)
		}
	}
	dir := filepath.Join(h.work, "cproj")
	const units = 8
	var objs []string
	for i := 0; i < units; i++ {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("unit%d.c", i)), fmt.Sprintf(`#include <string.h>
#include "units.h"

int unit%[1]d(const char *s) { return (int)strlen(s) * %[1]d; }
`, i), 0o644)
		objs = append(objs, fmt.Sprintf("unit%d.o", i))
	}
	var decls, calls strings.Builder
	for i := 0; i < units; i++ {
		fmt.Fprintf(&decls, "int unit%d(const char *s);\n", i)
		fmt.Fprintf(&calls, "\tsum += unit%d(argv[0]);\n", i)
	}
	writeFile(t, filepath.Join(dir, "units.h"), decls.String(), 0o644)
	writeFile(t, filepath.Join(dir, "main.c"), "#include <stdio.h>\n#include \"units.h\"\n\nint main(int argc, char **argv) {\n\tint sum = 0;\n\t(void)argc;\n"+
		calls.String()+"\tprintf(\"%d\\n\", sum);\n\treturn 0;\n}\n", 0o644)
	writeFile(t, filepath.Join(dir, "Makefile"), fmt.Sprintf(`CFLAGS ?= -O2 -Wall -g
OBJS = %s

all: prog

libunits.a: $(OBJS)
	$(AR) rcs $@ $^

prog: main.o libunits.a
	$(CC) $(CFLAGS) -o $@ main.o -L. -lunits

%%.o: %%.c units.h
	$(CC) $(CFLAGS) -c -o $@ $<

check: prog
	./prog >/dev/null

clean:
	rm -f *.o *.a prog

.PHONY: all check clean
`, strings.Join(objs, " ")), 0o644)
	script(t, nil, `cd "$1"; make -s -j2; make -s check; make -s clean; make -s -j2 CC=cc`, dir)
}

// containers starts and stops containers with every runtime here: docker (dockerd on
// containerd), ctr, and runc alone.
func containers(t *testing.T, h *harness) {
	containertest.Require(t)
	rt := containertest.Start(t)
	name := "noise-" + h.token
	rt.MustDocker("run", "--rm", "--network", "none", containertest.Image, "sh", "-c", "echo hello; ls / >/dev/null; id")
	rt.MustDocker("run", "-d", "--name", name, "--network", "none", containertest.Image, "sleep", "60")
	rt.MustDocker("exec", name, "ps")
	rt.MustDocker("stop", "-t", "1", name)
	rt.MustDocker("rm", name)
	if out, err := rt.Ctr("k8s.io", "run", "--rm", containertest.Image, name, "sh", "-c", "echo hello; ls / >/dev/null"); err != nil {
		t.Fatalf("ctr run: %v\n%s", err, out)
	}
	runcBundle(t, h, rt)
}

// runcBundle runs a container with runc alone, from a bundle whose root filesystem is the
// busybox image's.
func runcBundle(t *testing.T, h *harness, rt *containertest.Runtimes) {
	bundle := filepath.Join(rt.Dir, "bundle")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("runc", "spec", "--bundle", bundle).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	path := filepath.Join(bundle, "config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	spec["root"] = map[string]any{"path": filepath.Join(rt.Dir, "rootfs"), "readonly": true}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"sh", "-c", "echo hello; ls / >/dev/null"}
	proc["rlimits"] = []map[string]any{{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}}
	spec["linux"].(map[string]any)["cgroupsPath"] = "/noise-runc-" + h.token
	if raw, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("runc", "--root", filepath.Join(rt.Dir, "runc-state"), "run", "--bundle", bundle, "noise-"+h.token)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	removeCgroup(t, "noise-runc-"+h.token)
}

// removeCgroup removes the literal cgroup runc made in every hierarchy.
func removeCgroup(t *testing.T, name string) {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + name)
	dirs = append(dirs, "/sys/fs/cgroup/"+name)
	for _, d := range dirs {
		_ = unix.Rmdir(d)
	}
}

// packages builds two tiny packages, installs and removes one with dpkg and the other with
// apt-get from a local file repository (its own lists and cache: the host's are untouched).
func packages(t *testing.T, h *harness) {
	for _, p := range []string{"dpkg", "dpkg-deb", "apt-get"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
	dir := filepath.Join(h.work, "pkg")
	repo := filepath.Join(dir, "repo")
	dpkgPkg, aptPkg := "otelsec-noise-dpkg-"+h.token, "otelsec-noise-apt-"+h.token
	var index strings.Builder
	for _, name := range []string{dpkgPkg, aptPkg} {
		deb := buildDeb(t, filepath.Join(dir, "build-"+name), filepath.Join(repo, name+".deb"), name)
		index.WriteString(deb)
	}
	writeFile(t, filepath.Join(repo, "Packages"), index.String(), 0o644)
	sources := filepath.Join(dir, "sources.list")
	writeFile(t, sources, "deb [trusted=yes] file:"+repo+" ./\n", 0o644)
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		// Whatever happened above, the host keeps no package of ours.
		_ = exec.Command("dpkg", "--purge", dpkgPkg, aptPkg).Run()
	})
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	script(t, env, `
# dpkg has no lock timeout: another agent's apt run may hold the lock for a while.
dpkg_locked() {
  for i in $(seq 120); do
    if out=$(dpkg "$@" 2>&1); then echo "$out"; return 0; fi
    case "$out" in *"lock"*) sleep 1;; *) echo "$out" >&2; return 1;; esac
  done
  return 1
}
dpkg_locked -i "$1/$2.deb"
"/usr/bin/$2" >/dev/null
dpkg -s "$2" >/dev/null
dpkg_locked -r "$2"
dpkg_locked -P "$2"
apt() {
  apt-get -q -o Dir::Etc::SourceList="$4" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::State::Lists="$5/lists" -o Dir::Cache="$5/cache" -o APT::Get::List-Cleanup=false \
    -o DPkg::Lock::Timeout=120 "${@:6}"
}
apt "$@" update
apt "$@" install -y --no-install-recommends "$3"
"/usr/bin/$3" >/dev/null
apt "$@" purge -y "$3"
`, repo, dpkgPkg, aptPkg, sources, dir)
}

// buildDeb builds a package installing a program, a configuration file and its
// documentation, with maintainer scripts that do what such scripts usually do, and returns
// its stanza for a Packages index.
func buildDeb(t *testing.T, root, deb, name string) string {
	control := fmt.Sprintf(`Package: %s
Version: 1.0-1
Architecture: all
Maintainer: otelsec tests <tests@example.com>
Section: misc
Priority: optional
Description: a package the noise test installs and removes
 It installs one program and its configuration.
`, name)
	writeFile(t, filepath.Join(root, "DEBIAN", "control"), control, 0o644)
	writeFile(t, filepath.Join(root, "DEBIAN", "conffiles"), "/etc/"+name+".conf\n", 0o644)
	writeFile(t, filepath.Join(root, "DEBIAN", "postinst"), `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  mkdir -p /var/lib/`+name+`
  chmod 0755 /var/lib/`+name+`
fi
`, 0o755)
	writeFile(t, filepath.Join(root, "DEBIAN", "postrm"), `#!/bin/sh
set -e
if [ "$1" = purge ]; then
  rm -rf /var/lib/`+name+`
fi
`, 0o755)
	writeFile(t, filepath.Join(root, "usr", "bin", name), "#!/bin/sh\necho \"hello from "+name+"\"\n", 0o755)
	writeFile(t, filepath.Join(root, "etc", name+".conf"), "greeting = hello\n", 0o644)
	writeFile(t, filepath.Join(root, "usr", "share", "doc", name, "copyright"), "Public domain.\n", 0o644)
	if err := os.MkdirAll(filepath.Dir(deb), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", root, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, out)
	}
	data, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return fmt.Sprintf("%sFilename: ./%s\nSize: %d\nSHA256: %s\n\n", control, filepath.Base(deb), len(data), hex.EncodeToString(sum[:]))
}
