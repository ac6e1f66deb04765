package kernel

import (
	"testing"

	"github.com/otelsec/otelsec/bpf"
)

// The option bounds are the object's: a prefix table larger than the trie would fail at load.
func TestBoundsMatchTheObject(t *testing.T) {
	spec, err := bpf.LoadOtelsec()
	if err != nil {
		t.Skipf("no eBPF object for this architecture: %v", err)
	}
	var maps bpf.OtelsecMapSpecs
	if err := spec.Assign(&maps); err != nil {
		t.Fatal(err)
	}
	if got := int(maps.ExclPrefixes.MaxEntries); got != MaxExcludePrefixes {
		t.Errorf("excl_prefixes holds %d prefixes, MaxExcludePrefixes is %d", got, MaxExcludePrefixes)
	}
}
