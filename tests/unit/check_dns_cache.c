// SPDX-License-Identifier: GPL-2.0-or-later
/* check_dns_cache.c - the stub's answer cache: keys, expiry, bounds */

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "dns_cache.h"
#include "dns_msg.h"

/* A query for NAME (dotted, as given: case kept) of TYPE, with id ID */
static size_t mkquery(uint8_t *buf, uint16_t id, const char *name,
		      uint16_t type)
{
	size_t n = 0;
	const char *p = name;

	buf[n++] = (uint8_t)(id >> 8);
	buf[n++] = (uint8_t)id;
	buf[n++] = 0x01;	/* RD */
	buf[n++] = 0;
	buf[n++] = 0, buf[n++] = 1;	/* QDCOUNT */
	memset(buf + n, 0, 6);
	n += 6;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	buf[n++] = 0;
	buf[n++] = (uint8_t)(type >> 8), buf[n++] = (uint8_t)type;
	buf[n++] = 0, buf[n++] = 1;
	return n;
}

static void parse(struct dns_query *q, uint16_t id, const char *name,
		  uint16_t type)
{
	uint8_t buf[512];
	size_t n = mkquery(buf, id, name, type);

	ck_assert_int_eq(dns_msg_parse_query(buf, n, q), 0);
}

START_TEST(test_dns_cache_hit_rewrites_id_and_case)
{
	struct dns_cache *c = dns_cache_init(4);
	struct dns_query q1, q2;
	uint8_t ans[512], out[512];
	size_t n;
	ssize_t got;

	parse(&q1, 0x1111, "www.example.test", 1);
	n = mkquery(ans, 0x1111, "www.example.test", 1);
	ans[2] |= 0x80;		/* a "response": enough for the cache */
	dns_cache_put(c, &q1, ans, n, 30, 1000);

	parse(&q2, 0x2222, "WwW.ExAmple.TEST", 1);
	got = dns_cache_get(c, &q2, out, sizeof(out), 2000);
	ck_assert_int_eq(got, (ssize_t)n);
	ck_assert_uint_eq(out[0], 0x22);
	ck_assert_uint_eq(out[1], 0x22);
	ck_assert_mem_eq(out + 12, q2.qname_wire, q2.qname_wire_len);
	dns_cache_free(c);
}
END_TEST

START_TEST(test_dns_cache_key_and_expiry)
{
	struct dns_cache *c = dns_cache_init(4);
	struct dns_query a, aaaa, other;
	uint8_t ans[512], out[512];
	size_t n;

	parse(&a, 1, "x.example.test", 1);
	parse(&aaaa, 1, "x.example.test", 28);
	parse(&other, 1, "y.example.test", 1);
	n = mkquery(ans, 1, "x.example.test", 1);
	dns_cache_put(c, &a, ans, n, 10, 0);

	ck_assert_int_eq(dns_cache_get(c, &a, out, sizeof(out), 9999),
			 (ssize_t)n);
	ck_assert_int_lt(dns_cache_get(c, &aaaa, out, sizeof(out), 1), 0);
	ck_assert_int_lt(dns_cache_get(c, &other, out, sizeof(out), 1), 0);
	/* expired after ttl seconds */
	ck_assert_int_lt(dns_cache_get(c, &a, out, sizeof(out), 10000), 0);
	/* ttl 0 is never kept */
	dns_cache_put(c, &other, ans, n, 0, 0);
	ck_assert_int_lt(dns_cache_get(c, &other, out, sizeof(out), 1), 0);
	dns_cache_free(c);
}
END_TEST

START_TEST(test_dns_cache_bounded)
{
	struct dns_cache *c = dns_cache_init(1);	/* 4 answers at most */
	uint8_t ans[512], out[512], big[2000] = { 0 };
	struct dns_query q;
	char name[64];
	int i, hits = 0;
	size_t n;

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "h%d.example.test", i);
		parse(&q, 1, name, 1);
		n = mkquery(ans, 1, name, 1);
		dns_cache_put(c, &q, ans, n, 60, (uint64_t)i);
	}
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "h%d.example.test", i);
		parse(&q, 1, name, 1);
		hits += dns_cache_get(c, &q, out, sizeof(out), 100) > 0;
	}
	ck_assert_int_eq(hits, 4);
	/* the most recent ones stayed */
	parse(&q, 1, "h9.example.test", 1);
	ck_assert_int_gt(dns_cache_get(c, &q, out, sizeof(out), 100), 0);
	/* oversized answers are not kept */
	parse(&q, 1, "huge.example.test", 1);
	dns_cache_put(c, &q, big, sizeof(big), 60, 0);
	ck_assert_int_lt(dns_cache_get(c, &q, out, sizeof(out), 1), 0);
	dns_cache_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_cache");
	TCase *tc = tcase_create("cache");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_dns_cache_hit_rewrites_id_and_case);
	tcase_add_test(tc, test_dns_cache_key_and_expiry);
	tcase_add_test(tc, test_dns_cache_bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
