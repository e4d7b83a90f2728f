// SPDX-License-Identifier: GPL-2.0-or-later
/* check_sockaddr.c - the kernel's address rules, as sockaddr_canon() reads them */

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "sockaddr.h"
#include "util.h"


union any_sa {
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

struct canon_case {
	const char *name;
	int sock_family, sock_type, sock_proto;
	enum sa_call call;
	int addr_family;	/* family written into the sockaddr */
	const char *addr;	/* text; parsed as v4 or v6 by addr_family */
	uint16_t port;
	size_t len;		/* 0: the family's full size */
	/* expected */
	int ret;
	enum sa_kind kind;
	int family;		/* decided family */
	const char *decided;	/* decided address text */
	int emu_family;		/* family of the sockaddr handed on */
};

static const struct canon_case canon_cases[] = {
	{ "tcp4 connect", AF_INET, SOCK_STREAM, IPPROTO_TCP, SA_CONNECT,
	  AF_INET, "198.51.100.7", 22, 0,
	  0, SA_ADDR, AF_INET, "198.51.100.7", AF_INET },
	{ "tcp4 connect short", AF_INET, SOCK_STREAM, IPPROTO_TCP, SA_CONNECT,
	  AF_INET, "198.51.100.7", 22, 15,
	  -EINVAL, 0, 0, NULL, 0 },
	{ "tcp4 connect family 1 byte", AF_INET, SOCK_STREAM, IPPROTO_TCP,
	  SA_CONNECT, AF_INET, "198.51.100.7", 22, 1,
	  -EINVAL, 0, 0, NULL, 0 },
	{ "tcp4 connect v6 sockaddr", AF_INET, SOCK_STREAM, IPPROTO_TCP,
	  SA_CONNECT, AF_INET6, "2001:db8::1", 22, 0,
	  -EAFNOSUPPORT, 0, 0, NULL, 0 },
	{ "tcp4 connect AF_UNSPEC disconnects", AF_INET, SOCK_STREAM,
	  IPPROTO_TCP, SA_CONNECT, AF_UNSPEC, "198.51.100.7", 22, 0,
	  0, SA_NONE, 0, NULL, AF_UNSPEC },
	{ "udp4 send AF_UNSPEC is IPv4", AF_INET, SOCK_DGRAM, IPPROTO_UDP,
	  SA_SEND, AF_UNSPEC, "198.51.100.20", 53, 0,
	  0, SA_ADDR, AF_INET, "198.51.100.20", AF_INET },
	{ "udp4 send short", AF_INET, SOCK_DGRAM, IPPROTO_UDP, SA_SEND,
	  AF_INET, "198.51.100.20", 53, 8,
	  -EINVAL, 0, 0, NULL, 0 },
	{ "udp4 send AF_INET6", AF_INET, SOCK_DGRAM, IPPROTO_UDP, SA_SEND,
	  AF_INET6, "2001:db8::1", 53, 0,
	  -EAFNOSUPPORT, 0, 0, NULL, 0 },
	{ "tcp4 fastopen AF_UNSPEC refused", AF_INET, SOCK_STREAM,
	  IPPROTO_TCP, SA_SEND, AF_UNSPEC, "198.51.100.20", 80, 0,
	  -EAFNOSUPPORT, 0, 0, NULL, 0 },
	{ "icmp4 send AF_UNSPEC refused", AF_INET, SOCK_DGRAM, IPPROTO_ICMP,
	  SA_SEND, AF_UNSPEC, "198.51.100.20", 0, 0,
	  -EAFNOSUPPORT, 0, 0, NULL, 0 },
	{ "tcp6 connect", AF_INET6, SOCK_STREAM, IPPROTO_TCP, SA_CONNECT,
	  AF_INET6, "2001:db8::7", 443, 0,
	  0, SA_ADDR, AF_INET6, "2001:db8::7", AF_INET6 },
	{ "tcp6 connect rfc2133 length", AF_INET6, SOCK_STREAM, IPPROTO_TCP,
	  SA_CONNECT, AF_INET6, "2001:db8::7", 443, 24,
	  0, SA_ADDR, AF_INET6, "2001:db8::7", AF_INET6 },
	{ "tcp6 connect too short", AF_INET6, SOCK_STREAM, IPPROTO_TCP,
	  SA_CONNECT, AF_INET6, "2001:db8::7", 443, 23,
	  -EINVAL, 0, 0, NULL, 0 },
	{ "tcp6 connect v4-mapped is IPv4", AF_INET6, SOCK_STREAM, IPPROTO_TCP,
	  SA_CONNECT, AF_INET6, "::ffff:198.51.100.20", 22, 0,
	  0, SA_ADDR, AF_INET, "198.51.100.20", AF_INET6 },
	{ "tcp6 connect AF_INET sockaddr", AF_INET6, SOCK_STREAM, IPPROTO_TCP,
	  SA_CONNECT, AF_INET, "198.51.100.20", 22, 0,
	  -EINVAL, 0, 0, NULL, 0 },
	{ "udp6 connect AF_INET is IPv4", AF_INET6, SOCK_DGRAM, IPPROTO_UDP,
	  SA_CONNECT, AF_INET, "198.51.100.20", 53, 0,
	  0, SA_ADDR, AF_INET, "198.51.100.20", AF_INET },
	{ "udp6 send AF_INET is IPv4", AF_INET6, SOCK_DGRAM, IPPROTO_UDP,
	  SA_SEND, AF_INET, "198.51.100.20", 53, 0,
	  0, SA_ADDR, AF_INET, "198.51.100.20", AF_INET },
	{ "udp6 send AF_INET short", AF_INET6, SOCK_DGRAM, IPPROTO_UDP,
	  SA_SEND, AF_INET, "198.51.100.20", 53, 12,
	  -EINVAL, 0, 0, NULL, 0 },
	{ "udp6 send AF_UNSPEC is the peer", AF_INET6, SOCK_DGRAM, IPPROTO_UDP,
	  SA_SEND, AF_UNSPEC, "198.51.100.20", 53, 0,
	  0, SA_NONE, 0, NULL, 0 },
	{ "udp6 send v4-mapped is IPv4", AF_INET6, SOCK_DGRAM, IPPROTO_UDP,
	  SA_SEND, AF_INET6, "::ffff:203.0.113.5", 123, 0,
	  0, SA_ADDR, AF_INET, "203.0.113.5", AF_INET6 },
	{ "udp6 send other family", AF_INET6, SOCK_DGRAM, IPPROTO_UDP,
	  SA_SEND, AF_UNIX, "198.51.100.1", 53, 24,
	  -EINVAL, 0, 0, NULL, 0 },
	{ "udp6 connect AF_UNSPEC disconnects", AF_INET6, SOCK_DGRAM,
	  IPPROTO_UDP, SA_CONNECT, AF_UNSPEC, "198.51.100.1", 53, 0,
	  0, SA_NONE, 0, NULL, AF_UNSPEC },
	{ "icmp6 send AF_INET refused", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6,
	  SA_SEND, AF_INET, "198.51.100.20", 0, 0,
	  -EINVAL, 0, 0, NULL, 0 },
};

static size_t build(const struct canon_case *c, union any_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (c->addr_family == AF_INET6) {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_port = htons(c->port);
		ck_assert_int_eq(inet_pton(AF_INET6, c->addr,
					   &sa->in6.sin6_addr), 1);
		return c->len ? c->len : sizeof(sa->in6);
	}
	sa->in.sin_family = (sa_family_t)c->addr_family;
	sa->in.sin_port = htons(c->port);
	ck_assert_int_eq(inet_pton(AF_INET, c->addr, &sa->in.sin_addr), 1);
	return c->len ? c->len : sizeof(sa->in);
}

START_TEST(test_sockaddr_canon_kernel_rules)
{
	const struct canon_case *c = &canon_cases[_i];
	struct sa_dest d;
	union any_sa sa;
	char buf[INET6_ADDRSTRLEN];
	size_t len = build(c, &sa);
	int ret;

	ret = sockaddr_canon(c->sock_family, c->sock_type, c->sock_proto,
			     c->call, &sa, len, &d);
	ck_assert_msg(ret == c->ret, "%s: ret %d, expected %d", c->name, ret,
		      c->ret);
	if (ret)
		return;
	ck_assert_msg(d.kind == c->kind, "%s: kind %d", c->name, d.kind);
	if (c->kind == SA_ADDR) {
		ck_assert_msg(d.family == c->family, "%s: family %d", c->name,
			      d.family);
		ck_assert_str_eq(sockaddr_ntop(&d, buf, sizeof(buf)),
				 c->decided);
		ck_assert_uint_eq(d.port, c->port);
		if (c->emu_family == AF_INET) {
			const struct sockaddr_in *e = (const void *)&d.emu;

			ck_assert_uint_eq(d.emu_len, sizeof(*e));
			/* What goes to the kernel is what was decided */
			ck_assert_mem_eq(&e->sin_addr, d.addr, 4);
			ck_assert_uint_eq(ntohs(e->sin_port), c->port);
		}
	}
	ck_assert_msg(c->emu_family == 0 || d.emu.ss_family == c->emu_family,
		      "%s: emu family %d", c->name, d.emu.ss_family);
	if (c->kind == SA_NONE && c->call == SA_SEND)
		ck_assert_uint_eq(d.emu_len, 0);
}
END_TEST

START_TEST(test_sockaddr_canon_oversized)
{
	uint8_t big[sizeof(struct sockaddr_storage) + 1] = { 0 };
	struct sa_dest d;

	ck_assert_int_eq(sockaddr_canon(AF_INET, SOCK_STREAM, 0, SA_CONNECT,
					big, sizeof(big), &d), -EINVAL);
}
END_TEST

START_TEST(test_sockaddr_loopback)
{
	static const struct {
		int af;
		const char *a;
		bool lo;
	} cases[] = {
		{ AF_INET, "127.0.0.1", true },
		{ AF_INET, "127.255.0.9", true },
		{ AF_INET, "128.0.0.1", false },
		{ AF_INET6, "::1", true },
		{ AF_INET6, "::2", false },
		{ AF_INET6, "::ffff:127.0.0.1", true },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		union any_sa sa = { 0 };
		struct sa_dest d;
		size_t len;

		if (cases[i].af == AF_INET) {
			sa.in.sin_family = AF_INET;
			inet_pton(AF_INET, cases[i].a, &sa.in.sin_addr);
			len = sizeof(sa.in);
		} else {
			sa.in6.sin6_family = AF_INET6;
			inet_pton(AF_INET6, cases[i].a, &sa.in6.sin6_addr);
			len = sizeof(sa.in6);
		}
		ck_assert_int_eq(sockaddr_canon(cases[i].af, SOCK_STREAM, 0,
						SA_CONNECT, &sa, len, &d), 0);
		ck_assert_msg(sockaddr_is_loopback(&d) == cases[i].lo, "%s",
			      cases[i].a);
	}
}
END_TEST

START_TEST(test_sockaddr_unix_passthrough)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sa_dest d;

	strcpy(sun.sun_path, "/run/x.sock");
	ck_assert_int_eq(sockaddr_canon(AF_UNIX, SOCK_STREAM, 0, SA_CONNECT,
					&sun, sizeof(sun), &d), 0);
	ck_assert_int_eq(d.kind, SA_UNIX);
	ck_assert_str_eq(((struct sockaddr_un *)&d.emu)->sun_path,
			 "/run/x.sock");
}
END_TEST

static Suite *sockaddr_suite(void)
{
	Suite *s = suite_create("sockaddr");
	TCase *tc = tcase_create("canon");

	tcase_add_loop_test(tc, test_sockaddr_canon_kernel_rules, 0,
			    ARRAY_SIZE(canon_cases));
	tcase_add_test(tc, test_sockaddr_canon_oversized);
	tcase_add_test(tc, test_sockaddr_loopback);
	tcase_add_test(tc, test_sockaddr_unix_passthrough);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sockaddr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
