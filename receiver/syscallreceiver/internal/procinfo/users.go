package procinfo // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"time"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// Users resolves uids to user names from a passwd file. The file is read at most once per
// minReread, and only when a uid is not known, so a user added after start resolves within
// seconds while a stream of unknown uids (containers with their own passwd) does not make the
// receiver re-read the file more often than that. Not safe for concurrent use.
type Users struct {
	path      string
	max       int
	minReread time.Duration
	names     map[uint32]string
	lastRead  time.Time
	now       func() time.Time
}

// NewUsers returns a resolver over path (normally /etc/passwd) that keeps at most max names.
func NewUsers(path string, max int, minReread time.Duration) *Users {
	u := &Users{path: path, max: max, minReread: minReread, now: time.Now}
	u.reload()
	return u
}

// Name returns the name of uid, if the passwd file has one.
func (u *Users) Name(uid uint32) (string, bool) {
	if n, ok := u.names[uid]; ok {
		return n, true
	}
	if u.now().Sub(u.lastRead) < u.minReread {
		return "", false
	}
	u.reload()
	n, ok := u.names[uid]
	return n, ok
}

func (u *Users) reload() {
	u.lastRead = u.now()
	names := make(map[uint32]string)
	f, err := os.Open(u.path)
	if err != nil {
		u.names = names
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(names) < u.max {
		// name:password:uid:gid:gecos:home:shell
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.SplitN(line, []byte{':'}, 4)
		if len(f) < 4 || len(f[0]) == 0 {
			continue
		}
		uid, err := strconv.ParseUint(string(f[2]), 10, 32)
		if err != nil {
			continue
		}
		if _, dup := names[uint32(uid)]; !dup {
			names[uint32(uid)] = validutf8.Clean(string(f[0]))
		}
	}
	u.names = names
}
