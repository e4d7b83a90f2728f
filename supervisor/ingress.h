/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ingress.h - socket filters from the policy's ingress rules */
#ifndef INGRESS_H
#define INGRESS_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* What a filter returns for a packet it accepts: never a trim length */
#define INGRESS_ACCEPT	0xffffffffU

/**
 * struct ingress_sock - the socket a filter is built for
 * @family:	AF_INET or AF_INET6 (a dual-stack socket gets both halves)
 * @transport:	POLICY_TRANSPORT_TCP or POLICY_TRANSPORT_UDP
 * @port:	its local port, host order, when it can no longer change
 *		(a TCP socket about to listen on a bound port); 0 when the
 *		filter must test the destination port of each packet (a UDP
 *		socket before bind, a listen that picks its own port)
 */
struct ingress_sock {
	int family;
	enum policy_transport transport;
	uint16_t port;
};

/**
 * struct ingress_prog - a generated program
 * @insns:	the program
 * @len:	instructions in @insns; 0 when no rule covers the socket (no
 *		filter is needed)
 * @prefix:	instructions before the final accept: a program starting
 *		with these enforces the rules, whatever follows
 * @rules:	rules compiled in
 */
struct ingress_prog {
	struct sock_filter insns[BPF_MAXINSNS];
	unsigned int len;
	unsigned int prefix;
	unsigned int rules;
};

int ingress_build(const struct policy_ingress_rule *rules, size_t n,
		  const struct ingress_sock *s, struct ingress_prog *out);
int ingress_compose(struct ingress_prog *p, const struct sock_filter *theirs,
		    unsigned int n);
bool ingress_has_prefix(const struct ingress_prog *p,
			const struct sock_filter *prog, unsigned int n);

#endif /* INGRESS_H */
