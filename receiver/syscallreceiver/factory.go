package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
)

// NewFactory returns the factory of the `syscall` receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		func() component.Config { return createDefaultConfig() },
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newLogsReceiver(set, cfg.(*Config), next)
}
