package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/otelsec/otelsec/internal/falcotest"
)

// falcoMapFiles are Falco's files docs/rules.md maps, by the name its "file" column gives them.
var falcoMapFiles = map[string]string{
	"stable":     falcotest.Stable,
	"incubating": falcotest.Incubating,
	"sandbox":    falcotest.Sandbox,
}

// noOurRule stands in the "our rules" column for a Falco rule the default ruleset does not
// cover; the last column must then say why.
const noOurRule = "—"

type falcoMapRow struct {
	falco, file, reason string
	ours                []string
	line                int
}

// readFalcoMap reads the table between the falco-map markers of docs/rules.md.
func readFalcoMap(t *testing.T) []falcoMapRow {
	t.Helper()
	data, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []falcoMapRow
	in := false
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "<!-- falco-map"):
			in = true
			continue
		case strings.HasPrefix(line, "<!-- end falco-map"):
			in = false
		}
		if !in || !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Falco rule |") {
			continue
		}
		cells := strings.Split(line, "|")
		cells = cells[1 : len(cells)-1] // around the leading and trailing bars
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 4 {
			t.Errorf("docs/rules.md:%d: want 4 cells (Falco rule, file, our rules, how), got %d", i+1, len(cells))
			continue
		}
		r := falcoMapRow{falco: cells[0], file: cells[1], reason: cells[3], line: i + 1}
		if cells[2] != noOurRule {
			for _, name := range strings.Split(cells[2], "; ") {
				r.ours = append(r.ours, name)
			}
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatal("docs/rules.md has no falco-map table")
	}
	return rows
}

// TestFalcoRulesMapped keeps docs/rules.md's map of Falco's rules to ours current: every rule
// of Falco's files appears in it exactly once, in its file's rows; every rule it names as ours
// exists in the default ruleset; a Falco rule without one says why.
func TestFalcoRulesMapped(t *testing.T) {
	dir := falcotest.Dir(t)
	ours := map[string]bool{}
	for _, r := range compileDefault(t).Rules() {
		ours[r.Name] = true
	}
	falco := map[string]map[string]bool{} // file key -> rule names
	for key, name := range falcoMapFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := yaml.Unmarshal(data, &items); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		falco[key] = map[string]bool{}
		for _, it := range items {
			if n, ok := it["rule"].(string); ok {
				falco[key][n] = true
			}
		}
		if len(falco[key]) < 20 {
			t.Fatalf("%s: read only %d rules", name, len(falco[key]))
		}
	}
	seen := map[string]int{}
	for _, r := range readFalcoMap(t) {
		names, ok := falco[r.file]
		switch {
		case !ok:
			t.Errorf("docs/rules.md:%d: unknown file %q (stable, incubating or sandbox)", r.line, r.file)
			continue
		case !names[r.falco]:
			t.Errorf("docs/rules.md:%d: Falco's %s file has no rule %q", r.line, r.file, r.falco)
		}
		seen[r.file+"/"+r.falco]++
		for _, o := range r.ours {
			if !ours[o] {
				t.Errorf("docs/rules.md:%d: %q maps to %q, which is not a default rule", r.line, r.falco, o)
			}
		}
		if len(r.ours) == 0 && r.reason == "" {
			t.Errorf("docs/rules.md:%d: %q has no rule of ours and no reason", r.line, r.falco)
		}
	}
	for key, names := range falco {
		for n := range names {
			switch seen[key+"/"+n] {
			case 1:
			case 0:
				t.Errorf("docs/rules.md's Falco map has no row for %s rule %q", key, n)
			default:
				t.Errorf("docs/rules.md's Falco map has %d rows for %s rule %q", seen[key+"/"+n], key, n)
			}
		}
	}
}
