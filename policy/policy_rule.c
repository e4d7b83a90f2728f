// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_rule.c - one rule: destination, default ports, --allow specs
 *
 * Both sources of rules, the YAML file and --allow DST[:PORTS][/PROTO],
 * end up here, so a rule means the same thing wherever it was written.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

const char *const policy_action_str[POLICY_ACTION_NUM] = {
	[POLICY_ACTION_ALLOW] = "allow",
	[POLICY_ACTION_DENY] = "deny",
};
static_assert(ARRAY_SIZE(policy_action_str) == POLICY_ACTION_NUM,
	      "policy_action_str out of sync with enum policy_action");

/**
 * policy_init_defaults() - the settings of a policy nobody configured
 * @p:		zeroed policy
 */
void policy_init_defaults(struct policy *p)
{
	p->mode = POLICY_MODE_ENFORCE;
	p->dflt = POLICY_ACTION_DENY;
	p->deny_errno = EACCES;
	p->dns_min_ttl = POLICY_DNS_MIN_TTL_DEFAULT;
	p->dns_max_ttl = POLICY_DNS_MAX_TTL_DEFAULT;
	p->dns_grace = POLICY_DNS_GRACE_DEFAULT;
	p->dns_deny_answer = POLICY_DNS_DENY_NXDOMAIN;
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/**
 * rule_free() - free what a rule owns and zero it
 * @r:		the rule (may be partly filled in)
 */
void rule_free(struct policy_rule *r)
{
	size_t i;

	free(r->origin);
	pname_free(&r->name);
	free(r->ports);
	for (i = 0; i < r->n_path_rules; i++) {
		struct path_rule *pr = &r->path_rules[i];

		if (pr->is_regex)
			regfree(&pr->re);
		free(pr->path);
		strv_free(pr->methods, pr->n_methods);
	}
	free(r->path_rules);
	strv_free(r->methods, r->n_methods);
	memset(r, 0, sizeof(*r));
}

/**
 * rule_set_dst() - parse a rule's destination
 * @r:		the rule; @r->allow_broad must already be set
 * @dst:	a name pattern, an IP address or a CIDR
 * @msg:	error message
 * @msg_len:	size of @msg
 *
 * Return: 0, -EINVAL with @msg set, or -ENOMEM.
 */
int rule_set_dst(struct policy_rule *r, const char *dst, char *msg,
		 size_t msg_len)
{
	if (pnet_looks_like_addr(dst)) {
		r->dst_kind = RULE_DST_NET;
		return pnet_parse(&r->net, dst, msg, msg_len);
	}
	r->dst_kind = RULE_DST_NAME;
	return pname_parse(&r->name, dst, r->allow_broad, msg, msg_len);
}

/* Ports a protocol implies when the rule names none; 0: every port */
static const uint16_t default_port[POLICY_PROTO_NUM] = {
	[POLICY_PROTO_SSH] = 22,   [POLICY_PROTO_HTTP] = 80,
	[POLICY_PROTO_HTTPS] = 443, [POLICY_PROTO_FTP] = 21,
	[POLICY_PROTO_QUIC] = 443,
};

/**
 * rule_finish_ports() - apply the protocol's default port, check the combo
 * @r:		the rule, with @r->proto and any explicit ports set
 * @msg:	error message
 * @msg_len:	size of @msg
 *
 * Return: 0, -EINVAL with @msg set, or -ENOMEM.
 */
int rule_finish_ports(struct policy_rule *r, char *msg, size_t msg_len)
{
	if (r->proto == POLICY_PROTO_ICMP && r->n_ports) {
		snprintf(msg, msg_len,
			 "proto icmp has no ports (expected no port)");
		return -EINVAL;
	}
	if (r->n_ports)
		return 0;
	if (r->proto == POLICY_PROTO_TLS) {
		snprintf(msg, msg_len,
			 "proto tls needs a port (expected e.g. port: 443, "
			 "or proto https)");
		return -EINVAL;
	}
	if (!default_port[r->proto])
		return 0;
	r->ports = calloc(1, sizeof(*r->ports));
	if (!r->ports)
		return -ENOMEM;
	r->ports[0].lo = r->ports[0].hi = default_port[r->proto];
	r->n_ports = 1;
	return 0;
}

/**
 * rule_parse_spec() - parse a command-line "DST[:PORTS][/PROTO]"
 * @r:		zeroed rule, filled in (action allow)
 * @spec:	the spec as given to --allow
 * @msg:	error message (without the "--allow 'SPEC': " prefix)
 * @msg_len:	size of @msg
 *
 * IPv6 addresses take brackets when a port follows ("[2001:db8::1]:443");
 * a CIDR is unambiguous without them, since its prefix length ends the
 * address ("2001:db8::/32:5000-5100/udp").  A bare IPv6 address without
 * brackets never has ports.  PROTO defaults to any; without a port, a
 * protocol's default port applies, and any/tcp/udp mean every port.
 *
 * Return: 0, -EINVAL with @msg set, or -ENOMEM.
 */
int rule_parse_spec(struct policy_rule *r, const char *spec, char *msg,
		    size_t msg_len)
{
	char *buf, *dst, *ports = NULL, *slash, *p;
	size_t l = strlen(spec);
	int ret = -EINVAL;

	memset(r, 0, sizeof(*r));
	r->action = POLICY_ACTION_ALLOW;
	r->proto = POLICY_PROTO_ANY;
	if (!l) {
		snprintf(msg, msg_len,
			 "empty (expected DST[:PORTS][/PROTO], e.g. "
			 "github.com:22/ssh)");
		return -EINVAL;
	}
	buf = strdup(spec);
	r->origin = malloc(l + sizeof("--allow "));
	if (!buf || !r->origin) {
		ret = -ENOMEM;
		goto out;
	}
	sprintf(r->origin, "--allow %s", spec);

	slash = strrchr(buf, '/');
	if (slash && slash[1] && isalpha((unsigned char)slash[1])) {
		int proto = proto_parse(slash + 1);

		if (proto < 0) {
			snprintf(msg, msg_len,
				 "unknown proto '%s' (expected one of: %s)",
				 slash + 1, policy_proto_list());
			goto out;
		}
		r->proto = (enum policy_proto)proto;
		*slash = '\0';
	} else if (slash && !slash[1]) {
		snprintf(msg, msg_len,
			 "nothing after '/' (expected a proto: %s)",
			 policy_proto_list());
		goto out;
	}

	dst = buf;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close) {
			snprintf(msg, msg_len,
				 "missing ']' after the IPv6 address "
				 "(expected e.g. [2001:db8::1]:443)");
			goto out;
		}
		*close = '\0';
		dst = buf + 1;
		if (close[1] == ':') {
			ports = close + 2;
		} else if (close[1]) {
			snprintf(msg, msg_len,
				 "unexpected '%s' after ']' (expected :PORTS "
				 "or /PROTO)", close + 1);
			goto out;
		}
		if (!strchr(dst, ':')) {
			snprintf(msg, msg_len,
				 "brackets hold IPv6 addresses only (expected "
				 "e.g. [2001:db8::1]:443)");
			goto out;
		}
	} else if ((p = strchr(buf, '/'))) {
		/* CIDR: the prefix length ends the address */
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == ':') {
			*p = '\0';
			ports = p + 1;
		}
	} else if ((p = strchr(buf, ':')) && !strchr(p + 1, ':')) {
		*p = '\0';
		ports = p + 1;
	}
	if (!*dst) {
		snprintf(msg, msg_len,
			 "no destination (expected a name, IP or CIDR before "
			 "the port)");
		goto out;
	}
	if (ports && !*ports) {
		snprintf(msg, msg_len,
			 "nothing after ':' (expected ports such as 22, "
			 "6000-6010 or 80,443)");
		goto out;
	}
	ret = rule_set_dst(r, dst, msg, msg_len);
	if (ret == -EINVAL && strstr(msg, "too broad")) {
		/* there is no allow_broad on the command line */
		snprintf(msg, msg_len,
			 "'%s' is too broad: fewer than two fixed labels "
			 "(expected a longer name such as '*.example.com'; "
			 "only a policy file rule can say 'allow_broad: "
			 "true')", dst);
	}
	if (ret < 0)
		goto out;
	if (ports) {
		ret = ports_parse(ports, &r->ports, &r->n_ports, msg, msg_len);
		if (ret < 0)
			goto out;
	}
	ret = rule_finish_ports(r, msg, msg_len);
out:
	free(buf);
	return ret;
}
