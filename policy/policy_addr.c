// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_addr.c - addresses, networks, special ranges, ports, protos, errnos
 *
 * Everything here parses one scalar of the policy language into its
 * validated form, or says what was expected instead.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_internal.h"

const char *const policy_proto_str[POLICY_PROTO_NUM] = {
	[POLICY_PROTO_ANY] = "any",	[POLICY_PROTO_TCP] = "tcp",
	[POLICY_PROTO_UDP] = "udp",	[POLICY_PROTO_SSH] = "ssh",
	[POLICY_PROTO_HTTP] = "http",	[POLICY_PROTO_HTTPS] = "https",
	[POLICY_PROTO_TLS] = "tls",	[POLICY_PROTO_FTP] = "ftp",
	[POLICY_PROTO_ICMP] = "icmp",	[POLICY_PROTO_QUIC] = "quic",
};
static_assert(ARRAY_SIZE(policy_proto_str) == POLICY_PROTO_NUM,
	      "policy_proto_str out of sync with enum policy_proto");

/* Order of the "expected one of" list in messages: the order */
static const enum policy_proto proto_order[] = {
	POLICY_PROTO_TCP,   POLICY_PROTO_UDP,  POLICY_PROTO_SSH,
	POLICY_PROTO_HTTP,  POLICY_PROTO_HTTPS, POLICY_PROTO_TLS,
	POLICY_PROTO_FTP,   POLICY_PROTO_ICMP, POLICY_PROTO_QUIC,
	POLICY_PROTO_ANY,
};
static_assert(ARRAY_SIZE(proto_order) == POLICY_PROTO_NUM,
	      "proto_order must list every protocol");

/**
 * policy_proto_list() - "tcp, udp, ..., any" for "expected one of" messages
 *
 * Return: a static string.
 */
const char *policy_proto_list(void)
{
	return "tcp, udp, ssh, http, https, tls, ftp, icmp, quic, any";
}

int proto_parse(const char *text)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(proto_order); i++)
		if (!strcmp(text, policy_proto_str[proto_order[i]]))
			return (int)proto_order[i];
	return -EINVAL;
}

/* The errno names deny_errno and --deny-errno accept */
static const struct {
	const char *name;
	int err;
} errno_tab[] = {
	{ "EACCES", EACCES },		{ "EPERM", EPERM },
	{ "ECONNREFUSED", ECONNREFUSED }, { "ENETUNREACH", ENETUNREACH },
	{ "EHOSTUNREACH", EHOSTUNREACH }, { "ETIMEDOUT", ETIMEDOUT },
};

int errno_parse(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_tab); i++)
		if (!strcmp(name, errno_tab[i].name))
			return errno_tab[i].err;
	return -EINVAL;
}

const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_tab); i++)
		if (err == errno_tab[i].err)
			return errno_tab[i].name;
	return "EACCES";
}

int policy_errno_parse(const char *name)
{
	return errno_parse(name);
}

const char *policy_errno_name(int err)
{
	return errno_name(err);
}

/**
 * pnet_looks_like_addr() - is this dst meant as an address, not a name?
 * @text:	the dst as written
 *
 * Names never contain ':' and no top-level domain is numeric, so anything
 * with a ':' or made only of digits, dots and one '/' is an address.
 *
 * Return: true if @text should be parsed by pnet_parse().
 */
bool pnet_looks_like_addr(const char *text)
{
	if (strchr(text, ':'))
		return true;
	return *text && strspn(text, "0123456789./") == strlen(text);
}

/**
 * parse_uint() - parse a decimal number without sign, spaces or overflow
 * @s:		text
 * @len:	length of @s
 * @max:	largest value accepted
 * @out:	the value
 *
 * Return: 0, -EINVAL if not a number, -ERANGE if above @max.
 */
static int parse_uint(const char *s, size_t len, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!len || len > 20)
		return len ? -ERANGE : -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

