// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_decide.c - the pure decisions: connect/send, DNS names, HTTP paths
 *
 * A rule matches a query when its protocol's transport matches the socket
 * (ssh/http/https/tls/ftp: tcp; quic: udp; icmp: icmp; any: all), one of
 * its port ranges holds the port (no ranges: every port; icmp queries match
 * only rules without ports), and its destination matches: a network rule
 * the address, a name rule one of the names the address is known by.
 *
 * Precedence: a matching deny rule wins; else any matching allow rule; else
 * the default.  Special destinations are denied unless an allow rule's
 * network lies inside the special range; name rules never allow them (a
 * name resolving to 169.254.169.254 must not open the metadata service).
 * Deny rules still apply to them.  In audit mode every deny becomes audit.
 *
 * Nothing here allocates or does I/O: policy_decide() runs once per
 * notification.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_internal.h"

const char *const policy_transport_str[POLICY_TRANSPORT_NUM] = {
	[POLICY_TRANSPORT_TCP] = "tcp",
	[POLICY_TRANSPORT_UDP] = "udp",
	[POLICY_TRANSPORT_ICMP] = "icmp",
};
static_assert(ARRAY_SIZE(policy_transport_str) == POLICY_TRANSPORT_NUM,
	      "policy_transport_str out of sync with enum policy_transport");

const char *const policy_verdict_str[POLICY_VERDICT_NUM] = {
	[POLICY_VERDICT_DENY] = "deny",
	[POLICY_VERDICT_ALLOW] = "allow",
	[POLICY_VERDICT_AUDIT] = "audit",
};
static_assert(ARRAY_SIZE(policy_verdict_str) == POLICY_VERDICT_NUM,
	      "policy_verdict_str out of sync with enum policy_verdict");

const char *const policy_mode_str[POLICY_MODE_NUM] = {
	[POLICY_MODE_ENFORCE] = "enforce",
	[POLICY_MODE_AUDIT] = "audit",
};
static_assert(ARRAY_SIZE(policy_mode_str) == POLICY_MODE_NUM,
	      "policy_mode_str out of sync with enum policy_mode");

const char *const policy_dns_deny_answer_str[POLICY_DNS_DENY_NUM] = {
	[POLICY_DNS_DENY_NXDOMAIN] = "nxdomain",
	[POLICY_DNS_DENY_NODATA] = "nodata",
	[POLICY_DNS_DENY_REFUSED] = "refused",
};
static_assert(ARRAY_SIZE(policy_dns_deny_answer_str) == POLICY_DNS_DENY_NUM,
	      "policy_dns_deny_answer_str out of sync with its enum");

const char *const policy_name_verdict_str[POLICY_NAME_NUM] = {
	[POLICY_NAME_DENY] = "deny",
	[POLICY_NAME_DENY_NODATA] = "deny_nodata",
	[POLICY_NAME_ALLOW] = "allow",
};
static_assert(ARRAY_SIZE(policy_name_verdict_str) == POLICY_NAME_NUM,
	      "policy_name_verdict_str out of sync with its enum");

/* Which transports each protocol travels on, as a bit mask */
#define T(x) (1u << POLICY_TRANSPORT_##x)
static const unsigned int proto_transports[POLICY_PROTO_NUM] = {
	[POLICY_PROTO_ANY] = T(TCP) | T(UDP) | T(ICMP),
	[POLICY_PROTO_TCP] = T(TCP),	[POLICY_PROTO_UDP] = T(UDP),
	[POLICY_PROTO_SSH] = T(TCP),	[POLICY_PROTO_HTTP] = T(TCP),
	[POLICY_PROTO_HTTPS] = T(TCP),	[POLICY_PROTO_TLS] = T(TCP),
	[POLICY_PROTO_FTP] = T(TCP),	[POLICY_PROTO_ICMP] = T(ICMP),
	[POLICY_PROTO_QUIC] = T(UDP),
};
#undef T

/**
 * rule_l4_match() - do transport and port of a query fit a rule?
 * @r:		the rule
 * @q:		the query
 *
 * Return: true if they do.
 */
