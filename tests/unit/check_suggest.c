// SPDX-License-Identifier: GPL-2.0-or-later
/* check_suggest.c - a policy from a decision log: names, CIDRs, ports,
 * safe wildcards, what is not suggested, and that the result loads */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "suggest.h"

#define CONN(verdict, proto, dst, port, reason, names)                      \
	"{\"ts\":\"2026-11-23T16:56:17.942678Z\",\"event\":\"connect\","     \
	"\"verdict\":\"" verdict "\",\"pid\":7,\"comm\":\"c\",\"proto\":\"" \
	proto "\",\"dst\":\"" dst "\",\"port\":" #port ",\"rule\":"         \
	"\"default\",\"reason\":\"" reason "\"" names "}\n"
#define NAMES(...) ",\"names\":[" __VA_ARGS__ "]"
#define DNS(verdict, qname)                                                 \
	"{\"ts\":\"x\",\"event\":\"dns\",\"verdict\":\"" verdict "\","       \
	"\"qname\":\"" qname "\",\"qtype\":\"A\",\"rcode\":\"NOERROR\","     \
	"\"reason\":\"forwarded\"}\n"

static char *out;
static int status;

/* Run suggest on @log; the policy in `out`, and it must load */
static void run(const char *log, bool all, unsigned int min_wildcard)
{
	struct suggest_opts o = { .source = "test.log", .all = all,
				  .min_wildcard = min_wildcard };
	char path[] = "/tmp/check_suggest.XXXXXX";
	FILE *in = fmemopen((void *)log, strlen(log), "r");
	FILE *err = fopen("/dev/null", "w");
	struct policy *p;
	size_t len;
	FILE *f;
	int fd;

	free(out);
	out = NULL;
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(in);
	status = suggest_run(in, &o, f, err);
	fclose(f);
	fclose(in);
	fclose(err);

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, out, len), (ssize_t)len);
	close(fd);
	p = policy_load(path, NULL, 0, stderr);
	ck_assert_msg(p != NULL, "the suggested policy does not load:\n%s",
		      out);
	policy_free(p);
	unlink(path);
}

static void has(const char *s)
{
	ck_assert_msg(strstr(out, s) != NULL, "want '%s' in:\n%s", s, out);
}

static void hasnt(const char *s)
{
	ck_assert_msg(strstr(out, s) == NULL, "unexpected '%s' in:\n%s", s,
		      out);
}

START_TEST(test_suggest_names_ports_protos)
{
	run(DNS("audit", "api.example.com")
	    CONN("audit", "tcp", "198.51.100.20", 443, "default",
		 NAMES("\"edge.cdn.example.net\",\"api.example.com\""))
	    CONN("audit", "tcp", "198.51.100.20", 8443, "default",
		 NAMES("\"edge.cdn.example.net\",\"api.example.com\""))
	    CONN("deny", "udp", "198.51.100.21", 5000, "default",
		 NAMES("\"Logs.Example.COM.\""))
	    CONN("allow", "tcp", "198.51.100.10", 22, "rule",
		 NAMES("\"ok.example.com\""))
	    CONN("audit", "tcp", "198.51.100.20", 443, "default",
		 NAMES("\"edge.cdn.example.net\",\"api.example.com\"")),
	    false, 3);
	ck_assert_int_eq(status, 0);
	has("version: 1\nmode: enforce\ndefault: deny\nrules:\n");
	/* the name CMD asked for, not the first of the chain */
	has("  - dst: \"api.example.com\"\n    proto: tcp\n"
	    "    port: [443, 8443]\n");
	hasnt("edge.cdn.example.net\"");
	/* normalized name, transport and port kept */
	has("  - dst: \"logs.example.com\"\n    proto: udp\n"
	    "    port: [5000]\n");
	/* allowed: not part of a minimal policy ... */
	hasnt("ok.example.com");
	/* ... unless asked */
	run(CONN("allow", "tcp", "198.51.100.10", 22, "rule",
		 NAMES("\"ok.example.com\""))
	    CONN("allow", "udp", "127.0.0.53", 53, "loopback", "")
	    CONN("allow", "udp", "198.51.100.1", 53, "dns_redirect", ""),
	    true, 3);
	has("  - dst: \"ok.example.com\"\n    proto: tcp\n    port: [22]\n");
	hasnt("127.0.0.53");
	hasnt("198.51.100.1\"");
}
END_TEST

