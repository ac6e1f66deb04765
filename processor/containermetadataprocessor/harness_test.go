package containermetadataprocessor

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/containermetadataprocessor/internal/metadatatest"
)

var metricdatatestIgnoreTime = []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}

// harness is a started processor in front of a sink.
type harness struct {
	p    processor.Logs
	sink *consumertest.LogsSink
	tel  *componenttest.Telemetry
}

func startProcessor(t *testing.T, cfg *Config) *harness {
	t.Helper()
	h := &harness{sink: new(consumertest.LogsSink), tel: componenttest.NewTelemetry()}
	set := metadatatest.NewSettings(h.tel)
	set.Logger = zap.NewNop()
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, h.sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	h.p = p
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		_ = h.tel.Shutdown(context.Background())
	})
	return h
}

// describe sends one record of container id ("" for a host process) and returns its
// attributes as the processor left them.
func (h *harness) describe(t *testing.T, id string) map[string]any {
	t.Helper()
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Attributes().PutInt(schema.AttrProcessPID, 1)
	if id != "" {
		lr.Attributes().PutStr(schema.AttrContainerID, id)
	}
	h.sink.Reset()
	if err := h.p.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	out := h.sink.AllLogs()
	if len(out) != 1 {
		t.Fatalf("%d batches passed, want 1", len(out))
	}
	return out[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
}

// waitFor sends records of id until one comes back described (with container.name) and
// satisfying ok (nil: any), and returns its attributes.
func (h *harness) waitFor(t *testing.T, id string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := h.describe(t, id)
		if _, named := a[schema.AttrContainerName]; named && (ok == nil || ok(a)) {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s not described as expected after 10s: %v", id, a)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
