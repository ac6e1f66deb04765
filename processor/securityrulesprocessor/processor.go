package securityrulesprocessor // import "github.com/otelsec/otelsec/processor/securityrulesprocessor"

import (
	"context"
	"github.com/otelsec/otelsec/internal/rulesregistry"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadata"
)

type rulesProcessor struct {
	// rules holds the compiled rule set (and so keeps it cached for other pipelines).
	rules    *compiledRules
	engine   *ruleengine.Engine
	emitAll  bool
	matchAll bool
	tb       *metadata.TelemetryBuilder
	// ruleAttrs holds each rule's metric attribute set, built once (no per-record allocation).
	ruleAttrs []metric.AddOption
	scratch   sync.Pool // *batchState
	// sup drops repeats of a violation (nil: suppression off); now is its clock (tests set it).
	// Its times are offsets from epoch, so they come from the monotonic clock: a wall clock
	// stepped back by NTP must not stretch windows.
	sup   *suppressor
	now   func() time.Time
	epoch time.Time
	// withdraw takes the rules back from the registry a syscall receiver finds them in.
	withdraw func()
}

// batchState is per-batch scratch space, pooled: batches may be processed concurrently.
type batchState struct {
	matches    []*ruleengine.Rule
	counts     []int64 // matches by rule index
	suppressed []int64 // suppressed repeats by rule index
	evictions  int64
}

func newRulesProcessor(cfg *Config, set processor.Settings) (*rulesProcessor, error) {
	rs, err := cfg.rules(set.Logger, true)
	if err != nil {
		return nil, err
	}
	engine := rs.engine
	for _, w := range rs.warns {
		set.Logger.Warn("security rule warning", zap.String("file", w.File), zap.Int("line", w.Line),
			zap.String("rule", w.Rule), zap.String("warning", w.Msg))
	}
	set.Logger.Info("security rules loaded", zap.Int("rules", len(engine.Rules())), zap.Duration("compile_time", rs.took))
	logFalcoRules(set.Logger, engine.FalcoRules())
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &rulesProcessor{rules: rs, engine: engine, emitAll: cfg.Emit == EmitAll, matchAll: cfg.Match == MatchAll, tb: tb, now: time.Now, epoch: time.Now()}
	var unknown []string
	p.sup, unknown = newSuppressor(cfg.Suppress, engine.Rules())
	if len(unknown) > 0 {
		// Not an error: the rule may exist but be disabled or below min_priority.
		set.Logger.Warn("suppress.exclude_rules names rules that are not loaded", zap.Strings("rules", unknown))
	}
	for _, r := range engine.Rules() {
		p.ruleAttrs = append(p.ruleAttrs, metric.WithAttributeSet(attribute.NewSet(attribute.String(schema.AttrSecurityRuleName, r.Name))))
	}
	n := len(engine.Rules())
	p.scratch.New = func() any { return &batchState{counts: make([]int64, n), suppressed: make([]int64, n)} }
	// For a syscall receiver whose rules_filter names this processor.
	p.withdraw = rulesregistry.Publish(set.ID, rulesregistry.Rules{Engine: engine, EmitAll: p.emitAll})
	return p, nil
}

func (p *rulesProcessor) shutdown(context.Context) error {
	p.withdraw()
	p.tb.Shutdown()
	return nil
}

