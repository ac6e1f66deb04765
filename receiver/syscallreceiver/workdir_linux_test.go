//go:build linux

package syscallreceiver

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
)

// process.working_directory follows chdir: a shell started in /usr that moves to a directory
// and opens a file there was there when it opened it.
func TestWorkingDirectoryFollowsChdir(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	rec := &recorder{self: self}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec, schema.EventProcessFork, schema.EventProcessChdir, schema.EventFileOpen}
	rec.rcv = startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o600))
	cmd := exec.Command("/bin/sh", "-c", "cd "+dir+" && : < f")
	cmd.Dir = "/usr"
	require.NoError(t, cmd.Run())
	sh := cmd.Process.Pid

	c := rec.find(t, "chdir of sh", func(lr plog.LogRecord) bool {
		return is(schema.EventProcessChdir, sh)(lr) && str(lr, schema.AttrFilePath) == dir
	})
	assert.Equal(t, dir, str(c, schema.AttrProcessWorkingDirectory), "the record describes the process after the call")
	assert.Equal(t, "chdir", str(c, schema.AttrSyscallName))
	o := rec.find(t, "open after the chdir", func(lr plog.LogRecord) bool {
		return is(schema.EventFileOpen, sh)(lr) && str(lr, schema.AttrFilePath) == filepath.Join(dir, "f")
	})
	assert.Equal(t, dir, str(o, schema.AttrProcessWorkingDirectory))
}
