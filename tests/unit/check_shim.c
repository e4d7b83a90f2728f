// SPDX-License-Identifier: GPL-2.0-or-later
/* check_shim.c - the shim's pure parts: configuration, /etc/hosts, names,
 * and the RFC 6724 order */

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

START_TEST(test_shim_conf_nsswitch)
{
	static const struct {
		const char *text;
		bool ok;
	} t[] = {
		{ "hosts: files dns\n", true },
		{ "hosts:files dns", true },
		{ "  hosts:\tfiles   dns  # comment\n", true },
		{ "passwd: files\nhosts: files dns\nnetworks: files\n", true },
		{ "#hosts: dns\nhosts: files dns\n", true },
		{ "hosts: files dns\r\n", true },
		{ "hosts: dns files\n", false },
		{ "hosts: files\n", false },
		{ "hosts: files mdns4_minimal [NOTFOUND=return] dns\n", false },
		{ "hosts: files dns myhostname\n", false },
		{ "hosts: files [NOTFOUND=return] dns\n", false },
		{ "hosts: files dns\nhosts: files dns\n", false },
		{ "networks: files dns\n", false },
		{ "hostsx: files dns\n", false },
		{ "", false },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(shim_conf_nsswitch_ok(t[i].text) == t[i].ok,
			      "case %zu: %s", i, t[i].text);
}
END_TEST

START_TEST(test_shim_conf_resolv)
{
	struct shim_conf c;

	ck_assert_int_eq(shim_conf_resolv("nameserver 127.0.0.53\n", &c), 0);
	ck_assert_uint_eq(c.ndots, 1);
	ck_assert_uint_eq(c.nsearch, 0);
	ck_assert(!c.no_tld_query);

	ck_assert_int_eq(shim_conf_resolv("search a.test\tb.test  c.test\n"
					  "options ndots:5 rotate\n", &c), 0);
	ck_assert_uint_eq(c.nsearch, 3);
	ck_assert_str_eq(c.search[0], "a.test");
	ck_assert_str_eq(c.search[1], "b.test");
	ck_assert_str_eq(c.search[2], "c.test");
	ck_assert_uint_eq(c.ndots, 5);

	/* the last of domain and search wins; options add up */
	ck_assert_int_eq(shim_conf_resolv("search a.test b.test\n"
					  "options no-tld-query\n"
					  "domain x.test y.test\n"
					  "options ndots:99\n", &c), 0);
	ck_assert_uint_eq(c.nsearch, 1);
	ck_assert_str_eq(c.search[0], "x.test");
	ck_assert_uint_eq(c.ndots, 15);
	ck_assert(c.no_tld_query);

	/* comments, lines not in column 0, look-alike keywords */
	ck_assert_int_eq(shim_conf_resolv("; search a.test\n# search b\n"
					  " search c.test\nsearchx d\n"
					  "search\n", &c), 0);
	ck_assert_uint_eq(c.nsearch, 0);

	ck_assert_int_eq(shim_conf_resolv("sortlist 10.0.0.0/8\n", &c),
			 SHIM_FALLBACK);
	ck_assert_int_eq(shim_conf_resolv("options no-aaaa\n", &c),
			 SHIM_FALLBACK);
	ck_assert_int_eq(shim_conf_resolv("search a b c d e f g h i\n", &c),
			 SHIM_FALLBACK);
}
END_TEST

START_TEST(test_shim_conf_hostconf)
{
	struct shim_conf c;

	ck_assert_int_eq(shim_conf_hostconf("multi on\n", &c), 0);
	ck_assert(c.multi);
	ck_assert_int_eq(shim_conf_hostconf("# multi on\norder hosts,bind\n",
					    &c), 0);
	ck_assert(!c.multi);
	ck_assert_int_eq(shim_conf_hostconf("MULTI On\nmulti off\n", &c), 0);
	ck_assert(!c.multi);
	ck_assert_int_eq(shim_conf_hostconf("reorder on\n", &c), SHIM_FALLBACK);
	ck_assert_int_eq(shim_conf_hostconf("reorder off\nmulti on\n", &c), 0);
	ck_assert_int_eq(shim_conf_hostconf("trim .example.test\n", &c),
			 SHIM_FALLBACK);
}
END_TEST

START_TEST(test_shim_conf_gai_default)
{
	ck_assert(shim_conf_gai_default(""));
	ck_assert(shim_conf_gai_default("# label ::1/128 0\n\n   \t\n#x\n"));
	ck_assert(!shim_conf_gai_default("precedence ::ffff:0:0/96 100\n"));
	ck_assert(!shim_conf_gai_default("# c\n  reload yes # c\n"));
}
END_TEST

static const char hosts_text[] =
	"# comment\n"
	"127.0.0.1\tlocalhost\n"
	"::1\tlocalhost ip6-localhost ip6-loopback\n"
	"  198.51.100.7  Web.Example.TEST web   # trailing comment\n"
	"2001:db8::7 web.example.test www.example.test\n"
	"198.51.100.8 other.example.test web\n"
	"::ffff:198.51.100.9 mapped.example.test\n"
	"300.1.1.1 broken.example.test\n"
	"203.0.113.1\n"
	"203.0.113.2 #hidden.example.test\n";

/* "ADDR,ADDR,...|NAME|ALIAS,ALIAS" of a lookup */
static const char *hosts(const char *name, int af, bool multi)
{
	static char out[1024];
	struct shim_result *r = malloc(sizeof(*r));
	size_t i, len = 0;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(shim_hosts_parse(hosts_text, strlen(hosts_text), name,
					  af, multi, r), 0);
	out[0] = '\0';
	if (r->status != SHIM_NSS_SUCCESS) {
		ck_assert_int_eq(r->status, SHIM_NSS_NOTFOUND);
		ck_assert_int_eq(r->herrno, HOST_NOT_FOUND);
		free(r);
		return "notfound";
	}
	for (i = 0; i < r->naddrs; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(r->addrs[i].family, r->addrs[i].addr, a, sizeof(a));
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					i ? "," : "", a);
	}
	len += (size_t)snprintf(out + len, sizeof(out) - len, "|%s|", r->name);
	for (i = 0; i < r->naliases; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					i ? "," : "", r->aliases[i]);
	free(r);
	return out;
}