func (p *rulesProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	start := time.Now()
	st := p.scratch.Get().(*batchState)
	var processed, dropped int64
	var now int64 // the suppressor's clock, read at the batch's first violation
	haveNow := false
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		res := rl.Resource().Attributes()
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				processed++
				st.matches = p.engine.Match(res, lr, st.matches[:0])
				if len(st.matches) == 0 {
					if p.emitAll {
						return false
					}
					dropped++
					return true
				}
				primary := p.primary(st.matches)
				v, repeats := verdictPass, int64(0)
				marked := markedBy(lr, primary)
				switch {
				case marked:
					v = verdictAgain
				case p.sup != nil && !p.sup.exempt(primary, lr):
					if !haveNow {
						now, haveNow = p.now().Sub(p.epoch).Nanoseconds(), true
					}
					var evicted bool
					v, repeats, evicted = p.sup.observe(p.sup.key(primary, res, lr.Attributes()), recordID(lr), now)
					if evicted {
						st.evictions++
					}
				}
				if v == verdictAgain {
					// Counted when it first passed. A copy taken before this processor changed
					// the batch is marked again.
					if !marked {
						p.mark(res, lr, st.matches, primary)
					}
					return false
				}
				for _, r := range st.matches {
					st.counts[r.Index()]++
				}
				if v == verdictSuppress {
					st.suppressed[primary.Index()]++
					// emit all: the record still passes, as one that violates nothing.
					return !p.emitAll
				}
				p.mark(res, lr, st.matches, primary)
				if repeats > 0 {
					lr.Attributes().PutInt(schema.AttrSecurityRuleSuppressedCount, repeats)
				}
				return false
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	elapsed := time.Since(start)
	for i, c := range st.counts {
		if c > 0 {
			p.tb.ProcessorSecurityRulesMatches.Add(ctx, c, p.ruleAttrs[i])
			st.counts[i] = 0
		}
	}
	for i, c := range st.suppressed {
		if c > 0 {
			p.tb.ProcessorSecurityRulesSuppressed.Add(ctx, c, p.ruleAttrs[i])
			st.suppressed[i] = 0
		}
	}
	if st.evictions > 0 {
		p.tb.ProcessorSecurityRulesSuppressEvictions.Add(ctx, st.evictions)
		st.evictions = 0
	}
	clear(st.matches)
	p.scratch.Put(st)
	p.tb.ProcessorSecurityRulesRecordsProcessed.Add(ctx, processed)
	if dropped > 0 {
		p.tb.ProcessorSecurityRulesRecordsDropped.Add(ctx, dropped)
	}
	p.tb.ProcessorSecurityRulesEvaluationTime.Add(ctx, elapsed.Nanoseconds())
	if ld.LogRecordCount() == 0 {
		return ld, processorhelper.ErrSkipProcessingData
	}
	return ld, nil
}

// primary is the rule that names a violation: with match all, the most severe matching rule
// (first in file order among equals).
func (p *rulesProcessor) primary(matches []*ruleengine.Rule) *ruleengine.Rule {
	primary := matches[0]
	for _, r := range matches[1:] {
		if r.Priority.MoreSevere(primary.Priority) {
			primary = r
		}
	}
	return primary
}

// mark writes the violation onto the record. With match all, primary names the violation and
// every match is listed.
func (p *rulesProcessor) mark(res pcommon.Map, lr plog.LogRecord, matches []*ruleengine.Rule, primary *ruleengine.Rule) {
	attrs := lr.Attributes()
	attrs.PutStr(schema.AttrSecurityRuleName, primary.Name)
	attrs.PutStr(schema.AttrSecurityRuleDescription, primary.Description)
	attrs.PutStr(schema.AttrSecurityRuleRulesetName, primary.Ruleset)
	putStrings(attrs, schema.AttrSecurityRuleTags, primary.Tags)
	if primary.Category != "" {
		attrs.PutStr(schema.AttrSecurityRuleCategory, primary.Category)
	}
	putStrings(attrs, schema.AttrSecurityRuleOutputFields, primary.OutputFields)
	if p.matchAll {
		m := attrs.PutEmptySlice(schema.AttrSecurityRuleMatched)
		m.EnsureCapacity(len(matches))
		for _, r := range matches {
			m.AppendEmpty().SetStr(r.Name)
		}
	}
	lr.SetSeverityText(primary.Priority.String())
	lr.SetSeverityNumber(primary.Priority.SeverityNumber())
	// A record from another source (filelog, journald) carries its log line in the Body: keep
	// it, as semconv's log.record.original, before the rule's output replaces it.
	if body := lr.Body(); body.Type() != pcommon.ValueTypeEmpty {
		if s := body.AsString(); s != "" {
			if _, exists := attrs.Get(schema.AttrLogRecordOriginal); !exists {
				attrs.PutStr(schema.AttrLogRecordOriginal, s)
			}
		}
	}
	// A rule from a Falco file also gives its output's fields under Falco's names, for the
	// alert exporter's output_fields; the contract attributes stay as they are.
	var falcoFields pcommon.Map
	if primary.FromFalco() {
		falcoFields = attrs.PutEmptyMap(schema.AttrSecurityRuleFalcoOutputFields)
	}
	lr.Body().SetStr(primary.RenderFalco(res, lr, falcoFields))
}

func putStrings(attrs pcommon.Map, key string, vals []string) {
	s := attrs.PutEmptySlice(key)
	s.EnsureCapacity(len(vals))
	for _, v := range vals {
		s.AppendEmpty().SetStr(v)
	}
}
