package kevent

import (
	"strings"
	"testing"
)

func TestHelpers(t *testing.T) {
	var got []string
	n := Args([]byte("a\x00\x00b\x00c"), 0, func(a []byte) { got = append(got, string(a)) })
	if n != 4 || strings.Join(got, "|") != "a||b|c" {
		t.Errorf("Args %d %q", n, got)
	}
	got = nil
	if n := Args([]byte("a\x00b\x00c\x00"), 2, func(a []byte) { got = append(got, string(a)) }); n != 2 {
		t.Errorf("Args max %d %q", n, got)
	}
	for m, want := range map[uint32]string{0o644: "0644", 0o4755: "04755", 0: "0000", 0o7: "0007"} {
		if got := Mode(m); got != want {
			t.Errorf("Mode(%o) = %q, want %q", m, got, want)
		}
	}
	if ErrnoName(2) != "ENOENT" || ErrnoName(13) != "EACCES" || ErrnoName(9999) != "E9999" || ErrnoName(0) != "" {
		t.Error("errno names")
	}
	if SyscallName(257) != "openat" || SyscallName(59) != "execve" || SyscallName(452) != "fchmodat2" || SyscallName(NoSyscall) != "" {
		t.Error("syscall names")
	}
	if PtraceRequestName(16) != "PTRACE_ATTACH" || PtraceRequestName(0x4206) != "PTRACE_SEIZE" || PtraceRequestName(999) != "PTRACE_999" {
		t.Error("ptrace names")
	}
}
