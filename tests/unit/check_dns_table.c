// SPDX-License-Identifier: GPL-2.0-or-later
/* check_dns_table.c - unit tests of the IP-to-names table */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_table.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define S(x)		((uint64_t)(x) * 1000)	/* seconds to ms */

/* Add by textual address */
static int add(struct dns_table *t, const char *ip, const char *name,
	       uint32_t ttl, uint64_t now)
{
	uint8_t a[16];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(family, ip, a), 1);
	return dns_table_add(t, family, a, name, ttl, now);
}

static int lookup(struct dns_table *t, const char *ip, uint64_t now,
		  const char **names, size_t max)
{
	uint8_t a[16];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(family, ip, a), 1);
	return dns_table_lookup(t, family, a, now, names, max);
}

static bool has(const char **names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* Is @name live for @ip at @now?  (A lookup: it extends by grace.) */
static bool live(struct dns_table *t, const char *ip, const char *name,
		 uint64_t now)
{
	const char *names[64];
	int n = lookup(t, ip, now, names, ARRAY_SIZE(names));

	ck_assert_int_ge(n, 0);
	return has(names, n, name);
}

START_TEST(test_dns_table_names_per_ip)
{
	struct dns_table *t = dns_table_init(64, 0, 3600, 0);
	const char *names[8];
	int n;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(add(t, "140.82.112.3", "github.com", 60, 0), 1);
	ck_assert_int_eq(add(t, "140.82.112.3", "gist.github.com", 60, 0), 1);
	ck_assert_int_eq(add(t, "140.82.112.4", "github.com", 60, 0), 1);
	ck_assert_int_eq(add(t, "2001:db8::3", "github.com", 60, 0), 1);

	n = lookup(t, "140.82.112.3", S(1), names, ARRAY_SIZE(names));
	ck_assert_int_eq(n, 2);
	ck_assert(has(names, n, "github.com"));
	ck_assert(has(names, n, "gist.github.com"));
	/* several IPs per name: the second did not replace the first */
	n = lookup(t, "140.82.112.4", S(1), names, ARRAY_SIZE(names));
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(names[0], "github.com");
	n = lookup(t, "2001:db8::3", S(1), names, ARRAY_SIZE(names));
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(lookup(t, "140.82.112.5", S(1), names, 8), 0);
	ck_assert_int_eq(lookup(t, "2001:db8::4", S(1), names, 8), 0);
	dns_table_free(t);
}
END_TEST

START_TEST(test_dns_table_refresh_not_duplicate)
{
	struct dns_table *t = dns_table_init(8, 0, 3600, 0);
	struct dns_table_stats st;
	const char *names[8];

	ck_assert_int_eq(add(t, "192.0.2.1", "a.example", 10, 0), 1);
	ck_assert_int_eq(add(t, "192.0.2.1", "A.Example", 100, S(5)), 0);
	ck_assert_int_eq(lookup(t, "192.0.2.1", S(50), names, 8), 1);
	ck_assert_str_eq(names[0], "a.example");
	/* a shorter TTL later never shortens the life */
	ck_assert_int_eq(add(t, "192.0.2.1", "a.example", 1, S(6)), 0);
	ck_assert(live(t, "192.0.2.1", "a.example", S(104)));
	ck_assert(!live(t, "192.0.2.1", "a.example", S(105)));
	dns_table_stats(t, &st);
	ck_assert_uint_eq(st.pairs, 1);
	ck_assert_uint_eq(st.names, 1);
	ck_assert_uint_eq(st.addrs, 1);
	dns_table_free(t);
}
END_TEST

/* Life = max(min(ttl, max_ttl), min_ttl), grace 0 */
START_TEST(test_dns_table_ttl_rules)
{
	static const struct {
		uint32_t min_ttl, max_ttl, ttl;
		uint64_t life_ms;
	} t[] = {
		{ 30, 300, 0, S(30) },	/* min_ttl applies to TTL 0 */
		{ 30, 300, 1, S(30) },
		{ 30, 300, 100, S(100) },
		{ 30, 300, 300, S(300) },
		{ 30, 300, 86400, S(300) },	/* max_ttl caps */
		{ 0, 300, 0, 0 },		/* no floor: dead at once */
		{ 5, 5, 1000, S(5) },
		{ 0, UINT32_MAX, UINT32_MAX, S(UINT32_MAX) },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct dns_table *tab = dns_table_init(4, t[i].min_ttl,
						       t[i].max_ttl, 0);
		uint64_t now = S(1000);

		ck_assert_ptr_nonnull(tab);
		ck_assert_int_eq(add(tab, "198.51.100.1", "x.test", t[i].ttl,
				     now),
				 1);
		if (t[i].life_ms)
			ck_assert_msg(live(tab, "198.51.100.1", "x.test",
					   now + t[i].life_ms - 1),
				      "row %u: dead too early", i);
		ck_assert_msg(!live(tab, "198.51.100.1", "x.test",
				    now + t[i].life_ms),
			      "row %u: alive too long", i);
		dns_table_free(tab);
	}
}
END_TEST

START_TEST(test_dns_table_grace_extends)
{
	struct dns_table *t = dns_table_init(8, 0, 3600, 60);

	ck_assert_int_eq(add(t, "192.0.2.9", "flow.test", 10, 0), 1);
	/* a use at 5 s keeps it until 65 s, past its TTL */
	ck_assert(live(t, "192.0.2.9", "flow.test", S(5)));
	ck_assert(live(t, "192.0.2.9", "flow.test", S(64)));	/* -> 124 */
	ck_assert(live(t, "192.0.2.9", "flow.test", S(123))); /* -> 183 */
	ck_assert(!live(t, "192.0.2.9", "flow.test", S(183)));
	dns_table_free(t);
}
END_TEST

START_TEST(test_dns_table_grace_never_shortens)
{
	struct dns_table *t = dns_table_init(8, 0, 3600, 10);

	ck_assert_int_eq(add(t, "192.0.2.9", "long.test", 1000, 0), 1);
	ck_assert(live(t, "192.0.2.9", "long.test", S(1)));
	ck_assert(live(t, "192.0.2.9", "long.test", S(999)));
	ck_assert(live(t, "192.0.2.9", "long.test", S(1008)));
	ck_assert(!live(t, "192.0.2.9", "long.test", S(1018)));
	dns_table_free(t);
}
END_TEST

/* Without a use, grace does not apply: an unused pair ends with its TTL */
START_TEST(test_dns_table_expired_lookup_empty)
{
	struct dns_table *t = dns_table_init(8, 0, 3600, 600);
	struct dns_table_stats st;
	const char *names[4];

	ck_assert_int_eq(add(t, "203.0.113.5", "gone.test", 10, 0), 1);
	ck_assert_int_eq(add(t, "203.0.113.5", "stays.test", 100, 0), 1);
	/* past its life, before any expire(): invisible, not revived */
	ck_assert_int_eq(lookup(t, "203.0.113.5", S(10), names, 4), 1);
	ck_assert_str_eq(names[0], "stays.test");
	ck_assert_int_eq(lookup(t, "203.0.113.5", S(11), names, 4), 1);
	ck_assert_str_eq(names[0], "stays.test");

	ck_assert_uint_eq(dns_table_expire(t, S(11)), 1);
	dns_table_stats(t, &st);
	ck_assert_uint_eq(st.pairs, 1);
	ck_assert_uint_eq(st.names, 1);
	ck_assert_uint_eq(st.expired, 1);

	/* stays.test was used at 11 s: grace keeps it to 611 s */
	ck_assert_uint_eq(dns_table_expire(t, S(610)), 0);
	ck_assert_uint_eq(dns_table_expire(t, S(611)), 1);
	ck_assert_int_eq(lookup(t, "203.0.113.5", S(611), names, 4), 0);
	dns_table_stats(t, &st);
	ck_assert_uint_eq(st.pairs, 0);
	ck_assert_uint_eq(st.addrs, 0);
	ck_assert_uint_eq(st.names, 0);
	dns_table_free(t);
}
END_TEST

/* Full table: an expired pair goes before the least recently used one */
START_TEST(test_dns_table_evict_expired_first)
{
	struct dns_table *t = dns_table_init(3, 0, 3600, 0);
	struct dns_table_stats st;

	ck_assert_int_eq(add(t, "192.0.2.1", "old.test", 1000, 0), 1);
	ck_assert_int_eq(add(t, "192.0.2.2", "short.test", 10, S(1)), 1);
	ck_assert_int_eq(add(t, "192.0.2.3", "new.test", 1000, S(2)), 1);
	/* old.test is the least recently used, but short.test is dead */
	ck_assert_int_eq(add(t, "192.0.2.4", "d.test", 1000, S(20)), 1);
	ck_assert(live(t, "192.0.2.1", "old.test", S(21)));
	ck_assert(live(t, "192.0.2.3", "new.test", S(21)));
	ck_assert(live(t, "192.0.2.4", "d.test", S(21)));
	dns_table_stats(t, &st);
	ck_assert_uint_eq(st.evicted, 0);
	ck_assert_uint_eq(st.expired, 1);
	ck_assert_uint_eq(st.pairs, 3);
	dns_table_free(t);
}
END_TEST

/* Full table, everything live: the least recently used pair goes */
START_TEST(test_dns_table_evict_lru)
{
	struct dns_table *t = dns_table_init(3, 0, 3600, 0);
	struct dns_table_stats st;

	ck_assert_int_eq(add(t, "192.0.2.1", "a.test", 1000, 0), 1);
	ck_assert_int_eq(add(t, "192.0.2.2", "b.test", 1000, S(1)), 1);
	ck_assert_int_eq(add(t, "192.0.2.3", "c.test", 1000, S(2)), 1);
	ck_assert(live(t, "192.0.2.1", "a.test", S(3)));  /* a used: b LRU */
	ck_assert_int_eq(add(t, "192.0.2.4", "d.test", 1000, S(4)), 1);
	ck_assert(!live(t, "192.0.2.2", "b.test", S(5)));
	ck_assert(live(t, "192.0.2.1", "a.test", S(5)));
	ck_assert(live(t, "192.0.2.3", "c.test", S(5)));
	ck_assert(live(t, "192.0.2.4", "d.test", S(5)));
	/* refreshing counts as a use too: a, c, d used in that order */
	ck_assert_int_eq(add(t, "192.0.2.1", "a.test", 1000, S(6)), 0);
	ck_assert_int_eq(add(t, "192.0.2.5", "e.test", 1000, S(7)), 1);
	ck_assert(!live(t, "192.0.2.3", "c.test", S(8)));
	ck_assert(live(t, "192.0.2.1", "a.test", S(8)));
	dns_table_stats(t, &st);
	ck_assert_uint_eq(st.evicted, 2);
	ck_assert_uint_eq(st.pairs, 3);
	ck_assert_uint_le(st.names, 3);
	ck_assert_uint_le(st.addrs, 3);
	dns_table_free(t);
}
END_TEST

/* Eviction of a pair whose name or address the new pair shares */
START_TEST(test_dns_table_evict_shared)
{
	struct dns_table *t = dns_table_init(2, 0, 3600, 0);
	const char *names[4];

	ck_assert_int_eq(add(t, "192.0.2.1", "same.test", 100, 0), 1);
	ck_assert_int_eq(add(t, "192.0.2.2", "other.test", 100, 1), 1);
	/* evicts (192.0.2.1, same.test), then reuses neither slot wrongly */
	ck_assert_int_eq(add(t, "192.0.2.1", "third.test", 100, 2), 1);
	ck_assert_int_eq(lookup(t, "192.0.2.1", 3, names, 4), 1);
	ck_assert_str_eq(names[0], "third.test");
	ck_assert_int_eq(add(t, "192.0.2.9", "third.test", 100, 4), 1);
	ck_assert_int_eq(lookup(t, "192.0.2.9", 5, names, 4), 1);
	ck_assert_str_eq(names[0], "third.test");
	ck_assert_int_eq(lookup(t, "192.0.2.1", 5, names, 4), 1);
	ck_assert_int_eq(lookup(t, "192.0.2.2", 5, names, 4), 0);
	dns_table_free(t);
}
END_TEST

START_TEST(test_dns_table_v4_mapped)
{
	struct dns_table *t = dns_table_init(8, 0, 3600, 0);
	const char *names[4];

	ck_assert_int_eq(add(t, "::ffff:192.0.2.77", "mapped.test", 60, 0), 1);
	ck_assert_int_eq(lookup(t, "192.0.2.77", 1, names, 4), 1);
	ck_assert_int_eq(add(t, "192.0.2.77", "mapped.test", 60, 0), 0);
	ck_assert_int_eq(lookup(t, "::ffff:192.0.2.77", 1, names, 4), 1);
	ck_assert_int_eq(lookup(t, "::192.0.2.77", 1, names, 4), 0);
	dns_table_free(t);
}
END_TEST

START_TEST(test_dns_table_lookup_max)
{
	struct dns_table *t = dns_table_init(8, 0, 3600, 0);
	const char *names[1];

	ck_assert_int_eq(add(t, "192.0.2.1", "one.test", 60, 0), 1);
	ck_assert_int_eq(add(t, "192.0.2.1", "two.test", 60, 0), 1);
	ck_assert_int_eq(add(t, "192.0.2.1", "three.test", 60, 0), 1);
	/* the count says there is more than the room given */
	ck_assert_int_eq(lookup(t, "192.0.2.1", 1, names, 1), 3);
	ck_assert_str_eq(names[0], "three.test");
	ck_assert_int_eq(lookup(t, "192.0.2.1", 1, NULL, 0), 3);
	dns_table_free(t);
}
END_TEST

START_TEST(test_dns_table_invalid)
{
	struct dns_table *t = dns_table_init(8, 0, 3600, 0);
	char long_name[300];
	uint8_t a[16] = { 192, 0, 2, 1 };
	const char *names[1];

	ck_assert_int_eq(dns_table_add(t, AF_UNIX, a, "x.test", 1, 0),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(dns_table_lookup(t, AF_UNIX, a, 0, names, 1),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(dns_table_add(t, AF_INET, a, "", 1, 0), -EINVAL);
	ck_assert_int_eq(dns_table_add(t, AF_INET, a, "x.test.", 1, 0),
			 -EINVAL);
	ck_assert_int_eq(dns_table_add(t, AF_INET, a, "a b", 1, 0), -EINVAL);
	ck_assert_int_eq(dns_table_add(t, AF_INET, a, "\x7f", 1, 0), -EINVAL);
	memset(long_name, 'a', sizeof(long_name));
	long_name[253] = '\0';
	ck_assert_int_eq(dns_table_add(t, AF_INET, a, long_name, 1, 0), 1);
	long_name[253] = 'a';
	long_name[254] = '\0';
	ck_assert_int_eq(dns_table_add(t, AF_INET, a, long_name, 1, 0),
			 -EINVAL);
	dns_table_free(t);

	ck_assert_ptr_null(dns_table_init(0, 0, 1, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(dns_table_init(8, 10, 5, 0));
	ck_assert_ptr_null(dns_table_init((size_t)1 << 30, 0, 5, 0));
	dns_table_free(NULL);
}
END_TEST

/*
 * Random adds, lookups and expiries on a small table against a plain
 * model of the same rules: same live names for every address, always.
 */
#define M_CAP	16
#define M_ADDRS	12
#define M_NAMES	10

struct model_pair {
	bool used;
	int addr, name;
	uint64_t expire, last, added;
};

static uint64_t model_seq;

static int model_find(struct model_pair *m, int a, int n)
{
	int i;

	for (i = 0; i < M_CAP; i++)
		if (m[i].used && m[i].addr == a && m[i].name == n)
			return i;
	return -1;
}

START_TEST(test_dns_table_model)
{
	struct model_pair m[M_CAP] = { 0 };
	struct dns_table *t = dns_table_init(M_CAP, 2, 50, 7);
	char names[M_NAMES][16];
	uint64_t now = 0;
	unsigned int seed = 1234 + (unsigned int)_i;
	int step, i;

	for (i = 0; i < M_NAMES; i++)
		snprintf(names[i], sizeof(names[i]), "n%d.test", i);

	for (step = 0; step < 20000; step++) {
		int op = rand_r(&seed) % 10;
		int a = rand_r(&seed) % M_ADDRS;
		uint8_t ip[4] = { 10, 0, 0, (uint8_t)a };

		now += (uint64_t)(rand_r(&seed) % 1500);
		if (op < 5) {
			int n = rand_r(&seed) % M_NAMES;
			uint32_t ttl = (uint32_t)(rand_r(&seed) % 80);
			uint32_t life = ttl < 2 ? 2 : ttl > 50 ? 50 : ttl;
			uint64_t end = now + S(life);
			int k = model_find(m, a, n), ret;
			bool existed = k >= 0;

			if (existed) {
				if (end > m[k].expire)
					m[k].expire = end;
				m[k].last = ++model_seq;
			} else {
				int used = 0, victim = -1;

				for (i = 0; i < M_CAP; i++)
					used += m[i].used;
				if (used == M_CAP) {
					for (i = 0; i < M_CAP; i++)
						if (m[i].expire <= now)
							m[i].used = false;
					for (i = 0; i < M_CAP; i++)
						if (!m[i].used)
							break;
					if (i == M_CAP) {
						for (i = 0; i < M_CAP; i++) {
							uint64_t l = m[i].last;

							if (victim < 0 ||
							    l < m[victim].last)
								victim = i;
						}
						m[victim].used = false;
					}
				}
				for (k = 0; m[k].used; k++)
					;
				++model_seq;
				m[k] = (struct model_pair){ true, a, n, end,
							    model_seq,
							    model_seq };
			}
			ret = dns_table_add(t, AF_INET, ip, names[n], ttl,
					    now);
			ck_assert_int_eq(ret, existed ? 0 : 1);
		} else if (op < 9) {
			const char *got[M_CAP];
			int n, want = 0, order[M_CAP], j;

			n = dns_table_lookup(t, AF_INET, ip, now, got, M_CAP);
			/* the model's live names, each found in @got */
			for (i = 0; i < M_CAP; i++) {
				if (!m[i].used || m[i].addr != a ||
				    m[i].expire <= now)
					continue;
				ck_assert_msg(has(got, n, names[m[i].name]),
					      "step %d: %s missing", step,
					      names[m[i].name]);
				if (now + S(7) > m[i].expire)
					m[i].expire = now + S(7);
				/* insertion sort, newest first: the order
				 * in which the table touches them */
				for (j = want; j > 0 &&
					       m[order[j - 1]].added <
						       m[i].added;
				     j--)
					order[j] = order[j - 1];
				order[j] = i;
				want++;
			}
			for (j = 0; j < want; j++)
				m[order[j]].last = ++model_seq;
			ck_assert_int_eq(n, want);
		} else {
			dns_table_expire(t, now);
			for (i = 0; i < M_CAP; i++)
				if (m[i].used && m[i].expire <= now)
					m[i].used = false;
		}
	}

	{
		struct dns_table_stats st;

		dns_table_expire(t, now + S(1000));
		dns_table_stats(t, &st);
		ck_assert_uint_eq(st.pairs, 0);
		ck_assert_uint_eq(st.addrs, 0);
		ck_assert_uint_eq(st.names, 0);
	}
	dns_table_free(t);
}
END_TEST

/* Many names on one address, many addresses: the structure holds */
START_TEST(test_dns_table_large)
{
	struct dns_table *t = dns_table_init(4096, 1, 3600, 0);
	struct dns_table_stats st;
	const char **names = calloc(5000, sizeof(*names));
	char name[32];
	uint32_t i;

	for (i = 0; i < 3000; i++) {
		uint8_t a[4] = { 198, 51, 100, 1 };

		snprintf(name, sizeof(name), "host%u.cdn.test", i);
		ck_assert_int_eq(dns_table_add(t, AF_INET, a, name, 60, 0), 1);
	}
	for (i = 0; i < 3000; i++) {
		uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

		a[12] = (uint8_t)(i >> 8);
		a[15] = (uint8_t)i;
		ck_assert_int_ge(dns_table_add(t, AF_INET6, a, "v6.test", 60,
					       1),
				 0);
	}
	dns_table_stats(t, &st);
	ck_assert_uint_eq(st.pairs, 4096);
	ck_assert_uint_eq(st.evicted, 3000 + 3000 - 4096);
	/* the oldest names of the shared address went first */
	{
		uint8_t a[4] = { 198, 51, 100, 1 };
		int n = dns_table_lookup(t, AF_INET, a, 2, names, 5000);

		ck_assert_int_eq(n, 4096 - 3000);
		ck_assert(!has(names, n, "host0.cdn.test"));
		ck_assert(has(names, n, "host2999.cdn.test"));
	}
	free(names);
	dns_table_free(t);
}
END_TEST

static Suite *dns_table_suite(void)
{
	Suite *s = suite_create("dns_table");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_dns_table_names_per_ip);
	tcase_add_test(tc, test_dns_table_refresh_not_duplicate);
	tcase_add_test(tc, test_dns_table_ttl_rules);
	tcase_add_test(tc, test_dns_table_grace_extends);
	tcase_add_test(tc, test_dns_table_grace_never_shortens);
	tcase_add_test(tc, test_dns_table_expired_lookup_empty);
	tcase_add_test(tc, test_dns_table_evict_expired_first);
	tcase_add_test(tc, test_dns_table_evict_lru);
	tcase_add_test(tc, test_dns_table_evict_shared);
	tcase_add_test(tc, test_dns_table_v4_mapped);
	tcase_add_test(tc, test_dns_table_lookup_max);
	tcase_add_test(tc, test_dns_table_invalid);
	tcase_add_loop_test(tc, test_dns_table_model, 0, 4);
	tcase_add_test(tc, test_dns_table_large);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dns_table_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
