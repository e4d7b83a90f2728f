// SPDX-License-Identifier: GPL-2.0-or-later
/* check_policy_ingress.c - the ingress section: parsing, errors, printing,
 * and the reference decision the supervisor's socket filters follow
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_internal.h"

static struct policy *load(const char *yaml, char **errs)
{
	struct policy *p;
	size_t len;
	FILE *f = open_memstream(errs, &len);

	ck_assert_ptr_nonnull(f);
	p = policy_load_buffer("in.yaml", yaml, strlen(yaml), NULL, 0, f);
	fclose(f);
	return p;
}

static struct policy *load_ok(const char *yaml)
{
	char *errs;
	struct policy *p = load(yaml, &errs);

	ck_assert_msg(p, "policy failed to load:\n%s\n%s", yaml, errs);
	free(errs);
	return p;
}

/* Drop the lines that are comments (the printer's origins) */
static void strip_comments(char *s)
{
	char *out = s, *line = s;

	while (*line) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);

		if (line[strspn(line, " ")] != '#') {
			memmove(out, line, len);
			out += len;
		}
		line += len;
	}
	*out = '\0';
}

static char *print_str(const struct policy *p)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	policy_print(p, f);
	fclose(f);
	return buf;
}

static const char example[] =
	"version: 1\n"
	"ingress:\n"
	"  - src: 198.51.100.10/32\n"	/* line 3 */
	"    proto: tcp\n"
	"    port: 8080\n"
	"  - src: 2001:db8:2::/64\n"	/* line 6 */
	"    port: [22, \"8000-8010\"]\n"
	"  - src: 203.0.113.0/24\n"	/* line 8 */
	"    proto: udp\n"
	"  - src: \"::ffff:192.0.2.0/120\"\n"	/* line 10 */
	"    proto: tcp\n"
	"    port: 9000-9001\n";

static const struct {
	enum policy_transport t;
	const char *src;
	uint16_t port;
	enum policy_verdict verdict;
	const char *reason;
	const char *rule;
} decide_cases[] = {
	/* tcp 8080: only 198.51.100.10 */
	{ POLICY_TRANSPORT_TCP, "198.51.100.10", 8080, POLICY_VERDICT_ALLOW,
	  "ingress_rule", "in.yaml:3" },
	{ POLICY_TRANSPORT_TCP, "198.51.100.20", 8080, POLICY_VERDICT_DENY,
	  "ingress_source", "ingress" },
	{ POLICY_TRANSPORT_TCP, "::ffff:198.51.100.10", 8080,
	  POLICY_VERDICT_ALLOW, "ingress_rule", "in.yaml:3" },
	/* udp 8080 is covered by the udp rule without ports (rule 3) */
	{ POLICY_TRANSPORT_UDP, "198.51.100.10", 8080, POLICY_VERDICT_DENY,
	  "ingress_source", "ingress" },
	{ POLICY_TRANSPORT_UDP, "203.0.113.77", 8080, POLICY_VERDICT_ALLOW,
	  "ingress_rule", "in.yaml:8" },
	/* tcp 22 and 8000-8010: the v6 network */
	{ POLICY_TRANSPORT_TCP, "2001:db8:2::99", 22, POLICY_VERDICT_ALLOW,
	  "ingress_rule", "in.yaml:6" },
	{ POLICY_TRANSPORT_TCP, "2001:db8:3::99", 22, POLICY_VERDICT_DENY,
	  "ingress_source", "ingress" },
	{ POLICY_TRANSPORT_TCP, "2001:db8:2::1", 8010, POLICY_VERDICT_ALLOW,
	  "ingress_rule", "in.yaml:6" },
	{ POLICY_TRANSPORT_TCP, "198.51.100.10", 8005, POLICY_VERDICT_DENY,
	  "ingress_source", "ingress" },
	/* tcp ports no rule names: open */
	{ POLICY_TRANSPORT_TCP, "198.51.100.20", 8011, POLICY_VERDICT_ALLOW,
	  "not_covered", "ingress" },
	{ POLICY_TRANSPORT_TCP, "2001:db8:9::1", 7999, POLICY_VERDICT_ALLOW,
	  "not_covered", "ingress" },
	/* the mapped network is IPv4 */
	{ POLICY_TRANSPORT_TCP, "192.0.2.9", 9001, POLICY_VERDICT_ALLOW,
	  "ingress_rule", "in.yaml:10" },
	{ POLICY_TRANSPORT_TCP, "::ffff:192.0.2.9", 9000,
	  POLICY_VERDICT_ALLOW, "ingress_rule", "in.yaml:10" },
	{ POLICY_TRANSPORT_TCP, "192.0.3.9", 9000, POLICY_VERDICT_DENY,
	  "ingress_source", "ingress" },
	/* icmp is never covered */
	{ POLICY_TRANSPORT_ICMP, "192.0.3.9", 0, POLICY_VERDICT_ALLOW,
	  "not_covered", "ingress" },
};

