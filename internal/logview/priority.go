package logview

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// Priority is Falco's eight syslog-like levels. Lower is more severe; the zero value means
// "unset".
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

// priorities is the one table of priorities, indexed by Priority: Falco's spelling, the short
// form also accepted (syslog's and OTel's), and the OTel severity number. Critical and above
// are FATAL..FATAL3 so that more severe priorities keep sorting higher.
var priorities = [...]struct {
	name, short string
	severity    plog.SeverityNumber
}{
	{"", "", plog.SeverityNumberUnspecified},
	{"Emergency", "emerg", plog.SeverityNumberFatal3},
	{"Alert", "", plog.SeverityNumberFatal2},
	{"Critical", "crit", plog.SeverityNumberFatal},
	{"Error", "err", plog.SeverityNumberError},
	{"Warning", "warn", plog.SeverityNumberWarn},
	{"Notice", "", plog.SeverityNumberInfo2},
	{"Informational", "info", plog.SeverityNumberInfo},
	{"Debug", "", plog.SeverityNumberDebug},
}

// ParsePriority reads a priority name or its short form, in any case, around spaces.
func ParsePriority(s string) (Priority, bool) {
	t := strings.TrimSpace(s)
	for p := PriorityEmergency; p <= PriorityDebug; p++ {
		if strings.EqualFold(t, priorities[p].name) || (priorities[p].short != "" && strings.EqualFold(t, priorities[p].short)) {
			return p, true
		}
	}
	return 0, false
}

// String returns the priority as Falco spells it in alerts ("Warning").
func (p Priority) String() string {
	if !p.valid() {
		return fmt.Sprintf("Priority(%d)", int(p))
	}
	return priorities[p].name
}

func (p Priority) valid() bool { return p >= PriorityEmergency && p <= PriorityDebug }

// SeverityNumber is the priority on the OTel log severity scale.
func (p Priority) SeverityNumber() plog.SeverityNumber {
	if !p.valid() {
		return plog.SeverityNumberUnspecified
	}
	return priorities[p].severity
}

// SyslogSeverity is the priority as a syslog severity (RFC 5424 section 6.2.1): Falco's eight
// priorities are syslog's eight levels in syslog's order, so Emergency is 0 and Debug 7. An
// invalid priority counts as Informational, as an unset one does.
func (p Priority) SyslogSeverity() int {
	if !p.valid() {
		p = PriorityInformational
	}
	return int(p - PriorityEmergency)
}

// MoreSevere reports whether p is more severe than q (Emergency is the most severe).
func (p Priority) MoreSevere(q Priority) bool { return p < q }

// PriorityOfSeverity inverts SeverityNumber for any severity: each priority takes the range
// from its own severity up to the next priority's; an unspecified severity is Informational,
// and one below Debug's is Debug.
func PriorityOfSeverity(n plog.SeverityNumber) Priority {
	if n == plog.SeverityNumberUnspecified {
		return PriorityInformational
	}
	for p := PriorityEmergency; p <= PriorityDebug; p++ {
		if n >= priorities[p].severity {
			return p
		}
	}
	return PriorityDebug
}

// PriorityOf is the priority of a record: its SeverityText when that names one, else the
// priority of its SeverityNumber.
func PriorityOf(lr plog.LogRecord) Priority {
	if p, ok := ParsePriority(lr.SeverityText()); ok {
		return p
	}
	return PriorityOfSeverity(lr.SeverityNumber())
}
