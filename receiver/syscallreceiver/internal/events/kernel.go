package events

import (
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

var kernelSpecs = []Spec{
	{
		Kind: kevent.KindKernelModuleLoad, Name: schema.EventKernelModuleLoad,
		Priority: true,
		Hooks:    sysExit("init_module", "finit_module"),
		Attrs:    []string{schema.AttrFilePath, schema.AttrKernelModuleArgs},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.FD = int32(r.A[0])
			ev.ModuleArgs = r.Slots[kevent.SlotX]
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
			a.StrField(schema.AttrKernelModuleArgs, ev.ModuleArgs)
		},
	},
	{
		Kind: kevent.KindKernelModuleUnload, Name: schema.EventKernelModuleUnload,
		Priority: true,
		Hooks:    sysExit("delete_module"),
		Attrs:    []string{schema.AttrKernelModuleName},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.Name = r.Slots[kevent.SlotX]
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.StrField(schema.AttrKernelModuleName, ev.Name)
		},
	},
	{
		Kind: kevent.KindKernelBPF, Name: schema.EventKernelBPF,
		Priority: true,
		Hooks:    sysExit("bpf"),
		Note:     "program loads, map creation, BTF loads, attachments; not lookups or queries",
		Attrs:    []string{schema.AttrBPFCommand, schema.AttrBPFProgramType, schema.AttrBPFMapType, schema.AttrBPFName},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.BPFCmd = uint32(r.A[0])
			ev.BPFType = uint32(r.A[1])
			ev.Name = r.Slots[kevent.SlotX]
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Str(schema.AttrBPFCommand, kevent.BPFCommandName(ev.BPFCmd))
			switch ev.BPFCmd {
			case kevent.BPFProgLoad:
				a.Str(schema.AttrBPFProgramType, kevent.BPFProgTypeName(ev.BPFType))
			case kevent.BPFMapCreate:
				a.Str(schema.AttrBPFMapType, kevent.BPFMapTypeName(ev.BPFType))
			}
			a.StrField(schema.AttrBPFName, ev.Name)
		},
	},
}
