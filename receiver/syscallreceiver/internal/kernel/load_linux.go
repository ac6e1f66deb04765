//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/bpf"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// hook is one program attachment: a syscalls:<tp> tracepoint, or a tp_btf program when tp is "".
type hook struct {
	prog string
	tp   string
}

func sysExit(names ...string) []hook {
	h := make([]hook, len(names))
	for i, n := range names {
		h[i] = hook{prog: "exit_" + n, tp: "sys_exit_" + n}
	}
	return h
}

// hooks lists, per event, every attachment that produces it. Keep doc.go's table in sync.
var hooks = map[kevent.Kind][]hook{
	kevent.KindProcessExec:   append([]hook{{prog: "on_exec"}}, sysExit("execve", "execveat")...),
	kevent.KindProcessFork:   {{prog: "on_fork"}},
	kevent.KindProcessExit:   {{prog: "on_exit"}},
	kevent.KindProcessPtrace: sysExit("ptrace"),

	kevent.KindFileOpen:        sysExit("open", "openat", "openat2"),
	kevent.KindFileUnlink:      sysExit("unlink", "unlinkat", "rmdir"),
	kevent.KindFileRename:      sysExit("rename", "renameat", "renameat2"),
	kevent.KindFileLink:        sysExit("link", "linkat"),
	kevent.KindFileSymlink:     sysExit("symlink", "symlinkat"),
	kevent.KindFileChmod:       sysExit("chmod", "fchmod", "fchmodat", "fchmodat2"),
	kevent.KindFileChown:       sysExit("chown", "fchown", "lchown", "fchownat"),
	kevent.KindFileMkdir:       sysExit("mkdir", "mkdirat"),
	kevent.KindFileMount:       append(sysExit("mount"), hook{prog: "exit_umount2", tp: "sys_exit_umount"}),
	kevent.KindFileMemfdCreate: sysExit("memfd_create"),
	kevent.KindFdDup:           sysExit("dup", "dup2", "dup3"),

	kevent.KindNetworkSocket:  sysExit("socket"),
	kevent.KindNetworkConnect: sysExit("connect"),
	kevent.KindNetworkAccept:  sysExit("accept", "accept4"),
	kevent.KindNetworkBind:    sysExit("bind"),
	kevent.KindNetworkListen:  sysExit("listen"),
	kevent.KindNetworkSend:    sysExit("sendto", "sendmsg"),

	kevent.KindPrivilegeSetuid: sysExit("setuid", "setreuid", "setresuid", "setfsuid"),
	kevent.KindPrivilegeSetgid: sysExit("setgid", "setregid", "setresgid", "setfsgid"),
	kevent.KindPrivilegeCapset: sysExit("capset"),

	kevent.KindNamespaceSetns:   sysExit("setns"),
	kevent.KindNamespaceUnshare: sysExit("unshare", "clone", "clone3"),

	kevent.KindKernelModuleLoad:   sysExit("init_module", "finit_module"),
	kevent.KindKernelModuleUnload: sysExit("delete_module"),
	kevent.KindKernelBPF:          sysExit("bpf"),
}

// schedProgs run for exclusion and credential bookkeeping even when their events are not
// selected.
var schedProgs = []string{"on_exec", "on_fork", "on_exit"}

// Features is what Probe found.
type Features struct {
	Privileged bool // root, or CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN)
	BTF        bool // /sys/kernel/btf/vmlinux
	RingBuf    bool
	TPBTF      bool   // tp_btf programs (BPF_PROG_TYPE_TRACING)
	Tracefs    string // mount point of tracefs, "" when none
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
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return false
			}
			const sysAdmin, perfmon, bpfCap = 1 << 21, 1 << 38, 1 << 39
			return caps&sysAdmin != 0 || (caps&perfmon != 0 && caps&bpfCap != 0)
		}
	}
	return false
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

