package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/schema"
)

// Falco's alert source for kernel events; every otelsec alert comes from syscalls.
const falcoSource = "syscall"

// Keys Falco puts the event time under in output_fields: the time in ns (an integer), or the
// ISO 8601 string when time_format_iso_8601 is on.
const (
	evtTimeKey        = "evt.time"
	evtTimeISO8601Key = "evt.time.iso8601"
)

// maxValueDepth bounds the nesting of slice/map attribute values rendered into
// output_fields; deeper values render as null so hostile input cannot make rendering
// arbitrarily expensive.
const maxValueDepth = 8

// defaultOutputFields are the attributes put in output_fields, when present, for records
// that do not say which attributes their rule's output used (security_rule.output_fields).
// They are what Falco's stock rules print most: who ran what, where (container and pod, as
// Falco's container.name, container.image.repository, k8s.ns.name, k8s.pod.name), on which
// file or peer.
var defaultOutputFields = []string{
	schema.AttrProcessExecutablePath,
	schema.AttrProcessCommandLine,
	schema.AttrProcessUserName,
	schema.AttrProcessPID,
	schema.AttrProcessParentExecutableName,
	schema.AttrContainerID,
	schema.AttrContainerName,
	schema.AttrContainerImageName,
	schema.AttrK8sNamespaceName,
	schema.AttrK8sPodName,
	schema.AttrFilePath,
	schema.AttrNetworkPeerAddress,
	schema.AttrNetworkPeerPort,
}

// renderer turns one violation record into Falco's text line or Falco's JSON object.
// It keeps no per-call state; scratch space comes from the caller.
type renderer struct {
	json bool
	iso  bool
	loc  *time.Location // Falco prints the line prefix in local time
}

func newRenderer(format string, iso bool) *renderer {
	return &renderer{json: format == FormatJSON, iso: iso, loc: time.Local}
}

// scratch is reusable space for one rendering; pooled by the exporter.
type scratch struct {
	buf   []byte
	msg   []byte // the alert wrapped for its destination (syslog)
	names []string
	tags  []string
}

// appendAlert renders rec (a record with security_rule.name) as one alert, terminated by a
// newline, and appends it to dst. res is the record's resource, where output fields the
// record lacks are looked up, as the processor's output templates do.
func (r *renderer) appendAlert(dst []byte, sc *scratch, hostname string, res pcommon.Map, rec plog.LogRecord) []byte {
	ts := recordTime(rec)
	prio := priorityOf(rec)
	if !r.json {
		dst = r.appendPrefix(dst, ts, prio)
		dst = append(dst, ' ')
		dst = appendBodyText(dst, rec.Body())
		return append(dst, '\n')
	}

	attrs := rec.Attributes()
	// Keys in Falco's order: nlohmann::json sorts object keys.
	dst = append(dst, `{"hostname":`...)
	dst = appendJSONString(dst, hostname)

	dst = append(dst, `,"output":"`...)
	// The prefix is digits, colons, dots, letters and '+': nothing to escape.
	dst = r.appendPrefix(dst, ts, prio)
	dst = append(dst, ' ')
	dst = appendJSONStringBody(dst, rec.Body())
	dst = append(dst, '"')

	dst = append(dst, `,"output_fields":`...)
	dst = r.appendOutputFields(dst, sc, res, rec, ts)

	dst = append(dst, `,"priority":"`...)
	dst = append(dst, prio...)
	dst = append(dst, `","rule":`...)
	if rule, ok := attrs.Get(schema.AttrSecurityRuleName); ok {
		dst = appendJSONStringValue(dst, rule)
	} else {
		dst = append(dst, `""`...)
	}
	dst = append(dst, `,"source":"`+falcoSource+`","tags":`...)
	dst = appendTags(dst, sc, attrs)
	dst = append(dst, `,"time":"`...)
	// Falco: strftime("%FT%T") in UTC + ".%09luZ".
	dst = ts.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z")
	dst = append(dst, "\"}\n"...)
	return dst
}