/**
 * pnet_parse() - parse an IPv4/IPv6 address or CIDR
 * @n:		result
 * @text:	"198.51.100.7", "198.51.100.0/24", "2001:db8::/32", ...
 * @msg:	error message
 * @msg_len:	size of @msg
 *
 * Host bits must be zero: "198.51.100.1/24" is more likely a typo than a
 * wish, so we say which network we think was meant.
 *
 * Return: 0, or -EINVAL with @msg set.
 */
int pnet_parse(struct pnet *n, const char *text, char *msg, size_t msg_len)
{
	char addr[INET6_ADDRSTRLEN + 1], fixed[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long plen;
	unsigned int i, max;
	bool v6 = memchr(text, ':', alen) != NULL;

	memset(n, 0, sizeof(*n));
	n->family = v6 ? AF_INET6 : AF_INET;
	max = v6 ? 128 : 32;
	if (alen >= sizeof(addr))
		goto bad_addr;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (inet_pton(n->family, addr, n->addr) != 1)
		goto bad_addr;
	if (!slash) {
		n->plen = max;
		return 0;
	}
	if (parse_uint(slash + 1, strlen(slash + 1), max, &plen)) {
		snprintf(msg, msg_len,
			 "bad prefix length '/%s' in '%s' (expected 0-%u)",
			 slash + 1, text, max);
		return -EINVAL;
	}
	n->plen = (unsigned int)plen;
	for (i = n->plen; i < max; i++) {
		if (n->addr[i / 8] & (0x80 >> (i % 8))) {
			struct pnet f = *n;

			for (; i < max; i++)
				f.addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
			pnet_format(&f, fixed, sizeof(fixed));
			snprintf(msg, msg_len,
				 "'%s' has host bits set (expected the "
				 "network address, e.g. %s)", text, fixed);
			return -EINVAL;
		}
	}
	return 0;

bad_addr:
	if (v6)
		snprintf(msg, msg_len,
			 "bad IPv6 address '%.*s' (expected e.g. 2001:db8::1 "
			 "or 2001:db8::/32)", (int)alen, text);
	else
		snprintf(msg, msg_len,
			 "bad IPv4 address '%.*s' (expected four numbers "
			 "0-255 such as 198.51.100.7, or a CIDR such as "
			 "198.51.100.0/24)", (int)alen, text);
	return -EINVAL;
}

/**
 * pnet_format() - write a network as "addr" or "addr/len"
 * @n:		the network
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: what snprintf() returns.
 */
int pnet_format(const struct pnet *n, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	unsigned int max = n->family == AF_INET6 ? 128 : 32;

	if (!inet_ntop(n->family, n->addr, a, sizeof(a)))
		a[0] = '\0';
	if (n->plen == max)
		return snprintf(buf, len, "%s", a);
	return snprintf(buf, len, "%s/%u", a, n->plen);
}

/**
 * pnet_contains() - is an address inside a network?
 * @n:		the network
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes, network order
 *
 * Return: true if it is.
 */
bool pnet_contains(const struct pnet *n, int family, const uint8_t *addr)
{
	unsigned int full = n->plen / 8, rest = n->plen % 8;

	if (family != n->family)
		return false;
	if (memcmp(n->addr, addr, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff00 >> rest);

		return (addr[full] & mask) == n->addr[full];
	}
	return true;
}

/**
 * pnet_within() - is a network entirely inside another one?
 * @inner:	the smaller one
 * @outer:	the larger one
 *
 * Return: true if every address of @inner is in @outer.
 */
bool pnet_within(const struct pnet *inner, const struct pnet *outer)
{
	return inner->plen >= outer->plen &&
	       pnet_contains(outer, inner->family, inner->addr);
}

#define V4(a, b, c, d, len) \
	{ AF_INET, len, { a, b, c, d } }
#define V6(a0, a1, a2, a3, len) \
	{ AF_INET6, len, { a0, a1, a2, a3 } }

/*
 * Destinations denied unless a rule names a network inside them.  Loopback
 * is not here: the supervisor allows it before asking the policy.
 */
static const struct pnet special[] = {
	V4(0, 0, 0, 0, 8),		/* "this network"; 0.0.0.0 is local */
	V4(169, 254, 0, 0, 16),		/* link-local, cloud metadata */
	V4(224, 0, 0, 0, 4),		/* multicast */
	V4(255, 255, 255, 255, 32),	/* limited broadcast */
	V6(0, 0, 0, 0, 128),		/* :: unspecified */
	V6(0xfe, 0x80, 0, 0, 10),	/* link-local */
	V6(0xff, 0, 0, 0, 8),		/* multicast */
	V6(0, 0x64, 0xff, 0x9b, 96),	/* NAT64 64:ff9b::/96 */
	V6(0x20, 0x02, 0, 0, 16),	/* 6to4 2002::/16 */
	V6(0x20, 0x01, 0, 0, 32),	/* Teredo 2001::/32 */
};

/**
 * pnet_special() - the special range an address lies in
 * @family:	AF_INET or AF_INET6
 * @addr:	4 or 16 bytes, network order
 *
 * Return: the range, or NULL for an ordinary address.
 */
const struct pnet *pnet_special(int family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(special); i++)
		if (pnet_contains(&special[i], family, addr))
			return &special[i];
	return NULL;
}