static bool rule_l4_match(const struct policy_rule *r,
			  const struct policy_query *q)
{
	size_t i;

	if ((unsigned int)q->transport >= POLICY_TRANSPORT_NUM ||
	    !(proto_transports[r->proto] & (1u << q->transport)))
		return false;
	if (!r->n_ports)
		return true;
	if (q->transport == POLICY_TRANSPORT_ICMP)
		return false;
	for (i = 0; i < r->n_ports; i++)
		if (q->port >= r->ports[i].lo && q->port <= r->ports[i].hi)
			return true;
	return false;
}

static bool query_has_addr(const struct policy_query *q)
{
	return q->addr && (q->family == AF_INET || q->family == AF_INET6);
}

/**
 * rule_inspects() - is a flow this rule allows inspected (the relay for
 * TCP, quic_gate.c for QUIC)?
 *
 * When several allow rules match, one that needs no inspection wins: a
 * plain tcp rule for the destination already allows every byte, and the
 * relay would only add a hop (and a denial the tcp rule does not make).
 */
static bool rule_inspects(const struct policy_rule *r)
{
	switch (r->proto) {
	case POLICY_PROTO_HTTP:
	case POLICY_PROTO_HTTPS:
	case POLICY_PROTO_TLS:
	case POLICY_PROTO_FTP:
	case POLICY_PROTO_QUIC:	/* the supervisor reads the Initial's SNI */
		return true;
	case POLICY_PROTO_SSH:
		return r->verify_banner;
	case POLICY_PROTO_ANY:
	case POLICY_PROTO_TCP:
	case POLICY_PROTO_UDP:
	case POLICY_PROTO_ICMP:
	case POLICY_PROTO_NUM:
		break;
	}
	return false;
}

/**
 * find_rule() - the first rule with @action matching the query
 * @p:		the policy
 * @q:		the query
 * @action:	allow or deny
 * @special:	the special range of the address, or NULL; if set, only
 *		network rules inside it can match
 * @name:	set to the name that matched, or NULL
 * @plain:	only rules whose flows need no inspection (see
 *		rule_inspects())
 *
 * Return: the rule, or NULL.
 */
static const struct policy_rule *find_rule(const struct policy *p,
					   const struct policy_query *q,
					   enum policy_action action,
					   const struct pnet *special,
					   const char **name, bool plain)
{
	bool has_addr = query_has_addr(q);
	size_t i, j;

	*name = NULL;
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->action != action || !rule_l4_match(r, q) ||
		    (plain && rule_inspects(r)))
			continue;
		if (r->dst_kind == RULE_DST_NET) {
			if (!has_addr ||
			    !pnet_contains(&r->net, q->family, q->addr))
				continue;
			if (special && !pnet_within(&r->net, special))
				continue;
			return r;
		}
		if (special)
			continue;
		for (j = 0; q->names && j < q->n_names; j++) {
			struct dname d;

			if (!q->names[j] || dname_split(&d, q->names[j]))
				continue;
			if (pname_match(&r->name, &d)) {
				*name = q->names[j];
				return r;
			}
		}
	}
	return NULL;
}

/**
 * query_unmap() - treat a v4-mapped IPv6 address as the IPv4 one
 * @q:		the query as given
 * @out:	the query to decide
 *
 * The supervisor already canonicalizes (policy.h), but a mapped address
 * decided as IPv6 would escape the IPv4 special ranges and rules, so the
 * policy does not rely on it.
 *
 * Return: @out, or @q when there was nothing to change.
 */
static const struct policy_query *query_unmap(const struct policy_query *q,
					      struct policy_query *out)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (q->family != AF_INET6 || !q->addr ||
	    memcmp(q->addr, mapped, sizeof(mapped)))
		return q;
	*out = *q;
	out->family = AF_INET;
	out->addr = q->addr + sizeof(mapped);
	return out;
}

void policy_decide(const struct policy *p, const struct policy_query *query,
		   struct policy_decision *d)
{
	const struct pnet *special = NULL;
	const struct policy_query *q;
	const struct policy_rule *r;
	struct policy_query unmapped;
	struct pnet gw;
	const char *name;