// load runs Probe, loads the selected programs, fills the filter maps, opens the reader and
// attaches. On error the caller closes whatever was set up.
func (t *Tracer) load() error {
	feat, err := Probe()
	if err != nil {
		return err
	}
	spec, err := bpf.LoadOtelsec()
	if err != nil {
		return fmt.Errorf("reading the embedded eBPF object: %w", err)
	}

	selected := t.selectedKinds()
	var emit uint64
	want := map[string]bool{}
	var plan []hook
	for _, k := range selected {
		emit |= 1 << uint(k)
		plan = append(plan, hooks[k]...)
	}
	haveExcl := len(t.opts.ExcludeExecutablePrefixes) > 0
	trackCreds := slices.ContainsFunc(selected, func(k kevent.Kind) bool {
		return k == kevent.KindPrivilegeSetuid || k == kevent.KindPrivilegeSetgid || k == kevent.KindPrivilegeCapset
	})
	if haveExcl || trackCreds {
		for _, p := range schedProgs {
			if !slices.ContainsFunc(plan, func(h hook) bool { return h.prog == p }) {
				plan = append(plan, hook{prog: p})
			}
		}
	}

	// Keep only programs whose hook exists here: a missing syscall tracepoint (arm64 lacks
	// open, chmod, ...) or missing tp_btf support drops that attachment only.
	var attach []hook
	for _, h := range plan {
		if h.tp == "" {
			if !feat.TPBTF {
				continue
			}
		} else if _, err := os.Stat(filepath.Join(feat.Tracefs, "events", "syscalls", h.tp)); err != nil {
			continue
		}
		attach = append(attach, h)
		want[h.prog] = true
	}
	for name := range spec.Programs {
		if !want[name] {
			delete(spec.Programs, name)
		}
	}

	spec.Maps["events"].MaxEntries = uint32(t.opts.RingBufferSize)
	wake := uint64(float64(t.opts.RingBufferSize) * t.opts.WakeupFraction)
	vars := map[string]any{
		"self_tgid":     uint32(max(t.opts.SelfPID, 0)),
		"have_excl":     boolU32(haveExcl),
		"emit_mask":     emit,
		"max_path":      uint32(t.opts.MaxPathBytes),
		"max_arg_bytes": uint32(t.opts.MaxArgBytes),
		"wakeup_bytes":  wake,
		// Checking the fill level every 32 records per CPU is plenty once the wakeup mark is
		// far above 32 records (~16 KiB); small rings check every record.
		"query_every": uint32(min(32, max(1, wake/(16<<10)))),
		"track_creds": boolU32(trackCreds),
	}
	for name, v := range vars {
		vs, ok := spec.Variables[name]
		if !ok {
			return fmt.Errorf("eBPF object lacks variable %s", name)
		}
		if err := vs.Set(v); err != nil {
			return fmt.Errorf("setting %s: %w", name, err)
		}
	}

	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{})
	if err != nil && dropTPBTF(spec, &attach) {
		// Kernels without tp_btf (or without these BTF tracepoints): the syscall programs
		// still work; exec success, fork and exit become unavailable.
		coll, err = ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{})
	}
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			// %v keeps the verifier's last lines; the full log (%+v) is thousands of lines.
			return fmt.Errorf("the kernel's verifier rejected an otelsec eBPF program (kernel too old or unusual?): %v", ve)
		}
		return fmt.Errorf("loading the eBPF programs: %w", err)
	}
	t.coll = coll
	t.drops = coll.Maps["drops"]

	if haveExcl {
		if err := t.fillExclusions(coll); err != nil {
			return err
		}
	}

	if trackCreds {
		seedCreds(coll.Maps["creds"])
	}

	rd, err := ringbuf.NewReader(coll.Maps["events"])
	if err != nil {
		return fmt.Errorf("opening the ring buffer reader: %w", err)
	}
	t.reader = rd

	attached := map[string]bool{}
	var failed []string
	for _, h := range attach {
		prog := coll.Programs[h.prog]
		var l link.Link
		if h.tp == "" {
			l, err = link.AttachTracing(link.TracingOptions{Program: prog})
		} else {
			l, err = link.Tracepoint("syscalls", h.tp, prog, nil)
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s (%v)", h.prog, err))
			continue
		}
		t.links = append(t.links, l)
		attached[h.prog] = true
	}
	for _, k := range selected {
		ok := false
		for _, h := range hooks[k] {
			if attached[h.prog] {
				ok = true
			}
		}
		if !ok {
			t.unavailable = append(t.unavailable, k.EventName())
		}
	}
	// Hooks that do not exist here leave their events in Unavailable; hooks that exist but all
	// failed to attach mean something is wrong with this setup.
	if len(attach) > 0 && len(t.links) == 0 {
		return fmt.Errorf("the syscall receiver could not attach any eBPF program: %s", strings.Join(failed, ", "))
	}
	return nil
}

