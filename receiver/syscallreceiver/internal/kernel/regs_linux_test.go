//go:build linux

package kernel

import (
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/bpf"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// TestRegsBothWays: the syscall arguments are the same whether the programs find the saved
// registers from the task's stack (bpf_rdonly_cast, the offset learned once) or ask
// bpf_task_pt_regs for each record (a kernel without the kfunc), and the tracer says which.
func TestRegsBothWays(t *testing.T) {
	feat, err := Probe()
	if err != nil {
		t.Fatal(err)
	}
	for _, helper := range []bool{false, true} {
		t.Run(fmt.Sprintf("helper=%v", helper), func(t *testing.T) {
			if !helper && !feat.RdonlyCast {
				t.Skip("this kernel has no bpf_rdonly_cast: only the helper way runs here")
			}
			forceRegsHelper = helper
			defer func() { forceRegsHelper = false }()
			tr, c := start(t, Options{Events: []string{"file.open"}})
			if fb := tr.Fallbacks(); helper != (len(fb) == 1) {
				t.Errorf("fallbacks %q with the helper forced %v", fb, helper)
			}
			dir := t.TempDir()
			dfd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(dfd)
			// Several opens: the first may be the one that learns the offset.
			for i := range 3 {
				name := fmt.Sprintf("regs-%d", i)
				mode := uint32(0o600 + i)
				fd, err := unix.Openat(dfd, name, unix.O_CREAT|unix.O_WRONLY|unix.O_EXCL|unix.O_CLOEXEC, mode)
				if err != nil {
					t.Fatal(err)
				}
				unix.Close(fd)
				ev := c.wait(t, "openat "+name, and(pidIs(self), kindIs(kevent.KindFileOpen), pathIs(name)))
				if ev.DirFD != int32(dfd) || ev.Mode != mode || ev.Flags != unix.O_CREAT|unix.O_WRONLY|unix.O_EXCL|unix.O_CLOEXEC || ev.Ret != int64(fd) {
					t.Errorf("%s: dirfd %d mode %#o flags %#o ret %d, want %d %#o %#o %d", name, ev.DirFD, ev.Mode, ev.Flags, ev.Ret,
						dfd, mode, unix.O_CREAT|unix.O_WRONLY|unix.O_EXCL|unix.O_CLOEXEC, fd)
				}
				if str(ev.PathBase) != dir {
					t.Errorf("%s: base %q, want %q", name, ev.PathBase.B, filepath.Clean(dir))
				}
			}
			// The fast way learned the offset; the helper way never looks at it.
			var off uint64
			if err := tr.progs.Variables[bpf.OtelsecVarRegsOff].Get(&off); err != nil {
				t.Fatal(err)
			}
			if helper != (off == 0) {
				t.Errorf("regs_off %d with the helper forced %v", off, helper)
			}
		})
	}
}
