//go:build !386 && !amd64

package bpf

import (
	"errors"
	"runtime"

	"github.com/cilium/ebpf"
)

// LoadOtelsec reports that no programs were generated for this architecture (see gen.go).
func LoadOtelsec() (*ebpf.CollectionSpec, error) {
	return nil, errors.New("otelsec eBPF programs are not built for " + runtime.GOARCH + " (only amd64)")
}
