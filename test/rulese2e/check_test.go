//go:build linux

package rulese2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/ruleengine"
)

// What the tests check of a behaviour and of the violations it raised.

// perform performs b (its near miss first), and checks that b.rule fired once for the
// behaviour's process with the attributes it wants, not for the near miss, and that none of
// b.notRules fired for it.
func (h *harness) perform(t *testing.T, b behaviour) {
	h.t = t
	// Another workload on this machine can flood the kernel ring; the receiver then reports
	// lost events, and the behaviour is performed again.
	const attempts = 3
	for i := 1; ; i++ {
		lost := h.lostEvents()
		miss := -1
		if b.nearMiss != nil {
			miss = b.nearMiss(t, h)
		}
		pid, want := b.do(t, h)
		if t.Skipped() || t.Failed() {
			return
		}
		v, err := h.expectOnce(pid, b.rule, lost)
		if errors.Is(err, errEventsLost) && i < attempts {
			t.Logf("attempt %d: no violation while the receiver reported %d lost events; again", i, h.lostEvents()-lost)
			continue
		}
		if err != nil {
			t.Fatalf("no violation in %d attempts, the receiver losing events each time (%d lost so far)", attempts, h.lostEvents())
		}
		check(t, v, want)
		if miss >= 0 {
			// The near miss ran first: its events come before the behaviour's, which have
			// arrived.
			time.Sleep(20 * flushInterval)
			if got := h.byPID(miss, b.rule); len(got) != 0 {
				t.Errorf("the near miss fired %q: %v", b.rule, got)
			}
		}
		for _, r := range b.notRules {
			if got := h.byPID(pid, r); len(got) != 0 {
				t.Errorf("rule %q also fired: %v", r, got)
			}
		}
		return
	}
}

// check compares attributes of a violation.
func check(t *testing.T, v violation, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g := v.attrs[k]
		switch w := w.(type) {
		case int:
			if gi, ok := g.(int64); !ok || gi != int64(w) {
				t.Errorf("%s = %v (%T), want %d", k, g, g, w)
			}
		case func(any) bool:
			if !w(g) {
				t.Errorf("%s = %v: unexpected", k, g)
			}
		default:
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("%s = %v, want %v", k, g, w)
			}
		}
	}
}

func contains(sub string) func(any) bool {
	return func(v any) bool { s, ok := v.(string); return ok && strings.Contains(s, sub) }
}

func listHas(item string) func(any) bool {
	return func(v any) bool {
		l, ok := v.([]any)
		if !ok {
			return false
		}
		for _, x := range l {
			if x == item {
				return true
			}
		}
		return false
	}
}

// atLeastWarning says whether a violation's severity is Warning or more severe.
func atLeastWarning(v violation) bool {
	return v.severity >= ruleengine.PriorityWarning.SeverityNumber()
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
