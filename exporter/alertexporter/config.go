package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Alert formats.
const (
	// FormatText is Falco's stdout line: "<time>: <Priority> <output>".
	FormatText = "text"
	// FormatJSON is Falco's json_output object, one per line (or per HTTP request).
	FormatJSON = "json"
)

// Config selects the alert format and one destination: an HTTP endpoint (endpoint), a file
// (path), or stdout when neither is set. One exporter instance writes to one destination;
// declare several (alert/file, alert/sidekick) to fan out.
type Config struct {
	// ClientConfig carries endpoint, timeout, headers, tls, ... for the HTTP destination.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`

	// Format is "text" or "json". Empty means text for stdout and files and json for an
	// endpoint, because webhooks such as Falcosidekick only take Falco's JSON.
	Format string `mapstructure:"format"`

	// TimeFormatISO8601 mirrors Falco's time_format_iso_8601: the line prefix becomes
	// "2006-01-02T15:04:05.000000000+0000" (UTC) instead of local "15:04:05.000000000", and
	// output_fields carries evt.time.iso8601 instead of evt.time.
	TimeFormatISO8601 bool `mapstructure:"time_format_iso_8601"`

	// Path is the file alerts are appended to (created with mode 0600).
	Path string `mapstructure:"path"`

	// Rotation bounds the file destination on disk.
	Rotation RotationConfig `mapstructure:"rotation"`

	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// RotationConfig rotates the alert file by size, logrotate style: path.1 is the newest
// backup, path.<max_backups> the oldest; older ones are deleted.
type RotationConfig struct {
	// MaxMegabytes is the size at which the file is rotated; 0 disables rotation.
	MaxMegabytes int `mapstructure:"max_megabytes"`
	// MaxBackups is how many rotated files are kept; 0 keeps none.
	MaxBackups int `mapstructure:"max_backups"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ confmap.Validator = (*Config)(nil)

// Validate checks the combination of destination and format; nested sections (tls, queue,
// retry) are validated by their own Validate methods.
func (cfg *Config) Validate() error {
	var errs []error
	switch cfg.Format {
	case "", FormatText, FormatJSON:
	default:
		errs = append(errs, fmt.Errorf("format %q is not supported: use %q or %q", cfg.Format, FormatText, FormatJSON))
	}
	if cfg.ClientConfig.Endpoint != "" {
		if cfg.Path != "" {
			errs = append(errs, errors.New("path and endpoint are both set: an alert exporter writes to one destination; declare one exporter per destination (alert/file, alert/http)"))
		}
		if cfg.Format == FormatText {
			errs = append(errs, errors.New(`format "text" cannot be sent to an endpoint: HTTP receivers such as Falcosidekick take Falco's JSON; set format: json or leave it empty`))
		}
		if err := validateEndpoint(cfg.ClientConfig.Endpoint); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Rotation.MaxMegabytes < 0 {
		errs = append(errs, fmt.Errorf("rotation.max_megabytes must be 0 (no rotation) or positive, got %d", cfg.Rotation.MaxMegabytes))
	}
	if cfg.Rotation.MaxBackups < 0 {
		errs = append(errs, fmt.Errorf("rotation.max_backups must be 0 or positive, got %d", cfg.Rotation.MaxBackups))
	}
	return errors.Join(errs...)
}

// validateEndpoint checks what the HTTP client would otherwise find out at every send (and
// retry, for minutes, while alerts queue up): the scheme, a host, a port in range.
func validateEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return fmt.Errorf("endpoint %q is not a URL: %w", endpoint, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("endpoint %q must be an http:// or https:// URL", endpoint)
	case u.Hostname() == "":
		return fmt.Errorf("endpoint %q has no host", endpoint)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("endpoint %q: port %s is out of range, must be 1-65535", endpoint, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("endpoint %q: empty port, must be 1-65535 (or none, for the scheme's)", endpoint)
	}
	return nil
}

// format resolves the empty default against the destination.
func (cfg *Config) format() string {
	if cfg.Format != "" {
		return cfg.Format
	}
	if cfg.ClientConfig.Endpoint != "" {
		return FormatJSON
	}
	return FormatText
}
