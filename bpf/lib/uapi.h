/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Constants of the kernel's user ABI. vmlinux.h carries the kernel's types and enums but not
 * its #defines, so the ones the programs need are repeated here (values from the UAPI headers).
 */
#ifndef OTELSEC_UAPI_H
#define OTELSEC_UAPI_H

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

#endif
