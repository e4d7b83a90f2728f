// SPDX-License-Identifier: GPL-2.0-or-later
/* ingress.c - socket filters from the policy's ingress rules
 *
 * Theory of operation
 *
 * Who may reach CMD's listening sockets is decided by the kernel, per
 * packet, with a classic BPF socket filter (SO_ATTACH_FILTER) that the
 * supervisor attaches and locks before a TCP socket listens or a UDP socket
 * binds (ingress_sock.c).  This file only generates the program; it makes
 * no system call, so it is tested by running its programs on crafted
 * packets (tests/unit/check_ingress.c) and against real traffic.
 *
 * What the program sees: the kernel runs a socket filter with skb->data at
 * the transport header (tcp_filter() and udp_queue_rcv_one_skb() call
 * sk_filter_trim_cap() before pulling it), so the destination port is the
 * halfword at offset 2 for TCP and UDP alike; the IP header is read through
 * the SKF_NET_OFF window, IPv4 or IPv6 by its version nibble (an IPv4 sender
 * reaching a dual-stack socket is an IPv4 packet there).  A packet that
 * arrived on lo (ifindex 1 in every network namespace) was sent by the
 * container itself and is accepted first; the kernel drops loopback sources
 * arriving on other devices as martians.
 *
 * The program, in order:
 *
 *	ifindex == 1			-> accept
 *	[dport -> M[4]]			  when the port is not known yet
 *	[dport not covered -> accept]	  likewise, unless a rule covers all
 *	version 4: saddr -> M[0], then per IPv4 rule:
 *		src in rule.net && (dport in rule.ports) -> accept
 *		drop
 *	version 6 (IPv6 sockets): saddr -> M[0..3], per IPv6 rule likewise
 *	drop
 *	END: accept (return INGRESS_ACCEPT: never a length that would trim)
 *
 * Every accepting path jumps to END, the last instruction, and no jump
 * goes beyond it: the instructions before END (the prefix) decide alone
 * which packets may pass.  That is what lets ingress_compose() run a
 * filter CMD had attached after ours (our accept falls into theirs), and
 * ingress_has_prefix() recognize a socket that already carries our rules.
 * Conditional jumps only skip one or two instructions; everything farther
 * is a BPF_JA with a 32-bit offset, so no rule set overflows the 8-bit
 * jt/jf fields.  The policy's limits (POLICY_INGRESS_MAX_RULES, _RANGES)
 * keep the worst program at about 3,500 instructions; a larger one would
 * fail with -E2BIG rather than be cut.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ingress.h"
#include "util.h"

#define NO_LABEL	0xffffU

/* Scratch memory words of the program */
#define M_SRC		0	/* M[0..3]: the source address */
#define M_PORT		4	/* the destination port */

/**
 * struct asm_ctx - a tiny assembler with forward labels for BPF_JA
 * @p:		the program being written
 * @err:	-E2BIG once it overflowed
 * @fix:	per instruction: the label a BPF_JA there jumps to
 * @at:		per label: its instruction index
 * @n_labels:	labels made
 */
struct asm_ctx {
	struct ingress_prog *p;
	int err;
	uint16_t fix[BPF_MAXINSNS];
	uint16_t at[BPF_MAXINSNS];
	unsigned int n_labels;
};

static void emit(struct asm_ctx *a, uint16_t code, uint8_t jt, uint8_t jf,
		 uint32_t k)
{
	if (a->p->len >= BPF_MAXINSNS) {
		a->err = -E2BIG;
		return;
	}
	a->fix[a->p->len] = NO_LABEL;
	a->p->insns[a->p->len++] = (struct sock_filter){ code, jt, jf, k };
}

static unsigned int label_new(struct asm_ctx *a)
{
	if (a->n_labels >= BPF_MAXINSNS) {
		a->err = -E2BIG;
		return 0;
	}
	a->at[a->n_labels] = NO_LABEL;
	return a->n_labels++;
}

static void label_here(struct asm_ctx *a, unsigned int l)
{
	a->at[l] = (uint16_t)a->p->len;
}

static void emit_ja(struct asm_ctx *a, unsigned int l)
{
	emit(a, BPF_JMP | BPF_JA, 0, 0, 0);
	if (!a->err)
		a->fix[a->p->len - 1] = (uint16_t)l;
}

/* Resolve every BPF_JA to its label: forward, as cBPF requires */
static int resolve(struct asm_ctx *a)
{
	unsigned int i;

	if (a->err)
		return a->err;
	for (i = 0; i < a->p->len; i++) {
		unsigned int to;

		if (a->fix[i] == NO_LABEL)
			continue;
		to = a->at[a->fix[i]];
		if (to == NO_LABEL || to <= i)
			return -EINVAL;	/* a bug of ours, never a policy's */
		a->p->insns[i].k = to - i - 1;
	}
	return 0;
}

/* A = port in [lo, hi] ? jump to @l : fall through */
static void emit_range(struct asm_ctx *a, const struct policy_port_range *r,
		       unsigned int l)
{
	if (r->lo == r->hi) {
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, r->lo);
	} else {
		emit(a, BPF_JMP | BPF_JGE | BPF_K, 0, 2, r->lo);
		emit(a, BPF_JMP | BPF_JGT | BPF_K, 1, 0, r->hi);
	}
	emit_ja(a, l);
}

