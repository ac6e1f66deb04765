package events

import (
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// Thread puts what every record's header says of the calling thread beyond its ids (see
// record.Filler for the rest of Common): its comm, login uid (and loginName, its user's name,
// when resolved) and capability sets.
func Thread(a *Attrs, ev *kevent.Event, loginName string) {
	if c := ev.CommBytes(); len(c) > 0 {
		a.Str(schema.AttrProcessLinuxComm, a.String(c))
	}
	if ev.LoginUID != kevent.LoginUIDUnset {
		a.Int(schema.AttrProcessLoginUserID, int64(ev.LoginUID))
		if loginName != "" {
			a.Str(schema.AttrProcessLoginUserName, loginName)
		}
	}
	a.Int(schema.AttrThreadCapabilitiesEffective, int64(ev.ThreadCapEffective))
	a.Int(schema.AttrThreadCapabilitiesPermitted, int64(ev.ThreadCapPermitted))
}