/**
 * port_range_parse() - parse "N" or "A-B"
 * @text:	the text, no spaces
 * @r:		result
 * @msg:	error message
 * @msg_len:	size of @msg
 *
 * Return: 0, or -EINVAL with @msg set.
 */
int port_range_parse(const char *text, struct policy_port_range *r, char *msg,
		     size_t msg_len)
{
	const char *dash = strchr(text, '-');
	unsigned long lo = 0, hi = 0;
	size_t llen = dash ? (size_t)(dash - text) : strlen(text);
	int ret;

	ret = parse_uint(text, llen, 65535, &lo);
	if (!ret && dash)
		ret = parse_uint(dash + 1, strlen(dash + 1), 65535, &hi);
	else
		hi = lo;
	if (ret == -ERANGE) {
		snprintf(msg, msg_len,
			 "port '%s' is out of range (expected 1-65535)", text);
		return -EINVAL;
	}
	if (ret) {
		snprintf(msg, msg_len,
			 "bad port '%s' (expected a number 1-65535 or a range "
			 "such as 6000-6010)", text);
		return -EINVAL;
	}
	if (!lo || !hi) {
		snprintf(msg, msg_len, "port 0%s%s%s is not a port (expected "
			 "1-65535)", dash ? " in '" : "", dash ? text : "",
			 dash ? "'" : "");
		return -EINVAL;
	}
	if (lo > hi) {
		snprintf(msg, msg_len,
			 "port range '%s' is reversed (expected %lu-%lu)",
			 text, hi, lo);
		return -EINVAL;
	}
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

/**
 * ports_parse() - parse a comma-separated list of ports and ranges
 * @text:	"22", "6000-6010", "80,443,8000-8100"
 * @ranges:	result, malloc'ed
 * @n:		number of @ranges
 * @msg:	error message
 * @msg_len:	size of @msg
 *
 * Return: 0, -EINVAL with @msg set, or -ENOMEM.
 */
int ports_parse(const char *text, struct policy_port_range **ranges, size_t *n,
		char *msg, size_t msg_len)
{
	size_t count = 1, i = 0;
	const char *s = text;
	char item[32];
	int ret;

	for (s = text; *s; s++)
		count += *s == ',';
	*ranges = calloc(count, sizeof(**ranges));
	if (!*ranges)
		return -ENOMEM;
	for (s = text; i < count; i++) {
		size_t l = strcspn(s, ",");

		if (l >= sizeof(item)) {
			snprintf(msg, msg_len,
				 "bad port '%.*s' (expected a number 1-65535 "
				 "or a range such as 6000-6010)", 20, s);
			ret = -EINVAL;
			goto err;
		}
		memcpy(item, s, l);
		item[l] = '\0';
		ret = port_range_parse(item, &(*ranges)[i], msg, msg_len);
		if (ret < 0)
			goto err;
		s += l + 1;
	}
	*n = count;
	return 0;
err:
	free(*ranges);
	*ranges = NULL;
	return ret;
}
