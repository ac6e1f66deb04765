/* SPDX-License-Identifier: GPL-2.0-only */
/* The "before" credentials of the privilege events (see the creds map in maps.h). */
#ifndef OTELSEC_CREDS_H
#define OTELSEC_CREDS_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "maps.h"

/* remember_creds stores the credentials of t, the current task, as tgid's last known ones. */
static __always_inline void remember_creds(struct task_struct *t, __u32 tgid)
{
	const struct cred *c = t->cred;
	struct pre_creds pc = {
		.uid = c->uid.val,
		.euid = c->euid.val,
		.gid = c->gid.val,
		.egid = c->egid.val,
		.cap_eff = c->cap_effective.val,
	};
	bpf_map_update_elem(&creds, &tgid, &pc, BPF_ANY);
}

#endif
