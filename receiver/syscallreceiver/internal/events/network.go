package events

import (
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

var networkSpecs = []Spec{
	{
		Kind: kevent.KindNetworkSocket, Name: schema.EventNetworkSocket,
		Hooks: sysExit("socket"),
		Attrs: []string{schema.AttrNetworkSocketFamily, schema.AttrNetworkTransport, schema.AttrNetworkType},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.Family = uint16(r.A[0])
			ev.SockType = uint16(r.A[1] & sockTypeMask)
			ev.Flags = r.A[1] &^ sockTypeMask // SOCK_NONBLOCK, SOCK_CLOEXEC
			ev.Protocol = uint16(r.A[2])
		},
		fill: func(a *Attrs, ev *kevent.Event) { a.Network(ev) },
	},
	{
		Kind: kevent.KindNetworkConnect, Name: schema.EventNetworkConnect,
		Hooks:  sysExit("connect"),
		Attrs:  peerAttrs,
		decode: decodeSocketCall,
		fill:   fillPeer,
	},
	{
		Kind: kevent.KindNetworkAccept, Name: schema.EventNetworkAccept,
		Hooks: sysExit("accept", "accept4"),
		Attrs: []string{schema.AttrNetworkSocketFamily, schema.AttrNetworkTransport, schema.AttrNetworkType,
			schema.AttrNetworkLocalAddress, schema.AttrNetworkLocalPort, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort},
		decode: decodeWithFlags,
		fill: func(a *Attrs, ev *kevent.Event) {
			fillLocal(a, ev)
			a.Addr(schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)
		},
	},
	{
		Kind: kevent.KindNetworkBind, Name: schema.EventNetworkBind,
		Hooks:  sysExit("bind"),
		Attrs:  localAttrs,
		decode: decodeSocketCall,
		fill:   fillLocal,
	},
	{
		Kind: kevent.KindNetworkListen, Name: schema.EventNetworkListen,
		Priority: true,
		Hooks:    sysExit("listen"),
		Attrs:    append(localAttrs[:len(localAttrs):len(localAttrs)], schema.AttrNetworkListenBacklog),
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			decodeSocketCall(ev, r)
			ev.Backlog = int32(r.A[4])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			fillLocal(a, ev)
			a.Int(schema.AttrNetworkListenBacklog, int64(ev.Backlog))
		},
	},
	{
		Kind: kevent.KindNetworkSend, Name: schema.EventNetworkSend,
		Hooks:  sysExit("sendto", "sendmsg"),
		Note:   "only with a destination address (a send on a connected socket is not an event)",
		Attrs:  peerAttrs,
		decode: decodeWithFlags,
		fill:   fillPeer,
	},
}

// sockTypeMask keeps SOCK_STREAM, SOCK_DGRAM, ... of socket(2)'s type, without
// SOCK_NONBLOCK/SOCK_CLOEXEC.
const sockTypeMask = 0xff

var (
	peerAttrs  = []string{schema.AttrNetworkSocketFamily, schema.AttrNetworkTransport, schema.AttrNetworkType, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort}
	localAttrs = []string{schema.AttrNetworkSocketFamily, schema.AttrNetworkTransport, schema.AttrNetworkType, schema.AttrNetworkLocalAddress, schema.AttrNetworkLocalPort}
)

// decodeSocketCall: the calls on a socket fd, with its family, type and protocol read from the
// socket, the peer (the address asked for, the destination, the remote end) and the local
// address (asked for by bind, bound for listen and accept).
func decodeSocketCall(ev *kevent.Event, r *kevent.Raw) {
	ev.FD = int32(r.A[0])
	ev.Family = uint16(r.A[1])
	ev.SockType = uint16(r.A[2])
	ev.Protocol = uint16(r.A[3])
	ev.Peer = kevent.ParseSockaddr(r.Slots[kevent.SlotX])
	ev.Local = kevent.ParseSockaddr(r.Slots[kevent.SlotY])
}

// decodeWithFlags: accept4's SOCK_* and send's MSG_* flags, kept on the Event for rules that
// run on it; they are not part of the record contract.
func decodeWithFlags(ev *kevent.Event, r *kevent.Raw) {
	decodeSocketCall(ev, r)
	ev.Flags = r.A[4]
}

func fillPeer(a *Attrs, ev *kevent.Event) {
	a.Network(ev)
	a.Addr(schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)
}

func fillLocal(a *Attrs, ev *kevent.Event) {
	a.Network(ev)
	a.Addr(schema.AttrNetworkLocalAddress, schema.AttrNetworkLocalPort, ev.Local)
}