START_TEST(test_suggest_addresses_without_names)
{
	run(CONN("deny", "tcp", "203.0.113.5", 22, "unknown_ip", "")
	    CONN("deny", "tcp", "203.0.113.5", 23, "unknown_ip", "")
	    CONN("deny", "tcp", "203.0.113.5", 24, "unknown_ip", "")
	    CONN("deny", "tcp", "203.0.113.5", 80, "unknown_ip", "")
	    CONN("deny", "udp", "2001:db8::7", 5000, "unknown_ip", "")
	    CONN("deny", "icmp", "203.0.113.5", 0, "unknown_ip", ""),
	    false, 3);
	has("  # no DNS name was seen for this address: CMD used it directly\n"
	    "  - dst: \"203.0.113.5/32\"\n    proto: tcp\n"
	    "    port: [\"22-24\", 80]\n");
	has("  - dst: \"2001:db8::7/128\"\n    proto: udp\n    port: [5000]\n");
	has("  - dst: \"203.0.113.5/32\"\n    proto: icmp\n");
}
END_TEST

START_TEST(test_suggest_wildcards)
{
	const char *three =
		CONN("deny", "tcp", "198.51.100.21", 443, "default",
		     NAMES("\"a.pkg.example.org\""))
		CONN("deny", "tcp", "198.51.100.22", 443, "default",
		     NAMES("\"b.pkg.example.org\""))
		CONN("deny", "tcp", "198.51.100.23", 443, "default",
		     NAMES("\"c.example.org\""))
		CONN("deny", "tcp", "198.51.100.24", 443, "default",
		     NAMES("\"example.org\""));

	run(three, false, 3);
	has("  # 3 names below example.org: c.example.org, "
	    "a.pkg.example.org, b.pkg.example.org\n"
	    "  - dst: \"*.example.org\"\n");
	hasnt("\"a.pkg.example.org\"");
	/* the wildcard never covers the apex: it stays */
	has("  - dst: \"example.org\"\n");
	run(three, false, 0);	/* never */
	hasnt("*.");
	run(three, false, 4);	/* not enough names */
	hasnt("*.");

	/* two are not enough; another port is another group */
	run(CONN("deny", "tcp", "198.51.100.21", 443, "default",
		 NAMES("\"a.example.net\""))
	    CONN("deny", "tcp", "198.51.100.22", 443, "default",
		 NAMES("\"b.example.net\""))
	    CONN("deny", "tcp", "198.51.100.23", 80, "default",
		 NAMES("\"c.example.net\"")),
	    false, 3);
	hasnt("*.");

	/* never at or above a public suffix */
	run(CONN("deny", "tcp", "198.51.100.21", 443, "default",
		 NAMES("\"a.co.uk\""))
	    CONN("deny", "tcp", "198.51.100.22", 443, "default",
		 NAMES("\"b.co.uk\""))
	    CONN("deny", "tcp", "198.51.100.23", 443, "default",
		 NAMES("\"c.co.uk\""))
	    CONN("deny", "tcp", "198.51.100.24", 443, "default",
		 NAMES("\"x.github.io\""))
	    CONN("deny", "tcp", "198.51.100.25", 443, "default",
		 NAMES("\"y.github.io\""))
	    CONN("deny", "tcp", "198.51.100.26", 443, "default",
		 NAMES("\"z.github.io\"")),
	    false, 3);
	hasnt("*.");
	has("\"a.co.uk\"");
	has("\"z.github.io\"");
	/* below a registrable domain under a suffix it is fine */
	run(CONN("deny", "tcp", "198.51.100.21", 443, "default",
		 NAMES("\"a.shop.co.uk\""))
	    CONN("deny", "tcp", "198.51.100.22", 443, "default",
		 NAMES("\"b.shop.co.uk\""))
	    CONN("deny", "tcp", "198.51.100.23", 443, "default",
		 NAMES("\"c.shop.co.uk\"")),
	    false, 3);
	has("  - dst: \"*.shop.co.uk\"\n");
}
END_TEST

START_TEST(test_suggest_public_suffixes)
{
	static const struct {
		const char *name, *registrable;
	} tab[] = {
		{ "a.b.example.com", "example.com" },
		{ "example.com", "example.com" },
		{ "com", NULL },
		{ "co.uk", NULL },
		{ "www.bbc.co.uk", "bbc.co.uk" },
		{ "x.com.au", "x.com.au" },
		{ "github.io", NULL },
		{ "me.github.io", "me.github.io" },
		{ "a.me.github.io", "me.github.io" },
		{ "bucket.s3.amazonaws.com", "bucket.s3.amazonaws.com" },
		{ "s3.amazonaws.com", NULL },
		{ "ec2.amazonaws.com", "ec2.amazonaws.com" },
		{ "example.io", "example.io" },
		{ "co.example", "co.example" },	/* not a country code */
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		const char *r = suggest_registrable(tab[i].name);

		if (!tab[i].registrable)
			ck_assert_msg(r == NULL, "%s: got %s", tab[i].name, r);
		else
			ck_assert_msg(r && !strcmp(r, tab[i].registrable),
				      "%s: got %s, want %s", tab[i].name,
				      r ? r : "NULL", tab[i].registrable);
	}
	ck_assert(suggest_is_public_suffix("uk"));
	ck_assert(suggest_is_public_suffix("org.uk"));
	ck_assert(!suggest_is_public_suffix("bbc.co.uk"));
}
END_TEST

