package containermetadataprocessor

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/containermetadataprocessor/internal/metadata"
)

type metadataProcessor struct {
	tb  *metadata.TelemetryBuilder
	res *resolver
}

func newProcessor(cfg *Config, set processor.Settings) (*metadataProcessor, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	res, err := newResolver(cfg, set.Logger, tb)
	if err != nil {
		tb.Shutdown()
		return nil, err
	}
	return &metadataProcessor{tb: tb, res: res}, nil
}

func (p *metadataProcessor) start(context.Context, component.Host) error {
	p.res.start()
	return nil
}

func (p *metadataProcessor) shutdown(context.Context) error {
	p.res.shutdown()
	p.tb.Shutdown()
	return nil
}

// processLogs describes each record's container from the cache and never waits: a container
// not cached yet is queued for lookup, and its record passes with container.id alone.
func (p *metadataProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	var without int64
	var lastID string
	var last *entry
	now := time.Now().UnixNano()
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				m := lr.Attributes()
				v, ok := m.Get(schema.AttrContainerID)
				if !ok || v.Type() != pcommon.ValueTypeStr || v.Str() == "" {
					continue
				}
				// Records of one container come in runs: one cache access per run.
				if id := v.Str(); id != lastID || last == nil {
					lastID, last = id, p.entry(id, now)
				}
				if last == nil || last.attrs == nil {
					without++
					continue
				}
				last.attrs.put(m)
			}
		}
	}
	if without > 0 {
		p.tb.ProcessorContainerMetadataRecordsWithoutMetadata.Add(ctx, without)
	}
	return ld, nil
}

// entry returns what the cache knows of id, queueing a lookup when it knows nothing or its
// negative answer is stale.
func (p *metadataProcessor) entry(id string, now int64) *entry {
	e := p.res.cache.get(id)
	if (e == nil || (e.attrs == nil && now >= e.retryAt)) && p.res.anyUp() {
		p.res.request(id)
	}
	return e
}
