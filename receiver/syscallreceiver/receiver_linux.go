//go:build linux

package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"context"
	"errors"
	"fmt"
	"github.com/otelsec/otelsec/internal/ruleengine"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kernel"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"
)

// Drop reasons, the values of otelsec.events_dropped.reason and of the reason attribute of the
// receiver_syscall_events_dropped metric.
const (
	reasonRingBufferFull  = "ring_buffer_full"
	reasonDecodeError     = "decode_error"
	reasonPipelineRefused = "pipeline_refused"
)

const (
	// pendingBatches bounds the built batches waiting for the pipeline; the batches of prepared
	// events are bounded too (see Start). When all are in use the reader stops, the kernel ring
	// fills and the kernel counts what it cannot store.
	pendingBatches = 2
	// maxBuilders bounds the goroutines that turn prepared events into log records.
	maxBuilders = 4
	// Retrying a batch the pipeline refused (not permanently) backs off up to maxBackoff.
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
	// exitGrace keeps an exited process in the table for events still in flight.
	exitGrace = 2 * time.Second
	// userCacheSize bounds the uid → name cache; passwdReread rate-limits re-reading it.
	userCacheSize = 4096
	passwdReread  = 5 * time.Second
	transport     = "ebpf"
	// abandonGrace is how long Shutdown still waits, past its deadline, for a pipeline that
	// ignores the cancellation before leaving it behind.
	abandonGrace = time.Second
)

// jobBatch is a batch of prepared events: the reader fills it, a builder turns it into log
// records and gives it back.
type jobBatch struct {
	jobs []record.Job
	keep []bool // with rules_filter: built whatever the rules say (a container's first event)
	n    int
	id   uint64 // in the delivery tracker
}

type logsReceiver struct {
	set    receiver.Settings
	cfg    *Config
	events []string
	next   consumer.Logs
	obs    *receiverhelper.ObsReport
	tel    *metadata.TelemetryBuilder

	tracer *kernel.Tracer
	table  *proctable.Table

	// mu guards the batch being filled, the builder and the process table: the reader fills,
	// the flusher takes a batch that waited long enough and sweeps exited processes.
	mu         sync.Mutex
	builder    *record.Builder
	cur        *jobBatch
	batchStart time.Time
	lastEvent  int64 // unix ns of the last event read
	lastLag    int64 // how long after it happened it was read (ns)

	prefilter *ruleengine.Prefilter // rules_filter's; nil builds every event
	// quietErrnos: failed opens of these the kernel leaves out (rules_filter's rules cannot
	// match them)
	quietErrnos []int
	// containers seen (reader only): the first event of each new one is built whatever the
	// rules say, so a processor that describes containers (container_metadata) hears of it
	// before its first alert, as it would with every event built.
	containers seenSet[string]
	// openMem (with rules_filter) gives the kernel the opens no rule can match; lineageSeen
	// is the process table's LineageChanges last told to the kernel (reader, under mu).
	openMem     *openMemory
	lineageSeen uint64

	host     record.Host
	begun    chan struct{}  // the reader began a batch: wakes the flusher
	free     chan *jobBatch // empty job batches; only the reader takes from it
	work     chan *jobBatch // full job batches for the builders
	builders sync.WaitGroup
	nbuild   int

	out         chan outBatch
	readCancel  context.CancelFunc
	sendCtx     context.Context
	sendCancel  context.CancelFunc
	readers     sync.WaitGroup
	sender      sync.WaitGroup
	started     atomic.Bool
	startedAt   time.Time
	shutdownMu  sync.Mutex
	shutdownHit bool

	received    atomic.Uint64
	filtered    atomic.Uint64 // events no rule of rules_filter's processor could match
	remembered  atomic.Uint64 // of those, decided by a view's remembered decision
	refused     atomic.Uint64
	lastRefusal atomic.Value // string: the pipeline's last refusal

	// reportMu guards the loss reports' state: the report loop, the sender and Shutdown use it.
	reportMu       sync.Mutex
	accepted       lossTotals // the totals of the last loss report the pipeline accepted
	reportInFlight bool
	loggedRefused  uint64
	unclean        *marker // the previous run's, until its agent.unclean_stop is accepted
	tracerClosed   bool
	ringAtClose    [kernel.NumRings]uint64

	track         *deliveryTracker
	store         storage.Client // the running marker's (nil without storage)
	markerFailing bool           // only the heartbeat loop, then Shutdown, use it
}

func newLogsReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (receiver.Logs, error) {
	events, err := selectEvents(cfg.Events)
	if err != nil {
		return nil, err
	}
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              transport,
		LongLivedCtx:           true,
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &logsReceiver{set: set, cfg: cfg, events: events, next: next, obs: obs}, nil
}

func (r *logsReceiver) Start(ctx context.Context, host component.Host) error {
	r.startedAt = time.Now()
	r.track = newDeliveryTracker(r.startedAt.UnixNano())
	if err := r.openMarker(ctx, host); err != nil {
		return fmt.Errorf("syscall receiver: %w", err)
	}
	for _, b := range broadExcludes(r.cfg.Exclude.ExecutablePathPrefixes) {
		r.set.Logger.Warn("exclude.executable_path_prefixes leaves out a whole system directory: attack tools run from there unseen",
			zap.String("prefix", b[0]), zap.String("directory", b[1]))
	}
	if err := r.start(); err != nil {
		if r.store != nil {
			_ = r.store.Close(ctx)
		}
		return err
	}
	return nil
}

// start loads the kernel side and starts the goroutines.
func (r *logsReceiver) start() error {
	if err := r.openRulesFilter(); err != nil {
		return err
	}
	tracer, err := kernel.New(kernel.Options{
		Events:                    r.events,
		ExcludeExecutablePrefixes: r.cfg.Exclude.ExecutablePathPrefixes,
		RingBufferSize:            r.cfg.RingBufferSize,
		PriorityRingBufferSize:    r.cfg.priorityRingSize(),
		MaxArgs:                   r.cfg.MaxArgs,
		MaxArgBytes:               r.cfg.MaxArgBytes,
		MaxEnvBytes:               r.cfg.MaxEnvBytes,
		MaxPathBytes:              r.cfg.MaxPathBytes,
		SelfPID:                   os.Getpid(),
	})
	if err != nil {
		return fmt.Errorf("syscall receiver: %w", err)
	}
	// Attach before reading /proc: a process started in between is then reported by the
	// kernel rather than missed by both.
	if err := tracer.Start(); err != nil {
		// The kernel package's error is one sentence naming what is missing.
		return err
	}
	if missing := tracer.Unavailable(); len(missing) > 0 {
		r.set.Logger.Warn("Events unavailable on this kernel; they will not be reported",
			zap.String("events", strings.Join(missing, ", ")))
	}
	if err := tracer.QuietOpens(r.quietErrnos); err != nil {
		_ = tracer.Close()
		return fmt.Errorf("syscall receiver: %w", err)
	}
	for _, f := range tracer.Fallbacks() {
		r.set.Logger.Info("The kernel programs fall back on this kernel", zap.String("fallback", f))
	}
	r.tracer = tracer
	if r.prefilter != nil {
		r.openMem = newOpenMemory(tracer, r.set.Logger)
	}

	r.table = proctable.New(proctable.Options{
		Capacity:    r.cfg.ProcessTableSize,
		ProcRoot:    "/proc",
		Limits:      procinfo.Limits{MaxArgs: r.cfg.MaxArgs, MaxArgBytes: r.cfg.MaxArgBytes},
		ExitGraceNs: int64(exitGrace),
	})
	seeded, err := r.table.Seed()
	if err != nil {
		r.set.Logger.Warn("Cannot read running processes from /proc; their events will carry less context", zap.Error(err))
	}
	r.builder = record.New(record.Options{
		Table: r.table,
		Users: procinfo.NewUsers("/etc/passwd", userCacheSize, passwdReread),
	})
	r.host = record.LocalHost(r.cfg.ServiceName, r.set.BuildInfo.Version)
	r.nbuild = min(max(runtime.GOMAXPROCS(0), 1), maxBuilders)
	// One batch per builder, one being filled, one ready for the next free builder.
	batches := r.nbuild + 2
	r.begun = make(chan struct{}, 1)
	r.free = make(chan *jobBatch, batches)
	r.work = make(chan *jobBatch, batches)
	for range batches {
		r.free <- &jobBatch{jobs: make([]record.Job, r.cfg.MaxBatchSize), keep: make([]bool, r.cfg.MaxBatchSize)}
	}

	if err := r.registerTelemetry(); err != nil {
		_ = tracer.Close()
		if r.tel != nil {
			r.tel.Shutdown()
		}
		return fmt.Errorf("syscall receiver telemetry: %w", err)
	}

	r.out = make(chan outBatch, pendingBatches)
	var readCtx context.Context
	readCtx, r.readCancel = context.WithCancel(context.Background())
	r.sendCtx, r.sendCancel = context.WithCancel(context.Background())

	// The previous run's unclean stop is the first thing sent.
	if b, ok := r.lossReport(); ok {
		r.out <- b
	}
	r.sender.Add(1)
	go r.send()
	r.builders.Add(r.nbuild)
	for range r.nbuild {
		go r.build()
	}
	r.readers.Add(3)
	go r.read(readCtx)
	go r.flushLoop(readCtx)
	go r.reportLoop(readCtx)
	if r.store != nil {
		r.heartbeat(time.Now())
		r.readers.Add(1)
		go r.heartbeatLoop(readCtx)
	}
	r.started.Store(true)
	acquireGC(r.set.Logger)
	r.set.Logger.Info("Tracing system calls",
		zap.Int("events", len(r.events)), zap.Int("processes_seeded", seeded),
		zap.Int("ring_buffer_size", r.cfg.RingBufferSize),
		zap.Int("priority_ring_buffer_size", r.cfg.priorityRingSize()))
	return nil
}