// appendPrefix writes Falco's "<evt.time>: <Priority>" prefix.
func (r *renderer) appendPrefix(dst []byte, ts time.Time, prio string) []byte {
	if r.iso {
		// libsinsp ts_to_iso_8601: "%FT%T" in UTC, ".%09u", "%z" (always +0000).
		dst = ts.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000-0700")
	} else {
		// libsinsp ts_to_string: "%02d:%02d:%02d.%09u" in local time.
		dst = ts.In(r.loc).AppendFormat(dst, "15:04:05.000000000")
	}
	dst = append(dst, ": "...)
	return append(dst, prio...)
}

// appendOutputFields writes the output_fields object: a Falco rule's fields under Falco's
// names, else the attributes the rule's output used (or the default set), plus the event
// time, keys sorted as Falco's nlohmann::json does. Never empty: the event time is always there.
func (r *renderer) appendOutputFields(dst []byte, sc *scratch, res pcommon.Map, rec plog.LogRecord, ts time.Time) []byte {
	attrs := rec.Attributes()
	names := sc.names[:0]
	var falco pcommon.Map
	if v, ok := attrs.Get(schema.AttrSecurityRuleFalcoOutputFields); ok && v.Type() == pcommon.ValueTypeMap {
		// A violation of a rule from a Falco file carries its fields under Falco's names.
		falco = v.Map()
		for k := range falco.All() {
			names = append(names, k)
		}
	} else if listed, ok := attrs.Get(schema.AttrSecurityRuleOutputFields); ok && listed.Type() == pcommon.ValueTypeSlice {
		s := listed.Slice()
		for i := 0; i < s.Len(); i++ {
			if v := s.At(i); v.Type() == pcommon.ValueTypeStr {
				names = append(names, v.Str())
			}
		}
	} else {
		for _, n := range defaultOutputFields {
			if _, present := lookupField(res, rec, n); present {
				names = append(names, n)
			}
		}
	}
	timeKey := evtTimeKey
	if r.iso {
		timeKey = evtTimeISO8601Key
	}
	names = append(names, timeKey)
	slices.Sort(names)
	names = slices.Compact(names)
	sc.names = names

	dst = append(dst, '{')
	for i, n := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, n)
		dst = append(dst, ':')
		if n == timeKey {
			dst = r.appendEventTime(dst, ts)
			continue
		}
		var v pcommon.Value
		var ok bool
		if falco != (pcommon.Map{}) {
			v, ok = falco.Get(n)
		} else {
			v, ok = lookupField(res, rec, n)
		}
		// A listed field the record lacks is null, as Falco renders a field it could not
		// extract.
		if ok {
			dst = appendJSONValue(dst, v, 0)
		} else {
			dst = append(dst, "null"...)
		}
	}
	return append(dst, '}')
}

// appendEventTime writes Falco's evt.time: nanoseconds, or with time_format_iso_8601 the ISO
// 8601 string.
func (r *renderer) appendEventTime(dst []byte, ts time.Time) []byte {
	if !r.iso {
		return strconv.AppendInt(dst, ts.UnixNano(), 10)
	}
	dst = append(dst, '"')
	dst = ts.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000-0700")
	return append(dst, '"')
}

// appendTags writes security_rule.tags as a JSON array, sorted and de-duplicated because
// Falco keeps a rule's tags in a std::set. No tags is [], as in Falco.
func appendTags(dst []byte, sc *scratch, attrs pcommon.Map) []byte {
	tags := sc.tags[:0]
	if v, ok := attrs.Get(schema.AttrSecurityRuleTags); ok {
		switch v.Type() {
		case pcommon.ValueTypeSlice:
			s := v.Slice()
			for i := 0; i < s.Len(); i++ {
				if e := s.At(i); e.Type() == pcommon.ValueTypeStr {
					tags = append(tags, e.Str())
				} else {
					tags = append(tags, e.AsString())
				}
			}
		case pcommon.ValueTypeStr:
			// Tolerate a producer that joined the tags into one string.
			for t := range strings.FieldsFuncSeq(v.Str(), func(r rune) bool { return r == ',' || r == ' ' }) {
				tags = append(tags, t)
			}
		}
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)
	sc.tags = tags
	dst = append(dst, '[')
	for i, t := range tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, t)
	}
	return append(dst, ']')
}

