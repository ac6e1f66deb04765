// Package falcotest finds Falco's rules files for tests. They are test data kept outside the
// repository, in ../shared/falco-rules next to its checkout (never copied into it); a test that
// needs them is skipped, saying why, where they are absent.
package falcotest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Files are Falco's rules files by their role.
const (
	Stable     = "falco_rules.yaml"
	Incubating = "falco-incubating_rules.yaml"
	Sandbox    = "falco-sandbox_rules.yaml"
)

// Dir returns the directory of Falco's rules files, or skips t.
func Dir(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("Falco's rules files: not in a git checkout (%v), so ../shared/falco-rules cannot be found", err)
	}
	dir := filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), "shared", "falco-rules")
	if _, err := os.Stat(filepath.Join(dir, Stable)); err != nil {
		t.Skipf("Falco's rules files are not next to the repository (test data outside it): %v", err)
	}
	return dir
}
