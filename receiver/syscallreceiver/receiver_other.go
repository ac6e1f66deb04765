//go:build !linux

package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"errors"
	"runtime"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

func newLogsReceiver(receiver.Settings, *Config, consumer.Logs) (receiver.Logs, error) {
	return nil, errors.New("the syscall receiver needs Linux (eBPF); this collector runs on " + runtime.GOOS)
}