START_TEST(test_policy_ingress_decide_table)
{
	struct policy *p = load_ok(example);
	struct policy_decision d;
	uint8_t addr[16];
	int family = strchr(decide_cases[_i].src, ':') ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(family, decide_cases[_i].src, addr), 1);
	policy_ingress_decide(p, decide_cases[_i].t, family, addr,
			      decide_cases[_i].port, &d);
	ck_assert_msg(d.verdict == decide_cases[_i].verdict,
		      "%s port %u: verdict %d, want %d", decide_cases[_i].src,
		      decide_cases[_i].port, d.verdict,
		      decide_cases[_i].verdict);
	ck_assert_str_eq(d.reason, decide_cases[_i].reason);
	ck_assert_str_eq(d.rule, decide_cases[_i].rule);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_ingress_accessors)
{
	struct policy *p = load_ok(example);
	const struct policy_ingress_rule *r;
	size_t n = policy_ingress(p, &r);

	ck_assert(policy_has_ingress(p));
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(r[0].family, AF_INET);
	ck_assert_uint_eq(r[0].plen, 32);
	ck_assert_int_eq(r[0].proto, POLICY_PROTO_TCP);
	ck_assert_uint_eq(r[0].n_ports, 1);
	ck_assert_uint_eq(r[0].ports[0].lo, 8080);
	ck_assert_int_eq(r[1].family, AF_INET6);
	ck_assert_int_eq(r[1].proto, POLICY_PROTO_ANY);
	ck_assert_uint_eq(r[2].n_ports, 0);
	/* ::ffff:192.0.2.0/120 is stored as 192.0.2.0/24 */
	ck_assert_int_eq(r[3].family, AF_INET);
	ck_assert_uint_eq(r[3].plen, 24);
	ck_assert_int_eq(r[3].addr[0], 192);
	ck_assert_int_eq(r[3].addr[2], 2);
	ck_assert(policy_ingress_covers(&r[1], POLICY_TRANSPORT_UDP, 8003));
	ck_assert(!policy_ingress_covers(&r[0], POLICY_TRANSPORT_UDP, 8080));
	policy_free(p);

	p = load_ok("version: 1\n");
	ck_assert(!policy_has_ingress(p));
	ck_assert_uint_eq(policy_ingress(p, &r), 0);
	policy_free(p);
	p = load_ok("version: 1\ningress: []\n");
	ck_assert(policy_has_ingress(p));
	ck_assert_uint_eq(policy_ingress(p, &r), 0);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_ingress_ports_merged)
{
	struct policy *p = load_ok("version: 1\ningress:\n"
				   "  - src: 0.0.0.0/0\n"
				   "    port: [9000, 22, \"20-23\", 24, "
				   "8000-8999, 100, 101]\n");
	const struct policy_ingress_rule *r;
	char *out;

	ck_assert_uint_eq(policy_ingress(p, &r), 1);
	ck_assert_uint_eq(r[0].n_ports, 3);
	out = print_str(p);
	ck_assert_msg(strstr(out, "    port: [\"20-24\", \"100-101\", "
				  "\"8000-9000\"]\n"), "%s", out);
	free(out);
	policy_free(p);
}
END_TEST

static const struct {
	const char *yaml;
	const char *want;
} error_cases[] = {
	{ "version: 1\ningress:\n  - src: example.com\n",
	  "in.yaml:3:10: 'example.com' is a name: ingress sources are not "
	  "resolved (expected an IP address or a CIDR" },
	{ "version: 1\ningress:\n  - src: 198.51.100.0/24\n    proto: ssh\n",
	  "in.yaml:4:12: proto 'ssh' in an ingress rule (expected one of: "
	  "tcp, udp, any" },
	{ "version: 1\ningress:\n  - src: 198.51.100.0/24\n    proto: xyz\n",
	  "in.yaml:4:12: unknown proto 'xyz' (expected one of: tcp, udp, "
	  "any)" },
	{ "version: 1\ningress:\n  - proto: tcp\n",
	  "in.yaml:3:5: ingress rule without 'src' (expected src: an IP "
	  "address or a CIDR" },
	{ "version: 1\ningress:\n  - src: 10.0.0.0/8\n    dst: 10.0.0.1\n",
	  "in.yaml:4:5: unknown key 'dst' in an ingress rule (expected one "
	  "of: src, proto, port)" },
	{ "version: 1\ningress:\n  - src: 198.51.100.1/24\n",
	  "in.yaml:3:10: '198.51.100.1/24' has host bits set (expected the "
	  "network address, e.g. 198.51.100.0/24)" },
	{ "version: 1\ningress:\n  - src: 10.0.0.0/8\n    port: 70000\n",
	  "in.yaml:4:11: port '70000' is out of range (expected 1-65535)" },
	{ "version: 1\ningress:\n  - src: 10.0.0.0/8\n    port: []\n",
	  "in.yaml:4:11: 'port' is an empty list" },
	{ "version: 1\ningress: {src: 10.0.0.0/8}\n",
	  "in.yaml:2:10: 'ingress' is a mapping (expected a list of rules, "
	  "each starting with '- src: ...')" },
	{ "version: 1\ningress:\n  - 10.0.0.0/8\n",
	  "in.yaml:3:5: an ingress rule is a scalar (expected a mapping" },
	{ "version: 1\ningress:\n  - src: 10.0.0.0/8\n    src: 10.0.0.0/9\n",
	  "in.yaml:4:5: duplicate key 'src'" },
};

