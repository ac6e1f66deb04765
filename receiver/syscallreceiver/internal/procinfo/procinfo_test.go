package procinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

const id64 = "3f2a9c0b7d1e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"

func TestContainerIDFromCgroupPath(t *testing.T) {
	tests := []struct{ name, path, want string }{
		{"host systemd service", "/system.slice/sshd.service", ""},
		{"host user session", "/user.slice/user-1000.slice/session-3.scope", ""},
		{"root", "/", ""},
		{"empty", "", ""},
		{"docker cgroupfs v1", "/docker/" + id64, id64},
		{"docker systemd", "/system.slice/docker-" + id64 + ".scope", id64},
		{"containerd cri systemd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice/cri-containerd-" + id64 + ".scope", id64},
		{"k8s cgroupfs", "/kubepods/burstable/pod1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901/" + id64, id64},
		{"crio", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podabc.slice/crio-" + id64 + ".scope", id64},
		{"crio conmon is the host", "/kubepods.slice/crio-conmon-" + id64 + ".scope", ""},
		{"podman", "/machine.slice/libpod-" + id64 + ".scope", id64},
		{"podman nested container cgroup", "/machine.slice/libpod-" + id64 + ".scope/container", id64},
		{"podman conmon is the host", "/machine.slice/libpod-conmon-" + id64 + ".scope", ""},
		{"uppercase hex is not an id", "/docker/" + strings.ToUpper(id64), ""},
		{"63 hex chars", "/docker/" + id64[:63], ""},
		{"pod uid alone is not a container", "/kubepods/burstable/pod1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ContainerIDFromCgroupPath(tt.path))
		})
	}
}

func TestContainerIDFromCgroupFile(t *testing.T) {
	v1 := "12:pids:/docker/" + id64 + "\n11:memory:/docker/" + id64 + "\n1:name=systemd:/docker/" + id64 + "\n"
	assert.Equal(t, id64, ContainerIDFromCgroupFile([]byte(v1)))
	assert.Equal(t, "", ContainerIDFromCgroupFile([]byte("0::/init.scope\n")))
	assert.Equal(t, id64, ContainerIDFromCgroupFile([]byte("0::/system.slice/docker-"+id64+".scope\n")))
	assert.Equal(t, "", ContainerIDFromCgroupFile([]byte("garbage without colons\n::\n")))
}

func TestSplitArgs(t *testing.T) {
	args, trunc := SplitArgs([]byte("ls\x00-la\x00/tmp\x00"), Limits{MaxArgs: 8, MaxArgBytes: 64})
	assert.Equal(t, []string{"ls", "-la", "/tmp"}, args)
	assert.False(t, trunc)

	args, trunc = SplitArgs([]byte("a\x00b\x00c\x00d\x00"), Limits{MaxArgs: 2, MaxArgBytes: 64})
	assert.Equal(t, []string{"a", "b"}, args)
	assert.True(t, trunc)

	args, trunc = SplitArgs([]byte("abcdef\x00xyz\x00"), Limits{MaxArgs: 8, MaxArgBytes: 9})
	assert.Equal(t, []string{"abcdef", "xy"}, args)
	assert.True(t, trunc)

	args, trunc = SplitArgs([]byte("abcdef\x00xy\x00"), Limits{MaxArgs: 8, MaxArgBytes: 10})
	assert.Equal(t, []string{"abcdef", "xy"}, args)
	assert.False(t, trunc, "the trailing NUL fits exactly")

	args, trunc = SplitArgs([]byte("a\x00\x00b\x00"), Limits{})
	assert.Equal(t, []string{"a", "", "b"}, args, "empty arguments are kept")
	assert.False(t, trunc)

	args, _ = SplitArgs(nil, Limits{})
	assert.Empty(t, args)

	args, _ = SplitArgs([]byte("caf\xe9\x00"), Limits{})
	assert.Equal(t, []string{"caf\uFFFD"}, args)
}

func TestValidUTF8(t *testing.T) {
	assert.Equal(t, "/tmp/a", validutf8.Clean("/tmp/a"))
	assert.Equal(t, "/tmp/\uFFFDx", validutf8.Clean("/tmp/\xff\xfex"))
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { _ = validutf8.Clean("/usr/bin/valid") }))
}

func TestParseStatCommWithParens(t *testing.T) {
	var info Info
	stat := "4242 (evil) (x) 1) S 17 4242 4242 34816 4242 4194560 1 0 0 0 0 0 0 0 20 0 1 0 98765 1000 100 18446744073709551615"
	require.NoError(t, parseStat([]byte(stat), &info))
	assert.Equal(t, "evil) (x) 1", info.Comm)
	assert.Equal(t, uint32(17), info.PPID)
	assert.Equal(t, uint32(34816), info.TTY)
	assert.Equal(t, uint64(98765), info.StartTime)

	require.Error(t, parseStat([]byte("4242 no parens"), &info))
	require.Error(t, parseStat([]byte("4242 (x) S 1"), &info))
}

