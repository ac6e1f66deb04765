//go:build !386 && !amd64

package benchbpf

import (
	"errors"
	"runtime"

	"github.com/cilium/ebpf"
)

// LoadBench reports that no programs were generated for this architecture (see gen.go).
func LoadBench() (*ebpf.CollectionSpec, error) {
	return nil, errors.New("otelsec benchmark eBPF programs are not built for " + runtime.GOARCH + " (only amd64)")
}
