package ruleengine

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// Priority is a rule's priority, Falco's eight syslog-like levels. Lower is more severe; the
// zero value means "unset" (in Options: keep every rule).
type Priority int

const (
	PriorityEmergency Priority = iota + 1
	PriorityAlert
	PriorityCritical
	PriorityError
	PriorityWarning
	PriorityNotice
	PriorityInformational
	PriorityDebug
)

var priorityNames = [...]string{"", "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// ParsePriority parses a priority case-insensitively; "info" is accepted for Informational.
func ParsePriority(s string) (Priority, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "info" {
		return PriorityInformational, nil
	}
	for p := PriorityEmergency; p <= PriorityDebug; p++ {
		if strings.ToLower(priorityNames[p]) == t {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown priority %q (want one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG)", s)
}

// String returns the priority as Falco spells it in alerts ("Warning").
func (p Priority) String() string {
	if p < PriorityEmergency || p > PriorityDebug {
		return fmt.Sprintf("Priority(%d)", int(p))
	}
	return priorityNames[p]
}

// SeverityNumber maps the priority onto the OTel log severity scale. Warning is WARN, Error is
// ERROR, Critical and above are FATAL..FATAL3 so that more severe priorities keep sorting higher.
func (p Priority) SeverityNumber() plog.SeverityNumber {
	switch p {
	case PriorityEmergency:
		return plog.SeverityNumberFatal3
	case PriorityAlert:
		return plog.SeverityNumberFatal2
	case PriorityCritical:
		return plog.SeverityNumberFatal
	case PriorityError:
		return plog.SeverityNumberError
	case PriorityWarning:
		return plog.SeverityNumberWarn
	case PriorityNotice:
		return plog.SeverityNumberInfo2
	case PriorityInformational:
		return plog.SeverityNumberInfo
	case PriorityDebug:
		return plog.SeverityNumberDebug
	}
	return plog.SeverityNumberUnspecified
}

// MoreSevere reports whether p is more severe than q (Emergency is the most severe).
func (p Priority) MoreSevere(q Priority) bool { return p < q }
