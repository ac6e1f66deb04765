package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"go.uber.org/zap"
)

// The garbage collector's setting while a syscall receiver runs. Building a log record
// allocates (pdata: a value per attribute), so at high event rates much of the collector's cost
// is the garbage collector's: at the runtime's default GOGC=100 it collects a heap of 20-28 MiB
// live about every 80 ms at 500 k events/s, with 400 a quarter as often, and the receiver spends
// about 30 % less CPU per event (the receiver's README). When neither GOGC nor GOMEMLIMIT is
// in the environment, the receiver sets GOGC=400 as long as the heap that lets grow (five
// times the live heap) stays within gcHeapBudget, and
// lowers it, never under 100, when the live heap grows past a fifth of that: a large live heap
// (a full exporter queue) then costs what it costs at the default, never five times it. With
// GOMEMLIMIT set and GOGC unset, GOGC is 400 and the limit bounds the heap. With GOGC set, the
// receiver leaves the collector alone. The last receiver to stop puts the setting back.
const (
	gcPercent      = 400
	gcHeapBudget   = 128 << 20
	gcTuneInterval = time.Second
)

// gcPercentFor is the GOGC that keeps the heap goal of a live heap of live bytes within
// budget: gcPercent while that fits, then lower, never under the runtime's default 100.
func gcPercentFor(live, budget uint64) int {
	if live == 0 {
		return gcPercent
	}
	p := int(min(budget*100/live, 1<<20)) - 100 // budget*100 fits: the budget is MiBs
	return min(max(p, 100), gcPercent)
}

// gcTuner is the process's one: receivers share it (there may be several, and the collector
// restarts them on a reload).
var gcTuner struct {
	mu    sync.Mutex
	users int
	prev  int           // GOGC before the first user
	stop  chan struct{} // closes the tuning goroutine; nil when none runs
	done  chan struct{}
	set   bool // the receiver set GOGC
}

// acquireGC applies the receiver's GC setting for one more running receiver.
func acquireGC(logger *zap.Logger) {
	t := &gcTuner
	t.mu.Lock()
	defer t.mu.Unlock()
	t.users++
	if t.users > 1 || os.Getenv("GOGC") != "" {
		return
	}
	t.set = true
	t.prev = debug.SetGCPercent(gcPercent)
	if os.Getenv("GOMEMLIMIT") != "" {
		logger.Info("GOGC is unset: the garbage collector runs at GOGC=400 within GOMEMLIMIT (set GOGC to choose)",
			zap.Int("gogc", gcPercent))
		return
	}
	logger.Info("GOGC and GOMEMLIMIT are unset: the garbage collector runs at GOGC=400 while the heap stays within the budget, lower (down to 100) past it; set GOGC or GOMEMLIMIT to choose",
		zap.Int("gogc", gcPercent), zap.Int("heap_budget_mib", gcHeapBudget>>20))
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	go tuneGC(t.stop, t.done, gcPercent)
}

// releaseGC undoes acquireGC; the last one puts the collector's setting back.
func releaseGC() {
	t := &gcTuner
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.users == 0 {
		return
	}
	t.users--
	if t.users > 0 || !t.set {
		return
	}
	if t.stop != nil {
		close(t.stop)
		<-t.done
		t.stop, t.done = nil, nil
	}
	debug.SetGCPercent(t.prev)
	t.set = false
}

// tuneGC reads the live heap every gcTuneInterval and sets the GOGC gcPercentFor gives.
func tuneGC(stop <-chan struct{}, done chan<- struct{}, current int) {
	defer close(done)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(gcTuneInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			continue
		}
		if p := gcPercentFor(sample[0].Value.Uint64(), gcHeapBudget); p != current {
			debug.SetGCPercent(p)
			current = p
		}
	}
}
