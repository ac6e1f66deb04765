package securityrulesprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadatatest"
)

const (
	ruleShadow  = "Shadow file read"
	ruleConnect = "Outbound connection"
	rulePtrace  = "Ptrace attach"
)

func readBy(pid int64, path string) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventFileOpen)
		a := lr.Attributes()
		a.PutInt(schema.AttrProcessPID, pid)
		a.PutStr(schema.AttrProcessExecutablePath, "/usr/bin/cat")
		a.PutStr(schema.AttrProcessExecutableName, "cat")
		a.PutStr(schema.AttrFilePath, path)
		a.PutEmptySlice(schema.AttrFileFlags).AppendEmpty().SetStr("O_RDONLY")
	}
}

func connectTo(pid int64, addr string, port int64) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventNetworkConnect)
		a := lr.Attributes()
		a.PutInt(schema.AttrProcessPID, pid)
		a.PutStr(schema.AttrProcessExecutablePath, "/usr/bin/curl")
		a.PutStr(schema.AttrNetworkPeerAddress, addr)
		a.PutInt(schema.AttrNetworkPeerPort, port)
	}
}

func attach(pid, target int64) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventProcessPtrace)
		a := lr.Attributes()
		a.PutInt(schema.AttrProcessPID, pid)
		a.PutStr(schema.AttrProcessExecutablePath, "/usr/bin/gdb")
		a.PutInt(schema.AttrPtraceTargetPID, target)
	}
}

func bodies(recs []plog.LogRecord) []string {
	var out []string
	for _, lr := range recs {
		out = append(out, lr.Body().Str())
	}
	return out
}

// The key holds what the event acted on: one process reading /etc/shadow and then /etc/gshadow
// made one alert, and the gshadow read was gone.
func TestSuppressKeyIncludesObject(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 100))
	got := h.run(batch(
		readBy(7, "/etc/shadow"), readBy(7, "/etc/gshadow"), readBy(7, "/etc/shadow"),
		connectTo(7, "10.0.0.1", 4444), connectTo(7, "10.0.0.1", 4445), connectTo(7, "10.0.0.2", 4444),
		connectTo(7, "10.0.0.1", 4444),
		attach(7, 100), attach(7, 101), attach(7, 100),
		moduleLoad(7), func(lr plog.LogRecord) {
			moduleLoad(7)(lr)
			lr.Attributes().PutStr(schema.AttrKernelModuleName, "other")
		},
	))
	assert.Equal(t, []string{
		"Shadow file read (file=/etc/shadow pid=7)",
		"Shadow file read (file=/etc/gshadow pid=7)",
		"Connection (peer=10.0.0.1 port=4444 pid=7)",
		"Connection (peer=10.0.0.1 port=4445 pid=7)",
		"Connection (peer=10.0.0.2 port=4444 pid=7)",
		"Ptrace (target=100 pid=7)",
		"Ptrace (target=101 pid=7)",
		"Kernel module loaded (module=rootkit pid=7)",
		"Kernel module loaded (module=other pid=7)",
	}, bodies(got))
	h.assertSuppressed(map[string]int64{ruleShadow: 1, ruleConnect: 1, rulePtrace: 1})

	// The order of a record's attributes (other sources do not keep it) is no other object.
	reordered := func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventNetworkConnect)
		a := lr.Attributes()
		a.PutInt(schema.AttrNetworkPeerPort, 4444)
		a.PutStr(schema.AttrNetworkPeerAddress, "10.0.0.1")
		a.PutStr(schema.AttrProcessExecutablePath, "/usr/bin/curl")
		a.PutInt(schema.AttrProcessPID, 7)
	}
	assert.Empty(t, h.run(batch(reordered)))
	h.assertSuppressed(map[string]int64{ruleShadow: 1, ruleConnect: 2, rulePtrace: 1})
}

// The case with the default configuration and ruleset.
func TestSuppressDefaultConfigTwoSensitiveFiles(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
	require.NoError(t, p.ConsumeLogs(context.Background(), batch(readBy(4711, "/etc/shadow"), readBy(4711, "/etc/shadow"))))
	require.NoError(t, p.ConsumeLogs(context.Background(), batch(readBy(4711, "/etc/gshadow"))))
	got := records(sink)
	require.Len(t, got, 2)
	for i, path := range []string{"/etc/shadow", "/etc/gshadow"} {
		assert.Equal(t, "Sensitive file read by an untrusted program", ruleOf(t, got[i]))
		assert.Contains(t, got[i].Body().Str(), "file="+path+" ")
	}
}