START_TEST(test_policy_ingress_errors)
{
	char *errs;
	struct policy *p = load(error_cases[_i].yaml, &errs);

	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(errs, error_cases[_i].want),
		      "got:\n%s\nwant:\n%s", errs, error_cases[_i].want);
	free(errs);
}
END_TEST

/* Every problem of every rule is reported, in file order */
START_TEST(test_policy_ingress_all_errors)
{
	char *errs;
	struct policy *p = load("version: 1\ningress:\n"
				"  - src: a.example\n    proto: icmp\n"
				"  - src: 10.0.0.0/33\n    port: 0\n", &errs);
	const char *a, *b, *c, *d;

	ck_assert_ptr_null(p);
	a = strstr(errs, "in.yaml:3:10:");
	b = strstr(errs, "in.yaml:4:12:");
	c = strstr(errs, "in.yaml:5:10:");
	d = strstr(errs, "in.yaml:6:11:");
	ck_assert_msg(a && b && c && d && a < b && b < c && c < d, "%s", errs);
	free(errs);
}
END_TEST

static char *many_rules(size_t n, size_t ports_each)
{
	char *buf = NULL;
	size_t len, i, j;
	FILE *f = open_memstream(&buf, &len);

	fputs("version: 1\ningress:\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "  - src: 10.%zu.0.0/16\n", i);
		if (!ports_each)
			continue;
		fputs("    port: [", f);
		for (j = 0; j < ports_each; j++)
			fprintf(f, "%s%zu", j ? ", " : "", 1000 + 2 * j);
		fputs("]\n", f);
	}
	fclose(f);
	return buf;
}

START_TEST(test_policy_ingress_limits)
{
	char *y, *errs;
	struct policy *p;

	y = many_rules(POLICY_INGRESS_MAX_RULES, 2);
	p = load_ok(y);
	policy_free(p);
	free(y);

	y = many_rules(POLICY_INGRESS_MAX_RULES + 1, 0);
	p = load(y, &errs);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(errs, "more than 128 ingress rules"), "%s", errs);
	free(errs);
	free(y);

	y = many_rules(4, POLICY_INGRESS_MAX_RANGES / 4);
	p = load_ok(y);
	policy_free(p);
	free(y);
	y = many_rules(4, POLICY_INGRESS_MAX_RANGES / 4 + 1);
	p = load(y, &errs);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(errs, "more than 256 port ranges"), "%s", errs);
	free(errs);
	free(y);
}
END_TEST

START_TEST(test_policy_ingress_print_roundtrip)
{
	static const char *const files[] = {
		example,
		"version: 1\ningress: []\n",
		"version: 1\ningress:\n  - src: \"::/0\"\n    proto: any\n",
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct policy *p = load_ok(files[i]), *p2;
		char *out = print_str(p), *out2;

		ck_assert_msg(strstr(out, "ingress:"), "%s", out);
		p2 = load_ok(out);
		out2 = print_str(p2);
		/* the comments name lines of different files */
		strip_comments(out);
		strip_comments(out2);
		ck_assert_str_eq(out, out2);
		policy_free(p);
		policy_free(p2);
		free(out);
		free(out2);
	}
}
END_TEST

START_TEST(test_policy_ingress_printed_form)
{
	struct policy *p = load_ok(example);
	char *out = print_str(p);

	ck_assert_msg(strstr(out, "ingress:\n"
				  "  # in.yaml:3\n"
				  "  - src: \"198.51.100.10\"\n"
				  "    proto: tcp\n"
				  "    port: [8080]\n"
				  "  # in.yaml:6\n"
				  "  - src: \"2001:db8:2::/64\"\n"
				  "    proto: any\n"
				  "    port: [22, \"8000-8010\"]\n"
				  "  # in.yaml:8\n"
				  "  - src: \"203.0.113.0/24\"\n"
				  "    proto: udp\n"
				  "  # in.yaml:10\n"
				  "  - src: \"192.0.2.0/24\"\n"), "%s", out);
	free(out);
	policy_free(p);
	p = load_ok("version: 1\n");
	out = print_str(p);
	ck_assert_msg(!strstr(out, "ingress"), "%s", out);
	free(out);
	policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_ingress");
	TCase *tc = tcase_create("ingress");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_policy_ingress_decide_table, 0,
			    sizeof(decide_cases) / sizeof(decide_cases[0]));
	tcase_add_test(tc, test_policy_ingress_accessors);
	tcase_add_test(tc, test_policy_ingress_ports_merged);
	tcase_add_loop_test(tc, test_policy_ingress_errors, 0,
			    sizeof(error_cases) / sizeof(error_cases[0]));
	tcase_add_test(tc, test_policy_ingress_all_errors);
	tcase_add_test(tc, test_policy_ingress_limits);
	tcase_add_test(tc, test_policy_ingress_print_roundtrip);
	tcase_add_test(tc, test_policy_ingress_printed_form);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
