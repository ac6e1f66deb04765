//go:build linux

package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/rulesregistry"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kernel"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
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
		// Every record is wanted: filtering would lose them. Built whole, as without the
		// setting (a user who sets emit: all on an embedded configuration needs no other change).
		r.set.Logger.Warn("rules_filter names a processor that passes every record on (emit: all): every event is built",
			zap.String("rules_filter", id.String()))
		return nil
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
	quiet, wanted, err := quietOpenErrnos(rules.Engine)
	if err != nil {
		return fmt.Errorf("syscall receiver: rules_filter %q: %w", id.String(), err)
	}
	r.quietErrnos = quiet
	r.set.Logger.Info("Only events the rules could match become records",
		zap.String("rules_filter", id.String()), zap.Int("rules", len(rules.Engine.Rules())),
		zap.Int("rules_always_built", r.prefilter.Opaque()),
		zap.String("events_not_captured", strings.Join(unread, ", ")),
		zap.Int("failed_open_errnos_left_out_in_kernel", len(quiet)),
		zap.String("failed_opens_captured", strings.Join(wanted, ", ")))
	return nil
}

// quietOpenErrnos asks the rules, errno by errno, whether any could match a file.open that
// failed with it and whose path was whole, absolute and clean (no file.path_as_given), whatever
// else the record holds. Those none could match the kernel may leave out (kernel.QuietOpens);
// wanted names the others.
func quietOpenErrnos(e *ruleengine.Engine) (quiet []int, wanted []string, err error) {
	for errno := 1; errno <= kernel.MaxQuietErrno; errno++ {
		cannot, err := e.CannotMatch(schema.EventFileOpen,
			map[string]any{schema.AttrErrorType: kevent.ErrnoName(errno), schema.AttrSyscallReturn: int64(-errno)},
			[]string{schema.AttrFilePathAsGiven})
		if err != nil {
			return nil, nil, err
		}
		if cannot {
			quiet = append(quiet, errno)
		} else {
			wanted = append(wanted, kevent.ErrnoName(errno))
		}
	}
	return quiet, wanted, nil
}

// seenSetSize bounds a seenSet without a limit: it holds between this many and twice this
// many ids.
const seenSetSize = 4096

// seenSet remembers recently seen ids in two generations: when the newer one is full (limit
// ids; 0: seenSetSize) it becomes the older and the oldest is forgotten.
type seenSet[K comparable] struct {
	cur, prev map[K]struct{}
	limit     int
}

// add reports whether id is new, and remembers it.
func (s *seenSet[K]) add(id K) bool {
	if _, ok := s.cur[id]; ok {
		return false
	}
	_, old := s.prev[id]
	limit := s.limit
	if limit == 0 {
		limit = seenSetSize
	}
	if len(s.cur) >= limit || s.cur == nil {
		s.prev, s.cur = s.cur, make(map[K]struct{}, limit)
	}
	s.cur[id] = struct{}{}
	return !old
}