func (r *logsReceiver) registerTelemetry() error {
	tel, err := metadata.NewTelemetryBuilder(r.set.TelemetrySettings)
	if err != nil {
		return err
	}
	r.tel = tel
	// ring_buffer_full by ring as well: losses of the priority ring are losses of the events
	// the rules look for.
	var rings [kernel.NumRings]metric.ObserveOption
	for i := range rings {
		rings[i] = metric.WithAttributes(attribute.String("reason", reasonRingBufferFull), attribute.String("ring", kernel.Ring(i).String()))
	}
	decode := metric.WithAttributes(attribute.String("reason", reasonDecodeError))
	refused := metric.WithAttributes(attribute.String("reason", reasonPipelineRefused))
	evaluated := metric.WithAttributes(attribute.String("decided", "evaluated"))
	recalled := metric.WithAttributes(attribute.String("decided", "remembered"))
	inKernel := metric.WithAttributes(attribute.String("decided", "kernel"))
	rememberedInKernel := metric.WithAttributes(attribute.String("decided", "kernel_remembered"))
	return errors.Join(
		tel.RegisterReceiverSyscallEventsReceivedCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(r.received.Load()))
			return nil
		}),
		tel.RegisterReceiverSyscallEventsDroppedCallback(func(_ context.Context, o metric.Int64Observer) error {
			r.reportMu.Lock()
			rd := r.ringDropsLocked()
			t := r.lossTotalsLocked()
			r.reportMu.Unlock()
			for i, n := range rd {
				o.Observe(int64(n), rings[i])
			}
			o.Observe(int64(t[lossDecode]), decode)
			o.Observe(int64(t[lossRefused]), refused)
			return nil
		}),
		tel.RegisterReceiverSyscallEventsFilteredCallback(func(_ context.Context, o metric.Int64Observer) error {
			remembered := r.remembered.Load()
			o.Observe(int64(r.filtered.Load()-remembered), evaluated)
			o.Observe(int64(remembered), recalled)
			if quiet, err := r.tracer.QuietOpened(); err == nil {
				o.Observe(int64(quiet), inKernel)
			}
			if r.openMem != nil {
				if n, err := r.tracer.RememberedOpens(); err == nil {
					o.Observe(int64(n), rememberedInKernel)
				}
			}
			return nil
		}),
		tel.RegisterReceiverSyscallProcessTableEvictionsCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(r.table.Evictions()))
			return nil
		}),
		tel.RegisterReceiverSyscallProcessTableSizeCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(r.table.Len()))
			return nil
		}),
	)
}

