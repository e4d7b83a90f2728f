/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quic_gate.h - datagrams to quic-only destinations wait for their SNI
 *
 * (Named quic_gate, not quic_flow: quic_initial.h's parser already owns the
 * quic_flow_ prefix.)
 */
#ifndef QUIC_GATE_H
#define QUIC_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockaddr.h"
#include "target.h"

/* What the caller does with one send */
enum quic_gate_verdict {
	QUIC_GATE_SEND,		/* send it now (held ones were sent first) */
	QUIC_GATE_HOLD,		/* answer success, send nothing now */
	QUIC_GATE_DENY,		/* answer the error */
	QUIC_GATE_VERDICT_NUM
};

extern const char *const quic_gate_verdict_str[QUIC_GATE_VERDICT_NUM];

/**
 * struct quic_gate_msg - one send to a destination a quic rule allows
 * @sock:	our duplicate of CMD's socket
 * @dst:	the decided destination (@dst->emu is what we send to)
 * @rule:	the rule that allowed the address, for the log
 * @buf:	the payload, as copied from CMD
 * @len:	its length
 * @ctl:	ancillary data, rewritten in place so that the kernel cuts
 *		the payload into the datagrams that were checked (see
 *		quic_gate_check())
 * @clen:	its length, updated
 * @ctl_cap:	room in @ctl
 * @flags:	the send's flags
 */
struct quic_gate_msg {
	int sock;
	const struct sa_dest *dst;
	const char *rule;
	const uint8_t *buf;
	size_t len;
	uint8_t *ctl;
	size_t clen;
	size_t ctl_cap;
	int flags;
};

int quic_gate_init(void);
enum quic_gate_verdict quic_gate_check(struct target *t,
				       struct quic_gate_msg *m, int *err);
size_t quic_gate_flows(void);	/* flows in the table, for tests and logs */

#endif /* QUIC_GATE_H */
