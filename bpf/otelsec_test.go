//go:build 386 || amd64

package bpf

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf"
)

// TestProductionPrograms checks the embedded object without loading it (no privileges): every
// program is one the loader attaches, a syscalls:sys_exit_* tracepoint named exit_<syscall> or
// a tp_btf program named on_<event>, and the benchmark's baseline is not among them.
func TestProductionPrograms(t *testing.T) {
	spec, err := LoadOtelsec()
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Programs) == 0 {
		t.Fatal("the object has no programs")
	}
	if _, ok := spec.Programs["bench_baseline"]; ok {
		t.Error("the production object contains the benchmark program bench_baseline")
	}
	for name, p := range spec.Programs {
		switch {
		case p.Type == ebpf.TracePoint && strings.HasPrefix(p.SectionName, "tracepoint/syscalls/sys_exit_"):
			if !strings.HasPrefix(name, "exit_") {
				t.Errorf("%s (%s): a syscall exit program not named exit_<syscall>", name, p.SectionName)
			}
		case p.Type == ebpf.Tracing && p.AttachType == ebpf.AttachTraceRawTp && strings.HasPrefix(p.SectionName, "tp_btf/"):
			if !strings.HasPrefix(name, "on_") {
				t.Errorf("%s (%s): a tp_btf program not named on_<event>", name, p.SectionName)
			}
		default:
			t.Errorf("%s: section %q (%v) is neither tracepoint/syscalls/sys_exit_* nor tp_btf/*", name, p.SectionName, p.Type)
		}
	}
}
