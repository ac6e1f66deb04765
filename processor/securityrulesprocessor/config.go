package securityrulesprocessor // import "github.com/otelsec/otelsec/processor/securityrulesprocessor"

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/rules"
)

// DefaultRulesEntry in the rules list stands for the embedded default ruleset, so local files
// can extend it: rules: ["@default", "/etc/otelsec/rules.d/*.yaml"].
const DefaultRulesEntry = "@default"

// Emit modes.
const (
	EmitViolations = "violations"
	EmitAll        = "all"
)

// Match modes.
const (
	MatchFirst = "first"
	MatchAll   = "all"
)

// Config is the security_rules processor's configuration.
type Config struct {
	// Rules are rule files (globs, each must match at least one file), loaded in order so later
	// files override earlier ones. Empty means the embedded default ruleset; the entry "@default"
	// inserts it among other files.
	Rules []string `mapstructure:"rules"`
	// Emit is "violations" (records that match no rule are dropped) or "all" (every record
	// passes; matching ones are marked).
	Emit string `mapstructure:"emit"`
	// Match is "first" (the first matching rule in file order, like Falco) or "all" (every
	// matching rule is listed in security_rule.matched; security_rule.name is the most severe).
	Match string `mapstructure:"match"`
	// MinPriority drops rules less severe than this (Falco's priority names); empty keeps all.
	MinPriority string `mapstructure:"min_priority"`
	// Suppress drops repeats of a violation by the same process within a window, so a burst
	// (one tool loading 60 BPF programs) makes one alert rather than dozens.
	Suppress SuppressConfig `mapstructure:"suppress"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// SuppressConfig configures repeat suppression. The key of a repeat is (rule, process.pid,
// process.executable.path, host.name), each read from the record or its resource.
type SuppressConfig struct {
	// Window after a violation passes during which repeats of its key are suppressed; the next
	// one after it passes with security_rule.suppressed.count. 0 disables suppression.
	Window time.Duration `mapstructure:"window"`
	// MaxKeys bounds the table of keys; the least recently seen key is evicted when it is full.
	MaxKeys int `mapstructure:"max_keys"`
	// ExcludeRules are rule names whose violations are never suppressed.
	ExcludeRules []string `mapstructure:"exclude_rules"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Default suppression: one alert per process and rule per minute; 10,000 keys cost ~1.3 MB.
const (
	defaultSuppressWindow  = time.Minute
	defaultSuppressMaxKeys = 10000
)

var _ confmap.Validator = (*Config)(nil)

// Validate checks the settings and compiles the rules, so a bad rule file stops the collector
// at start with the file, line and item in the message.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Emit != EmitViolations && cfg.Emit != EmitAll {
		errs = append(errs, fmt.Errorf("emit must be %q or %q, got %q", EmitViolations, EmitAll, cfg.Emit))
	}
	if cfg.Match != MatchFirst && cfg.Match != MatchAll {
		errs = append(errs, fmt.Errorf("match must be %q or %q, got %q", MatchFirst, MatchAll, cfg.Match))
	}
	if cfg.MinPriority != "" {
		if _, err := ruleengine.ParsePriority(cfg.MinPriority); err != nil {
			errs = append(errs, fmt.Errorf("min_priority: %w", err))
		}
	}
	if cfg.Suppress.Window < 0 {
		errs = append(errs, fmt.Errorf("suppress.window must not be negative (0 disables suppression), got %v", cfg.Suppress.Window))
	}
	if cfg.Suppress.Window > 0 && cfg.Suppress.MaxKeys < 1 {
		errs = append(errs, fmt.Errorf("suppress.max_keys must be at least 1 when suppress.window is set, got %d", cfg.Suppress.MaxKeys))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	_, err := cfg.rules(nil, false)
	return err
}

// sources loads the configured rule files, each once (a file matched by two globs, or
// named two ways, is loaded once; so is the default ruleset).
func (cfg *Config) sources() ([]ruleengine.Source, error) {
	if len(cfg.Rules) == 0 {
		return rules.Default(), nil
	}
	var srcs []ruleengine.Source
	var files ruleengine.Files
	defaultLoaded := false
	for _, g := range cfg.Rules {
		if g == DefaultRulesEntry {
			if !defaultLoaded {
				srcs = append(srcs, rules.Default()...)
				defaultLoaded = true
			}
			continue
		}
		loaded, err := files.Load(g)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, loaded...)
	}
	return srcs, nil
}

// noRulesError refuses a rule set with no enabled rule: it would run a sensor that detects
// nothing.
func (cfg *Config) noRulesError(srcs []ruleengine.Source, warns []ruleengine.Warning) error {
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Name
	}
	msg := fmt.Sprintf("rules: no enabled rule in %s", strings.Join(names, ", "))
	if cfg.MinPriority != "" {
		msg += fmt.Sprintf(" at min_priority %s or above", cfg.MinPriority)
	}
	msg += ": the processor would detect nothing"
	for _, w := range warns {
		if w.Line == 0 { // a file that defines nothing
			msg += "; " + w.String()
		}
	}
	return errors.New(msg)
}

func (cfg *Config) engineOptions() (ruleengine.Options, error) {
	opts := ruleengine.Options{MatchAll: cfg.Match == MatchAll}
	if cfg.MinPriority != "" {
		var err error
		if opts.MinPriority, err = ruleengine.ParsePriority(cfg.MinPriority); err != nil {
			return opts, fmt.Errorf("min_priority: %w", err)
		}
	}
	return opts, nil
}

// rules compiles the configured rules, or returns them as compiled before for the same
// configuration and files (Validate compiles, the factory takes: take). A long compile is
// reported on logger (nil: stderr, see progressLogger).
func (cfg *Config) rules(logger *zap.Logger, take bool) (*compiledRules, error) {
	srcs, err := cfg.sources()
	if err != nil {
		return nil, err
	}
	opts, err := cfg.engineOptions()
	if err != nil {
		return nil, err
	}
	key := keyOf(srcs, opts)
	if cr := cachedRules(key, take); cr != nil {
		return cr, nil
	}
	opts.Progress, opts.ProgressInterval = progressLogger(logger), progressInterval
	start := time.Now()
	e, warns, err := ruleengine.Compile(srcs, opts)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if len(e.Rules()) == 0 {
		return nil, cfg.noRulesError(srcs, warns)
	}
	cr := &compiledRules{engine: e, warns: warns, took: time.Since(start)}
	if !take {
		storeRules(key, cr)
	}
	return cr, nil
}
