/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control_proto.h - the exec channel: messages between `egress-supervise
 * exec` and the running supervisor
 *
 * One SOCK_SEQPACKET connection per exec'd process; every message is one
 * packet starting with struct control_hdr.
 *
 *   client -> supervisor:
 *     CONTROL_RUN	payload: cwd NUL, argc strings NUL-terminated (argv),
 *			envc strings (environment); SCM_RIGHTS: exactly three
 *			fds, the process's stdin, stdout and stderr
 *     CONTROL_SIGNAL	val: a signal to deliver to the process
 *   supervisor -> client:
 *     CONTROL_STARTED	val: the process's pid (in the supervisor's pid
 *			namespace)
 *     CONTROL_EXIT	val: its exit status as egress-supervise reports
 *			CMD's (code, 128+N, 125/126/127); payload: a message
 *			for the user when the supervisor refused or failed
 *
 * The client closing the connection hangs the process up (SIGHUP).
 */
#ifndef CONTROL_PROTO_H
#define CONTROL_PROTO_H

#include <stdint.h>

#define CONTROL_MAGIC		0x45534354u	/* "ESCT" */
#define CONTROL_VERSION		1
#define CONTROL_MSG_MAX		(128 * 1024)
#define CONTROL_ARGS_MAX	4096		/* argc + envc */

enum control_type {
	CONTROL_RUN = 1,
	CONTROL_SIGNAL,
	CONTROL_STARTED,
	CONTROL_EXIT,
};

struct control_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	int32_t val;
	uint32_t argc;
	uint32_t envc;
	uint32_t len;		/* payload bytes after the header */
};

#endif /* CONTROL_PROTO_H */
