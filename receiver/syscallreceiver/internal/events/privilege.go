package events

import (
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

var privilegeSpecs = []Spec{
	{
		Kind: kevent.KindPrivilegeSetuid, Name: schema.EventPrivilegeSetuid,
		Priority: true,
		Hooks:    sysExit("setuid", "setreuid", "setresuid", "setfsuid"),
		Attrs:    []string{schema.AttrPrivilegeTargetUserID, schema.AttrPrivilegePreviousUserID, schema.AttrPrivilegePreviousRealUserID},
		decode:   decodeSetID,
		fill: func(a *Attrs, ev *kevent.Event) {
			fillSetID(a, ev, schema.AttrPrivilegeTargetUserID, schema.AttrPrivilegePreviousUserID, schema.AttrPrivilegePreviousRealUserID)
		},
	},
	{
		Kind: kevent.KindPrivilegeSetgid, Name: schema.EventPrivilegeSetgid,
		Priority: true,
		Hooks:    sysExit("setgid", "setregid", "setresgid", "setfsgid"),
		Attrs:    []string{schema.AttrPrivilegeTargetGroupID, schema.AttrPrivilegePreviousGroupID, schema.AttrPrivilegePreviousRealGroupID},
		decode:   decodeSetID,
		fill: func(a *Attrs, ev *kevent.Event) {
			fillSetID(a, ev, schema.AttrPrivilegeTargetGroupID, schema.AttrPrivilegePreviousGroupID, schema.AttrPrivilegePreviousRealGroupID)
		},
	},
	{
		Kind: kevent.KindPrivilegeCapset, Name: schema.EventPrivilegeCapset,
		Priority: true,
		Hooks:    sysExit("capset"),
		Note:     "the credentials before the call come from a per-process map kept at exec, fork and each privilege call, seeded from /proc at start",
		Attrs:    []string{schema.AttrCapabilitiesEffective, schema.AttrCapabilitiesPermitted, schema.AttrCapabilitiesAdded},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.CapEffective, ev.CapPermitted = r.A[0], r.A[1]
			ev.CapOldEffective = r.A[3]
			ev.OldCredsUnknown = r.HFlags&kevent.HFlagOldUnknown != 0
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Caps(schema.AttrCapabilitiesEffective, ev.CapEffective)
			a.Caps(schema.AttrCapabilitiesPermitted, ev.CapPermitted)
			a.Caps(schema.AttrCapabilitiesAdded, ev.CapAdded())
		},
	},
}

// decodeSetID: the raw arguments of the set*id call and the ids before it.
func decodeSetID(ev *kevent.Event, r *kevent.Raw) {
	ev.IDs = [3]uint32{uint32(r.A[0]), uint32(r.A[1]), uint32(r.A[2])}
	ev.OldID = uint32(r.A[3])
	ev.OldEID = uint32(r.A[4])
	ev.NArgs = uint8(r.A[5])
	ev.OldCredsUnknown = r.HFlags&kevent.HFlagOldUnknown != 0
}

// fillSetID puts the id asked for and, when the receiver knew them, the effective and real ids
// before the call (the process.* ids are those after it): they tell a setuid-root program's
// full setuid(0) (real uid 1000 -> 0) from root staying root.
func fillSetID(a *Attrs, ev *kevent.Event, target, previous, previousReal string) {
	id := int64(-1)
	if v, ok := ev.TargetID(); ok {
		id = int64(v)
	}
	a.Int(target, id)
	if !ev.OldCredsUnknown {
		a.Int(previous, int64(ev.OldEID))
		a.Int(previousReal, int64(ev.OldID))
	}
}