func TestReadSelfAndChild(t *testing.T) {
	self, err := Read("/proc", uint32(os.Getpid()), Limits{MaxArgs: 64, MaxArgBytes: 4096})
	require.NoError(t, err)
	exe, err := os.Executable()
	require.NoError(t, err)
	assert.Equal(t, exe, self.ExePath)
	assert.Equal(t, uint32(os.Getppid()), self.PPID)
	wd, _ := os.Getwd()
	assert.Equal(t, wd, self.Cwd)
	assert.Equal(t, uint32(os.Geteuid()), self.UID)
	assert.Equal(t, uint32(os.Getuid()), self.RealUID)
	assert.Equal(t, os.Args, self.Args)

	// A child with a known command line and working directory, read while it runs.
	cmd := exec.Command("/bin/sleep", "30", "2")
	cmd.Dir = "/usr"
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var child Info
	require.Eventually(t, func() bool {
		child, err = Read("/proc", uint32(cmd.Process.Pid), Limits{MaxArgs: 8, MaxArgBytes: 64})
		// exec names the task before it lays out the new argv: wait for both.
		return err == nil && child.Comm == "sleep" && len(child.Args) > 0
	}, 5*time.Second, 10*time.Millisecond)
	real, _ := filepath.EvalSymlinks("/bin/sleep")
	assert.Equal(t, real, child.ExePath)
	assert.Equal(t, []string{"/bin/sleep", "30", "2"}, child.Args)
	assert.Equal(t, "/usr", child.Cwd)
	assert.Equal(t, uint32(os.Getpid()), child.PPID)
	assert.Equal(t, "sleep", child.Comm)

	_, err = Read("/proc", 1<<31, Limits{})
	require.ErrorIs(t, err, ErrGone)
}

func TestListPIDs(t *testing.T) {
	pids, err := ListPIDs("/proc")
	require.NoError(t, err)
	assert.Contains(t, pids, uint32(os.Getpid()))
	assert.Contains(t, pids, uint32(1))
}

func TestUsers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "passwd")
	require.NoError(t, os.WriteFile(path, []byte("root:x:0:0:root:/root:/bin/bash\n# comment\nbroken line\nalice:x:1000:1000::/home/alice:/bin/sh\nbad:x:notanumber:0::/:/bin/sh\n"), 0o600))
	now := time.Unix(1000, 0)
	u := NewUsers(path, 100, 5*time.Second)
	u.now = func() time.Time { return now }
	u.lastRead = now

	n, ok := u.Name(0)
	assert.True(t, ok)
	assert.Equal(t, "root", n)
	n, ok = u.Name(1000)
	assert.True(t, ok)
	assert.Equal(t, "alice", n)
	_, ok = u.Name(1001)
	assert.False(t, ok)

	// A user added later resolves only once the re-read interval has passed.
	require.NoError(t, os.WriteFile(path, []byte("root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n"), 0o600))
	_, ok = u.Name(1001)
	assert.False(t, ok, "re-read before the interval")
	now = now.Add(6 * time.Second)
	n, ok = u.Name(1001)
	assert.True(t, ok)
	assert.Equal(t, "bob", n)

	// Bounded.
	small := NewUsers(path, 1, time.Second)
	assert.Len(t, small.names, 1)

	// A missing file resolves nothing and does not fail.
	none := NewUsers(filepath.Join(dir, "missing"), 10, time.Second)
	_, ok = none.Name(0)
	assert.False(t, ok)
}

func FuzzContainerID(f *testing.F) {
	f.Add("0::/system.slice/docker-" + id64 + ".scope\n")
	f.Add("12:pids:/docker/" + id64)
	f.Fuzz(func(t *testing.T, s string) {
		id := ContainerIDFromCgroupFile([]byte(s))
		if id != "" && !isContainerID(id) {
			t.Fatalf("returned %q", id)
		}
	})
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5 1000 100 1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var info Info
		_ = parseStat(b, &info)
	})
}

func TestParseStatus(t *testing.T) {
	st, ok := ParseStatus([]byte("Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t5\t6\t6\t6\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000200000\n"))
	if !ok || st != (Status{UID: 1000, EUID: 0, GID: 5, EGID: 6, CapEff: 1 << 21}) {
		t.Errorf("%+v %v", st, ok)
	}
	for _, bad := range []string{"", "Uid:\tx\t0\nGid:\t1\t1\nCapEff:\t0\nCapPrm:\t0\n", "Uid:\t1\t1\nGid:\t1\t1\nCapEff:\tzz\nCapPrm:\t0\n", "Uid:\t1\n", "Uid:\t1\t1\nGid:\t1\t1\n"} {
		if _, ok := ParseStatus([]byte(bad)); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}
