//go:build linux

package rulese2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/schema"
)

// Falco's stable rules file, unchanged, through the real receiver and processor: real
// syscalls make Falco's rules fire under Falco's names, and near misses do not.

func TestFalcoStableEndToEnd(t *testing.T) {
	stable := filepath.Join(falcotest.Dir(t), falcotest.Stable)
	h := newHarness(t, stable)
	tok := h.token
	logFile := "/var/log/otelsec-rulese2e-" + tok + ".log"
	t.Cleanup(func() { os.Remove(logFile) })

	link := func(target, name string) []string { return []string{"ln", "-sf", target, filepath.Join(h.work, name)} }
	behaviours := []struct {
		name, rule   string
		do, nearMiss []string // the near miss must not fire the rule
	}{
		{"cat /etc/shadow", "Read sensitive file untrusted", []string{"cat", "/etc/shadow"}, []string{"cat", "/etc/hostname"}},
		{"grep for a private key", "Search Private Keys or Passwords",
			[]string{"grep", "-q", "BEGIN RSA PRIVATE " + tok, "/dev/null"}, []string{"grep", "-q", "password " + tok, "/dev/null"}},
		{"symlink over /etc/shadow", "Create Symlink Over Sensitive Files", link("/etc/shadow", "shadow-link"), link("/etc/hostname", "hostname-link")},
		{"truncate a log", "Clear Log Activities", []string{"sh", "-c", ": > " + logFile}, []string{"sh", "-c", ": >> " + logFile}},
	}
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) {
			h.t = t
			const attempts = 3
			for i := 1; ; i++ {
				lost := h.lostEvents()
				miss := h.runQuiet(exec.Command(b.nearMiss[0], b.nearMiss[1:]...))
				pid := h.runQuiet(exec.Command(b.do[0], b.do[1:]...))
				v, err := h.expectOnce(pid, b.rule, lost)
				if errors.Is(err, errEventsLost) && i < attempts {
					t.Logf("attempt %d: the receiver lost events; again", i)
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				check(t, v, map[string]any{schema.AttrProcessCommandLine: strings.Join(b.do, " ")})
				// The near miss ran first and its events come before the behaviour's, which
				// has arrived: a violation of the near miss would be here.
				time.Sleep(20 * flushInterval)
				if got := h.byPID(miss, b.rule); len(got) != 0 {
					t.Errorf("the near miss %v fired %q: %v", b.nearMiss, b.rule, got)
				}
				return
			}
		})
	}
	// The benign workload (a Go build, git, routine administration) with Falco's stable
	// rules loaded too: nothing at Warning or above.
	t.Run("benign", func(t *testing.T) {
		h.t = t
		benignWorkload(t, h)
	})
}
