//go:build linux

package syscallreceiver

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
)

func bootNs(t *testing.T) int64 {
	t.Helper()
	var ts unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts))
	return ts.Nano()
}

// procStartBootNs is pid's start as procfs has it (stat field 22, USER_HZ ticks), in ns.
func procStartBootNs(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	require.NoError(t, err)
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	require.NoError(t, err)
	return ticks * 10_000_000
}

// process.age_ns on the real kernel: a process started before the sensor is as old as
// procfs says (its record's time less its age is its procfs start), and stays so across an
// exec; one forked under the sensor is as old as the time since its fork.
func TestProcessAge(t *testing.T) {
	requireRoot(t)
	old := exec.Command("/bin/sh", "-c", "read x; exec /bin/true old")
	tell, err := old.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, old.Start())
	oldStarted := bootNs(t)
	t.Cleanup(func() { _ = old.Process.Kill(); _ = old.Wait() })
	oldStart := procStartBootNs(t, old.Process.Pid)

	_, self := selfName(t)
	rec := &recorder{self: self}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec, schema.EventProcessFork}
	rec.rcv = startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))

	// The collector's own forks are not reported: a shell of ours forks the fresh process.
	before := bootNs(t)
	sh := exec.Command("/bin/sh", "-c", "/bin/true fresh; :")
	require.NoError(t, sh.Run())
	after := bootNs(t)
	told := bootNs(t)
	_, err = fmt.Fprintln(tell)
	require.NoError(t, err)
	require.NoError(t, old.Wait())

	f := rec.find(t, "exec of the fresh process", func(lr plog.LogRecord) bool {
		return lr.EventName() == schema.EventProcessExec && num(lr, schema.AttrProcessParentPID) == int64(sh.Process.Pid) &&
			str(lr, schema.AttrProcessCommandLine) == "/bin/true fresh"
	})
	age := num(f, schema.AttrProcessAge)
	assert.Greater(t, age, int64(0), "its exec follows its fork")
	assert.LessOrEqual(t, age, after-before)

	o := rec.find(t, "exec of the old process", is(schema.EventProcessExec, old.Process.Pid))
	age = num(o, schema.AttrProcessAge)
	assert.GreaterOrEqual(t, age, told-oldStarted, "it ran from before the sensor until told")
	// Its start on the record's (Unix) clock is procfs's, within the boot clock's offset
	// measured here and by the tracer at two moments (NTP may slew one clock meanwhile).
	offset := time.Now().UnixNano() - bootNs(t)
	assert.InDelta(t, oldStart+offset, int64(o.Timestamp())-age, float64(50*time.Millisecond))
}
