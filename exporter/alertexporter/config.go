package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

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
// (path), syslog (a syslog section), or stdout when none is set. One exporter instance writes
// to one destination; declare several (alert/file, alert/sidekick) to fan out.
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

	// Syslog, when present (even empty), sends alerts to syslog: the local /dev/log by default.
	Syslog configoptional.Optional[SyslogConfig] `mapstructure:"syslog"`

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

// Syslog networks, message formats and stream framings.
const (
	NetworkUnixgram = "unixgram"
	NetworkUnix     = "unix"
	NetworkUDP      = "udp"
	NetworkTCP      = "tcp"

	SyslogRFC5424 = "rfc5424"
	SyslogRFC3164 = "rfc3164"

	FramingOctetCounting  = "octet_counting"
	FramingNonTransparent = "non_transparent"
)

// defaultSyslogSocket is where syslog(3) writes.
const defaultSyslogSocket = "/dev/log"

// SyslogConfig is the syslog destination: where to, in which message format and framing, and
// the header fields.
type SyslogConfig struct {
	// Network is unixgram (the default; a stream socket found at the path is used as one, as
	// syslog(3) does), unix (stream), udp or tcp.
	Network string `mapstructure:"network"`
	// Address is the socket path for unix networks (default /dev/log) and host:port for udp
	// and tcp (required).
	Address string `mapstructure:"address"`
	// Format is rfc3164 or rfc5424. Empty means rfc3164 on a local socket, the format
	// syslog(3) writes and every local daemon parses, and rfc5424 over the network.
	Format string `mapstructure:"format"`
	// Framing separates messages on a stream (tcp, unix): octet_counting (RFC 6587 3.4.1) or
	// non_transparent (a LF after each message, RFC 6587 3.4.2). Empty means octet_counting
	// for tcp and non_transparent for a local stream socket.
	Framing string `mapstructure:"framing"`
	// Facility is the syslog facility name; Falco's syslog(3) calls use user.
	Facility string `mapstructure:"facility"`
	// AppName is the APP-NAME (RFC 5424) or TAG (RFC 3164).
	AppName string `mapstructure:"app_name"`
	// StructuredData adds [otelsec@32473 rule="..." priority="..."] to RFC 5424 messages.
	StructuredData bool `mapstructure:"structured_data"`
	// Timeout bounds one attempt: connecting and writing one message.
	Timeout time.Duration `mapstructure:"timeout"`

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
	var dests []string
	for _, d := range []struct {
		key string
		set bool
	}{{"path", cfg.Path != ""}, {"endpoint", cfg.ClientConfig.Endpoint != ""}, {"syslog", cfg.Syslog.HasValue()}} {
		if d.set {
			dests = append(dests, d.key)
		}
	}
	switch len(dests) {
	case 0, 1:
	case 2:
		errs = append(errs, fmt.Errorf("%s and %s are both set: %s", dests[0], dests[1], oneDestination))
	default:
		errs = append(errs, fmt.Errorf("%s and %s are all set: %s", strings.Join(dests[:len(dests)-1], ", "), dests[len(dests)-1], oneDestination))
	}
	if cfg.ClientConfig.Endpoint != "" {
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
	if sc := cfg.Syslog.Get(); sc != nil {
		errs = append(errs, sc.validate()...)
	}
	return errors.Join(errs...)
}

const oneDestination = "an alert exporter writes to one destination; declare one exporter per destination (alert/file, alert/http, alert/syslog)"

// validate checks every key of the syslog section, each error naming its key.
func (sc *SyslogConfig) validate() []error {
	var errs []error
	switch sc.Network {
	case NetworkUnixgram, NetworkUnix:
		if !strings.HasPrefix(sc.address(), "/") {
			errs = append(errs, fmt.Errorf("syslog.address %q is not a socket path for syslog.network %s: use an absolute path, or set syslog.network to udp or tcp for host:port", sc.Address, sc.Network))
		}
	case NetworkUDP, NetworkTCP:
		if sc.Address == "" {
			errs = append(errs, fmt.Errorf("syslog.address is required for syslog.network %s: the daemon's host:port", sc.Network))
		} else if err := validateHostPort(sc.Address); err != nil {
			errs = append(errs, fmt.Errorf("syslog.address %q for syslog.network %s: %w", sc.Address, sc.Network, err))
		}
	default:
		errs = append(errs, fmt.Errorf("syslog.network %q is not supported: use unixgram, unix, udp or tcp", sc.Network))
	}
	switch sc.Format {
	case "", SyslogRFC5424, SyslogRFC3164:
	default:
		errs = append(errs, fmt.Errorf("syslog.format %q is not supported: use %s or %s", sc.Format, SyslogRFC5424, SyslogRFC3164))
	}
	switch sc.Framing {
	case "":
	case FramingOctetCounting, FramingNonTransparent:
		if sc.Network == NetworkUDP {
			errs = append(errs, fmt.Errorf("syslog.framing %q applies to streams (tcp, unix); a udp datagram is one message: remove it", sc.Framing))
		}
	default:
		errs = append(errs, fmt.Errorf("syslog.framing %q is not supported: use %s or %s", sc.Framing, FramingOctetCounting, FramingNonTransparent))
	}
	if _, ok := facilityCode(sc.Facility); !ok {
		errs = append(errs, fmt.Errorf("syslog.facility %q is not a syslog facility: use one of %s", sc.Facility, strings.Join(facilityNames(), ", ")))
	}
	if !validAppName(sc.AppName) {
		errs = append(errs, fmt.Errorf("syslog.app_name %q must be 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit (it is the RFC 3164 TAG and the RFC 5424 APP-NAME)", sc.AppName, maxAppName))
	}
	if sc.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("syslog.timeout must be positive, got %s", sc.Timeout))
	}
	return errs
}

// validateHostPort checks a host:port with a non-empty host and a numeric port in range.
func validateHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}
	if host == "" {
		return errors.New("no host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q must be a number 1-65535", port)
	}
	return nil
}

// address resolves the empty default: /dev/log for the unix networks.
func (sc *SyslogConfig) address() string {
	if sc.Address == "" && (sc.Network == NetworkUnixgram || sc.Network == NetworkUnix) {
		return defaultSyslogSocket
	}
	return sc.Address
}

// local reports whether messages go to a socket on this host.
func (sc *SyslogConfig) local() bool {
	return sc.Network == NetworkUnixgram || sc.Network == NetworkUnix
}

// format resolves the empty default against the network.
func (sc *SyslogConfig) format() string {
	switch {
	case sc.Format != "":
		return sc.Format
	case sc.local():
		return SyslogRFC3164
	default:
		return SyslogRFC5424
	}
}

// framing resolves the empty default for a stream: tcp, or a local stream socket (network
// unix, or a unixgram path that turned out to be a stream socket).
func (sc *SyslogConfig) framing(tcp bool) string {
	switch {
	case sc.Framing != "":
		return sc.Framing
	case tcp:
		return FramingOctetCounting
	default:
		return FramingNonTransparent
	}
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
