//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/bpf"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
)

// Features is what Probe found.
type Features struct {
	Privileged bool // root, or CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN)
	BTF        bool // /sys/kernel/btf/vmlinux
	RingBuf    bool
	TPBTF      bool   // tp_btf programs (BPF_PROG_TYPE_TRACING)
	Tracefs    string // mount point of tracefs, "" when none
	// RdonlyCast: the kernel has the bpf_rdonly_cast kfunc (Linux 6.2+), so the programs read
	// the syscall arguments without a helper call (lib/syscall.h, uregs); load sets it false
	// if the programs do not load with it.
	RdonlyCast bool
}

// Probe reports the kernel features the programs need, mounting tracefs when it is not mounted.
// err is one sentence naming what is missing for the receiver to run at all.
func Probe() (Features, error) {
	var f Features
	f.Privileged = privileged()
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err == nil {
		f.BTF = true
	}
	var missing []string
	if !f.Privileged {
		missing = append(missing, "root or CAP_BPF+CAP_PERFMON")
	} else {
		// Unprivileged, tracefs is unreadable anyway: that is not a second problem.
		f.Tracefs = ensureTracefs()
	}
	if !f.BTF {
		missing = append(missing, "kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)")
	}
	if f.Privileged && f.Tracefs == "" {
		missing = append(missing, "tracefs (mount -t tracefs tracefs /sys/kernel/tracing)")
	}
	if f.Privileged {
		_ = rlimit.RemoveMemlock()
		f.RingBuf = haveMapType(ebpf.RingBuf)
		// tp_btf is only known by loading one (the generic Tracing probe uses fentry, which
		// lockdown may refuse while tp_btf works): load sets this false if it must drop them.
		f.TPBTF = f.BTF
		f.RdonlyCast = f.BTF && haveKfunc("bpf_rdonly_cast")
		if !f.RingBuf {
			missing = append(missing, "BPF ring buffers (Linux 5.8+)")
		}
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("the syscall receiver cannot trace this kernel: missing %s", strings.Join(missing, ", "))
	}
	return f, nil
}

func privileged() bool {
	if os.Geteuid() == 0 {
		return true
	}
	st, ok := procinfo.ReadStatus("/proc", 0)
	if !ok {
		return false
	}
	const sysAdmin, perfmon, bpfCap = 1 << 21, 1 << 38, 1 << 39
	return st.CapEff&sysAdmin != 0 || (st.CapEff&perfmon != 0 && st.CapEff&bpfCap != 0)
}

func ensureTracefs() string {
	for _, p := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(filepath.Join(p, "events")); err == nil {
			return p
		}
	}
	if err := mountTracefs("/sys/kernel/tracing"); err == nil {
		if _, err := os.Stat("/sys/kernel/tracing/events"); err == nil {
			return "/sys/kernel/tracing"
		}
	}
	return ""
}

// forceRegsHelper makes load behave as on a kernel without bpf_rdonly_cast (tests of the
// fallback).
var forceRegsHelper bool

// hook is one attachment: a program of the object and the section that says where it goes.
type hook struct {
	prog    string
	section string
}

// plan is what load attaches, derived from the selected events and what this kernel has.
type plan struct {
	selected   []*events.Spec
	attach     []hook
	haveExcl   bool
	trackCreds bool
	emit       uint64 // bit per kind, for the sched programs shared by several purposes
	prio       uint64 // bit per kind written to the priority ring
}

// load runs Probe, loads the selected programs, fills the filter maps, opens the reader and
// attaches. On error the caller closes whatever was set up.
func (t *Tracer) load() error {
	feat, err := Probe()
	if err != nil {
		return err
	}
	if forceRegsHelper {
		feat.RdonlyCast = false
	}
	spec, err := bpf.LoadOtelsec()
	if err != nil {
		return fmt.Errorf("reading the embedded eBPF object: %w", err)
	}
	p, err := t.plan(feat, spec)
	if err != nil {
		return err
	}
	if err := t.configure(spec, p, feat); err != nil {
		return err
	}
	coll, err := t.loadCollection(spec, p)
	if err != nil && feat.RdonlyCast {
		// The kfunc is there but this kernel refuses it here: the helper it replaces.
		feat.RdonlyCast = false
		if err := spec.Variables[bpf.OtelsecVarRegsCast].Set(uint32(0)); err != nil {
			return fmt.Errorf("setting regs_cast: %w", err)
		}
		coll, err = t.loadCollection(spec, p)
	}
	if err != nil {
		return err
	}
	if !feat.RdonlyCast {
		t.fallbacks = append(t.fallbacks, "no bpf_rdonly_cast kfunc (Linux 6.2+): the syscall arguments are read through bpf_task_pt_regs, one more helper call per record")
	}
	t.progs = coll // after Assign: the programs, closed with the tracer
	if err := coll.Assign(&t.maps); err != nil {
		return fmt.Errorf("eBPF object: %w", err)
	}
	if p.haveExcl {
		if err := t.fillExclusions(); err != nil {
			return err
		}
	}
	if p.trackCreds {
		seedCreds(t.maps.Creds)
	}
	asleep, ok := spec.Variables[bpf.OtelsecVarReaderAsleep]
	if !ok || coll.Maps[asleep.SectionName] == nil {
		return errors.New("the eBPF object has no reader_asleep variable")
	}
	rs, err := openRings(coll.Maps[asleep.SectionName], uint32(asleep.Offset), t.maps.Events, t.maps.EventsPrio)
	if err != nil {
		return err
	}
	t.rings = rs
	gen, ok := spec.Variables[bpf.OtelsecVarLineageGen]
	if !ok || gen.SectionName != asleep.SectionName {
		return errors.New("the eBPF object has no lineage_gen next to reader_asleep")
	}
	if t.verdicts.gen, err = rs.bssWord(uint32(gen.Offset)); err != nil {
		return err
	}
	return t.attachAll(coll, p)
}

