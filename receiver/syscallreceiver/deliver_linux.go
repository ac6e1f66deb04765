//go:build linux

package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kernel"
)

// outBatch is what the sender hands to the pipeline: a batch of events (id: its entry in the
// delivery tracker) or a loss report.
type outBatch struct {
	logs   plog.Logs
	id     uint64
	report *lossSnapshot
}

// Loss reasons, indexes of lossTotals.
const (
	lossRing = iota
	lossDecode
	lossRefused
	numLossReasons
)

var lossReasons = [numLossReasons]string{reasonRingBufferFull, reasonDecodeError, reasonPipelineRefused}

type lossTotals [numLossReasons]uint64

// lossSnapshot is what a loss report reports: the totals it was built from, and whether it
// carries the agent.unclean_stop record.
type lossSnapshot struct {
	totals  lossTotals
	unclean bool
}

// send hands batches to the pipeline, then a last loss report once everything read is
// delivered or counted, so losses just before shutdown are not invisible.
func (r *logsReceiver) send() {
	defer r.sender.Done()
	for b := range r.out {
		r.deliverBatch(b)
	}
	if b, ok := r.lossReport(); ok {
		r.deliverBatch(b)
	}
}

func (r *logsReceiver) deliverBatch(b outBatch) {
	err := r.deliver(b.logs)
	if b.report != nil {
		r.reportDone(*b.report, err == nil)
		return
	}
	if err != nil {
		// What the pipeline still held when it refused: with the security_rules processor
		// before the refusing exporter, the violations (the other records were dropped by
		// design, not lost).
		r.refused.Add(uint64(b.logs.LogRecordCount()))
		r.lastRefusal.Store(err.Error())
	}
	r.track.done(b.id)
}

// deliver hands l to the pipeline. A refusal that may pass later (memory_limiter's) is retried
// with backoff for retry_timeout, or until Shutdown's deadline; a permanent one is final, and so
// is an exporter's full queue: the backend is behind, and sending the batch again would give it
// again to the pipeline's other exporters, which took it (an alert printed once per retry),
// while the queue does not drain in time.
func (r *logsReceiver) deliver(l plog.Logs) error {
	n := l.LogRecordCount()
	ctx := r.obs.StartLogsOp(r.sendCtx)
	giveUp := time.Now().Add(r.cfg.RetryTimeout)
	backoff := minBackoff
	for {
		err := r.next.ConsumeLogs(ctx, l)
		if err == nil {
			r.obs.EndLogsOp(ctx, transport, n, nil)
			return nil
		}
		wait := min(backoff, time.Until(giveUp))
		if consumererror.IsPermanent(err) || errors.Is(err, exporterhelper.ErrQueueIsFull) || wait <= 0 {
			r.obs.EndLogsOp(ctx, transport, n, err)
			return err
		}
		select {
		case <-time.After(wait):
		case <-r.sendCtx.Done():
			r.obs.EndLogsOp(ctx, transport, n, err)
			return err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// reportLoop sends a loss report every drop_report_interval when there is something to report.
func (r *logsReceiver) reportLoop(ctx context.Context) {
	defer r.readers.Done()
	tick := time.NewTicker(r.cfg.DropReportInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			b, ok := r.lossReport()
			if !ok {
				continue
			}
			select {
			case r.out <- b:
			case <-ctx.Done():
				r.reportDone(*b.report, false)
				return
			}
		}
	}
}

// lossReport builds one agent.events_dropped record per reason whose total grew since the last
// report the pipeline accepted (a refused report is sent again, with the counts since), and the
// agent.unclean_stop record until one is accepted. One report is in flight at a time.
func (r *logsReceiver) lossReport() (outBatch, bool) {
	r.reportMu.Lock()
	defer r.reportMu.Unlock()
	if r.reportInFlight {
		return outBatch{}, false
	}
	snap := lossSnapshot{totals: r.lossTotalsLocked(), unclean: r.unclean != nil}
	var (
		logs plog.Logs
		recs plog.LogRecordSlice
		have bool
	)
	now := time.Now()
	for i, total := range snap.totals {
		last := r.accepted[i]
		if total <= last {
			continue
		}
		if !have {
			logs, recs = record.NewBatch(r.host, metadata.ScopeName, r.set.BuildInfo.Version, 0).Empty()
			have = true
		}
		record.Dropped(recs.AppendEmpty(), lossReasons[i], total-last, total, now)
	}
	if snap.unclean {
		if !have {
			logs, recs = record.NewBatch(r.host, metadata.ScopeName, r.set.BuildInfo.Version, 0).Empty()
			have = true
		}
		uncleanStop(recs.AppendEmpty(), *r.unclean, r.startedAt)
	}
	if !have {
		return outBatch{}, false
	}
	if refused := snap.totals[lossRefused]; refused > r.loggedRefused {
		msg, _ := r.lastRefusal.Load().(string)
		r.set.Logger.Warn("The pipeline refused events; they are lost and reported as agent.events_dropped",
			zap.Uint64("events", refused-r.loggedRefused), zap.Uint64("total", refused), zap.String("last_error", msg))
		r.loggedRefused = refused
	}
	r.reportInFlight = true
	return outBatch{logs: logs, report: &snap}, true
}

// reportDone records the fate of a loss report: accepted, its counts are the new baseline.
func (r *logsReceiver) reportDone(snap lossSnapshot, accepted bool) {
	r.reportMu.Lock()
	defer r.reportMu.Unlock()
	r.reportInFlight = false
	if !accepted {
		return
	}
	for i, t := range snap.totals {
		r.accepted[i] = max(r.accepted[i], t)
	}
	if snap.unclean {
		r.unclean = nil
	}
}

// lossTotalsLocked counts every event lost since start, by reason. reportMu is held.
func (r *logsReceiver) lossTotalsLocked() lossTotals {
	var ring uint64
	for _, n := range r.ringDropsLocked() {
		ring += n
	}
	// Records drained at shutdown past the deadline were not delivered either.
	return lossTotals{ring, r.tracer.DecodeErrors(), r.refused.Load() + r.tracer.Unread()}
}

// ringDropsLocked is what each ring could not hold since start. reportMu is held.
func (r *logsReceiver) ringDropsLocked() [kernel.NumRings]uint64 {
	if !r.tracerClosed {
		if d, err := r.tracer.DropsByRing(); err == nil {
			return d
		}
	}
	return r.ringAtClose
}

func (r *logsReceiver) lossTotals() lossTotals {
	r.reportMu.Lock()
	defer r.reportMu.Unlock()
	return r.lossTotalsLocked()
}

// allReported: every loss counted has been reported in a report the pipeline accepted, and so
// has the previous run's unclean stop.
func (r *logsReceiver) allReported() bool {
	r.reportMu.Lock()
	defer r.reportMu.Unlock()
	return r.lossTotalsLocked() == r.accepted && r.unclean == nil
}

// closeTracer closes the kernel side, keeping its drop count (a kernel map) for the reports.
func (r *logsReceiver) closeTracer() error {
	r.reportMu.Lock()
	if d, err := r.tracer.DropsByRing(); err == nil {
		r.ringAtClose = d
	}
	r.tracerClosed = true
	r.reportMu.Unlock()
	return r.tracer.Close()
}
