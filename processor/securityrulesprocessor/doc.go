//go:generate go tool mdatagen metadata.yaml

// Package securityrulesprocessor implements the `security_rules` processor: it matches log
// records against Falco-style rules (internal/ruleengine) and marks violations with the
// security_rule.* attributes, the rule's severity and its rendered output as the Body. Repeats
// of a violation by the same process within suppress.window are suppressed (suppress.go) and
// counted on the next one that passes.
package securityrulesprocessor // import "github.com/otelsec/otelsec/processor/securityrulesprocessor"