// plan picks the programs of the selected events whose hook exists here: a missing syscall
// tracepoint (arm64 lacks open, chmod, ...) or missing tp_btf support drops that attachment
// only. The sched programs run for exclusions and credential bookkeeping even when their
// events are not selected.
func (t *Tracer) plan(feat Features, spec *ebpf.CollectionSpec) (*plan, error) {
	progOf := map[string]string{} // section -> program
	for name, ps := range spec.Programs {
		progOf[ps.SectionName] = name
	}
	p := &plan{selected: t.selected(), haveExcl: len(t.opts.ExcludeExecutablePrefixes) > 0}
	var sections []string
	for _, s := range p.selected {
		p.emit |= 1 << uint(s.Kind)
		if s.Priority {
			p.prio |= 1 << uint(s.Kind)
		}
		sections = append(sections, s.Hooks...)
		p.trackCreds = p.trackCreds || s.Domain() == "privilege"
	}
	if p.haveExcl || p.trackCreds {
		for _, h := range events.SchedHooks {
			if !slices.Contains(sections, h) {
				sections = append(sections, h)
			}
		}
	}
	for _, sec := range sections {
		prog, ok := progOf[sec]
		if !ok {
			return nil, fmt.Errorf("the eBPF object has no program for %s", sec)
		}
		if tp, ok := events.Tracepoint(sec); ok {
			if _, err := os.Stat(filepath.Join(feat.Tracefs, "events", "syscalls", tp)); err != nil {
				continue
			}
		} else if !feat.TPBTF {
			continue
		}
		p.attach = append(p.attach, hook{prog: prog, section: sec})
	}
	return p, nil
}

// configure keeps only the planned programs and sets the ring size and load-time variables.
func (t *Tracer) configure(spec *ebpf.CollectionSpec, p *plan, feat Features) error {
	for name := range spec.Programs {
		if !slices.ContainsFunc(p.attach, func(h hook) bool { return h.prog == name }) {
			delete(spec.Programs, name)
		}
	}
	v, err := newVerdictSeeds()
	if err != nil {
		return err
	}
	t.verdicts = v
	var s struct {
		bpf.OtelsecMapSpecs
		bpf.OtelsecVariableSpecs
	}
	if err := spec.Assign(&s); err != nil {
		return fmt.Errorf("eBPF object: %w", err)
	}
	s.Events.MaxEntries = uint32(t.opts.RingBufferSize)
	s.EventsPrio.MaxEntries = uint32(t.opts.PriorityRingBufferSize)
	wake := uint64(float64(t.opts.RingBufferSize) * t.opts.WakeupFraction)
	wakePrio := uint64(float64(t.opts.PriorityRingBufferSize) * t.opts.WakeupFraction)
	set := []struct {
		v   *ebpf.VariableSpec
		val any
	}{
		{s.SelfTgid, uint32(max(t.opts.SelfPID, 0))},
		{s.HaveExcl, boolU32(p.haveExcl)},
		{s.EmitMask, p.emit},
		{s.MaxPath, uint32(t.opts.MaxPathBytes)},
		{s.MaxArgBytes, uint32(t.opts.MaxArgBytes)},
		{s.MaxEnvBytes, uint32(t.opts.MaxEnvBytes)},
		{s.PrioMask, p.prio},
		{s.WakeupBytes, wake},
		{s.WakeupBytesPrio, wakePrio},
		// Checking the fill level every 32 records per CPU is plenty once the wakeup mark is
		// far above 32 records (~16 KiB); small rings check every record.
		{s.QueryEvery, uint32(min(32, max(1, wake/(16<<10))))},
		{s.TrackCreds, boolU32(p.trackCreds)},
		{s.RegsCast, boolU32(feat.RdonlyCast)},
		{s.VerdictSeed1, t.verdicts.seed1},
		{s.VerdictSeed2, t.verdicts.seed2},
	}
	for _, v := range set {
		if err := v.v.Set(v.val); err != nil {
			return fmt.Errorf("setting %s: %w", v.v.Name, err)
		}
	}
	return nil
}

