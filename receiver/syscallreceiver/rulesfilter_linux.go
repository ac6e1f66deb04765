//go:build linux

package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/otelsec/otelsec/internal/rulesregistry"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
)

// openRulesFilter finds the rules of the processor rules_filter names, keeps their prefilter
// for the builders, and leaves out of the capture the event kinds none of the rules reads
// (except those the process table follows processes by). Called before the kernel side loads.
func (r *logsReceiver) openRulesFilter() error {
	id := r.cfg.RulesFilter
	if id == nil {
		return nil
	}
	rules, ok := rulesregistry.Lookup(*id)
	if !ok {
		return fmt.Errorf("syscall receiver: rules_filter %q: no processor of that name is in a pipeline of this collector", id.String())
	}
	if rules.EmitAll {
		return fmt.Errorf("syscall receiver: rules_filter %q: that processor passes every record on (emit: all), so no event may be left out; "+
			"remove rules_filter, or use emit: violations", id.String())
	}
	r.prefilter = rules.Engine.Prefilter(events.Known)
	var kept, unread []string
	for _, name := range r.events {
		if rules.Engine.Candidates(name) > 0 || proctable.Follows(events.ByName(name).Kind) {
			kept = append(kept, name)
		} else {
			unread = append(unread, name)
		}
	}
	r.events = kept
	r.set.Logger.Info("Only events the rules could match become records",
		zap.String("rules_filter", id.String()), zap.Int("rules", len(rules.Engine.Rules())),
		zap.Int("rules_always_built", r.prefilter.Opaque()),
		zap.String("events_not_captured", strings.Join(unread, ", ")))
	return nil
}

// seenSetSize bounds seenSet: it holds between this many and twice this many ids.
const seenSetSize = 4096

// seenSet remembers recently seen ids in two generations: when the newer one is full it
// becomes the older and the oldest is forgotten.
type seenSet struct {
	cur, prev map[string]struct{}
}

// add reports whether id is new, and remembers it.
func (s *seenSet) add(id string) bool {
	if _, ok := s.cur[id]; ok {
		return false
	}
	_, old := s.prev[id]
	if len(s.cur) >= seenSetSize || s.cur == nil {
		s.prev, s.cur = s.cur, make(map[string]struct{}, seenSetSize)
	}
	s.cur[id] = struct{}{}
	return !old
}