func (t *Tracer) selectedKinds() []kevent.Kind {
	var ks []kevent.Kind
	if len(t.opts.Events) == 0 {
		for k := kevent.KindProcessExec; k.EventName() != ""; k++ {
			ks = append(ks, k)
		}
		return ks
	}
	for _, n := range t.opts.Events {
		k := kevent.KindOf(n)
		if !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	return ks
}

type lpmKey struct {
	Prefixlen uint32
	Data      [MaxExcludePrefixBytes]byte
}

// fillExclusions loads the prefixes into the LPM trie and marks the running processes whose
// executable matches (later ones are marked by the exec program).
func (t *Tracer) fillExclusions(coll *ebpf.Collection) error {
	trie := coll.Maps["excl_prefixes"]
	for _, p := range t.opts.ExcludeExecutablePrefixes {
		var k lpmKey
		k.Prefixlen = uint32(len(p) * 8)
		copy(k.Data[:], p)
		if err := trie.Put(&k, uint8(1)); err != nil {
			return fmt.Errorf("loading excluded prefix %q: %w", p, err)
		}
	}
	excluded := coll.Maps["excluded"]
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil // the exec program still marks new processes
	}
	for _, e := range ents {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err != nil {
			continue
		}
		for _, p := range t.opts.ExcludeExecutablePrefixes {
			if strings.HasPrefix(exe, p) {
				_ = excluded.Put(uint32(pid), uint8(1))
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

func haveMapType(mt ebpf.MapType) bool {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: mt, MaxEntries: 4096})
	if err != nil {
		return false
	}
	m.Close()
	return true
}

// dropTPBTF removes the tp_btf programs from spec and attach; false if there were none.
func dropTPBTF(spec *ebpf.CollectionSpec, attach *[]hook) bool {
	dropped := false
	for _, p := range schedProgs {
		if _, ok := spec.Programs[p]; ok {
			delete(spec.Programs, p)
			dropped = true
		}
	}
	*attach = slices.DeleteFunc(*attach, func(h hook) bool { return h.tp == "" })
	return dropped
}

func mountTracefs(dir string) error {
	return unix.Mount("tracefs", dir, "tracefs", 0, "")
}

// credsValue mirrors struct pre_creds.
type credsValue struct {
	UID, EUID, GID, EGID uint32
	CapEff, CapPrm       uint64
}

// seedCreds records the credentials of the running processes, so that the first set*id or
// capset of a process that was not exec'd under the tracer has a "before".
func seedCreds(m *ebpf.Map) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		if v, ok := parseStatusCreds(b); ok {
			_ = m.Update(uint32(pid), &v, ebpf.UpdateNoExist)
		}
	}
}

// parseStatusCreds reads the Uid, Gid, CapEff and CapPrm lines of /proc/<pid>/status.
func parseStatusCreds(b []byte) (credsValue, bool) {
	var v credsValue
	seen := 0
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		switch key {
		case "Uid", "Gid":
			if len(f) < 2 {
				return v, false
			}
			r, err1 := strconv.ParseUint(f[0], 10, 32)
			e, err2 := strconv.ParseUint(f[1], 10, 32)
			if err1 != nil || err2 != nil {
				return v, false
			}
			if key == "Uid" {
				v.UID, v.EUID = uint32(r), uint32(e)
			} else {
				v.GID, v.EGID = uint32(r), uint32(e)
			}
			seen++
		case "CapEff", "CapPrm":
			if len(f) < 1 {
				return v, false
			}
			c, err := strconv.ParseUint(f[0], 16, 64)
			if err != nil {
				return v, false
			}
			if key == "CapEff" {
				v.CapEff = c
			} else {
				v.CapPrm = c
			}
			seen++
		}
	}
	return v, seen == 4
}
