package procinfo

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// Status is the credentials part of /proc/<pid>/status.
type Status struct {
	UID, EUID, GID, EGID uint32 // real and effective
	CapEff               uint64
}

// ParseStatus reads the Uid, Gid and CapEff lines of /proc/<pid>/status; ok is false unless
// all three were there and well formed.
func ParseStatus(b []byte) (st Status, ok bool) {
	seen := 0
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		key, val, found := bytes.Cut(line, []byte{':'})
		if !found {
			continue
		}
		f := strings.Fields(string(val))
		switch string(key) {
		case "Uid", "Gid":
			if len(f) < 2 {
				return st, false
			}
			r, err1 := strconv.ParseUint(f[0], 10, 32)
			e, err2 := strconv.ParseUint(f[1], 10, 32)
			if err1 != nil || err2 != nil {
				return st, false
			}
			if string(key) == "Uid" {
				st.UID, st.EUID = uint32(r), uint32(e)
			} else {
				st.GID, st.EGID = uint32(r), uint32(e)
			}
			seen++
		case "CapEff":
			if len(f) < 1 {
				return st, false
			}
			c, err := strconv.ParseUint(f[0], 16, 64)
			if err != nil {
				return st, false
			}
			st.CapEff = c
			seen++
		}
	}
	return st, seen == 3
}

// ReadStatus reads and parses /proc/<pid>/status below procRoot; pid 0 is the caller ("self").
func ReadStatus(procRoot string, pid uint32) (Status, bool) {
	name := "self"
	if pid != 0 {
		name = strconv.FormatUint(uint64(pid), 10)
	}
	b, err := os.ReadFile(filepath.Join(procRoot, name, "status"))
	if err != nil {
		return Status{}, false
	}
	return ParseStatus(b)
}

// Exe is the executable of pid as procfs links it ("" when it cannot be read: a kernel thread,
// a process gone), without the " (deleted)" mark of a replaced file.
func Exe(procRoot string, pid uint32) string {
	exe, err := os.Readlink(filepath.Join(procRoot, strconv.FormatUint(uint64(pid), 10), "exe"))
	if err != nil {
		return ""
	}
	return validutf8.Clean(strings.TrimSuffix(exe, " (deleted)"))
}
