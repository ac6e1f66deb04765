package logview

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestEventName(t *testing.T) {
	lr := plog.NewLogRecord()
	assert.Equal(t, "", EventName(lr))
	lr.Attributes().PutInt(EventNameAttr, 7)
	assert.Equal(t, "", EventName(lr), "a non-string attribute names nothing")
	lr.Attributes().PutStr(EventNameAttr, "from.attribute")
	assert.Equal(t, "from.attribute", EventName(lr))
	lr.SetEventName("process.exec")
	assert.Equal(t, "process.exec", EventName(lr), "EventName wins over the attribute")
}

func TestAttr(t *testing.T) {
	attrs, res := pcommon.NewMap(), pcommon.NewMap()
	_, ok := Attr(attrs, res, "host.name")
	assert.False(t, ok)
	res.PutStr("host.name", "from-resource")
	v, ok := Attr(attrs, res, "host.name")
	assert.True(t, ok)
	assert.Equal(t, "from-resource", v.Str())
	attrs.PutStr("host.name", "from-record")
	v, _ = Attr(attrs, res, "host.name")
	assert.Equal(t, "from-record", v.Str(), "the record's attribute shadows the resource's")
}

func TestPriorityTable(t *testing.T) {
	for p := PriorityEmergency; p <= PriorityDebug; p++ {
		got, ok := ParsePriority(p.String())
		assert.True(t, ok)
		assert.Equal(t, p, got, "name round trip")
		assert.Equal(t, p, PriorityOfSeverity(p.SeverityNumber()), "severity round trip of %v", p)
		if p > PriorityEmergency {
			assert.Greater(t, (p - 1).SeverityNumber(), p.SeverityNumber(), "more severe sorts higher")
			assert.True(t, (p - 1).MoreSevere(p))
		}
	}
	for s, want := range map[string]Priority{"emerg": PriorityEmergency, " ALERT ": PriorityAlert, "crit": PriorityCritical,
		"ERR": PriorityError, "warn": PriorityWarning, "notice": PriorityNotice, "Info": PriorityInformational, "debug": PriorityDebug} {
		got, ok := ParsePriority(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "loud", "warnings", "in fo"} {
		_, ok := ParsePriority(s)
		assert.False(t, ok, s)
	}
	// RFC 5424's severity codes, written out rather than derived from the table.
	var sev []int
	for p := PriorityEmergency; p <= PriorityDebug; p++ {
		sev = append(sev, p.SyslogSeverity())
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, sev, "emerg alert crit err warning notice info debug")
	assert.Equal(t, 6, Priority(0).SyslogSeverity(), "unset is Informational")
	assert.Equal(t, "Priority(0)", Priority(0).String())
	assert.Equal(t, plog.SeverityNumberUnspecified, Priority(9).SeverityNumber())
	// Severities between two priorities' belong to the less severe one; none below Debug.
	assert.Equal(t, PriorityEmergency, PriorityOfSeverity(plog.SeverityNumberFatal4))
	assert.Equal(t, PriorityError, PriorityOfSeverity(plog.SeverityNumberError4))
	assert.Equal(t, PriorityNotice, PriorityOfSeverity(plog.SeverityNumberInfo4))
	assert.Equal(t, PriorityDebug, PriorityOfSeverity(plog.SeverityNumberTrace))
	assert.Equal(t, PriorityInformational, PriorityOfSeverity(plog.SeverityNumberUnspecified))
}

func TestPriorityOf(t *testing.T) {
	lr := plog.NewLogRecord()
	lr.SetSeverityNumber(plog.SeverityNumberFatal)
	assert.Equal(t, PriorityCritical, PriorityOf(lr))
	lr.SetSeverityText("bogus")
	assert.Equal(t, PriorityCritical, PriorityOf(lr), "a text that names no priority falls back to the number")
	lr.SetSeverityText("notice")
	assert.Equal(t, PriorityNotice, PriorityOf(lr))
}
