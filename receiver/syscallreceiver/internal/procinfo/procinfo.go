// Package procinfo reads what the receiver needs to know about a process from procfs: its
// executable, command line, working directory, credentials, terminal and container. It is used
// to seed the process table at start and to fill in a process the kernel has not told us
// about; the hot path never reads /proc.
package procinfo // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// Info is one process as procfs shows it.
type Info struct {
	PID         uint32
	PPID        uint32
	ExePath     string
	Args        []string // argv, bounded by the caller's limits
	ArgsTrunc   bool     // argv was cut at the bounds
	Cwd         string
	UID         uint32 // effective
	RealUID     uint32
	TTY         uint32 // tty_nr from stat; 0: no controlling terminal
	StartTime   uint64 // clock ticks after boot (stat field 22)
	Comm        string
	ContainerID string
}

// Limits bound what is read from a process, as the kernel side bounds exec arguments.
type Limits struct {
	MaxArgs     int // arguments kept
	MaxArgBytes int // bytes of the whole NUL-separated argv
}

// ErrGone is returned when the process exited while it was being read.
var ErrGone = errors.New("process gone")

// Read reads one process below procRoot (normally "/proc"). Fields that cannot be read (a
// kernel thread has no executable, another user's cwd needs privileges) stay empty; only a
// process that is gone is an error.
func Read(procRoot string, pid uint32, lim Limits) (Info, error) {
	dir := filepath.Join(procRoot, strconv.FormatUint(uint64(pid), 10))
	info := Info{PID: pid}
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return info, fmt.Errorf("pid %d: %w", pid, ErrGone)
	}
	if err := parseStat(stat, &info); err != nil {
		return info, fmt.Errorf("pid %d: %w", pid, err)
	}
	if status, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		// A partial status (no capability lines) still gives the uids.
		st, _ := ParseStatus(status)
		info.RealUID, info.UID = st.UID, st.EUID
	}
	info.ExePath = Exe(procRoot, pid)
	if cwd, err := os.Readlink(filepath.Join(dir, "cwd")); err == nil {
		info.Cwd = validutf8.Clean(cwd)
	}
	if cmd, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		info.Args, info.ArgsTrunc = SplitArgs(cmd, lim)
	}
	if cg, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
		info.ContainerID = ContainerIDFromCgroupFile(cg)
	}
	return info, nil
}

// parseStat reads ppid, tty_nr, starttime and comm from /proc/<pid>/stat. comm sits in
// parentheses and may itself contain ") ", so fields are counted from the last ')'.
func parseStat(b []byte, info *Info) error {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return errors.New("malformed stat")
	}
	info.Comm = validutf8.Clean(string(b[open+1 : end]))
	fields := strings.Fields(string(b[end+1:]))
	// fields[0] is state (field 3); ppid is field 4, tty_nr 7, starttime 22.
	if len(fields) < 20 {
		return errors.New("short stat")
	}
	ppid, err := strconv.ParseUint(fields[1], 10, 32)
	if err != nil {
		return fmt.Errorf("stat ppid: %w", err)
	}
	tty, err := strconv.ParseInt(fields[4], 10, 64)
	if err != nil {
		return fmt.Errorf("stat tty_nr: %w", err)
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return fmt.Errorf("stat starttime: %w", err)
	}
	info.PPID = uint32(ppid)
	info.TTY = uint32(tty)
	info.StartTime = start
	return nil
}

// userHZ is the unit of procfs's clock-tick fields: USER_HZ, which the kernel fixes at 100
// for user space whatever its internal HZ (sysconf(_SC_CLK_TCK) reports the same).
const userHZ = 100

// StartBootNs is StartTime in ns since boot, on CLOCK_BOOTTIME (the clock of the kernel's
// event timestamps: procfs derives starttime from the task's start_boottime), to 10 ms.
func (i *Info) StartBootNs() int64 { return int64(i.StartTime) * (1_000_000_000 / userHZ) }

// ReadStart reads only pid's start time (StartBootNs), for a process met first at its exec.
func ReadStart(procRoot string, pid uint32) (int64, error) {
	stat, err := os.ReadFile(filepath.Join(procRoot, strconv.FormatUint(uint64(pid), 10), "stat"))
	if err != nil {
		return 0, fmt.Errorf("pid %d: %w", pid, ErrGone)
	}
	info := Info{PID: pid}
	if err := parseStat(stat, &info); err != nil {
		return 0, fmt.Errorf("pid %d: %w", pid, err)
	}
	return info.StartBootNs(), nil
}

// SplitArgs splits a NUL-separated argv (as /proc/<pid>/cmdline holds it) and applies the
// bounds. It reports whether anything was cut.
func SplitArgs(b []byte, lim Limits) ([]string, bool) {
	truncated := false
	if lim.MaxArgBytes > 0 && len(b) > lim.MaxArgBytes {
		b = b[:lim.MaxArgBytes]
		truncated = true
	}
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil, truncated
	}
	n := bytes.Count(b, []byte{0}) + 1
	if lim.MaxArgs > 0 && n > lim.MaxArgs {
		n = lim.MaxArgs
		truncated = true
	}
	args := make([]string, 0, n)
	for part := range bytes.SplitSeq(b, []byte{0}) {
		if len(args) == n {
			break
		}
		args = append(args, validutf8.Clean(string(part)))
	}
	return args, truncated
}

// ListPIDs returns the thread-group ids below procRoot.
func ListPIDs(procRoot string) ([]uint32, error) {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, err
	}
	pids := make([]uint32, 0, len(ents))
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if pid, err := strconv.ParseUint(e.Name(), 10, 32); err == nil && pid > 0 {
			pids = append(pids, uint32(pid))
		}
	}
	return pids, nil
}