START_TEST(test_suggest_not_suggested)
{
	run(CONN("deny", "tcp", "198.51.100.20", 22, "deny_rule",
		 NAMES("\"evil.example\""))
	    CONN("deny", "tcp", "169.254.169.254", 80, "special_address", "")
	    CONN("deny", "tcp", "198.51.100.20", 853, "dns_over_tls", "")
	    "{\"ts\":\"x\",\"event\":\"connect\",\"verdict\":\"deny\",\"pid\":1,"
	    "\"comm\":\"c\",\"proto\":\"unix\",\"dst\":\"/run/docker.sock\","
	    "\"rule\":\"builtin\",\"reason\":\"engine_socket\"}\n"
	    "{\"ts\":\"x\",\"event\":\"socket\",\"verdict\":\"deny\",\"pid\":1,"
	    "\"comm\":\"c\",\"family\":17,\"type\":3,\"protocol\":0,"
	    "\"reason\":\"packet\"}\n"
	    DNS("deny", "never.example"),
	    false, 3);
	has("rules: []\n");
	has("# Not suggested:\n");
	has("198.51.100.20:22/tcp (evil.example) matched a deny rule");
	has("169.254.169.254:80/tcp is a special address");
	has("198.51.100.20:853/tcp: DNS that bypasses the stub");
	has("unix socket /run/docker.sock was denied (engine_socket)");
	has("socket(17, 3, 0) was denied (packet)");
	has("never connected to");
	has("#     never.example\n");
	hasnt("- dst:");
}
END_TEST

START_TEST(test_suggest_inspected_flows)
{
	run("{\"ts\":\"x\",\"event\":\"tls\",\"verdict\":\"deny\","
	    "\"pid\":1,\"comm\":\"c\",\"proto\":\"tls\",\"dst\":"
	    "\"198.51.100.10\",\"port\":443,\"sni\":\"api.example.com\","
	    "\"rule\":\"p.yaml:4\",\"reason\":\"sni_denied\"}\n"
	    "{\"ts\":\"x\",\"event\":\"tls\",\"verdict\":\"audit\","
	    "\"pid\":1,\"comm\":\"c\",\"proto\":\"tls\",\"dst\":"
	    "\"198.51.100.10\",\"port\":8443,\"sni\":\"alt.example.com\","
	    "\"rule\":\"default\",\"reason\":\"sni_denied\"}\n"
	    "{\"ts\":\"x\",\"event\":\"quic\",\"verdict\":\"deny\","
	    "\"pid\":1,\"comm\":\"c\",\"proto\":\"quic\",\"dst\":"
	    "\"198.51.100.11\",\"port\":443,\"sni\":\"q.example.com\","
	    "\"rule\":\"default\",\"reason\":\"quic_sni_denied\"}\n"
	    "{\"ts\":\"x\",\"event\":\"http\",\"verdict\":\"deny\","
	    "\"pid\":1,\"comm\":\"c\",\"dst\":\"198.51.100.12\","
	    "\"port\":80,\"host\":\"h.example.com\",\"method\":\"GET\","
	    "\"path\":\"/\",\"rule\":\"default\",\"reason\":"
	    "\"host_denied\"}\n"
	    "{\"ts\":\"x\",\"event\":\"http\",\"verdict\":\"deny\","
	    "\"pid\":1,\"comm\":\"c\",\"dst\":\"198.51.100.12\","
	    "\"port\":80,\"host\":\"h.example.com\",\"method\":\"POST\","
	    "\"path\":\"/admin\",\"rule\":\"p.yaml:9\",\"reason\":"
	    "\"path_rule\"}\n"
	    "{\"ts\":\"x\",\"event\":\"tls\",\"verdict\":\"deny\","
	    "\"pid\":1,\"comm\":\"c\",\"proto\":\"tls\",\"dst\":"
	    "\"198.51.100.13\",\"port\":443,\"sni\":\"x.example.net\","
	    "\"rule\":\"p.yaml:4\",\"reason\":\"sni_mismatch\"}\n",
	    false, 3);
	has("  - dst: \"api.example.com\"\n    proto: https\n"
	    "    port: [443]\n");
	has("  - dst: \"alt.example.com\"\n    proto: tls\n"
	    "    port: [8443]\n");
	has("  - dst: \"q.example.com\"\n    proto: quic\n    port: [443]\n");
	has("  - dst: \"h.example.com\"\n    proto: http\n    port: [80]\n");
	has("http 198.51.100.12:80/http name h.example.com was refused by "
	    "the http check (path_rule)");
	has("x.example.net was refused by the tls check (sni_mismatch)");
	hasnt("- dst: \"x.example.net\"");
}
END_TEST

