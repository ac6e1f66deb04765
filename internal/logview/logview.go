// Package logview reads a log record the one way every otelsec component does: its event
// name, its attributes (the record's own, then its resource's), and its priority, Falco's
// names for the OTel severity it carries. The rule engine, the alert exporter and the rules
// processor's suppression all read records through it, so a record means the same to each.
package logview

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// EventNameAttr is the attribute that names the event of a record whose EventName is empty
// (records from sources that carry the name as an attribute).
const EventNameAttr = "event.name"

// EventName is the record's EventName, or its string "event.name" attribute when EventName is
// empty; "" when it has neither.
func EventName(lr plog.LogRecord) string {
	if n := lr.EventName(); n != "" {
		return n
	}
	if v, ok := lr.Attributes().Get(EventNameAttr); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

// Attr looks an attribute up in the record's attributes, then in its resource's: other
// sources put process.* and host.name on the resource, and a record's own value wins.
func Attr(attrs, res pcommon.Map, name string) (pcommon.Value, bool) {
	if v, ok := attrs.Get(name); ok {
		return v, true
	}
	return res.Get(name)
}
