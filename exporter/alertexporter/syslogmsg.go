package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"bytes"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
	"github.com/otelsec/otelsec/internal/schema"
)

// facilities are the syslog facility names indexed by their code (RFC 5424 section 6.2.1),
// spelled as syslog.conf and rsyslog spell them.
var facilities = [...]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

func facilityCode(name string) (int, bool) {
	i := slices.Index(facilities[:], name)
	return i, i >= 0
}

func facilityNames() []string { return facilities[:] }

// Header field limits, in bytes: RFC 5424 section 6 for HOSTNAME and MSGID; APP-NAME takes RFC
// 3164's 32 for the TAG, under RFC 5424's 48, so one name fits both formats.
const (
	maxHostname = 255
	maxMsgID    = 32
	maxAppName  = 32
)

// sdID names the optional RFC 5424 structured data. 32473 is the private enterprise number RFC
// 5612 reserves for examples; otelsec has none of its own, which is why the element is opt-in.
const sdID = "otelsec@32473"

// validAppName accepts what both formats carry unchanged: letters, digits, '.', '_' and '-',
// starting with a letter or digit (so never RFC 5424's "-", the empty value).
func validAppName(s string) bool {
	if s == "" || len(s) > maxAppName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// syslogFormatter wraps a rendered alert in a syslog header. It keeps no per-call state.
type syslogFormatter struct {
	rfc5424 bool
	// withHost: RFC 3164 on a local socket carries no HOSTNAME, as syslog(3) writes it; local
	// daemons (rsyslog's imuxsock, journald) would read a hostname there as the TAG.
	withHost       bool
	facility       int
	appName        string
	procID         string
	structuredData bool
	loc            *time.Location // RFC 3164 timestamps are local time
}

func newSyslogFormatter(sc *SyslogConfig, pid int) *syslogFormatter {
	fac, _ := facilityCode(sc.Facility) // validated
	return &syslogFormatter{
		rfc5424:        sc.format() == SyslogRFC5424,
		withHost:       !sc.local(),
		facility:       fac,
		appName:        sc.AppName,
		procID:         strconv.Itoa(pid),
		structuredData: sc.StructuredData,
		loc:            time.Local,
	}
}

// appendMessage appends one syslog message for rec to dst: the header, then line (the alert
// as rendered, its newline dropped) as MSG. The severity is the rule's priority; hostname is
// the alert's.
func (f *syslogFormatter) appendMessage(dst []byte, hostname string, rec plog.LogRecord, line []byte) []byte {
	ts := recordTime(rec)
	prio := logview.PriorityOf(rec)
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(f.facility*8+prio.SyslogSeverity()), 10)
	dst = append(dst, '>')
	if f.rfc5424 {
		var rule string
		if v, ok := rec.Attributes().Get(schema.AttrSecurityRuleName); ok {
			rule = v.AsString()
		}
		// VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG; the
		// timestamp in UTC with microseconds, RFC 5424's finest.
		dst = append(dst, "1 "...)
		dst = ts.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
		dst = append(dst, ' ')
		dst = appendHeaderField(dst, hostname, maxHostname)
		dst = append(dst, ' ')
		dst = append(dst, f.appName...)
		dst = append(dst, ' ')
		dst = append(dst, f.procID...)
		dst = append(dst, ' ')
		dst = appendHeaderField(dst, rule, maxMsgID)
		dst = append(dst, ' ')
		if f.structuredData {
			dst = append(dst, "["+sdID+` rule="`...)
			dst = appendSDValue(dst, rule)
			dst = append(dst, `" priority="`...)
			dst = append(dst, prio.String()...)
			dst = append(dst, `"]`...)
		} else {
			dst = append(dst, '-')
		}
	} else {
		// TIMESTAMP [HOSTNAME] TAG[PID]: MSG, the day padded with a space ("Nov  2").
		dst = ts.In(f.loc).AppendFormat(dst, "Jan _2 15:04:05")
		dst = append(dst, ' ')
		if f.withHost {
			dst = appendHeaderField(dst, hostname, maxHostname)
			dst = append(dst, ' ')
		}
		dst = append(dst, f.appName...)
		dst = append(dst, '[')
		dst = append(dst, f.procID...)
		dst = append(dst, "]:"...)
	}
	dst = append(dst, ' ')
	// The renderer escapes control characters, so MSG holds no LF and non-transparent framing
	// cannot be forged from a command line or a path.
	return append(dst, bytes.TrimSuffix(line, []byte{'\n'})...)
}

// appendHeaderField writes s as an RFC 5424 header field: printable ASCII without spaces, at
// most limit bytes, "-" when empty. Other characters become '_' (a rule name's spaces too).
func appendHeaderField(dst []byte, s string, limit int) []byte {
	if s == "" {
		return append(dst, '-')
	}
	n := 0
	for _, r := range s {
		if n == limit {
			break
		}
		if r > ' ' && r < 0x7f {
			dst = append(dst, byte(r))
		} else {
			dst = append(dst, '_')
		}
		n++
	}
	return dst
}

// appendSDValue writes s as an RFC 5424 PARAM-VALUE: '"', '\' and ']' escaped with '\';
// control characters and invalid UTF-8 become U+FFFD.
func appendSDValue(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\' || r == ']':
			dst = append(dst, '\\', byte(r))
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			dst = utf8.AppendRune(dst, utf8.RuneError)
		default:
			// An invalid byte decodes as RuneError of size 1 and is written as U+FFFD.
			dst = utf8.AppendRune(dst, r)
		}
		i += size
	}
	return dst
}
