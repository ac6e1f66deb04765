package events

import (
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/otelsec/otelsec/bpf"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// The table describes exactly the contract's events, each kind and name once.
func TestSpecsCoverTheContract(t *testing.T) {
	var names []string
	kinds := map[kevent.Kind]string{}
	for _, s := range specs {
		if s.Kind == kevent.KindInvalid {
			t.Errorf("%s: no kind", s.Name)
		}
		if prev, dup := kinds[s.Kind]; dup {
			t.Errorf("kind %d is both %s and %s", s.Kind, prev, s.Name)
		}
		kinds[s.Kind] = s.Name
		names = append(names, s.Name)
		if !slices.Contains(schema.Domains, s.Domain()) {
			t.Errorf("%s: domain %q is not in schema.Domains", s.Name, s.Domain())
		}
		if len(s.Hooks) == 0 || s.decode == nil || s.fill == nil {
			t.Errorf("%s: hooks, decode and fill are all needed", s.Name)
		}
		for _, a := range s.Attrs {
			if _, ok := schema.Types[a]; !ok {
				t.Errorf("%s: attribute %s has no type in schema.Types", s.Name, a)
			}
			if slices.Contains(Common, a) {
				t.Errorf("%s: %s is a common attribute", s.Name, a)
			}
		}
	}
	slices.Sort(names)
	want := slices.Clone(schema.EventNames)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("specs describe %v, the contract has %v", names, want)
	}
	for _, a := range Common {
		if _, ok := schema.Types[a]; !ok {
			t.Errorf("common attribute %s has no type in schema.Types", a)
		}
	}
	if got := len(All()); got != len(schema.EventNames) {
		t.Errorf("All() has %d specs", got)
	}
}

// Every hook of the table has a program in the production object, and every program there
// is some event's hook: the C's SEC() and this table name the same attach points. Parsing the
// embedded object needs no privileges.
func TestHooksMatchTheObject(t *testing.T) {
	spec, err := bpf.LoadOtelsec()
	if err != nil {
		t.Skipf("no eBPF object for this architecture: %v", err)
	}
	sections := map[string]string{}
	for name, p := range spec.Programs {
		if prev, dup := sections[p.SectionName]; dup {
			t.Errorf("programs %s and %s share section %s", prev, name, p.SectionName)
		}
		sections[p.SectionName] = name
	}
	claimed := map[string]string{}
	for _, s := range specs {
		for _, h := range s.Hooks {
			if _, ok := sections[h]; !ok {
				t.Errorf("%s: no program in the object for hook %s", s.Name, h)
			}
			if prev, dup := claimed[h]; dup {
				t.Errorf("hook %s belongs to both %s and %s", h, prev, s.Name)
			}
			claimed[h] = s.Name
		}
	}
	for sec, prog := range sections {
		if _, ok := claimed[sec]; !ok {
			t.Errorf("program %s (%s) is no event's hook", prog, sec)
		}
	}
	for _, h := range SchedHooks {
		if _, ok := claimed[h]; !ok {
			t.Errorf("sched hook %s is no event's hook", h)
		}
	}
}

// The kinds of the table are the kernel programs' enum kind, value for value.
func TestKindsMatchTheC(t *testing.T) {
	spec, err := bpf.LoadOtelsec()
	if err != nil {
		t.Skipf("no eBPF object for this architecture: %v", err)
	}
	var enum *btf.Enum
	if err := spec.Types.TypeByName("kind", &enum); err != nil {
		t.Fatalf("the object's BTF has no enum kind: %v", err)
	}
	bpfKinds := map[string]uint64{}
	for _, v := range enum.Values {
		bpfKinds[v.Name] = v.Value
	}
	if len(bpfKinds) != len(specs) {
		t.Errorf("the C has %d kinds, the table %d", len(bpfKinds), len(specs))
	}
	for _, s := range specs {
		c := "K_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(s.Name))
		v, ok := bpfKinds[c]
		if !ok {
			t.Errorf("%s: the C has no %s", s.Name, c)
			continue
		}
		if v != uint64(s.Kind) {
			t.Errorf("%s: Go kind %d, C %s = %d", s.Name, s.Kind, c, v)
		}
	}
}
