// SPDX-License-Identifier: GPL-2.0-or-later
/* sort.c - getaddrinfo()'s destination order: RFC 6724 as glibc sorts
 *
 * glibc's rules 1-10 with its default tables (gai.conf with only comments;
 * otherwise the shim is not used): usable destinations first (a source
 * address exists), matching scope, no deprecated source, home addresses,
 * matching label, higher precedence, native transport, smaller scope,
 * longest matching prefix, then the order the resolver gave.  The source
 * of each destination comes from the supervisor, which learns it as glibc
 * does (a UDP connect, getsockname).  The sort is glibc's merge sort, so
 * even a comparison that is not transitive orders as glibc orders.
 */

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

struct prefix {
	uint8_t prefix[16];
	unsigned int bits;
	int val;
};

#define P6(...)	{ __VA_ARGS__ }

static const struct prefix labels[] = {
	{ P6([15] = 1), 128, 0 },			/* ::1 */
	{ P6(0x20, 0x02), 16, 2 },			/* 2002::/16 */
	{ P6(0), 96, 3 },				/* ::/96 */
	{ P6([10] = 0xff, [11] = 0xff), 96, 4 },	/* ::ffff:0:0/96 */
	{ P6(0xfe, 0xc0), 10, 5 },			/* fec0::/10 */
	{ P6(0xfc), 7, 6 },				/* fc00::/7 */
	{ P6(0x20, 0x01), 32, 7 },			/* 2001::/32 */
	{ P6(0), 0, 1 },				/* ::/0 */
};

static const struct prefix precedence[] = {
	{ P6([15] = 1), 128, 50 },
	{ P6(0x20, 0x02), 16, 30 },
	{ P6(0), 96, 20 },
	{ P6([10] = 0xff, [11] = 0xff), 96, 10 },
	{ P6(0), 0, 40 },
};

/* IPv4 as ::ffff:a.b.c.d, IPv6 as is */
static void as_v6(int family, const uint8_t *addr, uint8_t *out)
{
	if (family == AF_INET6) {
		memcpy(out, addr, 16);
		return;
	}
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, addr, 4);
}

static int match_prefix(int family, const uint8_t *addr,
			const struct prefix *list)
{
	uint8_t a[16];
	size_t i;

	as_v6(family, addr, a);
	for (i = 0;; i++) {
		unsigned int bits = list[i].bits, b = 0;

		while (bits >= 8 && list[i].prefix[b] == a[b]) {
			b++;
			bits -= 8;
		}
		if (bits < 8 &&
		    (list[i].prefix[b % 16] & (0xff00 >> bits)) ==
			    (a[b % 16] & (0xff00 >> bits)))
			return list[i].val;
	}
}

static int get_scope(int family, const uint8_t *a)
{
	if (family == AF_INET6) {
		if (a[0] == 0xff)
			return a[1] & 0xf;
		if ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
		    IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a))
			return 2;
		if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
			return 5;
		return 14;
	}
	if ((a[0] == 169 && a[1] == 254) || a[0] == 127)
		return 2;
	return 14;
}

