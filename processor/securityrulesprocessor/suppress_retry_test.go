package securityrulesprocessor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadatatest"
)

// refuseOnce stands for what follows the processor in the pipeline: its first delivery is
// refused (an exporter's full queue), later ones are kept.
type refuseOnce struct {
	refused bool
	got     []plog.LogRecord
}

func (r *refuseOnce) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	if !r.refused {
		r.refused = true
		return errors.New("sending queue is full")
	}
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				r.got = append(r.got, lrs.At(k))
			}
		}
	}
	return nil
}

func (*refuseOnce) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

// at gives a record the timestamps the receiver gives each event.
func at(ns int64, f func(plog.LogRecord)) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		f(lr)
		lr.SetTimestamp(pcommon.Timestamp(ns))
		lr.SetObservedTimestamp(pcommon.Timestamp(ns + 1000))
	}
}

func retryBatch() plog.Logs {
	return batch(
		at(1_000, readBy(9, "/etc/shadow")),
		at(2_000, readBy(9, "/etc/shadow")), // a repeat
		at(3_000, bpfLoad(9, "/opt/loader")),
		at(4_000, openRec("/etc/hosts")), // no violation
	)
}

// A batch refused after the processor and sent again by the receiver is the same batch: its
// violations pass again as they are, and neither suppression nor the match counters take them
// for new ones. Before, every violation of the retry was suppressed as a repeat of itself.
func TestSuppressRetriedBatchIsTheSameBatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window time.Duration
		copied bool // the retry is a copy taken before the processor changed the batch
	}{
		{"changed in place", time.Minute, false},
		{"copied before the processor", time.Minute, true},
		{"suppression off", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			cfg := suppressCfg(EmitViolations, tc.window, 100)
			require.NoError(t, cfg.Validate())
			next := &refuseOnce{}
			p, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg, next)
			require.NoError(t, err)

			ld := retryBatch()
			pristine := plog.NewLogs()
			ld.CopyTo(pristine)
			require.Error(t, p.ConsumeLogs(context.Background(), ld), "refused downstream")
			retry := ld
			if tc.copied {
				retry = pristine
			}
			require.NoError(t, p.ConsumeLogs(context.Background(), retry))

			wantBodies := []string{"Shadow file read (file=/etc/shadow pid=9)", "BPF program loaded (exe=/opt/loader pid=9)"}
			shadowMatches, shadowSuppressed := int64(2), int64(1)
			switch {
			case tc.window == 0:
				wantBodies = []string{wantBodies[0], wantBodies[0], wantBodies[1]}
				shadowSuppressed = 0
			case tc.copied:
				// The copy still holds the repeat: it is suppressed, and counted, again (the
				// table remembers the record that passed, not every repeat).
				shadowMatches, shadowSuppressed = 3, 2
			}
			assert.Equal(t, wantBodies, bodies(next.got))
			for _, lr := range next.got {
				_, hasOriginal := lr.Attributes().Get(schema.AttrLogRecordOriginal)
				assert.False(t, hasOriginal, "a marked record is not marked again (its Body is no original)")
				assert.Equal(t, "Warning", lr.SeverityText())
			}
			// The violations that passed are counted once, not again with the retry.
			assertMatches(t, tel, map[string]int64{ruleBPF: 1, ruleShadow: shadowMatches})
			if shadowSuppressed > 0 {
				metadatatest.AssertEqualProcessorSecurityRulesSuppressed(t, tel, []metricdata.DataPoint[int64]{
					{Value: shadowSuppressed, Attributes: attribute.NewSet(attribute.String(schema.AttrSecurityRuleName, ruleShadow))},
				}, metricdatatest.IgnoreTimestamp())
			}
		})
	}
}

func assertMatches(t *testing.T, tel *componenttest.Telemetry, want map[string]int64) {
	t.Helper()
	m, err := tel.GetMetric("otelcol_processor_security_rules_matches")
	require.NoError(t, err)
	got := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		v, _ := dp.Attributes.Value(schema.AttrSecurityRuleName)
		got[v.AsString()] = dp.Value
	}
	assert.Equal(t, want, got)
}

// A record without timestamps cannot be told from its repeats: it is never taken for one
// already seen, so repeats of it are still suppressed.
func TestSuppressRecordsWithoutTimestampsAreNeverSeenAgain(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 100))
	assert.Len(t, h.run(batch(readBy(3, "/etc/shadow"), readBy(3, "/etc/shadow"))), 1)
	assert.Empty(t, h.run(batch(readBy(3, "/etc/shadow"))))
	h.assertSuppressed(map[string]int64{ruleShadow: 2})
}
