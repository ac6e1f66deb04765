package securityrulesprocessor

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadatatest"
)

// benchBatch is a batch as the syscall receiver sends it: mostly benign file opens, some
// execs, connects and forks, with a violation every 100 records.
func benchBatch(n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrHostName, "web-1")
	rl.Resource().Attributes().PutStr(schema.AttrServiceName, "otelsec")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i := 0; i < n; i++ {
		lr := lrs.AppendEmpty()
		a := lr.Attributes()
		a.PutInt(schema.AttrProcessPID, int64(1000+i%50))
		a.PutStr(schema.AttrProcessExecutableName, "python3")
		a.PutStr(schema.AttrProcessExecutablePath, "/usr/bin/python3")
		a.PutStr(schema.AttrProcessCommandLine, "python3 app.py")
		a.PutStr(schema.AttrProcessUserName, "app")
		a.PutInt(schema.AttrProcessUserID, 1000)
		a.PutStr(schema.AttrProcessParentExecutableName, "bash")
		anc := a.PutEmptySlice(schema.AttrProcessAncestorsExecName)
		anc.AppendEmpty().SetStr("bash")
		anc.AppendEmpty().SetStr("sshd")
		switch r := i % 10; {
		case i%100 == 99:
			lr.SetEventName(schema.EventFileOpen)
			a.PutStr(schema.AttrFilePath, "/etc/shadow")
			a.PutEmptySlice(schema.AttrFileFlags).AppendEmpty().SetStr("O_RDONLY")
		case r < 7:
			lr.SetEventName(schema.EventFileOpen)
			a.PutStr(schema.AttrFilePath, fmt.Sprintf("/usr/lib/python3/dist-packages/m%d.py", i%40))
			a.PutEmptySlice(schema.AttrFileFlags).AppendEmpty().SetStr("O_RDONLY")
		case r == 7:
			lr.SetEventName(schema.EventProcessExec)
			a.PutEmptySlice(schema.AttrProcessCommandArgs).AppendEmpty().SetStr("python3")
		case r == 8:
			lr.SetEventName(schema.EventNetworkConnect)
			a.PutStr(schema.AttrNetworkPeerAddress, "10.0.0.5")
			a.PutInt(schema.AttrNetworkPeerPort, 5432)
		default:
			lr.SetEventName(schema.EventProcessFork)
		}
	}
	return ld
}

// BenchmarkProcessLogs is the processor end to end (match, mark, drop, telemetry) with the
// default ruleset; the batch copy each iteration needs is excluded from the timing.
func BenchmarkProcessLogs(b *testing.B) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	p, err := newRulesProcessor(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	src := benchBatch(n)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		ld := plog.NewLogs()
		src.CopyTo(ld)
		b.StartTimer()
		out, _ := p.processLogs(context.Background(), ld)
		if got := out.LogRecordCount(); got != n/100 {
			b.Fatalf("%d violations, want %d", got, n/100)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
