//go:build linux

package kernel

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// A successful exec's record carries the new environment, cut at MaxEnvBytes; without
// MaxEnvBytes (the shared tracer's Options{}) the kernel copies none.
func TestExecEnvironment(t *testing.T) {
	off := shared(t)
	_, c := start(t, Options{Events: []string{"process.exec"}, MaxEnvBytes: 64})

	run := func(env ...string) int {
		t.Helper()
		cmd := exec.Command("/usr/bin/true")
		cmd.Env = append([]string{}, env...) // never nil: nil inherits ours
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		return cmd.Process.Pid
	}
	isExec := func(pid int) func(*kevent.Event) bool {
		return and(pidIs(pid), kindIs(kevent.KindProcessExec), func(ev *kevent.Event) bool { return ev.Ret == 0 })
	}

	pid := run("OTELSEC_ENV=one", "B=two words")
	ev := c.wait(t, "exec with an environment", isExec(pid))
	var got []string
	kevent.Args(ev.Env.B, 0, func(b []byte) { got = append(got, string(b)) })
	if strings.Join(got, "|") != "OTELSEC_ENV=one|B=two words" || ev.Env.Truncated {
		t.Errorf("env %q (truncated %v), want [OTELSEC_ENV=one B=two words] whole", got, ev.Env.Truncated)
	}
	if args := str(ev.Argv); args != "/usr/bin/true\x00" {
		t.Errorf("argv %q: the environment must not shift the slots after it", args)
	}
	if ev := off.wait(t, "exec seen with the capture off", isExec(pid)); len(ev.Env.B) != 0 || ev.Env.Truncated {
		t.Errorf("capture off: env %q (truncated %v), want none", ev.Env.B, ev.Env.Truncated)
	}

	// The bound: 64 bytes of a longer environment, flagged; what follows it is lost.
	long := "LONG=" + strings.Repeat("x", 100)
	pid = run(long, "AFTER=1")
	ev = c.wait(t, "exec with a long environment", isExec(pid))
	if str(ev.Env) != long[:64] || !ev.Env.Truncated {
		t.Errorf("env %q (truncated %v), want the first 64 bytes flagged", ev.Env.B, ev.Env.Truncated)
	}

	// An empty environment: nothing, not flagged.
	pid = run()
	if ev := c.wait(t, "exec without an environment", isExec(pid)); len(ev.Env.B) != 0 || ev.Env.Truncated {
		t.Errorf("empty environment: %q (truncated %v)", ev.Env.B, ev.Env.Truncated)
	}
}
