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