// read runs the kernel reader; every event becomes a record of the current batch.
func (r *logsReceiver) read(ctx context.Context) {
	defer r.readers.Done()
	if err := r.tracer.Read(ctx, r.onEvent); err != nil {
		r.set.Logger.Error("Reading kernel events stopped", zap.Error(err))
	}
}

func (r *logsReceiver) onEvent(ev *kevent.Event) {
	r.received.Add(1)
	now := time.Now()
	happened := ev.UnixNano
	if happened == 0 || happened > now.UnixNano() {
		happened = now.UnixNano()
	}
	r.mu.Lock()
	r.lastEvent, r.lastLag = happened, now.UnixNano()-happened
	if r.cur == nil {
		r.mu.Unlock()
		// Blocks while every batch is in flight: the pipeline is behind, and the kernel
		// counts what it then drops.
		jb := <-r.free
		jb.id = r.track.begin(happened)
		r.mu.Lock()
		r.cur, r.batchStart = jb, now
		select {
		case r.begun <- struct{}{}:
		default: // the flusher is awake already
		}
	}
	jb := r.cur
	// The process table around the record: an exec changes it before (the record describes
	// the new image), a fork or exit after (the record describes the caller).
	p := r.table.Before(ev)
	job := &jb.jobs[jb.n]
	r.builder.Prepare(ev, p, job, pcommon.NewTimestampFromTime(now))
	r.table.After(ev)
	r.noteLineage()
	jb.keep[jb.n] = r.prefilter != nil && job.ContainerID != "" && r.containers.add(job.ContainerID)
	jb.n++
	full := jb.n == len(jb.jobs)
	if full {
		r.cur = nil
	}
	r.mu.Unlock()
	if full {
		r.work <- jb
	}
}

// noteLineage tells the kernel when the process table changed a lineage on its own (its
// remembered opens' classes are then stale: bpf/lib/verdict.h). Called with r.mu held, after
// each change to the table.
func (r *logsReceiver) noteLineage() {
	if n := r.table.LineageChanges(); n != r.lineageSeen {
		r.lineageSeen = n
		if r.openMem != nil {
			r.tracer.LineageChanged()
		}
	}
}

// build turns batches of prepared events into log records for the pipeline.
func (r *logsReceiver) build() {
	defer r.builders.Done()
	var f record.Filler
	var view *ruleengine.View
	capacity := r.cfg.MaxBatchSize
	if r.prefilter != nil {
		view = r.prefilter.NewView()
		capacity = 0 // most events are left out: a batch's records are few
	}
	batch := record.NewBatch(r.host, metadata.ScopeName, r.set.BuildInfo.Version, capacity)
	var remembered uint64 // the view's count already added
	for jb := range r.work {
		var filtered uint64
		for i := range jb.jobs[:jb.n] {
			job := &jb.jobs[i]
			if view != nil && !jb.keep[i] {
				if f.View(job, view); !view.MayMatch() {
					filtered++
					if r.openMem != nil {
						r.openMem.decided(job, view)
					}
					continue
				}
			}
			f.Fill(job, batch.Append())
		}
		r.filtered.Add(filtered)
		if view != nil {
			r.remembered.Add(view.Remembered() - remembered)
			remembered = view.Remembered()
		}
		id := jb.id
		jb.n = 0
		r.free <- jb
		if batch.Len() == 0 {
			r.track.done(id) // nothing for the pipeline
			continue
		}
		r.out <- outBatch{logs: batch.Take(), id: id}
	}
}

