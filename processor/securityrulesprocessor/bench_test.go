package securityrulesprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

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

// BenchmarkProcessLogs is the processor end to end (match, mark, drop, suppress repeats,
// telemetry) with the default ruleset; the batch copy each iteration needs is excluded from the
// timing. The batch's 10 violations all come from one process: with suppression on (the
// default) and the clock moved past the window each iteration, one passes per batch carrying the
// count of the 9 repeats; suppress=off marks all 10, as before suppression existed.
func BenchmarkProcessLogs(b *testing.B) {
	const n = 1000
	for _, bc := range []struct {
		name   string
		window time.Duration
		want   int
	}{
		{"suppress=off", 0, n / 100},
		{"suppress=on", defaultSuppressWindow, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			cfg.Suppress.Window = bc.window
			p, err := newRulesProcessor(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			p.now = func() time.Time { return now }
			src := benchBatch(n)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				ld := plog.NewLogs()
				src.CopyTo(ld)
				now = now.Add(bc.window)
				b.StartTimer()
				out, _ := p.processLogs(context.Background(), ld)
				if got := out.LogRecordCount(); got != bc.want {
					b.Fatalf("%d violations passed, want %d", got, bc.want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}

// BenchmarkSuppressObserve is the suppressor's cost per violation (key from the record's
// attributes, table lookup under the lock): "repeat" hits one key, "churn" makes every
// violation a new key in a full table, so each one evicts.
func BenchmarkSuppressObserve(b *testing.B) {
	for _, churn := range []bool{false, true} {
		name := "repeat"
		if churn {
			name = "churn"
		}
		b.Run(name, func(b *testing.B) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			p, err := newRulesProcessor(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
			if err != nil {
				b.Fatal(err)
			}
			ld := benchBatch(100)
			res := ld.ResourceLogs().At(0).Resource().Attributes()
			lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(99)
			attrs := lr.Attributes()
			rule := p.engine.Match(res, lr, nil)[0]
			now := time.Now().UnixNano()
			for pid := range int64(defaultSuppressMaxKeys) { // fill the table
				attrs.PutInt(schema.AttrProcessPID, 1_000_000+pid)
				p.sup.observe(p.sup.key(rule, res, attrs), recordID(lr), now)
			}
			attrs.PutInt(schema.AttrProcessPID, 1049)
			pid := int64(0)
			b.ReportAllocs()
			for b.Loop() {
				if churn {
					pid++
					attrs.PutInt(schema.AttrProcessPID, pid)
				}
				if p.sup.exempt(rule, lr) {
					b.Fatal("exempt")
				}
				p.sup.observe(p.sup.key(rule, res, attrs), recordID(lr), now)
			}
			if p.sup.len() != defaultSuppressMaxKeys {
				b.Fatalf("%d keys, want %d", p.sup.len(), defaultSuppressMaxKeys)
			}
		})
	}
}