START_TEST(test_shim_hosts_lookup)
{
	static const struct {
		const char *name;
		int af;
		bool multi;
		const char *want;
	} t[] = {
		/* getaddrinfo's AF_UNSPEC: each line one address, no aliases */
		{ "localhost", AF_UNSPEC, true, "127.0.0.1,::1|localhost|" },
		{ "localhost", AF_UNSPEC, false, "127.0.0.1|localhost|" },
		{ "web", AF_UNSPEC, true,
		  "198.51.100.7,198.51.100.8|Web.Example.TEST|" },
		{ "WEB.example.test", AF_UNSPEC, true,
		  "198.51.100.7,2001:db8::7|Web.Example.TEST|" },
		{ "ip6-localhost", AF_UNSPEC, true, "::1|localhost|" },
		{ "mapped.example.test", AF_UNSPEC, true,
		  "::ffff:198.51.100.9|mapped.example.test|" },
		/* per family: ::1 and v4-mapped lines count for AF_INET */
		{ "localhost", AF_INET, true,
		  "127.0.0.1,127.0.0.1|localhost|ip6-localhost,ip6-loopback" },
		{ "ip6-localhost", AF_INET, true,
		  "127.0.0.1|localhost|ip6-localhost,ip6-loopback" },
		{ "mapped.example.test", AF_INET, true,
		  "198.51.100.9|mapped.example.test|" },
		{ "localhost", AF_INET6, true,
		  "::1|localhost|ip6-localhost,ip6-loopback" },
		{ "web.example.test", AF_INET6, true,
		  "2001:db8::7|web.example.test|www.example.test" },
		/* multi: later lines' aliases, and their name if it differs */
		{ "web", AF_INET, true,
		  "198.51.100.7,198.51.100.8|Web.Example.TEST|web,web,"
		  "other.example.test" },
		{ "web", AF_INET, false, "198.51.100.7|Web.Example.TEST|web" },
		{ "broken.example.test", AF_UNSPEC, true, "notfound" },
		{ "hidden.example.test", AF_UNSPEC, true, "notfound" },
		{ "nowhere.example.test", AF_INET, true, "notfound" },
		{ "", AF_UNSPEC, true, "notfound" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = hosts(t[i].name, t[i].af, t[i].multi);

		ck_assert_msg(!strcmp(got, t[i].want),
			      "case %zu (%s): got '%s', want '%s'", i,
			      t[i].name, got, t[i].want);
	}
}
END_TEST

START_TEST(test_shim_hosts_by_addr)
{
	struct shim_result *r = malloc(sizeof(*r));
	uint8_t a[16];

	ck_assert_ptr_nonnull(r);
	inet_pton(AF_INET, "198.51.100.8", a);
	ck_assert_int_eq(shim_hosts_parse_addr(hosts_text, strlen(hosts_text),
					       AF_INET, a, r), 0);
	ck_assert_int_eq(r->status, SHIM_NSS_SUCCESS);
	ck_assert_str_eq(r->name, "other.example.test");
	/* ::1 counts as 127.0.0.1 for AF_INET; the first line wins */
	inet_pton(AF_INET, "127.0.0.1", a);
	shim_hosts_parse_addr(hosts_text, strlen(hosts_text), AF_INET, a, r);
	ck_assert_str_eq(r->name, "localhost");
	/* IPv6: only IPv6 lines, 16 bytes compared */
	inet_pton(AF_INET6, "2001:db8::7", a);
	shim_hosts_parse_addr(hosts_text, strlen(hosts_text), AF_INET6, a, r);
	ck_assert_int_eq(r->status, SHIM_NSS_SUCCESS);
	ck_assert_str_eq(r->name, "web.example.test");
	inet_pton(AF_INET6, "::ffff:198.51.100.8", a);
	shim_hosts_parse_addr(hosts_text, strlen(hosts_text), AF_INET6, a, r);
	ck_assert_int_eq(r->status, SHIM_NSS_NOTFOUND);
	ck_assert_int_eq(r->herrno, HOST_NOT_FOUND);
	free(r);
}
END_TEST

START_TEST(test_shim_name_ok)
{
	static const struct {
		const char *name;
		bool ok;
	} t[] = {
		{ "example.test", true },
		{ "Example.Test.", true },
		{ "a_b-c.example", true },
		{ "x", true },
		{ "-leading.example", false },
		{ "a..b", false },
		{ ".", false },
		{ "", false },
		{ "sp ace.example", false },
		{ "bang!.example", false },
		{ "caf\xc3\xa9.example", false },
		{ "a.example..", false },
		{ "0123456789012345678901234567890123456789012345678901234567890123.x",
		  false },
		{ "012345678901234567890123456789012345678901234567890123456789012.x",
		  true },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(shim_name_ok(t[i].name) == t[i].ok, "case %zu: %s",
			      i, t[i].name);
}
END_TEST

/* An item: "v4" or "v6" text address, the source (NULL: unreachable) */
static struct shim_sort_item item(const char *dst, const char *src,
				  size_t index)
{
	struct shim_sort_item it = { .index = index };

	it.family = strchr(dst, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(it.family, dst, it.addr), 1);
	if (src) {
		it.got_src = true;
		it.src.ok = 1;
		it.src.family = (uint8_t)(strchr(src, ':') ? AF_INET6 : AF_INET);
		ck_assert_int_eq(inet_pton(it.src.family, src, it.src.addr), 1);
		it.src.index = 2;
		it.src.native = 1;
	}
	return it;
}

static const char *order(struct shim_sort_item *v, size_t n)
{
	static char out[256];
	size_t i, len = 0;

	shim_sort(v, n);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%zu",
					v[i].index);
	return out;
}

START_TEST(test_shim_sort_rfc6724)
{
	struct shim_sort_item v[4];

	/* no sources at all (glibc under the filter, connects denied):
	 * precedence alone, IPv6 (40) before IPv4 (10) */
	v[0] = item("198.51.100.7", NULL, 0);
	v[1] = item("2001:db8::7", NULL, 1);
	ck_assert_str_eq(order(v, 2), "10");

	/* rule 1: no route to IPv6 - IPv4 first */
	v[0] = item("2001:db8::7", NULL, 0);
	v[1] = item("198.51.100.7", "192.0.2.2", 1);
	ck_assert_str_eq(order(v, 2), "10");

	/* both reachable, labels match: precedence again */
	v[0] = item("198.51.100.7", "192.0.2.2", 0);
	v[1] = item("2001:db8::7", "2001:db8:1::2", 1);
	ck_assert_str_eq(order(v, 2), "10");

	/* rule 2: scope mismatch (a link-local source for a global
	 * destination) loses */
	v[0] = item("2001:db8::7", "fe80::1", 0);
	v[1] = item("198.51.100.7", "192.0.2.2", 1);
	ck_assert_str_eq(order(v, 2), "10");

	/* rule 3: a deprecated source loses */
	v[0] = item("2001:db8::7", "2001:db8:1::2", 0);
	v[0].src.flags = SHIM_SRC_DEPRECATED;
	v[1] = item("2001:db8::8", "2001:db8:1::3", 1);
	ck_assert_str_eq(order(v, 2), "10");

	/* rule 6: 6to4 (30) after native IPv6 (40), ::1 (50) first */
	v[0] = item("2002:c000:22::1", NULL, 0);
	v[1] = item("2001:db8::1", NULL, 1);
	v[2] = item("::1", NULL, 2);
	ck_assert_str_eq(order(v, 3), "210");

	/* rule 8: smaller scope first (IPv4 link-local before global) */
	v[0] = item("198.51.100.7", "192.0.2.2", 0);
	v[1] = item("169.254.1.1", "169.254.1.2", 1);
	ck_assert_str_eq(order(v, 2), "10");

	/* rule 9: IPv4 longest matching prefix, within the subnet only */
	v[0] = item("192.0.2.200", "192.0.2.2", 0);
	v[0].src.prefixlen = 24;
	v[1] = item("192.0.2.3", "192.0.2.2", 1);
	v[1].src.prefixlen = 24;
	ck_assert_str_eq(order(v, 2), "10");
	v[0] = item("203.0.113.3", "192.0.2.2", 0);
	v[0].src.prefixlen = 24;
	v[1] = item("198.51.100.3", "192.0.2.2", 1);
	v[1].src.prefixlen = 24;
	ck_assert_str_eq(order(v, 2), "01");

	/* rule 10: equal otherwise - the resolver's order */
	v[0] = item("198.51.100.9", NULL, 0);
	v[1] = item("198.51.100.8", NULL, 1);
	v[2] = item("198.51.100.7", NULL, 2);
	v[3] = item("198.51.100.6", NULL, 3);
	ck_assert_str_eq(order(v, 4), "0123");
}
END_TEST

static Suite *shim_suite(void)
{
	Suite *s = suite_create("shim");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_shim_conf_nsswitch);
	tcase_add_test(tc, test_shim_conf_resolv);
	tcase_add_test(tc, test_shim_conf_hostconf);
	tcase_add_test(tc, test_shim_conf_gai_default);
	tcase_add_test(tc, test_shim_hosts_lookup);
	tcase_add_test(tc, test_shim_hosts_by_addr);
	tcase_add_test(tc, test_shim_name_ok);
	tcase_add_test(tc, test_shim_sort_rfc6724);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(shim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
