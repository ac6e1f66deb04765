package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelsec/otelsec/exporter/alertexporter/internal/metadata"
)

// Defaults.
const (
	defaultHTTPTimeout      = 10 * time.Second
	defaultRotateMegabytes  = 100
	defaultRotateMaxBackups = 5
	defaultSyslogTimeout    = 5 * time.Second
	// Falco calls syslog(3) without openlog(3), so its alerts come with facility user and
	// its program name as the tag.
	defaultSyslogFacility = "user"
	defaultSyslogAppName  = "otelsec"
)

// NewFactory returns the factory of the `alert` exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	client.Timeout = defaultHTTPTimeout
	return &Config{
		ClientConfig: client,
		Rotation: RotationConfig{
			MaxMegabytes: defaultRotateMegabytes,
			MaxBackups:   defaultRotateMaxBackups,
		},
		Syslog: configoptional.Default(SyslogConfig{
			Network:  NetworkUnixgram,
			Facility: defaultSyslogFacility,
			AppName:  defaultSyslogAppName,
			Timeout:  defaultSyslogTimeout,
		}),
		QueueConfig: configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig: configretry.NewDefaultBackOffConfig(),
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newAlertExporter(c, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// The HTTP client's own timeout bounds each request, syslog.timeout each syslog
		// send; file and stdout writes are not interruptible by a context anyway.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
	)
}
