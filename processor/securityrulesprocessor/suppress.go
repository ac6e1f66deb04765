package securityrulesprocessor // import "github.com/otelsec/otelsec/processor/securityrulesprocessor"

import (
	"hash/maphash"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
	"github.com/otelsec/otelsec/internal/lru"
	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/schema"
)

// suppressKey identifies "the same violation by the same process on the same object". Strings
// are kept as hashes: the key is fixed-size (no allocation to build or store it) and does not pin
// the record's string memory in a long-lived table. A 64-bit collision merges two keys' repeats,
// which at 10,000 keys happens with odds of ~1e-11.
type suppressKey struct {
	pid  int64  // process.pid when it is an int
	exe  uint64 // hash of process.executable.path (or of a string process.pid)
	host uint64 // hash of host.name: a gateway collector sees the same pids on many hosts
	obj  uint64 // hash of what the event acted on (objectAttrs)
	rule int32
	has  uint8 // which of the attributes were present, so "absent" differs from "empty"
}

const (
	hasPID uint8 = 1 << iota
	hasPIDStr
	hasExe
	hasHost
	hasObj
)

// objectTag tells the record attributes that say what an event acted on: the file, the other
// end of a connection, the local address bound, the traced process, the module, the uid asked
// for. Reading /etc/shadow and then /etc/gshadow are two violations, not a violation and its
// repeat. Every one present is part of the key; the tag tells them apart in its hash. (A
// switch: cheaper than a map for the dozen attributes of every violation.)
func objectTag(name string) (uint64, bool) {
	switch name {
	case schema.AttrFilePath:
		return 1, true
	case schema.AttrFileSourcePath:
		return 2, true
	case schema.AttrFileLinkTargetPath:
		return 3, true
	case schema.AttrFileSymlinkTargetPath:
		return 4, true
	case schema.AttrFileName:
		return 5, true
	case schema.AttrMountSource:
		return 6, true
	case schema.AttrNetworkPeerAddress:
		return 7, true
	case schema.AttrNetworkPeerPort:
		return 8, true
	case schema.AttrNetworkLocalAddress:
		return 9, true
	case schema.AttrNetworkLocalPort:
		return 10, true
	case schema.AttrPtraceTargetPID:
		return 11, true
	case schema.AttrKernelModuleName:
		return 12, true
	case schema.AttrPrivilegeTargetUserID:
		return 13, true
	case schema.AttrPrivilegeTargetGroupID:
		return 14, true
	}
	return 0, false
}

// suppressEntry is one key's state (no pointers: the table is one slice the GC does not have to
// scan per entry; its recency order is an lru.Order beside it).
type suppressEntry struct {
	key        suppressKey
	passed     int64  // when a violation of the key last passed (ns on the processor's clock)
	passedID   uint64 // which record that was (recordID), to know it when it comes again
	suppressed int64  // repeats suppressed since then
}

// verdict is what the suppressor decided for one violation.
type verdict uint8

const (
	// verdictPass: the first violation of its key, or the first after the window.
	verdictPass verdict = iota
	// verdictSuppress: a repeat within the window.
	verdictSuppress
	// verdictAgain: a violation already raised, back in a batch sent again after a refusal
	// further down the pipeline (see markedBy and recordID). It passes as it did, and is
	// neither counted nor suppressed again.
	verdictAgain
)

// markedBy reports whether the record already carries rule's violation: the processor marked it
// and the batch it changed in place came back. (An alert relayed from another otelsec and
// matching the same rule is such a record too: it was raised there.)
func markedBy(lr plog.LogRecord, rule *ruleengine.Rule) bool {
	v, ok := lr.Attributes().Get(schema.AttrSecurityRuleName)
	return ok && v.Type() == pcommon.ValueTypeStr && v.Str() == rule.Name
}

// suppressor decides which violations are repeats, and recognises a violation it already let
// pass. Processors may be called concurrently, so the table is behind a mutex; it is taken only
// for violations (about 1 % of records), and holds for a map lookup and a few writes.
type suppressor struct {
	window  int64
	maxKeys int
	exclude []bool // by rule index
	seed    maphash.Seed

	mu      sync.Mutex
	index   map[suppressKey]int32
	entries []suppressEntry
	order   *lru.Order // of entries: the least recently seen key is evicted when full
}

// newSuppressor returns nil when there is no table (max_keys 0, window 0). With window 0 and a
// table, nothing is suppressed and the table only recognises violations sent again.
func newSuppressor(cfg SuppressConfig, rules []*ruleengine.Rule) (s *suppressor, unknownExcludes []string) {
	if cfg.Window <= 0 && cfg.MaxKeys < 1 {
		return nil, nil
	}
	s = &suppressor{
		window:  cfg.Window.Nanoseconds(),
		maxKeys: cfg.MaxKeys,
		exclude: make([]bool, len(rules)),
		seed:    maphash.MakeSeed(),
		index:   make(map[suppressKey]int32, min(cfg.MaxKeys, 1024)),
		order:   lru.New(max(cfg.MaxKeys, 0)),
	}
	byName := make(map[string]int, len(rules))
	for _, r := range rules {
		byName[r.Name] = r.Index()
	}
	for _, name := range cfg.ExcludeRules {
		if i, ok := byName[name]; ok {
			s.exclude[i] = true
		} else {
			unknownExcludes = append(unknownExcludes, name)
		}
	}
	return s, unknownExcludes
}

