package containermetadataprocessor

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/otelsec/otelsec/processor/containermetadataprocessor/internal/metadata"
	"github.com/otelsec/otelsec/processor/containermetadataprocessor/internal/runtime"
)

// Timings of the endpoints' background work.
const (
	queueSize      = 1024             // lookup requests waiting; more are dropped and counted
	workers        = 2                // lookups in parallel: one slow runtime does not stall the rest
	pollInterval   = 10 * time.Second // listing a runtime that has no event stream
	maxBackoff     = 30 * time.Second // between attempts to reach an absent or lost runtime
	initialBackoff = time.Second
)

// endpoint is one runtime API at one socket.
type endpoint struct {
	kind string // the config key: docker, podman, cri, containerd
	src  runtime.Source
	up   atomic.Bool // answered its last List; only endpoints that are up are asked
	// absent, down: what was last logged, so each state change is logged once.
	absent, down bool
}

// resolver keeps the cache filled: it asks the endpoints, in order, about each container a
// record or a runtime event names, off the event path (a bounded queue and two workers).
type resolver struct {
	cfg    *Config
	logger *zap.Logger
	tb     *metadata.TelemetryBuilder
	cache  *cache
	eps    []*endpoint
	queue  chan request

	mu      sync.Mutex
	pending map[string]bool // queued or being looked up; true: look up again when done

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type request struct {
	id string
	at time.Time
	// started: the runtime said the container started. A runtime may tell of the start before
	// its own status shows it (containerd's task event before the CRI status): then the lookup
	// is asked again shortly, at most startRetries times, so the start time is not missed.
	started bool
	tries   int
}

const (
	startRetries    = 20
	startRetryDelay = 50 * time.Millisecond
)

func newResolver(cfg *Config, logger *zap.Logger, tb *metadata.TelemetryBuilder) (*resolver, error) {
	r := &resolver{cfg: cfg, logger: logger, tb: tb, cache: newCache(cfg.CacheSize),
		queue: make(chan request, queueSize), pending: map[string]bool{}}
	add := func(kind string, sockets []string, mk func(string) (runtime.Source, error)) error {
		for _, s := range sockets {
			src, err := mk(socketPath(s))
			if err != nil {
				return err
			}
			r.eps = append(r.eps, &endpoint{kind: kind, src: src})
		}
		return nil
	}
	err := errors.Join(
		add("docker", cfg.Docker, func(s string) (runtime.Source, error) { return runtime.NewDocker("docker", s) }),
		add("podman", cfg.Podman, func(s string) (runtime.Source, error) { return runtime.NewDocker("podman", s) }),
		add("cri", cfg.CRI, func(s string) (runtime.Source, error) { return runtime.NewCRI(s) }),
		add("containerd", cfg.Containerd, func(s string) (runtime.Source, error) { return runtime.NewContainerd(s) }),
	)
	if err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// start learns the containers that already run (for at most startup_timeout, so that the
// first records of them are described), then leaves the endpoints to background goroutines.
func (r *resolver) start() {
	r.ctx, r.cancel = context.WithCancel(context.Background())
	deadline := time.Now().Add(r.cfg.StartupTimeout)
	for _, ep := range r.eps {
		r.connect(ep, deadline)
	}
	for range workers {
		r.wg.Go(r.work)
	}
	for _, ep := range r.eps {
		r.wg.Go(func() { r.run(ep) })
	}
}

func (r *resolver) shutdown() {
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	r.close()
}

func (r *resolver) close() {
	for _, ep := range r.eps {
		_ = ep.src.Close()
	}
}

// anyUp reports whether some runtime answers: with none, records do not queue lookups.
func (r *resolver) anyUp() bool {
	for _, ep := range r.eps {
		if ep.up.Load() {
			return true
		}
	}
	return false
}

// request queues a lookup of id without waiting; a full queue drops it (counted): the
// container's next record asks again.
func (r *resolver) request(id string) { r.enqueue(request{id: id, at: time.Now()}) }

func (r *resolver) enqueue(req request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := req.id
	if _, queued := r.pending[id]; queued {
		// An event while a lookup is queued or running: its answer may predate the change.
		r.pending[id] = true
		return
	}
	select {
	case r.queue <- req:
		r.pending[id] = false
	default:
		r.tb.ProcessorContainerMetadataRequestsDropped.Add(context.Background(), 1)
	}
}

func (r *resolver) work() {
	for {
		select {
		case <-r.ctx.Done():
			return
		case req := <-r.queue:
			r.resolve(req)
			r.mu.Lock()
			again := r.pending[req.id]
			delete(r.pending, req.id)
			r.mu.Unlock()
			if again {
				r.request(req.id)
			}
		}
	}
}

// resolve looks id up and caches the answer.
func (r *resolver) resolve(req request) {
	e, startKnown := r.lookup(req.id)
	if req.started && e.attrs != nil && !startKnown && req.tries < startRetries {
		again := req
		again.tries++
		time.AfterFunc(startRetryDelay, func() {
			if r.ctx.Err() == nil {
				r.enqueue(again)
			}
		})
	}
	if r.cache.put(req.id, e) {
		r.tb.ProcessorContainerMetadataCacheEvictions.Add(context.Background(), 1)
	}
	r.tb.ProcessorContainerMetadataLookupDuration.Record(context.Background(), float64(time.Since(req.at).Microseconds())/1000)
}

// lookup asks the endpoints that are up, in order; the first that knows id answers. None
// knowing it (or errors) is a negative answer, asked again after retry_interval.
func (r *resolver) lookup(id string) (e *entry, startKnown bool) {
	ctx := context.Background()
	r.tb.ProcessorContainerMetadataLookups.Add(ctx, 1)
	failed := false
	for _, ep := range r.eps {
		if !ep.up.Load() {
			continue
		}
		lctx, cancel := context.WithTimeout(r.ctx, r.cfg.LookupTimeout)
		in, err := ep.src.Inspect(lctx, id)
		cancel()
		if err == nil {
			return &entry{attrs: newAttrs(in, r.cfg.MaxLabels)}, !in.StartTime.IsZero()
		}
		if !errors.Is(err, runtime.ErrUnknown) {
			failed = true
		}
	}
	if failed {
		r.tb.ProcessorContainerMetadataLookupFailures.Add(ctx, 1)
	}
	return &entry{retryAt: time.Now().Add(r.cfg.RetryInterval).UnixNano()}, false
}

// connect checks that ep answers and learns its containers: until deadline by looking each
// up at once, after it by queueing them. It logs each change of ep's state once.
func (r *resolver) connect(ep *endpoint, deadline time.Time) bool {
	log := r.logger.With(zap.String("runtime", ep.kind), zap.String("endpoint", ep.src.Endpoint()))
	if _, err := os.Stat(ep.src.Endpoint()); err != nil {
		if !ep.absent {
			log.Info("container runtime socket absent; its containers are not described until it appears")
			ep.absent = true
		}
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.LookupTimeout)
	ids, err := ep.src.List(ctx)
	cancel()
	if err != nil {
		if !ep.down {
			log.Warn("container runtime does not answer; retrying", zap.Error(err))
			ep.down = true
		}
		return false
	}
	ep.absent, ep.down = false, false
	ep.up.Store(true)
	log.Info("describing containers from this runtime", zap.Int("containers", len(ids)))
	for _, id := range ids {
		if time.Now().Before(deadline) {
			r.resolve(request{id: id, at: time.Now()})
		} else {
			r.request(id)
		}
	}
	return true
}

// run follows ep's events (each change of a container refreshes it), reconnecting with
// backoff when ep is absent or its stream breaks.
func (r *resolver) run(ep *endpoint) {
	backoff := initialBackoff
	for r.ctx.Err() == nil {
		if !ep.up.Load() && !r.connect(ep, time.Time{}) {
			r.sleep(backoff)
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = initialBackoff
		err := ep.src.Watch(r.ctx, func(ev runtime.Event) {
			if ev.Change != runtime.Deleted {
				// A deleted container stays cached for the records still in flight; the
				// LRU order retires it.
				r.enqueue(request{id: ev.ID, at: time.Now(), started: ev.Change == runtime.Started})
			}
		})
		if r.ctx.Err() != nil {
			return
		}
		if errors.Is(err, runtime.ErrNoEvents) {
			r.logger.Info("container runtime has no event stream; listing its containers every "+pollInterval.String(),
				zap.String("runtime", ep.kind), zap.String("endpoint", ep.src.Endpoint()))
			err = r.poll(ep)
			if r.ctx.Err() != nil {
				return
			}
		}
		ep.up.Store(false)
		ep.down = true
		r.logger.Warn("lost the container runtime; reconnecting", zap.String("runtime", ep.kind),
			zap.String("endpoint", ep.src.Endpoint()), zap.Error(err))
	}
}

// poll lists ep's containers every pollInterval and looks up those not cached, until a list fails.
func (r *resolver) poll(ep *endpoint) error {
	for r.sleep(pollInterval) {
		ctx, cancel := context.WithTimeout(r.ctx, r.cfg.LookupTimeout)
		ids, err := ep.src.List(ctx)
		cancel()
		if err != nil {
			return err
		}
		for _, id := range ids {
			if r.cache.get(id) == nil {
				r.request(id)
			}
		}
	}
	return r.ctx.Err()
}

// sleep waits d or until shutdown; false on shutdown.
func (r *resolver) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