	q = query_unmap(query, &unmapped);
	memset(d, 0, sizeof(*d));
	d->proto = POLICY_PROTO_ANY;
	d->rule = "default";
	if (query_has_addr(q))
		special = pnet_special(q->family, q->addr);
	if (query_has_addr(q) && q->gateway && !special) {
		/* a special range of one address */
		gw.family = q->family;
		gw.plen = q->family == AF_INET ? 32 : 128;
		memset(gw.addr, 0, sizeof(gw.addr));
		memcpy(gw.addr, q->addr, q->family == AF_INET ? 4 : 16);
		special = &gw;
	}

	r = find_rule(p, q, POLICY_ACTION_DENY, NULL, &name, false);
	if (!r)
		r = find_rule(p, q, POLICY_ACTION_ALLOW, special, &name, true);
	if (!r)
		r = find_rule(p, q, POLICY_ACTION_ALLOW, special, &name, false);
	if (r && r->action == POLICY_ACTION_DENY) {
		d->verdict = POLICY_VERDICT_DENY;
		d->reason = "deny_rule";
	} else if (r) {
		d->verdict = POLICY_VERDICT_ALLOW;
		d->reason = "rule";
	} else if (special) {
		d->verdict = POLICY_VERDICT_DENY;
		d->reason = "special_address";
	} else if (p->dflt == POLICY_ACTION_ALLOW) {
		d->verdict = POLICY_VERDICT_ALLOW;
		d->reason = "default";
	} else {
		d->verdict = POLICY_VERDICT_DENY;
		d->reason = !q->n_names && p->has_name_rules ? "unknown_ip" :
							       "default";
	}
	if (r) {
		d->proto = r->proto;
		d->rule = r->origin;
		d->name = name;
		d->match = r;
	}
	if (d->verdict == POLICY_VERDICT_DENY && p->mode == POLICY_MODE_AUDIT)
		d->verdict = POLICY_VERDICT_AUDIT;
}

/* A deny rule that denies a name outright: every protocol and port */
static bool rule_denies_name(const struct policy_rule *r)
{
	return r->action == POLICY_ACTION_DENY &&
	       r->dst_kind == RULE_DST_NAME && r->proto == POLICY_PROTO_ANY &&
	       !r->n_ports;
}

enum policy_name_verdict policy_name_verdict(const struct policy *p,
					     const char *name)
{
	bool denied = false, subtree_denied = false, below = false;
	bool allowed = false;
	struct dname d;
	size_t i;

	if (!name || dname_split(&d, name))
		return POLICY_NAME_DENY;
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->dst_kind != RULE_DST_NAME)
			continue;
		if (rule_denies_name(r)) {
			denied |= pname_match(&r->name, &d);
			subtree_denied |= pname_covers_descendants(&r->name,
								   &d);
		} else if (r->action == POLICY_ACTION_ALLOW) {
			allowed |= pname_match(&r->name, &d);
			below |= pname_match_descendant(&r->name, &d);
		}
	}
	if (!denied && (allowed || p->dflt == POLICY_ACTION_ALLOW))
		return POLICY_NAME_ALLOW;
	if (!subtree_denied && (below || p->dflt == POLICY_ACTION_ALLOW))
		return POLICY_NAME_DENY_NODATA;
	return POLICY_NAME_DENY;
}

static bool method_in(char *const *methods, size_t n, const char *method)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(methods[i], method))
			return true;
	return false;
}

