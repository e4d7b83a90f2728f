// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_ingress.c - who may reach CMD's listening sockets
 *
 * The ingress list is a set of allow rules over (source network,
 * transport, local ports).  It restricts only what it names: a transport
 * and port no rule covers stays open, as before.  The supervisor compiles
 * the rules into one socket filter per socket (supervisor/ingress.c);
 * policy_ingress_decide() is the same decision, pure, as the reference
 * those filters are tested against.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_internal.h"

bool policy_has_ingress(const struct policy *p)
{
	return p->has_ingress;
}

size_t policy_ingress(const struct policy *p,
		      const struct policy_ingress_rule **out)
{
	*out = p->ingress;
	return p->n_ingress;
}

static int range_cmp(const void *a, const void *b)
{
	const struct policy_port_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

/**
 * ingress_ports_normalize() - a rule's ports, sorted and merged
 * @r:		the rule; @r->ports is replaced
 * @ranges:	the ranges as written
 * @n:		number of @ranges (0: every port)
 *
 * Overlapping and adjacent ranges become one, so the filter tests each
 * port once and the printed policy is canonical.
 *
 * Return: 0 or -ENOMEM.
 */
int ingress_ports_normalize(struct policy_ingress_rule *r,
			    const struct policy_port_range *ranges, size_t n)
{
	struct policy_port_range *v;
	size_t i, o = 0;

	free(r->ports);
	r->ports = NULL;
	r->n_ports = 0;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		v[i].lo = ranges[i].lo;
		v[i].hi = ranges[i].hi;
	}
	qsort(v, n, sizeof(*v), range_cmp);
	for (i = 1; i < n; i++) {
		if ((uint32_t)v[i].lo <= (uint32_t)v[o].hi + 1) {
			if (v[i].hi > v[o].hi)
				v[o].hi = v[i].hi;
		} else {
			v[++o] = v[i];
		}
	}
	r->ports = v;
	r->n_ports = o + 1;
	return 0;
}

void ingress_rule_free(struct policy_ingress_rule *r)
{
	free(r->origin);
	free(r->ports);
	memset(r, 0, sizeof(*r));
}

bool policy_ingress_covers(const struct policy_ingress_rule *r,
			   enum policy_transport transport, uint16_t port)
{
	size_t i;

	if (r->proto == POLICY_PROTO_TCP && transport != POLICY_TRANSPORT_TCP)
		return false;
	if (r->proto == POLICY_PROTO_UDP && transport != POLICY_TRANSPORT_UDP)
		return false;
	if (transport == POLICY_TRANSPORT_ICMP)
		return false;
	if (!r->n_ports)
		return true;
	for (i = 0; i < r->n_ports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

void policy_ingress_decide(const struct policy *p,
			   enum policy_transport transport, int family,
			   const uint8_t *addr, uint16_t port,
			   struct policy_decision *d)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	bool covered = false;
	struct pnet net;
	size_t i;

	if (family == AF_INET6 && !memcmp(addr, mapped, sizeof(mapped))) {
		family = AF_INET;
		addr += 12;
	}
	memset(d, 0, sizeof(*d));
	d->proto = POLICY_PROTO_ANY;
	for (i = 0; i < p->n_ingress; i++) {
		const struct policy_ingress_rule *r = &p->ingress[i];

		if (!policy_ingress_covers(r, transport, port))
			continue;
		covered = true;
		net.family = r->family;
		net.plen = r->plen;
		memcpy(net.addr, r->addr, sizeof(net.addr));
		if (pnet_contains(&net, family, addr)) {
			d->verdict = POLICY_VERDICT_ALLOW;
			d->proto = r->proto;
			d->rule = r->origin;
			d->reason = "ingress_rule";
			return;
		}
	}
	d->rule = "ingress";
	d->verdict = covered ? POLICY_VERDICT_DENY : POLICY_VERDICT_ALLOW;
	d->reason = covered ? "ingress_source" : "not_covered";
}
