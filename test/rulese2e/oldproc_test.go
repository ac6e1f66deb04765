//go:build linux

package rulese2e

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/schema"
)

// falcoNewProcessNs is Falco's proc_is_new bound (proc.duration <= 5000000000).
const falcoNewProcessNs = 5_000_000_000

// startOldServer starts, now, a copy of the helper named name that reads path once told,
// and returns the behaviour that tells it once it is past Falco's "new process" age. Started
// when the behaviours are made, it has mostly aged by the time its turn comes; otherwise the
// behaviour waits on its age (procfs's start time against the boot clock), not a fixed sleep.
func startOldServer(h *harness, name, path string) func(*testing.T, *harness) (int, map[string]any) {
	h.t.Helper()
	if h.helper == "" {
		// A harness that only names the behaviours (TestFalcoRulesCovered) starts nothing.
		return func(t *testing.T, _ *harness) (int, map[string]any) {
			t.Fatal("startOldServer: the harness has no helper to run")
			return 0, nil
		}
	}
	// Its own directory: the near miss's copy of the same name must not overwrite a running
	// executable.
	if err := os.MkdirAll(filepath.Join(h.work, "old"), 0o755); err != nil {
		h.t.Fatal(err)
	}
	cmd := h.helperCmd(h.copyExecutable(h.helper, filepath.Join("old", name)), "read-when-told", path)
	tell, err := cmd.StdinPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return func(t *testing.T, h *harness) (int, map[string]any) {
		pid := cmd.Process.Pid
		// 100 ms beyond the bound: procfs's start is cut to 10 ms, the sensor's is the fork's.
		deadline := time.Now().Add(falcoNewProcessNs + 30*time.Second)
		for age(t, pid) <= falcoNewProcessNs+100_000_000 {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d never aged", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := fmt.Fprintln(tell); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("old %s: %v", name, err)
		}
		return pid, map[string]any{schema.AttrProcessExecutableName: name}
	}
}

// age is how long pid has run, from its procfs start time and the boot clock procfs uses.
func age(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ticks, err := strconv.ParseInt(fields[19], 10, 64) // stat field 22, starttime, in USER_HZ (100)
	if err != nil {
		t.Fatal(err)
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		t.Fatal(err)
	}
	return ts.Nano() - ticks*10_000_000
}
