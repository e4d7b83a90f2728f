/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ssh_banner.h - does the server speak SSH-2? (its identification line)
 *
 * Pure code over byte buffers: no allocation, no I/O, no global state.
 *
 * For ssh rules with verify_banner, the relay reads the server's first
 * bytes and asks ssh_banner_check() whether they hold an SSH-2
 * identification line (RFC 4253 4.2):
 *
 *	SSH-2.0-softwareversion SP comments CR LF	(or SSH-1.99-)
 *
 * at most SSH_BANNER_MAX bytes, CR LF included.  The software version is
 * one or more printable ASCII characters other than SP; RFC 4253 also
 * forbids '-' in it, but real servers send "SSH-2.0-Cisco-1.25", so '-' is
 * taken.  Comments are printable ASCII and SP.  A line ending in LF alone
 * is taken too, as OpenSSH does (RFC 4253 5: older versions).  Before that
 * line the server may send other lines that do not begin with "SSH-" (at
 * most SSH_BANNER_PRE_LINES of them, each at most SSH_BANNER_PRE_LINE_MAX
 * bytes, no NUL), all within SSH_BANNER_TOTAL_MAX bytes.
 */
#ifndef SSH_BANNER_H
#define SSH_BANNER_H

#include <stddef.h>
#include <stdint.h>

#define SSH_BANNER_MAX		255	/* identification line with CR LF */
#define SSH_BANNER_PRE_LINES	16	/* other lines before it */
#define SSH_BANNER_PRE_LINE_MAX	1024	/* one such line, LF included */
#define SSH_BANNER_TOTAL_MAX	8192	/* everything up to its LF */

int ssh_banner_check(const uint8_t *buf, size_t len);

#endif /* SSH_BANNER_H */
