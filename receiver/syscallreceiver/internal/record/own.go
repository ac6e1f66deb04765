package record // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"

import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"

// strFields lists every string field of a kevent.Event: what own must copy. TestOwnCoversEvent
// fails when kevent.Event gains a string field that is not listed here.
func strFields(ev *kevent.Event) [15]*kevent.Str {
	return [...]*kevent.Str{
		&ev.Path, &ev.PathBase, &ev.Path2, &ev.Path2Base, &ev.Argv, &ev.Env, &ev.Cwd, &ev.Cgroup,
		&ev.SymlinkTarget, &ev.Name, &ev.MountSource, &ev.MountFSType, &ev.ModuleArgs,
		&ev.Peer.Path, &ev.Local.Path,
	}
}

// ownKeep is the largest string buffer a Job keeps between records.
const ownKeep = 8 << 10

// own copies the strings of ev (which reference the kernel reader's buffer, reused after the
// callback) into buf and points ev at the copies. It returns buf for reuse.
func own(ev *kevent.Event, buf []byte) []byte {
	fields := strFields(ev)
	n := 0
	for _, s := range fields {
		n += len(s.B)
	}
	// A buffer grown by one huge record is not kept for the small ones after it: thousands of
	// Jobs each holding their largest record would add up.
	if cap(buf) < n || cap(buf) > ownKeep && n <= ownKeep/4 {
		buf = make([]byte, 0, n+n/2)
	}
	buf = buf[:0]
	for _, s := range fields {
		if len(s.B) == 0 {
			s.B = nil
			continue
		}
		start := len(buf)
		buf = append(buf, s.B...)
		s.B = buf[start:len(buf):len(buf)]
	}
	return buf
}
