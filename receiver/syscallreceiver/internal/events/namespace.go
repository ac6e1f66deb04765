package events

import (
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

var namespaceSpecs = []Spec{
	{
		Kind: kevent.KindNamespaceSetns, Name: schema.EventNamespaceSetns,
		Priority: true,
		Hooks:    sysExit("setns"),
		Attrs:    []string{schema.AttrNamespaceFlags},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.FD = int32(r.A[0])
			ev.Flags = r.A[1] // nstype
		},
		fill: fillNamespaces,
	},
	{
		Kind: kevent.KindNamespaceUnshare, Name: schema.EventNamespaceUnshare,
		Priority: true,
		Hooks:    sysExit("unshare", "clone", "clone3"),
		Note:     "clone and clone3 only with CLONE_NEW* flags",
		Attrs:    []string{schema.AttrNamespaceFlags},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.Flags = r.A[0]
		},
		fill: fillNamespaces,
	},
}

func fillNamespaces(a *Attrs, ev *kevent.Event) {
	a.Flags(schema.AttrNamespaceFlags, ev.Flags&kevent.CloneNewMask, kevent.NamespaceFlags)
}
