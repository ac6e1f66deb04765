package events

import (
	"slices"
	"strings"
	"testing"

	"github.com/otelsec/otelsec/internal/ruleengine"
)

// The rule engine reads Falco's evt.type by the syscalls each event covers
// (ruleengine.FalcoEventTypes): they must be the syscalls of the event's hooks.
func TestFalcoEventTypesAreTheHooks(t *testing.T) {
	falco := ruleengine.FalcoEventTypes()
	for _, s := range All() {
		var syscalls []string
		for _, h := range s.Hooks {
			if tp, ok := Tracepoint(h); ok {
				name := strings.TrimPrefix(tp, "sys_exit_")
				if name == "umount" { // the tracepoint of umount2 (x86_64 has no umount)
					name = "umount2"
				}
				syscalls = append(syscalls, name)
			}
		}
		types, ok := falco[s.Name]
		if !ok {
			t.Errorf("%s: not in ruleengine.FalcoEventTypes", s.Name)
			continue
		}
		if len(syscalls) == 0 {
			// Scheduler hooks only: a fork is Falco's clone, clone3, fork or vfork, an exit
			// its procexit event.
			continue
		}
		slices.Sort(syscalls)
		types = slices.Clone(types)
		slices.Sort(types)
		if !slices.Equal(syscalls, types) {
			t.Errorf("%s: hooks on %v, Falco's types %v", s.Name, syscalls, types)
		}
	}
	if len(falco) != len(All()) {
		t.Errorf("ruleengine.FalcoEventTypes has %d events, the receiver %d", len(falco), len(All()))
	}
}