// lookupField resolves a name the way the rules processor's output templates do: a record
// attribute, else a resource attribute; "event.name" is the record's event name and "body"
// the record's original Body (kept in log.record.original once the output replaced it).
func lookupField(res pcommon.Map, rec plog.LogRecord, name string) (pcommon.Value, bool) {
	switch name {
	case ruleengine.EventNameAttr:
		if n := logview.EventName(rec); n != "" {
			return pcommon.NewValueStr(n), true
		}
		return pcommon.Value{}, false
	case ruleengine.BodyIdent:
		if v, ok := logview.Attr(rec.Attributes(), res, name); ok {
			return v, true
		}
		return rec.Attributes().Get(schema.AttrLogRecordOriginal)
	}
	return logview.Attr(rec.Attributes(), res, name)
}

// recordTime is when the event happened; a record without a Timestamp falls back to when it
// was observed, then to now, so an alert always carries a time.
func recordTime(rec plog.LogRecord) time.Time {
	if ts := rec.Timestamp(); ts != 0 {
		return ts.AsTime()
	}
	if ts := rec.ObservedTimestamp(); ts != 0 {
		return ts.AsTime()
	}
	return time.Now()
}

// priorityOf is the Falco priority of a violation, in Falco's spelling.
func priorityOf(rec plog.LogRecord) string { return logview.PriorityOf(rec).String() }

// appendBodyText writes the rule output for the text format on one line: control
// characters are escaped (\n, \r, \xNN) so a crafted command line or path cannot forge extra
// alert lines or terminal escapes; invalid UTF-8 becomes U+FFFD.
func appendBodyText(dst []byte, body pcommon.Value) []byte {
	if body.Type() != pcommon.ValueTypeStr {
		return appendTextSafe(dst, body.AsString())
	}
	return appendTextSafe(dst, body.Str())
}

func appendTextSafe(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\t':
			dst = append(dst, '\t')
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r == utf8.RuneError && size == 1:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		case r < 0x20 || r == 0x7f:
			dst = append(dst, '\\', 'x', hex[r>>4], hex[r&0xf])
		case r >= 0x80 && r <= 0x9f: // C1 controls, including the 8-bit CSI
			dst = append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// appendJSONStringBody writes the body's string contents, escaped, without quotes.
func appendJSONStringBody(dst []byte, body pcommon.Value) []byte {
	if body.Type() != pcommon.ValueTypeStr {
		return appendJSONEscaped(dst, body.AsString())
	}
	return appendJSONEscaped(dst, body.Str())
}

func appendJSONStringValue(dst []byte, v pcommon.Value) []byte {
	if v.Type() == pcommon.ValueTypeStr {
		return appendJSONString(dst, v.Str())
	}
	return appendJSONString(dst, v.AsString())
}

// appendJSONValue writes an attribute value as JSON: strings, integers, booleans and
// doubles as themselves, slices as arrays, maps as objects with sorted keys, bytes as
// base64, missing values as null.
func appendJSONValue(dst []byte, v pcommon.Value, depth int) []byte {
	if depth > maxValueDepth {
		return append(dst, "null"...)
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeDouble:
		return appendJSONFloat(dst, v.Double())
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
		return append(dst, '"')
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = append(dst, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, s.At(i), depth+1)
		}
		return append(dst, ']')
	case pcommon.ValueTypeMap:
		m := v.Map()
		// Nested maps are rare in records (the contract has none); sorting their keys
		// allocates, which is acceptable off the common path.
		keys := make([]string, 0, m.Len())
		for k := range m.All() {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			if e, ok := m.Get(k); ok {
				dst = appendJSONValue(dst, e, depth+1)
			} else {
				dst = append(dst, "null"...)
			}
		}
		return append(dst, '}')
	default:
		return append(dst, "null"...)
	}
}

// appendJSONFloat follows nlohmann::json: shortest round-trip digits, a ".0" on integral
// values, null for NaN and infinities (JSON has no spelling for them).
func appendJSONFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	for _, c := range dst[start:] {
		if c == '.' || c == 'e' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONEscaped(dst, s)
	return append(dst, '"')
}

// appendJSONEscaped escapes like nlohmann::json's dump (what Falco emits): '"', '\\' and
// control characters are escaped (\b \f \n \r \t, else \u00xx), everything else, including
// '/', '<', '>' and '&', is written as UTF-8; invalid UTF-8 becomes U+FFFD.
func appendJSONEscaped(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