START_TEST(test_suggest_robust_input)
{
	/* human lines, broken JSON, escapes, nested values, odd names */
	run("egress-supervise: DENY tcp 198.51.100.20:22 pid 1 (nc): x\n"
	    "{\"event\":\"connect\",\"verdict\":\"deny\"\n"
	    "not json at all\n"
	    "{\"ts\":\"x\",\"event\":\"connect\",\"verdict\":\"deny\","
	    "\"extra\":{\"a\":[1,{\"b\":\"}\"}],\"c\":null},\"pid\":1,"
	    "\"comm\":\"c\\\"q\\u0041\",\"proto\":\"tcp\",\"dst\":"
	    "\"198.51.100.30\",\"port\":443,\"rule\":\"default\","
	    "\"reason\":\"default\",\"names\":[\"ok.example.com\"],"
	    "\"truncated\":true}\n"
	    CONN("deny", "tcp", "198.51.100.31", 443, "default",
		 NAMES("\"bad name\\\"\\n- dst: evil\""))
	    CONN("deny", "tcp", "not-an-ip", 443, "default", "")
	    CONN("deny", "tcp", "198.51.100.32", 70000, "default", ""),
	    false, 3);
	ck_assert_int_eq(status, 0);
	has("  - dst: \"ok.example.com\"\n    proto: tcp\n    port: [443]\n");
	/* an unprintable name falls back to the address */
	has("  - dst: \"198.51.100.31/32\"\n");
	hasnt("evil");
	hasnt("not-an-ip");
	hasnt("70000");
	has("3 unreadable lines");

	/* what the policy would refuse never reaches a rule (fuzzing) */
	run(CONN("deny", "tcp", "198.51.100.40", 443, "default",
		 NAMES("\"-x.example.com\""))
	    CONN("deny", "tcp", "198.51.100.41", 443, "default",
		 NAMES("\"x-.example.com\""))
	    CONN("deny", "tcp", "198.51.100.42", 443, "default",
		 NAMES("\"1.2.3.4\""))
	    CONN("deny", "tcp", "198.51.100.43", 443, "default",
		 NAMES("\"a.b.c.0\""))
	    CONN("deny", "tcp", "198.51.100.44", 443, "default",
		 NAMES("\"a1234567890123456789012345678901234567890123456789"
		       "01234567890123.example.com\""))
	    CONN("deny", "tcp", "198.51.100.45", 0, "default", "")
	    "{\"event\":\"connect\",\"verdict\":\"deny\",\"proto\":"
	    "\"unix\",\"dst\":\"/run/x\\u0001\\n- dst: \xff\xfe\","
	    "\"reason\":\"engine_socket\"}\n",
	    false, 3);
	has("  - dst: \"198.51.100.40/32\"\n");
	has("  - dst: \"198.51.100.41/32\"\n");
	has("  - dst: \"198.51.100.42/32\"\n");
	has("  - dst: \"198.51.100.43/32\"\n");
	has("  - dst: \"198.51.100.44/32\"\n");
	hasnt("198.51.100.45");
	has("unix socket /run/x?" "?- dst: ?" "? was denied");

	run("", false, 3);
	ck_assert_int_eq(status, 1);	/* nothing to learn from */
	has("rules: []\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("suggest");
	TCase *tc = tcase_create("suggest");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_suggest_names_ports_protos);
	tcase_add_test(tc, test_suggest_addresses_without_names);
	tcase_add_test(tc, test_suggest_wildcards);
	tcase_add_test(tc, test_suggest_public_suffixes);
	tcase_add_test(tc, test_suggest_not_suggested);
	tcase_add_test(tc, test_suggest_inspected_flows);
	tcase_add_test(tc, test_suggest_robust_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(out);
	return failed ? 1 : 0;
}