// flushLoop sends a batch that has waited FlushInterval and forgets processes that exited. It
// sleeps while no batch is being filled (an idle sensor has no timer running), and otherwise
// until the batch is due. Each batch begun wakes it, so exited processes are swept under
// sustained load too.
func (r *logsReceiver) flushLoop(ctx context.Context) {
	defer r.readers.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.begun:
		}
		for {
			now := time.Now()
			r.mu.Lock()
			r.table.Sweep(r.table.Now())
			r.noteLineage()
			jb := r.cur
			if jb == nil {
				// Filled and sent by the reader; the next batch signals begun.
				r.mu.Unlock()
				break
			}
			due := r.batchStart.Add(r.cfg.FlushInterval)
			send := !now.Before(due) // jb holds a record: onEvent begins it with one
			if send {
				r.cur = nil
			}
			r.mu.Unlock()
			if send {
				r.work <- jb
				break
			}
			timer.Reset(due.Sub(now))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
	}
}

// Shutdown stops reading and delivers what was read, for at most shutdown_timeout (or until
// ctx's deadline, when earlier); what is then not delivered is counted as refused and reported
// in the log. The collector itself sets no deadline, so without this bound a pipeline that
// refuses would keep the sensor from stopping, blind, until killed.
func (r *logsReceiver) Shutdown(ctx context.Context) error {
	r.shutdownMu.Lock()
	defer r.shutdownMu.Unlock()
	if r.shutdownHit || !r.started.Load() {
		r.shutdownHit = true
		return nil
	}
	r.shutdownHit = true
	defer releaseGC()
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ShutdownTimeout)
	defer cancel()

	// wait waits for wg; past the deadline it stops retrying the pipeline, which unblocks
	// every stage behind it. A pipeline that does not return even then is left behind
	// (stuck), and so are the stages waiting for it.
	var errs []error
	stuck := false
	wait := func(wg *sync.WaitGroup) {
		if stuck {
			return
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return
		case <-ctx.Done():
			r.sendCancel()
		}
		select {
		case <-done:
		case <-time.After(abandonGrace):
			stuck = true
		}
	}
	// Stop the kernel side writing, then read what the rings hold: the reader drains them and
	// returns. Records are built and delivered until half the time left, so that building and
	// sending fit in the rest; past that they are counted lost (pipeline_refused), not dropped
	// unseen.
	deliverUntil := time.Now().Add(r.cfg.ShutdownTimeout / 2)
	if d, ok := ctx.Deadline(); ok {
		deliverUntil = time.Now().Add(time.Until(d) / 2)
	}
	errs = append(errs, r.tracer.Detach(deliverUntil))
	r.readCancel()
	wait(&r.readers)

	// The events read so far become records.
	if !stuck {
		r.mu.Lock()
		if jb := r.cur; jb != nil && jb.n > 0 {
			r.cur = nil
			r.work <- jb
		}
		r.mu.Unlock()
		close(r.work)
	}
	wait(&r.builders)
	errs = append(errs, r.closeTracer())
	if !stuck {
		close(r.out) // the sender ends with a last loss report
	}
	wait(&r.sender)
	r.sendCancel()
	errs = append(errs, r.finishMarker())
	if stuck {
		errs = append(errs, fmt.Errorf("syscall receiver: the pipeline had not returned %s after the shutdown deadline; stopped waiting for it", abandonGrace))
	}
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("syscall receiver: shutdown deadline reached; what was not delivered by then is counted lost (pipeline_refused): %w", ctx.Err()))
	}
	if r.tel != nil {
		r.tel.Shutdown()
	}
	return errors.Join(errs...)
}