// exempt reports whether a violation is never suppressed: its rule is excluded, or it is one of
// the receiver's loss reports (agent.events_dropped, agent.unclean_stop), where each record
// carries its own count or window and hiding one would hide lost events.
func (s *suppressor) exempt(rule *ruleengine.Rule, lr plog.LogRecord) bool {
	if s.exclude[rule.Index()] {
		return true
	}
	name := logview.EventName(lr)
	return name == schema.EventAgentEventsDropped || name == schema.EventAgentUncleanStop
}

// key reads the record's identity the way rule conditions do: record attributes first, then
// the resource's (other sources put process.* and host.name on the resource). What the event
// acted on is the record's own.
func (s *suppressor) key(rule *ruleengine.Rule, res, attrs pcommon.Map) suppressKey {
	k := suppressKey{rule: int32(rule.Index())}
	if v, ok := logview.Attr(attrs, res, schema.AttrProcessPID); ok {
		switch v.Type() {
		case pcommon.ValueTypeInt:
			k.pid, k.has = v.Int(), k.has|hasPID
		case pcommon.ValueTypeStr:
			// Mixed into pid's slot: a string pid and an int pid never share a key.
			k.pid, k.has = int64(maphash.String(s.seed, v.Str())), k.has|hasPIDStr
		}
	}
	if v, ok := logview.Attr(attrs, res, schema.AttrProcessExecutablePath); ok && v.Type() == pcommon.ValueTypeStr {
		k.exe, k.has = maphash.String(s.seed, v.Str()), k.has|hasExe
	}
	if v, ok := logview.Attr(attrs, res, schema.AttrHostName); ok && v.Type() == pcommon.ValueTypeStr {
		k.host, k.has = maphash.String(s.seed, v.Str()), k.has|hasHost
	}
	// One pass over the attributes; the sum of per-attribute hashes does not depend on their
	// order, which other sources do not keep.
	attrs.Range(func(name string, v pcommon.Value) bool {
		if tag, ok := objectTag(name); ok {
			k.obj += mix(tag<<56 ^ s.valueHash(v))
			k.has |= hasObj
		}
		return true
	})
	return k
}

// valueHash hashes the attribute values objects have: strings and ints (and a typed marker for
// anything else, so its presence still counts).
func (s *suppressor) valueHash(v pcommon.Value) uint64 {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return maphash.String(s.seed, v.Str())
	case pcommon.ValueTypeInt:
		return mix(uint64(v.Int()) ^ 0x9e3779b97f4a7c15)
	}
	return uint64(v.Type())
}

// mix is a 64-bit finalizer (splitmix64's): spreads the bits of x over the result.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// recordID tells one record from another of the same key: its timestamps. Two events of one
// process on one object in the same nanosecond do not happen; a batch sent again carries the
// same record again, and when it is a copy taken before the processor marked the record, the
// key's entry still knows it as the one that passed. A record without timestamps (0) cannot be
// told apart and is never taken for one already seen.
func recordID(lr plog.LogRecord) uint64 {
	ts, obs := uint64(lr.Timestamp()), uint64(lr.ObservedTimestamp())
	if ts == 0 && obs == 0 {
		return 0
	}
	return mix(ts) ^ mix(obs^0x9e3779b97f4a7c15) | 1
}

// observe records a violation of key, the record id (recordID), at now (ns on the processor's
// monotonic clock). It returns the verdict; for verdictPass, how many repeats of the key were
// suppressed since the last one passed; and whether the table was full and a key was evicted
// for this one.
func (s *suppressor) observe(key suppressKey, id uint64, now int64) (v verdict, count int64, evicted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[key]; ok {
		s.order.Touch(i)
		e := &s.entries[i]
		if id != 0 && id == e.passedID {
			return verdictAgain, 0, false
		}
		if now-e.passed < s.window {
			e.suppressed++
			return verdictSuppress, 0, false
		}
		count = e.suppressed
		e.passed, e.passedID, e.suppressed = now, id, 0
		return verdictPass, count, false
	}
	var i int32
	if len(s.entries) < s.maxKeys {
		i = int32(len(s.entries))
		s.entries = append(s.entries, suppressEntry{})
	} else {
		// The evicted key's pending count is lost to the alert stream (it is in the
		// suppressed metric); its next violation passes as a first one.
		i = s.order.Oldest()
		delete(s.index, s.entries[i].key)
		s.order.Remove(i)
		evicted = true
	}
	s.entries[i] = suppressEntry{key: key, passed: now, passedID: id}
	s.order.PushFront(i)
	s.index[key] = i
	return verdictPass, 0, evicted
}

// len is the number of keys in the table.
func (s *suppressor) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.index)
}