/* glibc's fls(): the number of leading zero bits (32 for 0) */
static int lead_zeros(uint32_t a)
{
	return a ? __builtin_clz(a) : 32;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * shim_sort_cmp() - glibc's rfc3484_sort() on two destinations
 *
 * Return: < 0 when @a1 goes first; never 0 (rule 10: resolver order)
 */
int shim_sort_cmp(const struct shim_sort_item *a1,
		  const struct shim_sort_item *a2)
{
	int a1_dst_scope, a2_dst_scope, p1, p2;

	/* Rule 1: avoid unusable destinations */
	if (a1->got_src && !a2->got_src)
		return -1;
	if (!a1->got_src && a2->got_src)
		return 1;

	/* Rule 2: prefer matching scope */
	a1_dst_scope = get_scope(a1->family, a1->addr);
	a2_dst_scope = get_scope(a2->family, a2->addr);
	if (a1->got_src) {
		int s1 = get_scope(a1->src.family, a1->src.addr);
		int s2 = get_scope(a2->src.family, a2->src.addr);

		if (a1_dst_scope == s1 && a2_dst_scope != s2)
			return -1;
		if (a1_dst_scope != s1 && a2_dst_scope == s2)
			return 1;
	}

	/* Rule 3: avoid deprecated addresses */
	if (a1->got_src) {
		bool d1 = a1->src.flags & SHIM_SRC_DEPRECATED;
		bool d2 = a2->src.flags & SHIM_SRC_DEPRECATED;

		if (!d1 && d2)
			return -1;
		if (d1 && !d2)
			return 1;
	}

	/* Rule 4: prefer home addresses */
	if (a1->got_src) {
		bool h1 = a1->src.flags & SHIM_SRC_HOME;
		bool h2 = a2->src.flags & SHIM_SRC_HOME;

		if (!h1 && h2)
			return 1;
		if (h1 && !h2)
			return -1;
	}

	/* Rule 5: prefer matching label */
	if (a1->got_src) {
		int l1d = match_prefix(a1->family, a1->addr, labels);
		int l1s = match_prefix(a1->src.family, a1->src.addr, labels);
		int l2d = match_prefix(a2->family, a2->addr, labels);
		int l2s = match_prefix(a2->src.family, a2->src.addr, labels);

		if (l1d == l1s && l2d != l2s)
			return -1;
		if (l1d != l1s && l2d == l2s)
			return 1;
	}

	/* Rule 6: prefer higher precedence */
	p1 = match_prefix(a1->family, a1->addr, precedence);
	p2 = match_prefix(a2->family, a2->addr, precedence);
	if (p1 > p2)
		return -1;
	if (p1 < p2)
		return 1;

	/* Rule 7: prefer native transport */
	if (a1->got_src && a1->src.index != a2->src.index) {
		if (a1->src.native && !a2->src.native)
			return -1;
		if (!a1->src.native && a2->src.native)
			return 1;
	}

	/* Rule 8: prefer smaller scope */
	if (a1_dst_scope < a2_dst_scope)
		return -1;
	if (a1_dst_scope > a2_dst_scope)
		return 1;

	/* Rule 9: use longest matching prefix */
	if (a1->got_src && a1->family == a2->family) {
		int bit1 = 0, bit2 = 0;

		if (a1->family == AF_INET) {
			uint32_t d1 = rd32(a1->addr), s1 = rd32(a1->src.addr);
			uint32_t d2 = rd32(a2->addr), s2 = rd32(a2->src.addr);
			/* glibc shifts by 32 for a prefix length of 0; x86
			 * takes that as 0: all ones */
			uint32_t m1 = 0xffffffffu << ((32 - a1->src.prefixlen) & 31);
			uint32_t m2 = 0xffffffffu << ((32 - a2->src.prefixlen) & 31);

			if ((s1 & m1) == (d1 & m1))
				bit1 = lead_zeros(d1 ^ s1);
			if ((s2 & m2) == (d2 & m2))
				bit2 = lead_zeros(d2 ^ s2);
		} else {
			int i;

			for (i = 0; i < 4; i++)
				if (rd32(a1->addr + 4 * i) !=
					    rd32(a1->src.addr + 4 * i) ||
				    rd32(a2->addr + 4 * i) !=
					    rd32(a2->src.addr + 4 * i))
					break;
			if (i < 4) {
				bit1 = lead_zeros(rd32(a1->addr + 4 * i) ^
						  rd32(a1->src.addr + 4 * i));
				bit2 = lead_zeros(rd32(a2->addr + 4 * i) ^
						  rd32(a2->src.addr + 4 * i));
			}
		}
		if (bit1 > bit2)
			return -1;
		if (bit1 < bit2)
			return 1;
	}

	/* Rule 10: otherwise, leave the order unchanged */
	return a1->index < a2->index ? -1 : 1;
}

/* glibc's msort: top-down, the left run wins ties */
static void msort(struct shim_sort_item *v, size_t n,
		  struct shim_sort_item *tmp)
{
	size_t n1 = n / 2, n2 = n - n1, i = 0, j = 0, k = 0;
	struct shim_sort_item *b1 = v, *b2 = v + n1;

	if (n <= 1)
		return;
	msort(b1, n1, tmp);
	msort(b2, n2, tmp);
	while (i < n1 && j < n2) {
		if (shim_sort_cmp(&b1[i], &b2[j]) <= 0)
			tmp[k++] = b1[i++];
		else
			tmp[k++] = b2[j++];
	}
	while (i < n1)
		tmp[k++] = b1[i++];
	/* the rest of b2 is in place already */
	memcpy(v, tmp, k * sizeof(*v));
}

/**
 * shim_sort() - order destinations as glibc's getaddrinfo() does
 * @v:	the items; each index is its position in resolver order
 * @n:	how many
 */
void shim_sort(struct shim_sort_item *v, size_t n)
{
	struct shim_sort_item *tmp;

	if (n < 2)
		return;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return;
	msort(v, n, tmp);
	free(tmp);
}
