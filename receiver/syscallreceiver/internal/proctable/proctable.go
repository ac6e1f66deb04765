// Package proctable is the receiver's bounded memory of processes: what each one runs (its
// executable and command line), where (working directory, container), whether it has a
// terminal, and who its parent is. It is seeded from procfs at start and kept current by the
// kernel's fork, exec and exit events (Before and After each event), so a record of any
// syscall can say who made it, and who started that, without reading /proc on the hot path.
//
// A Table is owned by one goroutine (the receiver's event loop); only the counters may be read
// from others.
package proctable // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"

import (
	"strings"
	"sync/atomic"

	"github.com/otelsec/otelsec/internal/lru"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// Process is what the table knows about one thread group. Pointers returned by the Table stay
// valid until the next call that inserts or removes entries (Fork, Exec, Lookup on a miss,
// Sweep); read what you need right away.
type Process struct {
	PID  uint32
	PPID uint32
	// ExePath is the running image as the kernel resolved it; ExeName its basename (for a
	// process without one, such as a kernel thread, its command name).
	ExePath string
	ExeName string
	// Comm is the kernel's command name of the process's main thread (task->comm), as its
	// latest record, exec or fork (or procfs, at seed) showed it.
	Comm string
	// CmdLine is argv joined with spaces, bounded; CmdLineTruncated when argv was cut.
	CmdLine          string
	CmdLineTruncated bool
	Cwd              string
	ContainerID      string
	Interactive      bool
	// Known is false for a placeholder: a process the kernel reported that could no longer be
	// read from procfs. Its fields are empty; keeping it avoids re-reading procfs per event.
	Known bool
	// StartBootNs is when the process started (its fork), ns on the kernel's event clock
	// (CLOCK_BOOTTIME); 0 when unknown. An exec does not change it, as it does not change the
	// kernel's start time.
	StartBootNs int64

	exitedAt int64 // ns on the caller's clock; 0 while alive

	// Cached parent and ancestor names (see Context), valid while ctxGen is the table's gen.
	ctxGen    uint64
	ctxParent *Process
	ctxNames  []string
	ctxComms  []string
	// ctxCommsDiffer: some ancestor's comm is not its executable's name (see AncestorComms)
	ctxCommsDiffer bool
	// ancestor: some process's Context went through it (see LineageChanges)
	ancestor bool
}

// Table is a fixed-capacity, least-recently-used map from pid to Process.
type Table struct {
	procRoot string
	limits   procinfo.Limits
	grace    int64

	idx     map[uint32]int32
	entries []Process
	free    []int32
	order   *lru.Order // of entries: the least recently used is evicted when full

	dead []int32 // exited entries, oldest first, removed after the grace period

	// gen changes whenever an executable or a parent link may have changed, which
	// invalidates the cached ancestry of every process.
	gen uint64
	// lineage counts the changes to some process's Context that no event of that process or
	// of an ancestor made (see LineageChanges); missing holds pids a Context stopped at
	// because the table did not hold them.
	lineage uint64
	missing map[uint32]struct{}

	evictions atomic.Uint64
	size      atomic.Int64

	// For Before and After: the latest event time, and buffers for an exec's strings.
	now     int64
	pathBuf []byte
	scratch []byte
}

// Options configure a Table.
type Options struct {
	// Capacity bounds the number of processes held.
	Capacity int
	// ProcRoot is where procfs is mounted ("/proc").
	ProcRoot string
	// Limits bound the command lines read from procfs.
	Limits procinfo.Limits
	// ExitGraceNs keeps an exited process this long, so that events already in flight (a
	// child's record naming its just-exited parent) still resolve.
	ExitGraceNs int64
}

// New returns an empty table.
func New(opts Options) *Table {
	if opts.Capacity < 1 {
		opts.Capacity = 1
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	t := &Table{
		procRoot: opts.ProcRoot,
		limits:   opts.Limits,
		grace:    opts.ExitGraceNs,
		idx:      make(map[uint32]int32, opts.Capacity),
		entries:  make([]Process, opts.Capacity),
		free:     make([]int32, opts.Capacity),
		order:    lru.New(opts.Capacity),
	}
	for i := range t.free {
		t.free[i] = int32(len(t.free) - 1 - i)
	}
	return t
}

// LineageChanges counts the changes of a process's Context (its parent's and ancestors'
// executables, as Context returned them) made without a kernel event that changes a lineage
// (an exec or an exit of a process with children): an ancestor removed or its entry re-used, a
// parent link seen to change under a process that is an ancestor, a missing ancestor added.
// Something that remembers what a Context was (the kernel's remembered opens) forgets it when
// this changes.
func (t *Table) LineageChanges() uint64 { return t.lineage }

// maxMissing bounds the missing-ancestor pids remembered; past it, every insert counts as a
// lineage change.
const maxMissing = 1024

// Evictions counts live processes pushed out because the table was full.
func (t *Table) Evictions() uint64 { return t.evictions.Load() }

// Len is the number of processes held.
func (t *Table) Len() int { return int(t.size.Load()) }

// Seed loads every process visible in procfs. It returns how many were loaded.
func (t *Table) Seed() (int, error) {
	pids, err := procinfo.ListPIDs(t.procRoot)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pid := range pids {
		info, err := procinfo.Read(t.procRoot, pid, t.limits)
		if err != nil {
			continue // exited meanwhile
		}
		t.fromInfo(info)
		n++
	}
	return n, nil
}

func (t *Table) fromInfo(info procinfo.Info) *Process {
	p := t.insert(info.PID)
	p.PPID = info.PPID
	p.setExe(info.ExePath)
	if p.ExeName == "" {
		// A kernel thread (or a process whose executable we may not read) has no path; its
		// command name still names it among a child's ancestors.
		p.ExeName = info.Comm
	}
	p.CmdLine = strings.Join(info.Args, " ")
	p.CmdLineTruncated = info.ArgsTrunc
	p.Cwd = info.Cwd
	p.ContainerID = info.ContainerID
	p.Interactive = info.TTY != 0
	p.Comm = info.Comm
	p.StartBootNs = info.StartBootNs()
	p.Known = true
	return p
}

func (p *Process) setExe(path string) {
	p.ExePath = path
	p.ExeName = path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		p.ExeName = path[i+1:]
	}
}

// Get returns the process pid, or nil. It does not read procfs and does not allocate.
func (t *Table) Get(pid uint32) *Process {
	i, ok := t.idx[pid]
	if !ok {
		return nil
	}
	t.order.Touch(i)
	return &t.entries[i]
}

// Peek is Get without marking the entry as used, for walking ancestors.
func (t *Table) Peek(pid uint32) *Process {
	i, ok := t.idx[pid]
	if !ok {
		return nil
	}
	return &t.entries[i]
}

// Lookup returns the process pid, reading it from procfs when the table does not hold it
// (a process started before a table eviction, or one whose fork the kernel did not report:
// the collector's own children, a fork lost to a full ring). When procfs no longer has it
// either, the process is assumed to run its parent's image, as a forked child does until it
// execs (an exec would have told us otherwise); with the parent unknown too, it is remembered
// as a placeholder (Known false) so repeated events cost no further procfs reads.
func (t *Table) Lookup(pid, ppid uint32) *Process {
	if p := t.Get(pid); p != nil {
		return p
	}
	info, err := procinfo.Read(t.procRoot, pid, t.limits)
	// A process that is exiting (or a zombie) still has a stat file but no executable: it is
	// treated like one that is gone.
	if err == nil && info.ExePath != "" {
		return t.fromInfo(info)
	}
	if ppid != 0 && ppid != pid {
		if parent := t.Peek(ppid); parent != nil && parent.Known && parent.ExePath != "" {
			return t.Fork(ppid, pid)
		}
	}
	if err == nil {
		return t.fromInfo(info) // a kernel thread: no executable to inherit either
	}
	return t.insert(pid)
}

// Fork records a new process: it inherits its parent's executable, command line, working
// directory, container and terminal until it execs.
func (t *Table) Fork(parent, child uint32) *Process {
	var pp Process
	if p := t.Peek(parent); p != nil {
		pp = *p
	}
	c := t.insert(child)
	*c = pp
	c.PID = child
	c.PPID = parent
	c.exitedAt = 0
	c.StartBootNs = 0 // not the parent's; the fork event (After) says when
	// The parent's cached ancestry is not the child's, and its slices must not be shared.
	c.ctxGen, c.ctxParent, c.ctxNames, c.ctxComms = 0, nil, nil, nil
	c.ancestor = false
	if !pp.Known {
		// The parent is unknown to us; the child may still be readable.
		if info, err := procinfo.Read(t.procRoot, child, t.limits); err == nil {
			return t.fromInfo(info)
		}
	}
	return c
}

// ExecInfo is what an exec changes.
type ExecInfo struct {
	PPID             uint32
	ExePath          string
	CmdLine          string
	CmdLineTruncated bool
	// Cwd and ContainerID replace the known ones when not empty.
	Cwd         string
	ContainerID string
	Interactive bool
}

// Exec records that pid now runs a new image.
func (t *Table) Exec(pid uint32, e ExecInfo) *Process {
	p := t.Get(pid)
	if p == nil {
		p = t.insert(pid)
		// Its fork was not seen (fork events not selected, or lost): procfs knows its start.
		p.StartBootNs, _ = procinfo.ReadStart(t.procRoot, pid)
	}
	t.gen++
	if p.ancestor && t.hasChildren(pid) {
		// the kernel counts an exec under children it knows of; the table may hold others
		t.lineage++
	}
	p.PPID = e.PPID
	p.setExe(e.ExePath)
	p.CmdLine = e.CmdLine
	p.CmdLineTruncated = e.CmdLineTruncated
	if e.Cwd != "" {
		p.Cwd = e.Cwd
	}
	if e.ContainerID != "" {
		p.ContainerID = e.ContainerID
	}
	p.Interactive = e.Interactive
	p.Known = true
	p.exitedAt = 0
	return p
}

// Exit marks pid as exited at now (ns, any monotonic clock the caller also passes to Sweep).
// The entry stays for the grace period.
func (t *Table) Exit(pid uint32, now int64) {
	i, ok := t.idx[pid]
	if !ok || t.entries[i].exitedAt != 0 {
		return
	}
	if now == 0 {
		now = 1
	}
	t.entries[i].exitedAt = now
	t.dead = append(t.dead, i)
}

// Sweep removes the processes that exited more than the grace period before now.
func (t *Table) Sweep(now int64) {
	var gone []uint32 // removed ancestors: a lineage changed if the table holds a child of one
	k := 0
	for ; k < len(t.dead); k++ {
		i := t.dead[k]
		p := &t.entries[i]
		if p.exitedAt == 0 {
			continue // evicted, or its pid was re-used by a live process
		}
		if now-p.exitedAt < t.grace {
			break
		}
		removed := p.PID
		ancestor := p.ancestor
		t.remove(i)
		if ancestor {
			gone = append(gone, removed)
		}
	}
	t.dead = append(t.dead[:0], t.dead[k:]...)
	for _, pid := range gone {
		if t.hasChildren(pid) {
			t.lineage++
			break
		}
	}
}

// SetParent records p's current parent (the kernel reports it with every event; a process is
// re-parented when its parent dies).
func (t *Table) SetParent(p *Process, ppid uint32) {
	if p.PPID != ppid {
		p.PPID = ppid
		t.gen++
		if p.ancestor {
			t.lineage++
		}
	}
}

// Context returns p's parent (nil when unknown) and the executable names of its parent,
// grandparent, ... nearest first, at most depth of them. The result is cached in p until the
// table changes, so a process's burst of events walks its ancestry once; the slice is valid
// until the next call that changes the table. AncestorComms has the same ancestors' comms.
func (t *Table) Context(p *Process, depth int) (*Process, []string) {
	if p.ctxGen == t.gen && p.ctxNames != nil {
		return p.ctxParent, p.ctxNames
	}
	p.ctxGen = t.gen
	p.ctxParent = nil
	if p.PPID != 0 && p.PPID != p.PID {
		p.ctxParent = t.Peek(p.PPID)
	}
	names, comms := p.ctxNames[:0], p.ctxComms[:0]
	if names == nil {
		names, comms = make([]string, 0, depth), make([]string, 0, depth)
	}
	p.ctxCommsDiffer = false
	t.Ancestors(p.PPID, depth, func(a *Process) {
		a.ancestor = true
		if a.ExeName == "" { // a placeholder: a process we know nothing about
			return
		}
		names = append(names, a.ExeName)
		c := a.Comm
		if c == "" {
			c = kevent.CommOf(a.ExeName) // not seen: what its exec gave it
		}
		comms = append(comms, c)
		p.ctxCommsDiffer = p.ctxCommsDiffer || c != kevent.CommOf(a.ExeName)
	})
	p.ctxNames, p.ctxComms = names, comms
	return p.ctxParent, names
}

// AncestorComms is the comms of the ancestors the last Context of p walked, one for each of
// its executable names; nil when each is just its executable's name cut to 15 bytes, as for
// most processes (valid as Context's result is).
func (p *Process) AncestorComms() []string {
	if !p.ctxCommsDiffer {
		return nil
	}
	return p.ctxComms
}

// CommDiffers reports whether p's comm says more than its executable's name does: the comm
// is known and is not that name cut to 15 bytes, or there is no executable path.
func (p *Process) CommDiffers() bool {
	return p.Comm != "" && (p.ExePath == "" || p.Comm != kevent.CommOf(p.ExeName))
}

// SetComm records p's comm (b, from a record of its main thread); ancestry caches are stale
// when it changed.
func (t *Table) SetComm(p *Process, b []byte) {
	if len(b) == 0 || string(b) == p.Comm {
		return
	}
	p.Comm = validutf8.FromBytes(b)
	t.gen++
}

// Ancestors calls fn with the process ppid, then its parent, ... for at most depth steps,
// stopping at pid 0 or the first process the table does not hold.
func (t *Table) Ancestors(ppid uint32, depth int, fn func(*Process)) {
	for d := 0; d < depth && ppid != 0; d++ {
		p := t.Peek(ppid)
		if p == nil {
			t.noteMissing(ppid)
			return
		}
		fn(p)
		if p.PPID == p.PID {
			return
		}
		ppid = p.PPID
	}
}

// insert returns the entry for pid, reset, creating it (and evicting the least recently used
// entry when full) if needed.
func (t *Table) insert(pid uint32) *Process {
	t.gen++
	if _, ok := t.missing[pid]; ok || len(t.missing) > maxMissing {
		t.lineage++
		clear(t.missing)
	}
	if i, ok := t.idx[pid]; ok {
		t.order.Touch(i)
		if t.entries[i].ancestor && t.hasChildren(pid) {
			t.lineage++
		}
		t.entries[i] = Process{PID: pid}
		return &t.entries[i]
	}
	if len(t.free) == 0 {
		victim := t.order.Oldest()
		if t.entries[victim].exitedAt == 0 {
			t.evictions.Add(1)
		}
		victimPID := t.entries[victim].PID
		ancestor := t.entries[victim].ancestor
		t.remove(victim)
		if ancestor && t.hasChildren(victimPID) {
			t.lineage++
		}
	}
	i := t.free[len(t.free)-1]
	t.free = t.free[:len(t.free)-1]
	t.entries[i] = Process{PID: pid}
	t.order.PushFront(i)
	t.idx[pid] = i
	t.size.Add(1)
	return &t.entries[i]
}

// noteMissing remembers that a Context stopped at pid.
func (t *Table) noteMissing(pid uint32) {
	if t.missing == nil {
		t.missing = make(map[uint32]struct{})
	}
	if len(t.missing) <= maxMissing {
		t.missing[pid] = struct{}{}
	}
}

// hasChildren reports whether the table holds a process whose parent is pid.
func (t *Table) hasChildren(pid uint32) bool {
	for _, i := range t.idx {
		if p := &t.entries[i]; p.PPID == pid && p.PID != pid {
			return true
		}
	}
	return false
}

// remove forgets entry i; Sweep, which removes exited processes, says itself whether a
// lineage changed.
func (t *Table) remove(i int32) {
	t.gen++
	t.order.Remove(i)
	delete(t.idx, t.entries[i].PID)
	t.entries[i] = Process{}
	t.free = append(t.free, i)
	t.size.Add(-1)
}