/* The @w-th 32-bit word of an address, as BPF_LD|BPF_W reads it */
static uint32_t addr_word(const uint8_t *addr, unsigned int w)
{
	const uint8_t *b = addr + 4 * w;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/**
 * emit_rule() - accept if the source is in the rule's network (and, when
 * the port is tested per packet, the port in its ports)
 * @a:		assembler
 * @r:		the rule
 * @test_port:	M[M_PORT] holds the port and the rule's ports must hold it
 * @end:	the accepting label
 */
static void emit_rule(struct asm_ctx *a, const struct policy_ingress_rule *r,
		      bool test_port, unsigned int end)
{
	unsigned int next = label_new(a), words = r->family == AF_INET ? 1 : 4;
	unsigned int w;
	size_t i;

	for (w = 0; w < words; w++) {
		int bits = (int)r->plen - 32 * (int)w;
		uint32_t mask;

		if (bits <= 0)
			break;
		mask = bits >= 32 ? 0xffffffffU : ~(0xffffffffU >> bits);
		emit(a, BPF_LD | BPF_MEM, 0, 0, M_SRC + w);
		if (mask != 0xffffffffU)
			emit(a, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0,
		     addr_word(r->addr, w) & mask);
		emit_ja(a, next);
	}
	if (test_port && r->n_ports) {
		emit(a, BPF_LD | BPF_MEM, 0, 0, M_PORT);
		for (i = 0; i < r->n_ports; i++)
			emit_range(a, &r->ports[i], end);
	} else {
		emit_ja(a, end);
	}
	label_here(a, next);
}

/* Does rule @r take part in the filter of socket @s? */
static bool rule_applies(const struct policy_ingress_rule *r,
			 const struct ingress_sock *s)
{
	if (r->family == AF_INET6 && s->family != AF_INET6)
		return false;
	if (s->port)
		return policy_ingress_covers(r, s->transport, s->port);
	return (r->proto == POLICY_PROTO_ANY) ||
	       (r->proto == POLICY_PROTO_TCP &&
		s->transport == POLICY_TRANSPORT_TCP) ||
	       (r->proto == POLICY_PROTO_UDP &&
		s->transport == POLICY_TRANSPORT_UDP);
}

static int range_cmp(const void *x, const void *y)
{
	const struct policy_port_range *a = x, *b = y;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

/**
 * covered_ranges() - the ports some rule covers for the socket's transport
 * @rules:	the rules
 * @n:		number of @rules
 * @s:		the socket
 * @out:	the ranges, sorted and merged (at most
 *		POLICY_INGRESS_MAX_RANGES)
 * @all:	set when a rule covers every port
 *
 * Return: the number of @out; 0 with !*all: no rule covers the transport.
 */
static size_t covered_ranges(const struct policy_ingress_rule *rules,
			     size_t n, const struct ingress_sock *s,
			     struct policy_port_range *out, bool *all)
{
	struct ingress_sock any = *s;
	size_t i, j, k = 0, o = 0;

	*all = false;
	any.port = 0;
	any.family = AF_INET6;	/* coverage does not depend on family */
	for (i = 0; i < n; i++) {
		if (!rule_applies(&rules[i], &any))
			continue;
		if (!rules[i].n_ports) {
			*all = true;
			return 0;
		}
		for (j = 0; j < rules[i].n_ports &&
			    k < POLICY_INGRESS_MAX_RANGES; j++)
			out[k++] = rules[i].ports[j];
	}
	if (!k)
		return 0;
	qsort(out, k, sizeof(*out), range_cmp);
	for (i = 1; i < k; i++) {
		if ((uint32_t)out[i].lo <= (uint32_t)out[o].hi + 1) {
			if (out[i].hi > out[o].hi)
				out[o].hi = out[i].hi;
		} else {
			out[++o] = out[i];
		}
	}
	return o + 1;
}

/**
 * ingress_build() - the filter for one socket
 * @rules:	the policy's ingress rules
 * @n:		number of @rules
 * @s:		the socket: family, transport, and its port if fixed
 * @out:	the program; out->len 0 when no rule covers the socket
 *
 * With a known port, only the rules covering it are compiled in and the
 * port is never tested; with port 0 the filter tests it per packet and
 * accepts ports no rule covers.  Pure: no system call, no allocation.
 *
 * Return: 0, or -E2BIG (cannot happen within the policy's limits).
 */
int ingress_build(const struct policy_ingress_rule *rules, size_t n,
		  const struct ingress_sock *s, struct ingress_prog *out)
{
	static struct asm_ctx a;	/* 16 KiB: not on the stack */
	struct policy_port_range cov[POLICY_INGRESS_MAX_RANGES];
	unsigned int end, not4, covered_l = 0;
	size_t n_cov = 0, i, n_v4 = 0, n_v6 = 0;
	bool all = false, test_port, precheck;

	a.p = out;
	a.err = 0;
	a.n_labels = 0;
	out->len = out->prefix = out->rules = 0;

	if (s->transport != POLICY_TRANSPORT_TCP &&
	    s->transport != POLICY_TRANSPORT_UDP)
		return 0;
	for (i = 0; i < n; i++) {
		if (!rule_applies(&rules[i], s))
			continue;
		out->rules++;
		if (rules[i].family == AF_INET)
			n_v4++;
		else
			n_v6++;
	}
	if (s->port) {
		/* covered when a rule of any family names the port: a v6
		 * rule on an IPv4 socket still closes the port */
		for (i = 0; i < n; i++)
			if (policy_ingress_covers(&rules[i], s->transport,
						  s->port))
				break;
		if (i == n)
			return 0;
		test_port = precheck = false;
	} else {
		n_cov = covered_ranges(rules, n, s, cov, &all);
		if (!n_cov && !all)
			return 0;
		precheck = !all;
		test_port = true;
	}

	end = label_new(&a);
	not4 = label_new(&a);
	emit(&a, BPF_LD | BPF_W | BPF_ABS, 0, 0,
	     (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX));
	emit(&a, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 1);
	emit_ja(&a, end);
	if (test_port) {
		emit(&a, BPF_LD | BPF_H | BPF_ABS, 0, 0, 2);
		emit(&a, BPF_ST, 0, 0, M_PORT);
	}
	if (precheck) {
		covered_l = label_new(&a);
		for (i = 0; i < n_cov; i++)
			emit_range(&a, &cov[i], covered_l);
		emit_ja(&a, end);
		label_here(&a, covered_l);
	}

	emit(&a, BPF_LD | BPF_B | BPF_ABS, 0, 0, (uint32_t)SKF_NET_OFF);
	emit(&a, BPF_ALU | BPF_RSH | BPF_K, 0, 0, 4);
	emit(&a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 4);
	emit_ja(&a, not4);
	if (n_v4) {
		emit(&a, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		     (uint32_t)(SKF_NET_OFF + 12));
		emit(&a, BPF_ST, 0, 0, M_SRC);
		for (i = 0; i < n; i++)
			if (rules[i].family == AF_INET &&
			    rule_applies(&rules[i], s))
				emit_rule(&a, &rules[i], test_port, end);
	}
	emit(&a, BPF_RET | BPF_K, 0, 0, 0);

	label_here(&a, not4);
	if (n_v6) {
		unsigned int w;

		/* A still holds the version */
		emit(&a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 6);
		emit(&a, BPF_RET | BPF_K, 0, 0, 0);
		for (w = 0; w < 4; w++) {
			emit(&a, BPF_LD | BPF_W | BPF_ABS, 0, 0,
			     (uint32_t)(SKF_NET_OFF + 8 + 4 * (int)w));
			emit(&a, BPF_ST, 0, 0, M_SRC + w);
		}
		for (i = 0; i < n; i++)
			if (rules[i].family == AF_INET6 &&
			    rule_applies(&rules[i], s))
				emit_rule(&a, &rules[i], test_port, end);
	}
	emit(&a, BPF_RET | BPF_K, 0, 0, 0);

	label_here(&a, end);
	out->prefix = out->len;
	emit(&a, BPF_RET | BPF_K, 0, 0, INGRESS_ACCEPT);
	a.err = resolve(&a);
	if (a.err)
		out->len = out->prefix = 0;
	return a.err;
}

/**
 * ingress_compose() - run a filter the socket already had after ours
 * @p:		our program (from ingress_build()), extended in place
 * @theirs:	the socket's classic filter, as SO_GET_FILTER returned it
 * @n:		its length
 *
 * Our accepting paths fall into theirs with A and X cleared, as the kernel
 * starts a program; our drops stay drops.  Their jumps are relative, and
 * their scratch memory loads were checked against their own stores when
 * they were attached, so the sum passes the kernel's checks too.
 *
 * Return: 0, or -E2BIG when the sum exceeds BPF_MAXINSNS.
 */
int ingress_compose(struct ingress_prog *p, const struct sock_filter *theirs,
		    unsigned int n)
{
	if (!p->len || !n || p->prefix + 2 + n > BPF_MAXINSNS)
		return -E2BIG;
	p->len = p->prefix;
	p->insns[p->len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
	p->insns[p->len++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM,
							  0);
	memcpy(p->insns + p->len, theirs, n * sizeof(*theirs));
	p->len += n;
	return 0;
}

/**
 * ingress_has_prefix() - does an attached program enforce our rules?
 * @p:		our program for the socket
 * @prog:	the program on the socket (SO_GET_FILTER)
 * @n:		its length
 *
 * True when @prog begins with our prefix: every packet the prefix refuses
 * is dropped, whatever follows it.  For a socket we filtered once and CMD
 * asks to listen or bind again (after a failed bind, a disconnect).
 *
 * Return: true if it does.
 */
bool ingress_has_prefix(const struct ingress_prog *p,
			const struct sock_filter *prog, unsigned int n)
{
	return p->len && n > p->prefix &&
	       !memcmp(prog, p->insns, p->prefix * sizeof(*prog));
}
