package events

import (
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// O_CREAT and O_TMPFILE: the opens that create a file, and so have a mode.
const oCreat, oTmpfile = 0o100, 0o20200000

var fileSpecs = []Spec{
	{
		Kind: kevent.KindFileOpen, Name: schema.EventFileOpen,
		Hooks: sysExit("open", "creat", "openat", "openat2"),
		Attrs: []string{schema.AttrFilePath, schema.AttrFilePathAsGiven, schema.AttrFileFlags, schema.AttrFileMode},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.DirFD = int32(r.A[0])
			ev.Flags = r.A[1]
			ev.Mode = uint32(r.A[2])
			ev.LineageGen, ev.ExecID, ev.GroupStart = r.A[3], uint32(r.A[4]), r.A[5]
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.PathAsGiven(schema.AttrFilePathAsGiven, ev.Path, ev.PathBase)
			a.List(schema.AttrFileFlags)
			a.Elem(kevent.OpenAccMode(ev.Flags))
			kevent.FlagNames(ev.Flags, kevent.OpenFlags, a.Elem)
			if ev.Flags&oCreat != 0 || ev.Flags&oTmpfile == oTmpfile {
				a.Mode(schema.AttrFileMode, ev.Mode)
			}
		},
	},
	{
		Kind: kevent.KindFileUnlink, Name: schema.EventFileUnlink,
		Hooks: sysExit("unlink", "unlinkat", "rmdir"),
		Attrs: []string{schema.AttrFilePath, schema.AttrFileFlags},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.DirFD = int32(r.A[0])
			ev.Flags = r.A[1] // AT_REMOVEDIR, set for rmdir too
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.FlagsIfAny(schema.AttrFileFlags, ev.Flags, kevent.AtFlags)
		},
	},
	{
		Kind: kevent.KindFileRename, Name: schema.EventFileRename,
		Hooks:  sysExit("rename", "renameat", "renameat2"),
		Attrs:  []string{schema.AttrFilePath, schema.AttrFileSourcePath, schema.AttrFileFlags},
		decode: decodeTwoPaths,
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.Path(schema.AttrFileSourcePath, ev.Path2, ev.Path2Base)
			a.FlagsIfAny(schema.AttrFileFlags, ev.Flags, kevent.RenameFlags)
		},
	},
	{
		Kind: kevent.KindFileLink, Name: schema.EventFileLink,
		Priority: true,
		Hooks:    sysExit("link", "linkat"),
		Attrs:    []string{schema.AttrFilePath, schema.AttrFileLinkTargetPath, schema.AttrFileFlags},
		decode:   decodeTwoPaths,
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.Path(schema.AttrFileLinkTargetPath, ev.Path2, ev.Path2Base)
			a.FlagsIfAny(schema.AttrFileFlags, ev.Flags, kevent.AtFlags)
		},
	},
	{
		Kind: kevent.KindFileSymlink, Name: schema.EventFileSymlink,
		Priority: true,
		Hooks:    sysExit("symlink", "symlinkat"),
		Attrs:    []string{schema.AttrFilePath, schema.AttrFileSymlinkTargetPath},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.SymlinkTarget = r.Slots[kevent.SlotX]
			ev.DirFD = int32(r.A[0])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.StrField(schema.AttrFileSymlinkTargetPath, ev.SymlinkTarget)
		},
	},
	{
		Kind: kevent.KindFileChmod, Name: schema.EventFileChmod,
		Priority: true,
		Hooks:    sysExit("chmod", "fchmod", "fchmodat", "fchmodat2"),
		Attrs:    []string{schema.AttrFilePath, schema.AttrFileMode, schema.AttrFileFlags},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.DirFD = int32(r.A[0])
			ev.Mode = uint32(r.A[1])
			ev.Flags = r.A[2]
			ev.FD = int32(r.A[3])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.Mode(schema.AttrFileMode, ev.Mode)
			a.FlagsIfAny(schema.AttrFileFlags, ev.Flags, kevent.AtFlags)
		},
	},
	{
		Kind: kevent.KindFileChown, Name: schema.EventFileChown,
		Priority: true,
		Hooks:    sysExit("chown", "fchown", "lchown", "fchownat"),
		Attrs:    []string{schema.AttrFilePath, schema.AttrFileOwnerID, schema.AttrFileGroupID, schema.AttrFileFlags},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.DirFD = int32(r.A[0])
			ev.OwnerUID = uint32(r.A[1])
			ev.OwnerGID = uint32(r.A[2])
			ev.Flags = r.A[3]
			ev.FD = int32(r.A[4])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.ID(schema.AttrFileOwnerID, ev.OwnerUID)
			a.ID(schema.AttrFileGroupID, ev.OwnerGID)
			a.FlagsIfAny(schema.AttrFileFlags, ev.Flags, kevent.AtFlags)
		},
	},
	{
		Kind: kevent.KindFileMkdir, Name: schema.EventFileMkdir,
		Hooks: sysExit("mkdir", "mkdirat"),
		Attrs: []string{schema.AttrFilePath, schema.AttrFileMode},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.DirFD = int32(r.A[0])
			ev.Mode = uint32(r.A[1])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.Mode(schema.AttrFileMode, ev.Mode)
		},
	},
	{
		Kind: kevent.KindFileMount, Name: schema.EventFileMount,
		Priority: true,
		Hooks:    sysExit("mount", "umount2"),
		Attrs:    []string{schema.AttrFilePath, schema.AttrMountSource, schema.AttrMountFSType, schema.AttrMountFlags},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.MountSource = r.Slots[kevent.SlotPath2]
			ev.MountFSType = r.Slots[kevent.SlotX]
			ev.Flags = r.A[0] // MS_* for mount, MNT_* for umount2
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.StrField(schema.AttrMountSource, ev.MountSource)
			a.StrField(schema.AttrMountFSType, ev.MountFSType)
			table := kevent.MountFlags
			if ev.SyscallName() == "umount2" {
				table = kevent.UmountFlags
			}
			a.FlagsIfAny(schema.AttrMountFlags, ev.Flags, table)
		},
	},
	{
		Kind: kevent.KindFileMemfdCreate, Name: schema.EventFileMemfdCreate,
		Priority: true,
		Hooks:    sysExit("memfd_create"),
		Attrs:    []string{schema.AttrFileName, schema.AttrFileFlags},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.Name = r.Slots[kevent.SlotX]
			ev.Flags = r.A[0]
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.StrField(schema.AttrFileName, ev.Name)
			a.FlagsIfAny(schema.AttrFileFlags, ev.Flags, kevent.MemfdFlags)
		},
	},
	{
		Kind: kevent.KindFdDup, Name: schema.EventFdDup,
		Priority: true,
		Hooks:    sysExit("dup", "dup2", "dup3"),
		Attrs:    []string{schema.AttrFdOld, schema.AttrFdNew, schema.AttrFdType, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.OldFD = int32(r.A[0])
			ev.NewFD = int32(r.A[1])
			ev.FDType = kevent.FDTypeOf(uint32(r.A[3]), uint32(r.A[4]))
			ev.Peer = kevent.ParseSockaddr(r.Slots[kevent.SlotX])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Int(schema.AttrFdOld, int64(ev.OldFD))
			a.Int(schema.AttrFdNew, int64(ev.NewFD))
			a.Str(schema.AttrFdType, ev.FDType.String())
			if ev.FDType == kevent.FDSocket && ev.Peer.Valid() {
				a.Addr(schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)
			}
		},
	},
}

// decodeTwoPaths: rename and link, the path created and the existing one.
func decodeTwoPaths(ev *kevent.Event, r *kevent.Raw) {
	ev.SetPath(r)
	ev.SetPath2(r)
	ev.DirFD = int32(r.A[0])
	ev.DirFD2 = int32(r.A[1])
	ev.Flags = r.A[2]
}
