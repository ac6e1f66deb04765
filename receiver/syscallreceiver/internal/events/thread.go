package events

import (
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// Thread puts what every record's header says of the calling thread beyond its ids (see
// record.Filler for the rest of Common): its comm, unless that is only exeName (the
// process.executable.name the record carries, "" for none) cut to 15 bytes, as it is for most
// programs; its login uid (and loginName, its user's name, when resolved) and capability sets
// (when not empty).
func Thread(a *Attrs, ev *kevent.Event, exeName, loginName string) {
	if c := ev.CommBytes(); len(c) > 0 && (exeName == "" || string(c) != kevent.CommOf(exeName)) {
		a.Str(schema.AttrProcessLinuxComm, a.String(c))
	}
	if ev.LoginUID != kevent.LoginUIDUnset {
		a.Int(schema.AttrProcessLoginUserID, int64(ev.LoginUID))
		if loginName != "" {
			a.Str(schema.AttrProcessLoginUserName, loginName)
		}
	}
	// An unprivileged thread's sets are empty: left out, as most records would carry zeros.
	if ev.ThreadCapEffective != 0 {
		a.Int(schema.AttrThreadCapabilitiesEffective, int64(ev.ThreadCapEffective))
	}
	if ev.ThreadCapPermitted != 0 {
		a.Int(schema.AttrThreadCapabilitiesPermitted, int64(ev.ThreadCapPermitted))
	}
}
