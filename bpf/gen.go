// Package bpf holds the otelsec eBPF programs and their bpf2go output, committed so that
// building the collector needs no clang. otelsec.bpf.c is the one compiled source: it includes
// one <domain>.bpf.h per event domain, which use the helpers in lib/. The benchmark-only
// object is in benchbpf.
//
// The Go twins of the record layout (lib/record.h) and of the map keys and values are
// generated: OtelsecRecHdr, OtelsecKind, OtelsecRecLayout, OtelsecSlot, OtelsecHflag,
// OtelsecRecNone, OtelsecRing, OtelsecPreCreds, OtelsecLpmKey, OtelsecQuietErrnos.
// Regenerate with `go generate ./bpf/...` (clang-16, libbpf headers).
package bpf

//go:generate go tool bpf2go -cc clang-16 -target amd64 -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" -type rec_hdr -type kind -type rec_layout -type slot -type hflag -type rec_none -type ring -type pre_creds -type lpm_key -type quiet_errnos -type lineage_class -type open_key Otelsec otelsec.bpf.c -- -I/usr/include/x86_64-linux-gnu
