package securityrulesprocessor // import "github.com/otelsec/otelsec/processor/securityrulesprocessor"

import (
	"crypto/sha256"
	"encoding/binary"
	"os"
	"sync"
	"time"
	"weak"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelsec/otelsec/internal/ruleengine"
)

// compiledRules is a compiled rule set.
type compiledRules struct {
	engine *ruleengine.Engine
	warns  []ruleengine.Warning
	took   time.Duration
}

// rulesKey identifies a rule set by everything that goes into compiling it: the options and
// each file's name and contents (a file edited between Validate and start is recompiled).
type rulesKey [sha256.Size]byte

func keyOf(srcs []ruleengine.Source, opts ruleengine.Options) rulesKey {
	h := sha256.New()
	var b [8]byte
	put := func(n int) {
		binary.LittleEndian.PutUint64(b[:], uint64(n))
		h.Write(b[:])
	}
	put(int(opts.MinPriority))
	if opts.MatchAll {
		put(1)
	} else {
		put(0)
	}
	for _, s := range srcs {
		put(len(s.Name))
		h.Write([]byte(s.Name))
		put(len(s.Data))
		h.Write(s.Data)
	}
	var k rulesKey
	h.Sum(k[:0])
	return k
}

// ruleCache lets the factory reuse what Validate compiled, so rules are compiled once at
// start (20,000 rules take seconds). An entry Validate made is held until a processor takes
// it; then only weakly, shared by the processors that use it (one per pipeline), and gone
// once they are: a reloaded configuration does not pin old rule sets.
var ruleCache = struct {
	mu      sync.Mutex
	pending map[rulesKey]*compiledRules
	taken   map[rulesKey]weak.Pointer[compiledRules]
}{pending: map[rulesKey]*compiledRules{}, taken: map[rulesKey]weak.Pointer[compiledRules]{}}

// cachedRules returns the rule set compiled for key, or nil.
func cachedRules(key rulesKey, take bool) *compiledRules {
	ruleCache.mu.Lock()
	defer ruleCache.mu.Unlock()
	for k, w := range ruleCache.taken {
		if w.Value() == nil {
			delete(ruleCache.taken, k)
		}
	}
	if cr := ruleCache.pending[key]; cr != nil {
		if take {
			delete(ruleCache.pending, key)
			ruleCache.taken[key] = weak.Make(cr)
		}
		return cr
	}
	if w, ok := ruleCache.taken[key]; ok {
		return w.Value()
	}
	return nil
}

func storeRules(key rulesKey, cr *compiledRules) {
	ruleCache.mu.Lock()
	defer ruleCache.mu.Unlock()
	ruleCache.pending[key] = cr
}

// progressInterval is how often a long compile is reported (tests shorten it).
var progressInterval = 2 * time.Second

// progressLogger reports a long compile's progress on logger. Validate runs before the
// collector has made its logger: then (logger nil) lines go to stderr, where the collector
// logs by default, through a logger made at the first report.
func progressLogger(logger *zap.Logger) func(ruleengine.Progress) {
	return func(p ruleengine.Progress) {
		if logger == nil {
			enc := zap.NewProductionEncoderConfig()
			enc.EncodeTime = zapcore.ISO8601TimeEncoder
			logger = zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.Lock(os.Stderr), zapcore.InfoLevel))
		}
		logger.Info("compiling security rules", zap.String("stage", p.Stage), zap.Int("done", p.Done),
			zap.Int("of", p.Total), zap.Int("rules", p.Rules), zap.Duration("elapsed", p.Elapsed))
	}
}
