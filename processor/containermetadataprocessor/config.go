package containermetadataprocessor

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/confmap"
)

// Config says which runtime endpoints to ask and how to cache their answers.
type Config struct {
	// Unix sockets of each kind of runtime API, asked in this order: the first that knows a
	// container describes it. An empty list turns a kind off. A socket that is absent is
	// logged once and watched for.
	Docker     []string `mapstructure:"docker"`
	Podman     []string `mapstructure:"podman"`
	CRI        []string `mapstructure:"cri"`
	Containerd []string `mapstructure:"containerd"`

	// CacheSize bounds the containers remembered (least recently used evicted first).
	CacheSize int `mapstructure:"cache_size"`
	// LookupTimeout bounds one lookup against one runtime.
	LookupTimeout time.Duration `mapstructure:"lookup_timeout"`
	// StartupTimeout bounds how long Start spends learning the containers that already run;
	// what is left is learned in the background.
	StartupTimeout time.Duration `mapstructure:"startup_timeout"`
	// RetryInterval is how long a container no runtime knew (or that failed to look up) is
	// left alone before its next record asks again.
	RetryInterval time.Duration `mapstructure:"retry_interval"`
	// MaxLabels bounds the container.label.<key> attributes per record (labels in key order);
	// 0 puts none.
	MaxLabels int `mapstructure:"max_labels"`
}

var _ confmap.Validator = (*Config)(nil)

func createDefaultConfig() *Config {
	return &Config{
		Docker:         []string{"/var/run/docker.sock"},
		Podman:         []string{"/run/podman/podman.sock"},
		CRI:            []string{"/run/containerd/containerd.sock", "/run/crio/crio.sock"},
		Containerd:     []string{"/run/containerd/containerd.sock"},
		CacheSize:      4096,
		LookupTimeout:  2 * time.Second,
		StartupTimeout: 5 * time.Second,
		RetryInterval:  30 * time.Second,
		MaxLabels:      32,
	}
}

// Validate reports every invalid setting.
func (c *Config) Validate() error {
	var errs []error
	if c.CacheSize < 1 || c.CacheSize > 1<<20 {
		errs = append(errs, fmt.Errorf("cache_size must be between 1 and %d, got %d", 1<<20, c.CacheSize))
	}
	for name, d := range map[string]time.Duration{"lookup_timeout": c.LookupTimeout, "startup_timeout": c.StartupTimeout, "retry_interval": c.RetryInterval} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, d))
		}
	}
	if c.MaxLabels < 0 {
		errs = append(errs, fmt.Errorf("max_labels must not be negative, got %d", c.MaxLabels))
	}
	for kind, eps := range map[string][]string{"docker": c.Docker, "podman": c.Podman, "cri": c.CRI, "containerd": c.Containerd} {
		for _, ep := range eps {
			if !strings.HasPrefix(socketPath(ep), "/") {
				errs = append(errs, fmt.Errorf("%s endpoint %q is not a unix socket path (/path or unix:///path)", kind, ep))
			}
		}
	}
	return errors.Join(errs...)
}

// socketPath strips a unix:// scheme.
func socketPath(ep string) string { return strings.TrimPrefix(ep, "unix://") }