enum policy_verdict policy_http_verdict(const struct policy *p,
					const struct policy_rule *r,
					const char *method, const char *path,
					const char **reason)
{
	enum policy_verdict v = POLICY_VERDICT_ALLOW;
	const char *why = "path_default";
	size_t i;

	if (!r || (r->proto != POLICY_PROTO_HTTP && !r->intercept)) {
		why = "rule";
		goto out;
	}
	if (r->n_methods && !method_in(r->methods, r->n_methods, method)) {
		v = POLICY_VERDICT_DENY;
		why = "method";
		goto out;
	}
	for (i = 0; i < r->n_path_rules; i++) {
		const struct path_rule *pr = &r->path_rules[i];
		bool hit;

		if (pr->n_methods &&
		    !method_in(pr->methods, pr->n_methods, method))
			continue;
		if (pr->is_regex)
			hit = !regexec(&pr->re, path, 0, NULL, 0);
		else
			hit = !strncmp(path, pr->path, strlen(pr->path));
		if (hit) {
			why = "path_rule";
			v = pr->action == POLICY_ACTION_ALLOW ?
				    POLICY_VERDICT_ALLOW :
				    POLICY_VERDICT_DENY;
			goto out;
		}
	}
	if ((r->n_path_rules || r->has_path_default) &&
	    r->path_default == POLICY_ACTION_DENY)
		v = POLICY_VERDICT_DENY;
out:
	if (reason)
		*reason = why;
	if (v == POLICY_VERDICT_DENY && p && p->mode == POLICY_MODE_AUDIT)
		v = POLICY_VERDICT_AUDIT;
	return v;
}

bool policy_rule_verify_banner(const struct policy_rule *r)
{
	return r && r->verify_banner;
}

bool policy_rule_has_paths(const struct policy_rule *r)
{
	return r && (r->n_path_rules || r->n_methods || r->has_path_default);
}

bool policy_rule_intercepts(const struct policy_rule *r)
{
	return r && r->action == POLICY_ACTION_ALLOW && r->intercept;
}

bool policy_rule_skip_tls_verify(const struct policy_rule *r)
{
	return policy_rule_intercepts(r) && r->skip_tls_verify;
}

bool policy_intercepts(const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		if (policy_rule_intercepts(&p->rules[i]))
			return true;
	return false;
}

const char *policy_tls_ca_dir(const struct policy *p)
{
	return p->tls_ca_dir;
}

const char *policy_tls_ca_cert(const struct policy *p)
{
	return p->tls_ca_cert;
}

const char *policy_tls_ca_key(const struct policy *p)
{
	return p->tls_ca_key;
}

const char *policy_tls_upstream_ca(const struct policy *p)
{
	return p->tls_upstream_ca;
}

void policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_rules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	for (i = 0; i < p->n_dns_upstream; i++)
		free(p->dns_upstream[i]);
	free(p->dns_upstream);
	free(p->dns_listen);
	for (i = 0; i < p->n_unix_allow; i++)
		free(p->unix_allow[i]);
	free(p->unix_allow);
	for (i = 0; i < p->n_unix_deny; i++)
		free(p->unix_deny[i]);
	free(p->unix_deny);
	for (i = 0; i < p->n_ingress; i++)
		ingress_rule_free(&p->ingress[i]);
	free(p->ingress);
	free(p->tls_ca_dir);
	free(p->tls_ca_cert);
	free(p->tls_ca_key);
	free(p->tls_upstream_ca);
	free(p->path);
	free(p);
}

enum policy_mode policy_mode(const struct policy *p)
{
	return p->mode;
}

void policy_set_mode(struct policy *p, enum policy_mode mode)
{
	if (mode < POLICY_MODE_NUM)
		p->mode = mode;
}

int policy_deny_errno(const struct policy *p)
{
	return p->deny_errno;
}

bool policy_allows_icmp(const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->action == POLICY_ACTION_ALLOW && !r->n_ports &&
		    (r->proto == POLICY_PROTO_ICMP ||
		     r->proto == POLICY_PROTO_ANY))
			return true;
	}
	return p->dflt == POLICY_ACTION_ALLOW;
}

const char *policy_path(const struct policy *p)
{
	return p->path;
}

size_t policy_dns_upstream(const struct policy *p, const char *const **out)
{
	*out = (const char *const *)p->dns_upstream;
	return p->n_dns_upstream;
}

const char *policy_dns_listen(const struct policy *p)
{
	return p->dns_listen;
}

unsigned int policy_dns_min_ttl(const struct policy *p)
{
	return p->dns_min_ttl;
}

unsigned int policy_dns_max_ttl(const struct policy *p)
{
	return p->dns_max_ttl;
}

unsigned int policy_dns_grace(const struct policy *p)
{
	return p->dns_grace;
}

enum policy_dns_deny_answer policy_dns_deny_answer(const struct policy *p)
{
	return p->dns_deny_answer;
}
