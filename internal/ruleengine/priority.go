package ruleengine

import (
	"fmt"

	"github.com/otelsec/otelsec/internal/logview"
)

// Priority is a rule's priority, Falco's eight syslog-like levels (logview holds their names
// and severities). Lower is more severe; the zero value means "unset" (in Options: keep every
// rule).
type Priority = logview.Priority

const (
	PriorityEmergency     = logview.PriorityEmergency
	PriorityAlert         = logview.PriorityAlert
	PriorityCritical      = logview.PriorityCritical
	PriorityError         = logview.PriorityError
	PriorityWarning       = logview.PriorityWarning
	PriorityNotice        = logview.PriorityNotice
	PriorityInformational = logview.PriorityInformational
	PriorityDebug         = logview.PriorityDebug
)

// ParsePriority parses a priority case-insensitively; the short forms (info, warn, ...) are
// accepted too.
func ParsePriority(s string) (Priority, error) {
	if p, ok := logview.ParsePriority(s); ok {
		return p, nil
	}
	return 0, fmt.Errorf("unknown priority %q (want one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG)", s)
}