// loadCollection loads the programs. A kernel without tp_btf (or without these BTF
// tracepoints) still runs the syscall programs: exec success, fork and exit become unavailable.
func (t *Tracer) loadCollection(spec *ebpf.CollectionSpec, p *plan) (*ebpf.Collection, error) {
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{})
	if err != nil && dropTPBTF(spec, p) {
		coll, err = ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{})
	}
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			// %v keeps the verifier's last lines; the full log (%+v) is thousands of lines.
			return nil, fmt.Errorf("the kernel's verifier rejected an otelsec eBPF program (kernel too old or unusual?): %v", ve)
		}
		return nil, fmt.Errorf("loading the eBPF programs: %w", err)
	}
	return coll, nil
}

// attachAll attaches the planned programs. Hooks that do not exist here leave their events in
// Unavailable; hooks that exist but all failed to attach mean something is wrong with this
// setup.
func (t *Tracer) attachAll(coll *ebpf.Collection, p *plan) error {
	attached := map[string]bool{}
	var failed []string
	for _, h := range p.attach {
		prog := coll.Programs[h.prog]
		var (
			l   link.Link
			err error
		)
		if tp, ok := events.Tracepoint(h.section); ok {
			l, err = link.Tracepoint("syscalls", tp, prog, nil)
		} else {
			l, err = link.AttachTracing(link.TracingOptions{Program: prog})
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s (%v)", h.section, err))
			continue
		}
		t.links = append(t.links, l)
		attached[h.section] = true
	}
	for _, s := range p.selected {
		if !slices.ContainsFunc(s.Hooks, func(h string) bool { return attached[h] }) {
			t.unavailable = append(t.unavailable, s.Name)
		}
	}
	if len(p.attach) > 0 && len(t.links) == 0 {
		return fmt.Errorf("the syscall receiver could not attach any eBPF program: %s", strings.Join(failed, ", "))
	}
	return nil
}

// selected returns the specs of the selected events, all of them when none is named.
func (t *Tracer) selected() []*events.Spec {
	if len(t.opts.Events) == 0 {
		return events.All()
	}
	var out []*events.Spec
	for _, n := range t.opts.Events {
		if s := events.ByName(n); s != nil && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// fillExclusions loads the prefixes into the LPM trie and marks the running processes whose
// executable matches (later ones are marked by the exec program).
func (t *Tracer) fillExclusions() error {
	for _, p := range t.opts.ExcludeExecutablePrefixes {
		var k bpf.OtelsecLpmKey
		k.Prefixlen = uint32(len(p) * 8)
		copy(k.Data[:], p)
		if err := t.maps.ExclPrefixes.Put(&k, uint8(1)); err != nil {
			return fmt.Errorf("loading excluded prefix %q: %w", p, err)
		}
	}
	pids, err := procinfo.ListPIDs("/proc")
	if err != nil {
		return nil // the exec program still marks new processes
	}
	for _, pid := range pids {
		exe := procinfo.Exe("/proc", pid)
		if exe == "" {
			continue
		}
		for _, p := range t.opts.ExcludeExecutablePrefixes {
			if strings.HasPrefix(exe, p) {
				_ = t.maps.Excluded.Put(pid, uint8(1))
				break
			}
		}
	}
	return nil
}

func boolU32(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// haveKfunc: the kernel's BTF has the function name (a kfunc the programs may call; the
// loader resolves it the same way).
func haveKfunc(name string) bool {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return false
	}
	var fn *btf.Func
	return spec.TypeByName(name, &fn) == nil
}

func haveMapType(mt ebpf.MapType) bool {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: mt, MaxEntries: 4096})
	if err != nil {
		return false
	}
	m.Close()
	return true
}

// dropTPBTF removes the tp_btf programs from spec and p; false if there were none.
func dropTPBTF(spec *ebpf.CollectionSpec, p *plan) bool {
	dropped := false
	for name, ps := range spec.Programs {
		if events.IsTPBTF(ps.SectionName) {
			delete(spec.Programs, name)
			dropped = true
		}
	}
	p.attach = slices.DeleteFunc(p.attach, func(h hook) bool { return events.IsTPBTF(h.section) })
	return dropped
}

func mountTracefs(dir string) error {
	return unix.Mount("tracefs", dir, "tracefs", 0, "")
}

// seedCreds records the credentials of the running processes, so that the first set*id or
// capset of a process that was not exec'd under the tracer has a "before".
func seedCreds(m *ebpf.Map) {
	pids, err := procinfo.ListPIDs("/proc")
	if err != nil {
		return
	}
	for _, pid := range pids {
		if st, ok := procinfo.ReadStatus("/proc", pid); ok {
			v := bpf.OtelsecPreCreds{Uid: st.UID, Euid: st.EUID, Gid: st.GID, Egid: st.EGID, CapEff: st.CapEff}
			_ = m.Update(pid, &v, ebpf.UpdateNoExist)
		}
	}
}
