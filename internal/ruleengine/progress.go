package ruleengine

import (
	"sync"
	"sync/atomic"
	"time"
)

// Progress is how far Compile is, for a caller that reports on a long compile (tens of
// thousands of rules take seconds).
type Progress struct {
	Stage   string // "reading", "parsing", "checking" or "compiling"
	Done    int    // files read, pieces of condition parsed or checked, or rules compiled, so far
	Total   int    // of the stage
	Rules   int    // rules defined, enabled or not (0 while reading)
	Elapsed time.Duration
}

// defaultProgressInterval is how often Options.Progress is called when ProgressInterval is 0.
const defaultProgressInterval = 2 * time.Second

// progress counts Compile's work; a reporter goroutine reads it every interval.
type progress struct {
	mu    sync.Mutex
	stage string
	total int
	rules int
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startProgress starts reporting to f every interval (nothing when f is nil: counting costs
// an atomic add per item, reporting nothing).
func startProgress(f func(Progress), interval time.Duration) *progress {
	p := &progress{start: time.Now(), stop: make(chan struct{})}
	if f == nil {
		return p
	}
	if interval <= 0 {
		interval = defaultProgressInterval
	}
	p.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				f(p.snapshot())
			}
		}
	})
	return p
}

func (p *progress) snapshot() Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Progress{Stage: p.stage, Done: int(p.done.Load()), Total: p.total, Rules: p.rules, Elapsed: time.Since(p.start)}
}

// begin starts a stage of total items.
func (p *progress) begin(stage string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stage, p.total = stage, total
	p.done.Store(0)
}

func (p *progress) add() { p.done.Add(1) }

// setRules records how many rules there are, once overrides are resolved.
func (p *progress) setRules(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = n
}

// end stops the reporter; no call to f is made after it returns.
func (p *progress) end() {
	close(p.stop)
	p.wg.Wait()
}
