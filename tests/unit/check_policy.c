// SPDX-License-Identifier: GPL-2.0-or-later
/* check_policy.c - unit tests of the policy library (check, table-driven)
 *
 * Each table row is one thing a user could write or ask; the tests load
 * policies from strings (as "policy.yaml") and check what decide, the name
 * verdict, the printer and the error stream say.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy_internal.h"

/* Load @yaml as "policy.yaml"; *errs gets the error text (free it) */
static struct policy *load(const char *yaml, const char *const *allow,
			   size_t n_allow, char **errs)
{
	struct policy *p;
	size_t len;
	FILE *f;

	f = open_memstream(errs, &len);
	ck_assert_ptr_nonnull(f);
	p = policy_load_buffer("policy.yaml", yaml, yaml ? strlen(yaml) : 0,
			       allow, n_allow, f);
	fclose(f);
	return p;
}

static struct policy *load_ok(const char *yaml)
{
	char *errs;
	struct policy *p = load(yaml, NULL, 0, &errs);

	ck_assert_msg(p, "policy failed to load:\n%s\n%s", yaml, errs);
	ck_assert_str_eq(errs, "");
	free(errs);
	return p;
}

/**
 * ask() - decide one query
 * @p:		policy
 * @ip:		IPv4 or IPv6 address text
 * @port:	port
 * @t:		transport
 * @name:	one name for the address, or NULL
 * @d:		the decision
 */
static void ask(const struct policy *p, const char *ip, uint16_t port,
		enum policy_transport t, const char *name,
		struct policy_decision *d)
{
	static uint8_t addr[16];
	const char *names[1] = { name };
	struct policy_query q = {
		.names = name ? names : NULL,
		.n_names = name ? 1 : 0,
		.port = port,
		.transport = t,
		.addr = addr,
	};

	q.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(q.family, ip, addr), 1);
	policy_decide(p, &q, d);
}

static enum policy_verdict verdict(const struct policy *p, const char *ip,
				   uint16_t port, enum policy_transport t,
				   const char *name)
{
	struct policy_decision d;

	ask(p, ip, port, t, name, &d);
	return d.verdict;
}

#define TCP POLICY_TRANSPORT_TCP
#define UDP POLICY_TRANSPORT_UDP
#define ICMP POLICY_TRANSPORT_ICMP
#define ALLOW POLICY_VERDICT_ALLOW
#define DENY POLICY_VERDICT_DENY
#define AUDIT POLICY_VERDICT_AUDIT

static const char issue_example[] =
	"version: 1\n"
	"mode: enforce\n"
	"default: deny\n"
	"deny_errno: EACCES\n"
	"dns:\n"
	"  upstream: [198.51.100.53]\n"
	"  listen: 127.0.0.53\n"
	"  min_ttl: 60\n"
	"  max_ttl: 3600\n"
	"  grace: 60\n"
	"  deny_answer: nxdomain\n"
	"add_domains: [github.com, .githubusercontent.com]\n"
	"rules:\n"
	"  - dst: github.com\n"
	"    proto: ssh\n"
	"    port: 22\n"
	"  - dst: \"*.github.com\"\n"
	"    proto: https\n"
	"  - dst: .pool.ntp.org\n"
	"    proto: udp\n"
	"    port: 123\n"
	"  - dst: 198.51.100.0/24\n"
	"    proto: tcp\n"
	"    port: [5432, 6000-6010]\n"
	"  - dst: api.example.com\n"
	"    proto: http\n"
	"    path_rules:\n"
	"      - { path: /v1/, action: allow, methods: [GET, HEAD] }\n"
	"      - { path: \"~^/v1/admin(/.*)?$\", action: deny }\n"
	"    path_default: deny\n"
	"  - dst: evil.example\n"
	"    action: deny\n";

START_TEST(test_policy_issue_example)
{
	static const struct {
		const char *ip;
		uint16_t port;
		enum policy_transport t;
		const char *name;
		enum policy_verdict v;
		const char *rule;
	} tab[] = {
		{ "140.82.112.3", 22, TCP, "github.com", ALLOW,
		  "policy.yaml:14" },
		{ "140.82.112.3", 443, TCP, "github.com", ALLOW,
		  "policy.yaml:12" },
		{ "140.82.112.3", 80, TCP, "github.com", DENY, "default" },
		{ "140.82.112.4", 443, TCP, "api.github.com", ALLOW,
		  "policy.yaml:17" },
		{ "140.82.112.4", 22, TCP, "api.github.com", DENY, "default" },
		{ "185.199.108.133", 443, TCP, "raw.githubusercontent.com",
		  ALLOW, "policy.yaml:12" },
		{ "185.199.108.133", 443, TCP, "githubusercontent.com", ALLOW,
		  "policy.yaml:12" },
		{ "203.0.113.1", 123, UDP, "0.pool.ntp.org", ALLOW,
		  "policy.yaml:19" },
		{ "203.0.113.1", 123, UDP, "pool.ntp.org", ALLOW,
		  "policy.yaml:19" },
		{ "203.0.113.1", 123, TCP, "pool.ntp.org", DENY, "default" },
		{ "198.51.100.20", 5432, TCP, NULL, ALLOW, "policy.yaml:22" },
		{ "198.51.100.20", 6005, TCP, NULL, ALLOW, "policy.yaml:22" },
		{ "198.51.100.20", 6011, TCP, NULL, DENY, "default" },
		{ "198.51.100.20", 5432, UDP, NULL, DENY, "default" },
		{ "198.51.101.20", 5432, TCP, NULL, DENY, "default" },
		{ "203.0.113.9", 80, TCP, "api.example.com", ALLOW,
		  "policy.yaml:25" },
		{ "203.0.113.9", 443, TCP, "api.example.com", DENY, "default" },
		{ "203.0.113.66", 443, TCP, "evil.example", DENY,
		  "policy.yaml:31" },
	};
	struct policy *p = load_ok(issue_example);
	const char *const *up;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		struct policy_decision d;

		ask(p, tab[i].ip, tab[i].port, tab[i].t, tab[i].name, &d);
		ck_assert_msg(d.verdict == tab[i].v, "row %zu: %s", i,
			      policy_verdict_str[d.verdict]);
		ck_assert_str_eq(d.rule, tab[i].rule);
	}
	ck_assert_int_eq(policy_mode(p), POLICY_MODE_ENFORCE);
	ck_assert_int_eq(policy_deny_errno(p), EACCES);
	ck_assert_uint_eq(policy_dns_upstream(p, &up), 1);
	ck_assert_str_eq(up[0], "198.51.100.53");
	ck_assert_str_eq(policy_dns_listen(p), "127.0.0.53");
	ck_assert_str_eq(policy_path(p), "policy.yaml");
	policy_free(p);
}
END_TEST

/* Every protocol: its transport and default port (tls: explicit) */
START_TEST(test_policy_proto_default_ports)
{
	static const struct {
		const char *proto;
		const char *extra;
		enum policy_transport t;
		enum policy_transport wrong_t;
		uint16_t port;		/* allowed; 0: every port */
	} tab[] = {
		{ "ssh", "", TCP, UDP, 22 },
		{ "http", "", TCP, UDP, 80 },
		{ "https", "", TCP, UDP, 443 },
		{ "ftp", "", TCP, UDP, 21 },
		{ "quic", "", UDP, TCP, 443 },
		{ "tls", "    port: 8443\n", TCP, UDP, 8443 },
		{ "tcp", "", TCP, UDP, 0 },
		{ "udp", "", UDP, TCP, 0 },
		{ "icmp", "", ICMP, TCP, 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		char yaml[256];
		struct policy *p;
		struct policy_decision d;

		snprintf(yaml, sizeof(yaml),
			 "version: 1\nrules:\n  - dst: 198.51.100.0/24\n"
			 "    proto: %s\n%s", tab[i].proto, tab[i].extra);
		p = load_ok(yaml);
		if (tab[i].port) {
			ck_assert_int_eq(verdict(p, "198.51.100.1",
						 tab[i].port, tab[i].t, NULL),
					 ALLOW);
			ck_assert_int_eq(verdict(p, "198.51.100.1",
						 tab[i].port + 1, tab[i].t,
						 NULL), DENY);
		} else {
			uint16_t port = tab[i].t == ICMP ? 0 : 1;

			ck_assert_int_eq(verdict(p, "198.51.100.1", port,
						 tab[i].t, NULL), ALLOW);
			if (tab[i].t != ICMP)
				ck_assert_int_eq(verdict(p, "198.51.100.1",
							 65535, tab[i].t,
							 NULL), ALLOW);
		}
		ck_assert_int_eq(verdict(p, "198.51.100.1", tab[i].port,
					 tab[i].wrong_t, NULL), DENY);
		ask(p, "198.51.100.1", tab[i].port, tab[i].t, NULL, &d);
		ck_assert_str_eq(policy_proto_str[d.proto], tab[i].proto);
		ck_assert_int_eq(policy_allows_icmp(p), tab[i].t == ICMP);
		policy_free(p);
	}
}
END_TEST

START_TEST(test_policy_proto_any)
{
	struct policy *p = load_ok("version: 1\nrules:\n"
				   "  - dst: 198.51.100.7\n"
				   "  - dst: 2001:db8::/32\n"
				   "    port: 53\n");

	ck_assert_int_eq(verdict(p, "198.51.100.7", 1, TCP, NULL), ALLOW);
	ck_assert_int_eq(verdict(p, "198.51.100.7", 9, UDP, NULL), ALLOW);
	ck_assert_int_eq(verdict(p, "198.51.100.7", 0, ICMP, NULL), ALLOW);
	ck_assert_int_eq(verdict(p, "::ffff:198.51.100.7", 1, TCP, NULL),
			 ALLOW);
	ck_assert_int_eq(verdict(p, "198.51.100.8", 1, TCP, NULL), DENY);
	ck_assert_int_eq(verdict(p, "2001:db8:1::1", 53, UDP, NULL), ALLOW);
	ck_assert_int_eq(verdict(p, "2001:db8:1::1", 53, TCP, NULL), ALLOW);
	/* a rule with ports never matches icmp, which has none */
	ck_assert_int_eq(verdict(p, "2001:db8:1::1", 0, ICMP, NULL), DENY);
	ck_assert_int_eq(verdict(p, "2001:db9::1", 53, UDP, NULL), DENY);
	ck_assert(policy_allows_icmp(p));
	policy_free(p);
}
END_TEST

/* Name patterns, through decide with one name per query */
START_TEST(test_policy_name_patterns)
{
	static const struct {
		const char *pattern;
		const char *name;
		bool match;
	} tab[] = {
		{ "example.com", "example.com", true },
		{ "example.com", "EXAMPLE.Com.", true },
		{ "example.com", "www.example.com", false },
		{ "example.com", "example.org", false },
		{ "example.com.", "example.com", true },
		{ "Example.COM", "example.com", true },
		{ "*.example.com", "a.example.com", true },
		{ "*.example.com", "a.b.example.com", true },
		{ "*.example.com", "example.com", false },
		{ "*.example.com", "badexample.com", false },
		{ ".example.com", "example.com", true },
		{ ".example.com", "a.b.example.com", true },
		{ ".example.com", "xexample.com", false },
		{ "api-*.example.com", "api-1.example.com", true },
		{ "api-*.example.com", "api-.example.com", true },
		{ "api-*.example.com", "API-EU.example.com", true },
		{ "api-*.example.com", "api.example.com", false },
		{ "api-*.example.com", "api-1.x.example.com", false },
		{ "api-*.example.com", "x.api-1.example.com", false },
		{ "*-api.example.com", "eu-api.example.com", true },
		{ "a*b*c.example.com", "axxbyyc.example.com", true },
		{ "a*b*c.example.com", "axxbyy.example.com", false },
		{ "a.*.example.com", "a.b.example.com", true },
		{ "a.*.example.com", "a.b.c.example.com", false },
		{ "*.a-*.example.com", "x.y.a-1.example.com", true },
		{ "_dmarc.example.com", "_dmarc.example.com", true },
		{ "bücher.example", "xn--bcher-kva.example", true },
		{ "*.münchen.de", "www.xn--mnchen-3ya.de", true },
		{ "localhost", "localhost", true },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		char yaml[256];
		struct policy *p;

		snprintf(yaml, sizeof(yaml),
			 "version: 1\nrules:\n  - dst: \"%s\"\n",
			 tab[i].pattern);
		p = load_ok(yaml);
		ck_assert_msg(verdict(p, "203.0.113.5", 443, TCP,
				      tab[i].name) ==
				      (tab[i].match ? ALLOW : DENY),
			      "%s vs %s", tab[i].pattern, tab[i].name);
		policy_free(p);
	}
}
END_TEST

/* The normalized form of each pattern, as check prints it */
START_TEST(test_policy_name_normalize)
{
	static const struct {
		const char *in;
		const char *out;
	} tab[] = {
		{ "GitHub.COM.", "github.com" },
		{ "*.Example.com", "*.example.com" },
		{ ".Pool.NTP.org", ".pool.ntp.org" },
		{ "bücher.example", "xn--bcher-kva.example" },
		{ "BÜcher.example", NULL },
		{ "münchen.de", "xn--mnchen-3ya.de" },
		{ "日本語.jp", "xn--wgv71a119e.jp" },
		{ "παράδειγμα.δοκιμή", "xn--hxajbheg2az3al.xn--jxalpdlp" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		char msg[256];
		struct pname pn;
		int ret = pname_parse(&pn, tab[i].in, false, msg, sizeof(msg));

		if (!tab[i].out) {
			ck_assert_int_eq(ret, -EINVAL);
			continue;
		}
		ck_assert_msg(!ret, "%s: %s", tab[i].in, msg);
		ck_assert_str_eq(pn.text, tab[i].out);
		pname_free(&pn);
	}
}
END_TEST

/* RFC 3492 section 7.1 samples (the ones with all-lowercase input) */
START_TEST(test_policy_punycode_rfc3492)
{
	static const struct {
		uint32_t cp[64];
		size_t n;
		const char *out;
	} tab[] = {
		/* (A) Arabic (Egyptian) */
		{ { 0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A,
		    0x0643, 0x0644, 0x0645, 0x0648, 0x0634, 0x0639, 0x0631,
		    0x0628, 0x064A, 0x061F }, 17, "egbpdaj6bu4bxfgehfvwxn" },
		/* (B) Chinese (simplified) */
		{ { 0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4,
		    0x4E2D, 0x6587 }, 9, "ihqwcrb4cv8a8dqg056pqjye" },
		/* (L) 3<nen>B<gumi><kinpachi><sensei> */
		{ { 0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148,
		    0x751F }, 8, "3B-ww4c5e180e575a65lsy2b" },
		/* (R) <sono><supiido><de> */
		{ { 0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067 },
		  7, "d9juau41awczczp" },
		/* (S) -> $1.00 <- */
		{ { 0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030,
		    0x0030, 0x0020, 0x003C, 0x002D }, 11, "-> $1.00 <--" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		char out[128];
		int ret = punycode_encode(tab[i].cp, tab[i].n, out,
					  sizeof(out));

		ck_assert_int_eq(ret, (int)strlen(tab[i].out));
		ck_assert_str_eq(out, tab[i].out);
	}
	/* too small an output buffer is an error, not a truncation */
	{
		char small[4];

		ck_assert_int_eq(punycode_encode(tab[0].cp, tab[0].n, small,
						 sizeof(small)), -ENOSPC);
	}
}
END_TEST

/* Each class of error, with its position and its "expected" */
START_TEST(test_policy_error_messages)
{
	static const struct {
		const char *yaml;
		const char *want;	/* prefix of the first error line */
	} tab[] = {
		{ "version: 2\n",
		  "policy.yaml:1:10: unsupported version '2' (expected 1)" },
		{ "rules: []\n",
		  "policy.yaml:1:1: no 'version' (expected 'version: 1'" },
		{ "", "policy.yaml:1:1: empty policy (expected" },
		{ "version: 1\nmode: enforcing\n",
		  "policy.yaml:2:7: unknown mode 'enforcing' (expected one of: "
		  "enforce, audit)" },
		{ "version: 1\ndefault: maybe\n",
		  "policy.yaml:2:10: unknown default 'maybe' (expected one of: "
		  "deny, allow)" },
		{ "version: 1\ndeny_errno: EFOO\n",
		  "policy.yaml:2:13: unknown deny_errno 'EFOO' (expected one of:"
		  " EACCES, EPERM," },
		{ "version: 1\nrulez: []\n",
		  "policy.yaml:2:1: unknown key 'rulez' in the policy (expected "
		  "one of: version, mode, default, deny_errno, dns, add_domains,"
		  " rules, unix, ingress, tls)" },
		{ "version: 1\nversion: 1\n",
		  "policy.yaml:2:1: duplicate key 'version' (expected each key "
		  "once; first at 1:1)" },
		{ "version: 1\nrules: {}\n",
		  "policy.yaml:2:8: 'rules' is a mapping (expected a list" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: sshh\n",
		  "policy.yaml:4:12: unknown proto 'sshh' (expected one of: tcp,"
		  " udp, ssh, http, https, tls, ftp, icmp, quic, any)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n    port: 0\n",
		  "policy.yaml:4:11: port 0 is not a port (expected 1-65535)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    port: 65536\n",
		  "policy.yaml:4:11: port '65536' is out of range (expected "
		  "1-65535)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    port: [22, 9-3]\n",
		  "policy.yaml:4:16: port range '9-3' is reversed (expected "
		  "3-9)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    port: {a: 1}\n",
		  "policy.yaml:4:11: 'port' is a mapping (expected a port" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n    port: []\n",
		  "policy.yaml:4:11: 'port' is an empty list (expected" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    prot: tcp\n",
		  "policy.yaml:4:5: unknown key 'prot' in a rule (expected one "
		  "of: dst, proto, port, action," },
		{ "version: 1\nrules:\n  - proto: tcp\n",
		  "policy.yaml:3:5: rule without 'dst' (expected dst:" },
		{ "version: 1\nrules:\n  - dst: [a.example.com]\n",
		  "policy.yaml:3:10: 'dst' is a list (expected a name pattern" },
		{ "version: 1\nrules:\n  - dst:\n",
		  "policy.yaml:3:9: 'dst' is empty (expected" },
		{ "version: 1\nrules:\n  - dst: \"*.com\"\n",
		  "policy.yaml:3:10: '*.com' is too broad: fewer than two fixed "
		  "labels (expected a longer name such as '*.example.com', or "
		  "'allow_broad: true' in the rule)" },
		{ "version: 1\nrules:\n  - dst: .com\n",
		  "policy.yaml:3:10: '.com' is too broad" },
		{ "version: 1\nrules:\n  - dst: \"**.example.com\"\n",
		  "policy.yaml:3:10: '**' is not a pattern in '**.example.com' "
		  "(expected '*.NAME'" },
		{ "version: 1\nrules:\n  - dst: a..example.com\n",
		  "policy.yaml:3:10: empty label in 'a..example.com' (expected "
		  "labels separated by single dots)" },
		{ "version: 1\nrules:\n  - dst: a_b!.example.com\n",
		  "policy.yaml:3:10: bad character '!' in label 'a_b!' "
		  "(expected letters, digits," },
		{ "version: 1\nrules:\n  - dst: -a.example.com\n",
		  "policy.yaml:3:10: label '-a' starts or ends with '-' "
		  "(expected" },
		{ "version: 1\nrules:\n  - dst: "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaa.example.com\n",
		  "policy.yaml:3:10: label 'aaaaaaaaaaaaaaaaaaaa...' is 64 "
		  "characters long (expected at most 63)" },
		{ "version: 1\nrules:\n  - dst: \"*ü.example.com\"\n",
		  "policy.yaml:3:10: '*' cannot be combined with non-ASCII" },
		{ "version: 1\nrules:\n  - dst: 198.51.100.1/24\n",
		  "policy.yaml:3:10: '198.51.100.1/24' has host bits set "
		  "(expected the network address, e.g. 198.51.100.0/24)" },
		{ "version: 1\nrules:\n  - dst: 198.51.100.0/33\n",
		  "policy.yaml:3:10: bad prefix length '/33' in "
		  "'198.51.100.0/33' (expected 0-32)" },
		{ "version: 1\nrules:\n  - dst: 198.51.300.0\n",
		  "policy.yaml:3:10: bad IPv4 address '198.51.300.0' (expected" },
		{ "version: 1\nrules:\n  - dst: 2001:db8:::1\n",
		  "policy.yaml:3:10: bad IPv6 address '2001:db8:::1' (expected" },
		{ "version: 1\nrules:\n  - dst: 198.51.100.0/24\n"
		  "    proto: tls\n",
		  "policy.yaml:4:12: proto tls needs a port (expected e.g. "
		  "port: 443" },
		{ "version: 1\nrules:\n  - dst: 198.51.100.0/24\n"
		  "    proto: icmp\n    port: 7\n",
		  "policy.yaml:5:11: proto icmp has no ports (expected no "
		  "port)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    action: permit\n",
		  "policy.yaml:4:13: unknown action 'permit' (expected one of: "
		  "allow, deny)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    allow_broad: yes\n",
		  "policy.yaml:4:18: unknown allow_broad 'yes' (expected one of:"
		  " false, true)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    verify_banner: true\n",
		  "policy.yaml:4:20: verify_banner applies to proto ssh only" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: tls\n    port: 443\n    path_default: deny\n",
		  "policy.yaml:6:19: path_rules, path_default and methods apply "
		  "to allow rules with proto http or https only (expected" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: https\n    action: deny\n    methods: [GET]\n",
		  "policy.yaml:6:14: path_rules, path_default and methods apply "
		  "to allow rules with proto http or https only" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    intercept: true\n",
		  "policy.yaml:5:16: intercept applies to allow rules with proto "
		  "https only (expected proto: https, action: allow)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: https\n    intercept: yes\n",
		  "policy.yaml:5:16: unknown intercept 'yes' (expected one of: "
		  "false, true)" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: https\n    intercept: false\n"
		  "    path_default: deny\n",
		  "policy.yaml:5:16: intercept: false, but path_rules, "
		  "path_default or methods need the requests inside TLS" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: https\n    insecure_skip_tls_verify: true\n",
		  "policy.yaml:5:31: insecure_skip_tls_verify applies to https "
		  "rules the relay intercepts (expected intercept: true or "
		  "path_rules in this rule)" },
		{ "version: 1\ntls:\n  ca_dir: ca\n",
		  "policy.yaml:3:11: 'ca_dir' is 'ca', not an absolute path "
		  "(expected e.g. /etc/egress-supervise/ca)" },
		{ "version: 1\ntls:\n  upstream_ca: [/a]\n",
		  "policy.yaml:3:16: 'upstream_ca' is a list (expected an "
		  "absolute path)" },
		{ "version: 1\ntls:\n  ca_file: /a\n",
		  "policy.yaml:3:3: unknown key 'ca_file' in 'tls' (expected" },
		{ "version: 1\ntls:\n  ca_dir: /a\n  ca_cert: /b\n"
		  "  ca_key: /c\n",
		  "policy.yaml:3:3: 'ca_dir' with both 'ca_cert' and 'ca_key' "
		  "names nothing" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    path_rules:\n      - { path: v1 }\n",
		  "policy.yaml:6:17: path 'v1' is neither a prefix nor a regular"
		  " expression (expected '/prefix' or '~regex')" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    path_rules:\n      - { path: \"~(\" }\n",
		  "policy.yaml:6:17: bad regular expression '(': " },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    path_rules:\n      - { path: \"~a++\" }\n",
		  "policy.yaml:6:17: repetition of a repetition at '++' in "
		  "regular expression (expected one of" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    path_rules:\n"
		  "      - { path: \"~(((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)\" }\n",
		  "policy.yaml:6:17: regular expression is too complex once its "
		  "repetitions are expanded (expected" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    path_rules:\n"
		  "      - { path: \"~((a{100}){100})\" }\n",
		  "policy.yaml:6:17: regular expression is too complex" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    path_rules:\n"
		  "      - { path: \"~(a)\\\\1\" }\n",
		  "policy.yaml:6:17: back-reference '\\1' in regular expression "
		  "(expected none" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    path_rules:\n      - { action: deny }\n",
		  "policy.yaml:6:9: path rule without 'path' (expected" },
		{ "version: 1\nrules:\n  - dst: a.example.com\n"
		  "    proto: http\n    methods: [GET, FETCH]\n",
		  "policy.yaml:5:20: unknown method 'FETCH' (expected one of: "
		  "GET," },
		{ "version: 1\nadd_domains: github.com\n",
		  "policy.yaml:2:14: 'add_domains' is a scalar (expected a list "
		  "of names" },
		{ "version: 1\nadd_domains: [\"*.com\"]\n",
		  "policy.yaml:2:15: '*.com' is too broad" },
		{ "version: 1\ndns:\n  upstream: [dns.example]\n",
		  "policy.yaml:3:14: 'upstream' is 'dns.example', not an IP "
		  "address (expected e.g." },
		{ "version: 1\ndns:\n  min_ttl: -1\n",
		  "policy.yaml:3:12: 'min_ttl' is '-1' (expected a number" },
		{ "version: 1\ndns:\n  min_ttl: 100\n  max_ttl: 10\n",
		  "policy.yaml:4:12: max_ttl 10 is below min_ttl 100 (expected "
		  "max_ttl >= min_ttl)" },
		{ "version: 1\ndns:\n  deny_answer: servfail\n",
		  "policy.yaml:3:16: unknown deny_answer 'servfail' (expected "
		  "one of: nxdomain, nodata, refused)" },
		{ "version: 1\ndns: [1]\n",
		  "policy.yaml:2:6: 'dns' is a list (expected a mapping" },
		{ "version: 1\nrules:\n  - dst: *.github.com\n",
		  "policy.yaml:3:11: YAML syntax error: " },
		{ "version: 1\nrules: [\n",
		  "policy.yaml:3:1: YAML syntax error: did not find expected "
		  "node content" },
		{ "version: 1\nrules:\n  - &r { dst: a.example.com }\n"
		  "  - *r\n",
		  "policy.yaml:4:5: alias '*r': anchors and aliases are not "
		  "supported (expected the value written out" },
		{ "version: 1\nrules: &x [*x]\n",
		  "policy.yaml:2:12: alias '*x': anchors and aliases" },
		{ "version: 1\nrules: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
		  "policy.yaml:2:39: nested deeper than 32 levels (expected" },
		{ "version: 1\n---\nversion: 1\n",
		  "policy.yaml:2:1: a second YAML document (expected one policy"
		  " per file)" },
		{ "version: 1\nrules:\n  - dst: \"a\\0b.example.com\"\n",
		  "policy.yaml:3:10: 'dst' contains a NUL character" },
		{ "version: 1\nrules:\n  - dst: \"\xff.example\"\n",
		  "policy.yaml:3:11: YAML syntax error: invalid leading UTF-8" },
		{ "version: 1\nrules:\n  - dst: \"Ü.example\"\n",
		  "policy.yaml:3:10: label 'Ü' has U+00DC, an upper-case letter" },
		{ "version: 1\nrules:\n  - dst: \"a\xe3\x80\x82" "example.com\"\n",
		  "policy.yaml:3:10: label 'a\xe3\x80\x82" "example' has U+3002,"
		  " a dot-like character" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		struct policy *p;
		char *errs;

		errno = 0;
		p = load(tab[i].yaml, NULL, 0, &errs);
		ck_assert_msg(!p, "row %zu loaded: %s", i, tab[i].yaml);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_msg(!strncmp(errs, tab[i].want, strlen(tab[i].want)),
			      "row %zu:\n got: %s\nwant: %s", i, errs,
			      tab[i].want);
		ck_assert_msg(strstr(errs, "(expected"),
			      "row %zu has no 'expected': %s", i, errs);
		free(errs);
	}
}
END_TEST

/* All problems of a file in one pass, in file order */
START_TEST(test_policy_all_errors_reported)
{
	static const char yaml[] =
		"version: 1\n"
		"mode: loud\n"			/* 2:7 */
		"dns:\n"
		"  grace: x\n"			/* 4:10 */
		"  bogus: 1\n"			/* 5:3 */
		"rules:\n"
		"  - dst: \"*.com\"\n"		/* 7:10 */
		"    proto: sshh\n"		/* 8:12 */
		"    port: [0, 70000]\n"	/* 9:12, 9:15 */
		"  - dst: ok.example.com\n"
		"  - dst: x..y\n"		/* 11:10 */
		"add_domains: [\"-x.example\"]\n";	/* 12:15 */
	static const char *const want[] = {
		"policy.yaml:2:7: ",  "policy.yaml:4:10: ",
		"policy.yaml:5:3: ",  "policy.yaml:7:10: ",
		"policy.yaml:8:12: ", "policy.yaml:9:12: ",
		"policy.yaml:9:15: ", "policy.yaml:11:10: ",
		"policy.yaml:12:15: ",
	};
	char *errs, *line, *save = NULL;
	struct policy *p;
	size_t i = 0;

	p = load(yaml, NULL, 0, &errs);
	ck_assert_ptr_null(p);
	for (line = strtok_r(errs, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), i++) {
		ck_assert_msg(i < ARRAY_SIZE(want), "extra: %s", line);
		ck_assert_msg(!strncmp(line, want[i], strlen(want[i])),
			      "line %zu: %s (want %s)", i, line, want[i]);
	}
	ck_assert_uint_eq(i, ARRAY_SIZE(want));
	free(errs);
}
END_TEST

static ssize_t write_str(int fd, const char *s)
{
	return write(fd, s, strlen(s));
}

START_TEST(test_policy_file_errors)
{
	char path[] = "/tmp/check_policy_XXXXXX";
	char *errs = NULL, want[128];
	struct policy *p;
	size_t len;
	FILE *f;
	int fd;

	f = open_memstream(&errs, &len);
	errno = 0;
	p = policy_load("/nonexistent/policy.yaml", NULL, 0, f);
	fclose(f);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(errs, "/nonexistent/policy.yaml: No such file or "
			       "directory\n");
	free(errs);

	f = open_memstream(&errs, &len);
	errno = 0;
	p = policy_load("/", NULL, 0, f);
	fclose(f);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_str_eq(errs, "/: Is a directory\n");
	free(errs);

	/* a real file: its name is in messages and rule origins */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(write_str(fd, "version: 1\nrules:\n"
				       "  - dst: a.example.com\n"
				       "    proto: bad\n"), 0);
	f = open_memstream(&errs, &len);
	p = policy_load(path, NULL, 0, f);
	fclose(f);
	ck_assert_ptr_null(p);
	snprintf(want, sizeof(want), "%s:4:12: unknown proto 'bad'", path);
	ck_assert_msg(!strncmp(errs, want, strlen(want)), "%s", errs);
	free(errs);

	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_gt(write_str(fd, "version: 1\nrules:\n"
				       "  - dst: a.example.com\n"), 0);
	close(fd);
	p = policy_load(path, NULL, 0, stderr);
	ck_assert_ptr_nonnull(p);
	snprintf(want, sizeof(want), "%s:3", path);
	{
		struct policy_decision d;

		ask(p, "203.0.113.1", 1, TCP, "a.example.com", &d);
		ck_assert_int_eq(d.verdict, ALLOW);
		ck_assert_str_eq(d.rule, want);
		ck_assert_str_eq(d.name, "a.example.com");
	}
	ck_assert_str_eq(policy_path(p), path);
	policy_free(p);
	unlink(path);
}
END_TEST

START_TEST(test_policy_no_file)
{
	struct policy *p = policy_load(NULL, NULL, 0, stderr);
	struct policy_decision d;
	const char *const *up;

	ck_assert_ptr_nonnull(p);
	ask(p, "198.51.100.1", 443, TCP, "example.com", &d);
	ck_assert_int_eq(d.verdict, DENY);
	ck_assert_str_eq(d.reason, "default");
	ck_assert_str_eq(d.rule, "default");
	ck_assert_ptr_null(policy_path(p));
	ck_assert_int_eq(policy_deny_errno(p), EACCES);
	ck_assert_int_eq(policy_mode(p), POLICY_MODE_ENFORCE);
	ck_assert_uint_eq(policy_dns_upstream(p, &up), 0);
	ck_assert_str_eq(policy_dns_listen(p), "127.0.0.53");
	ck_assert_uint_eq(policy_dns_min_ttl(p), 60);
	ck_assert_uint_eq(policy_dns_max_ttl(p), 3600);
	ck_assert_uint_eq(policy_dns_grace(p), 60);
	ck_assert_int_eq(policy_dns_deny_answer(p), POLICY_DNS_DENY_NXDOMAIN);
	ck_assert(!policy_allows_icmp(p));
	ck_assert_int_eq(policy_name_verdict(p, "example.com"),
			 POLICY_NAME_DENY);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_settings)
{
	struct policy *p = load_ok("version: 1\nmode: audit\ndefault: allow\n"
				   "deny_errno: ECONNREFUSED\n"
				   "dns:\n  upstream: [198.51.100.53, "
				   "2001:db8::53]\n  listen: 127.0.0.54\n"
				   "  min_ttl: 5\n  max_ttl: 50\n"
				   "  grace: 7\n  deny_answer: refused\n");
	const char *const *up;

	ck_assert_int_eq(policy_mode(p), POLICY_MODE_AUDIT);
	ck_assert_int_eq(policy_deny_errno(p), ECONNREFUSED);
	ck_assert_uint_eq(policy_dns_upstream(p, &up), 2);
	ck_assert_str_eq(up[1], "2001:db8::53");
	ck_assert_str_eq(policy_dns_listen(p), "127.0.0.54");
	ck_assert_uint_eq(policy_dns_min_ttl(p), 5);
	ck_assert_uint_eq(policy_dns_max_ttl(p), 50);
	ck_assert_uint_eq(policy_dns_grace(p), 7);
	ck_assert_int_eq(policy_dns_deny_answer(p), POLICY_DNS_DENY_REFUSED);
	ck_assert(policy_allows_icmp(p));
	policy_free(p);
}
END_TEST

START_TEST(test_policy_errno_names)
{
	static const struct {
		const char *name;
		int err;
	} tab[] = {
		{ "EACCES", EACCES },		{ "EPERM", EPERM },
		{ "ECONNREFUSED", ECONNREFUSED }, { "ENETUNREACH", ENETUNREACH },
		{ "EHOSTUNREACH", EHOSTUNREACH }, { "ETIMEDOUT", ETIMEDOUT },
		{ "eacces", -EINVAL },		{ "ENOENT", -EINVAL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		char yaml[128];
		struct policy *p;
		char *errs;

		ck_assert_int_eq(policy_errno_parse(tab[i].name), tab[i].err);
		if (tab[i].err > 0)
			ck_assert_str_eq(policy_errno_name(tab[i].err),
					 tab[i].name);
		snprintf(yaml, sizeof(yaml), "version: 1\ndeny_errno: %s\n",
			 tab[i].name);
		p = load(yaml, NULL, 0, &errs);
		ck_assert_int_eq(!!p, tab[i].err > 0);
		if (p)
			ck_assert_int_eq(policy_deny_errno(p), tab[i].err);
		policy_free(p);
		free(errs);
	}
}
END_TEST

START_TEST(test_policy_deny_wins)
{
	struct policy *p = load_ok("version: 1\ndefault: allow\nrules:\n"
				   "  - dst: .example.com\n"
				   "  - dst: bad.example.com\n"
				   "    action: deny\n"
				   "  - dst: 198.51.100.0/24\n"
				   "    proto: tcp\n"
				   "    port: 25\n"
				   "    action: deny\n");
	struct policy_decision d;

	ask(p, "203.0.113.1", 443, TCP, "good.example.com", &d);
	ck_assert_int_eq(d.verdict, ALLOW);
	ck_assert_str_eq(d.reason, "rule");
	ask(p, "203.0.113.1", 443, TCP, "bad.example.com", &d);
	ck_assert_int_eq(d.verdict, DENY);
	ck_assert_str_eq(d.reason, "deny_rule");
	ck_assert_str_eq(d.rule, "policy.yaml:5");
	ck_assert_str_eq(d.name, "bad.example.com");
	/* one denied name among several denies the address */
	{
		static uint8_t a[4] = { 203, 0, 113, 1 };
		const char *names[] = { "good.example.com", "BAD.example.com." };
		struct policy_query q = { names, 2, AF_INET, a, 443, TCP };

		policy_decide(p, &q, &d);
		ck_assert_int_eq(d.verdict, DENY);
		ck_assert_str_eq(d.name, "BAD.example.com.");
	}
	ck_assert_int_eq(verdict(p, "198.51.100.9", 25, TCP, NULL), DENY);
	ck_assert_int_eq(verdict(p, "198.51.100.9", 25, UDP, NULL), ALLOW);
	ask(p, "198.51.100.9", 26, TCP, NULL, &d);
	ck_assert_int_eq(d.verdict, ALLOW);
	ck_assert_str_eq(d.reason, "default");
	ck_assert_str_eq(d.rule, "default");
	ck_assert_ptr_null(d.match);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_reasons)
{
	struct policy *p = load_ok("version: 1\nrules:\n"
				   "  - dst: a.example.com\n");
	struct policy *q = load_ok("version: 1\nrules:\n"
				   "  - dst: 198.51.100.0/24\n");
	struct policy_decision d;

	ask(p, "203.0.113.1", 443, TCP, NULL, &d);
	ck_assert_str_eq(d.reason, "unknown_ip");
	ask(p, "203.0.113.1", 443, TCP, "b.example.com", &d);
	ck_assert_str_eq(d.reason, "default");
	ask(q, "203.0.113.1", 443, TCP, NULL, &d);
	ck_assert_str_eq(d.reason, "default");
	ask(q, "198.51.100.1", 443, TCP, NULL, &d);
	ck_assert_str_eq(d.reason, "rule");
	ck_assert_ptr_null(d.name);
	ck_assert_ptr_nonnull(d.match);
	policy_free(p);
	policy_free(q);
}
END_TEST

START_TEST(test_policy_special_addresses)
{
	static const struct {
		const char *ip;
		bool special;
	} tab[] = {
		{ "0.0.0.0", true },	     { "0.1.2.3", true },
		{ "169.254.169.254", true }, { "169.254.1.1", true },
		{ "255.255.255.255", true }, { "224.0.0.251", true },
		{ "239.255.255.250", true }, { "::", true },
		{ "fe80::1", true },	     { "febf::1", true },
		{ "ff02::fb", true },	     { "64:ff9b::c633:6401", true },
		{ "2002:c633:6401::1", true }, { "2001:0:4136:e378::1", true },
		{ "198.51.100.1", false },   { "1.0.0.1", false },
		{ "255.255.255.254", false }, { "fec0::1", false },
		{ "2001:db8::1", false },    { "2001:1::1", false },
		{ "64:ff9b:1::1", false },   { "127.0.0.1", false },
		{ "::1", false },
	};
	struct policy *p = load_ok("version: 1\ndefault: allow\nrules:\n"
				   "  - dst: .example.com\n");
	struct policy *meta = load_ok("version: 1\nrules:\n"
				      "  - dst: 169.254.169.254\n"
				      "    proto: http\n"
				      "  - dst: 169.254.0.0/15\n"
				      "    proto: tcp\n"
				      "    port: 81\n"
				      "  - dst: fe80::/10\n"
				      "    proto: udp\n");
	struct policy_decision d;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		/* neither default allow nor a name rule opens them */
		ask(p, tab[i].ip, 80, TCP, "x.example.com", &d);
		ck_assert_msg((d.verdict == DENY) == tab[i].special, "%s",
			      tab[i].ip);
		if (tab[i].special)
			ck_assert_str_eq(d.reason, "special_address");
		ask(p, tab[i].ip, 80, TCP, NULL, &d);
		ck_assert_msg((d.verdict == DENY) == tab[i].special, "%s",
			      tab[i].ip);
	}
	/* a rule naming a network inside the special range opens it */
	ck_assert_int_eq(verdict(meta, "169.254.169.254", 80, TCP, NULL),
			 ALLOW);
	ck_assert_int_eq(verdict(meta, "169.254.169.253", 80, TCP, NULL),
			 DENY);
	/* ... a wider one does not */
	ask(meta, "169.254.1.1", 81, TCP, NULL, &d);
	ck_assert_int_eq(d.verdict, DENY);
	ck_assert_str_eq(d.reason, "special_address");
	ck_assert_int_eq(verdict(meta, "fe80::1", 5353, UDP, NULL), ALLOW);
	/* v4-mapped IPv6 is decided as the IPv4 address it maps */
	ck_assert_int_eq(verdict(meta, "::ffff:169.254.169.254", 80, TCP, NULL),
			 ALLOW);
	ask(p, "::ffff:169.254.169.254", 80, TCP, NULL, &d);
	ck_assert_str_eq(d.reason, "special_address");
	ck_assert_int_eq(verdict(meta, "fe80::1", 5353, TCP, NULL), DENY);
	policy_free(p);
	policy_free(meta);
}
END_TEST

START_TEST(test_policy_audit_mode)
{
	struct policy *p = load_ok("version: 1\nmode: audit\nrules:\n"
				   "  - dst: a.example.com\n"
				   "  - dst: b.example.com\n"
				   "    action: deny\n");
	struct policy_decision d;

	ask(p, "203.0.113.1", 443, TCP, "a.example.com", &d);
	ck_assert_int_eq(d.verdict, ALLOW);
	ask(p, "203.0.113.1", 443, TCP, "c.example.com", &d);
	ck_assert_int_eq(d.verdict, AUDIT);
	ck_assert_str_eq(d.reason, "default");
	ask(p, "203.0.113.1", 443, TCP, "b.example.com", &d);
	ck_assert_int_eq(d.verdict, AUDIT);
	ck_assert_str_eq(d.reason, "deny_rule");
	ask(p, "169.254.169.254", 80, TCP, NULL, &d);
	ck_assert_int_eq(d.verdict, AUDIT);
	ck_assert_str_eq(d.reason, "special_address");
	policy_free(p);
}
END_TEST

START_TEST(test_policy_set_mode_audit)
{
	/* --audit: an enforcing file, switched after loading */
	struct policy *p = load_ok("version: 1\nrules:\n"
				   "  - dst: a.example.com\n");
	struct policy_decision d;

	ask(p, "203.0.113.1", 443, TCP, "c.example.com", &d);
	ck_assert_int_eq(d.verdict, DENY);
	policy_set_mode(p, POLICY_MODE_AUDIT);
	ck_assert_int_eq(policy_mode(p), POLICY_MODE_AUDIT);
	ask(p, "203.0.113.1", 443, TCP, "c.example.com", &d);
	ck_assert_int_eq(d.verdict, AUDIT);
	ck_assert_str_eq(d.reason, "default");
	ask(p, "203.0.113.1", 443, TCP, "a.example.com", &d);
	ck_assert_int_eq(d.verdict, ALLOW);
	policy_set_mode(p, POLICY_MODE_NUM);	/* ignored */
	ck_assert_int_eq(policy_mode(p), POLICY_MODE_AUDIT);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_name_verdict)
{
	static const struct {
		const char *rules;
		const char *name;
		enum policy_name_verdict v;
	} tab[] = {
		{ "  - dst: api.github.com\n", "api.github.com",
		  POLICY_NAME_ALLOW },
		{ "  - dst: api.github.com\n", "API.GitHub.com.",
		  POLICY_NAME_ALLOW },
		{ "  - dst: api.github.com\n", "github.com",
		  POLICY_NAME_DENY_NODATA },
		{ "  - dst: api.github.com\n", "com", POLICY_NAME_DENY_NODATA },
		{ "  - dst: api.github.com\n", "x.api.github.com",
		  POLICY_NAME_DENY },
		{ "  - dst: api.github.com\n", "gitlab.com", POLICY_NAME_DENY },
		{ "  - dst: \"*.example.com\"\n", "example.com",
		  POLICY_NAME_DENY_NODATA },
		{ "  - dst: \"*.example.com\"\n", "a.b.example.com",
		  POLICY_NAME_ALLOW },
		{ "  - dst: .example.com\n", "example.com", POLICY_NAME_ALLOW },
		{ "  - dst: \"api-*.example.com\"\n", "api-1.example.com",
		  POLICY_NAME_ALLOW },
		{ "  - dst: \"api-*.example.com\"\n", "example.com",
		  POLICY_NAME_DENY_NODATA },
		{ "  - dst: \"api-*.example.com\"\n", "web.example.com",
		  POLICY_NAME_DENY },
		{ "  - dst: \"a.*.example.com\"\n", "b.example.com",
		  POLICY_NAME_DENY_NODATA },
		/* any proto of an allow rule lets the name resolve */
		{ "  - dst: git.example.com\n    proto: ssh\n",
		  "git.example.com", POLICY_NAME_ALLOW },
		/* IP rules say nothing about names */
		{ "  - dst: 198.51.100.0/24\n", "example.com",
		  POLICY_NAME_DENY },
		/* deny rules for every proto deny the name ... */
		{ "  - dst: .example.com\n  - dst: evil.example.com\n"
		  "    action: deny\n", "evil.example.com",
		  POLICY_NAME_DENY_NODATA },	/* x.evil.example.com is allowed */
		{ "  - dst: evil.example.com\n    action: deny\n",
		  "evil.example.com", POLICY_NAME_DENY },
		{ "  - dst: .example.com\n  - dst: .evil.example.com\n"
		  "    action: deny\n", "x.evil.example.com", POLICY_NAME_DENY },
		/* ... and a subtree they cover is not worth a NODATA */
		{ "  - dst: \"*.evil.example\"\n    action: deny\n"
		  "  - dst: a.b.evil.example\n", "b.evil.example",
		  POLICY_NAME_DENY },
		/* an exact deny leaves allowed descendants reachable */
		{ "  - dst: example.com\n    action: deny\n"
		  "  - dst: \"*.example.com\"\n", "example.com",
		  POLICY_NAME_DENY_NODATA },
		/* a deny of one proto does not deny the name */
		{ "  - dst: .example.com\n  - dst: x.example.com\n"
		  "    proto: ssh\n    action: deny\n", "x.example.com",
		  POLICY_NAME_ALLOW },
		{ "  - dst: a.example.com\n", "a..example.com",
		  POLICY_NAME_DENY },
		{ "  - dst: a.example.com\n", "", POLICY_NAME_DENY },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		char yaml[512];
		struct policy *p;

		snprintf(yaml, sizeof(yaml), "version: 1\nrules:\n%s",
			 tab[i].rules);
		p = load_ok(yaml);
		ck_assert_msg(policy_name_verdict(p, tab[i].name) == tab[i].v,
			      "row %zu: %s: %s", i, tab[i].name,
			      policy_name_verdict_str[policy_name_verdict(
				      p, tab[i].name)]);
		policy_free(p);
	}
}
END_TEST

START_TEST(test_policy_name_verdict_default_allow)
{
	struct policy *p = load_ok("version: 1\ndefault: allow\nrules:\n"
				   "  - dst: .evil.example\n"
				   "    action: deny\n"
				   "  - dst: bad.example.com\n"
				   "    action: deny\n");

	ck_assert_int_eq(policy_name_verdict(p, "example.org"),
			 POLICY_NAME_ALLOW);
	ck_assert_int_eq(policy_name_verdict(p, "a.evil.example"),
			 POLICY_NAME_DENY);
	ck_assert_int_eq(policy_name_verdict(p, "bad.example.com"),
			 POLICY_NAME_DENY_NODATA);
	ck_assert_int_eq(policy_name_verdict(p, "x.bad.example.com"),
			 POLICY_NAME_ALLOW);
	policy_free(p);
}
END_TEST

/* A plain udp rule wins over a quic rule for the same destination: the
 * supervisor then sends without reading the SNI; alone, quic decides */
START_TEST(test_policy_quic_plain_udp_wins)
{
	static const struct {
		const char *a, *b;
		enum policy_proto want;
	} tab[] = {
		{ "example.com/quic", NULL, POLICY_PROTO_QUIC },
		{ "example.com/quic", "example.com:443/udp", POLICY_PROTO_UDP },
		{ "example.com:443/udp", "example.com/quic", POLICY_PROTO_UDP },
		{ "example.com/quic", "203.0.113.0/24/udp", POLICY_PROTO_UDP },
		{ "example.com/quic", "203.0.113.0/24", POLICY_PROTO_ANY },
		{ "example.com/quic", "example.com/https", POLICY_PROTO_QUIC },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		const char *allow[2] = { tab[i].a, tab[i].b };
		struct policy_decision d;
		struct policy *p;
		char *errs;

		p = load(NULL, allow, tab[i].b ? 2 : 1, &errs);
		ck_assert_msg(p, "%zu: %s", i, errs);
		free(errs);
		ask(p, "203.0.113.4", 443, UDP, "example.com", &d);
		ck_assert_msg(d.verdict == ALLOW, "%zu", i);
		ck_assert_msg(d.proto == tab[i].want, "%zu: proto %d, want %d",
			      i, d.proto, tab[i].want);
		policy_free(p);
	}
}
END_TEST

/* --allow DST[:PORTS][/PROTO]: each spec, one query it allows and one not */
START_TEST(test_policy_spec_good)
{
	static const struct {
		const char *spec;
		const char *ip;
		uint16_t port;
		enum policy_transport t;
		const char *name;
		const char *no_ip;	/* same port/transport: denied */
		uint16_t no_port;	/* same ip/transport: denied, 0: none */
		enum policy_proto proto;
	} tab[] = {
		{ "198.51.100.0/24:22/tcp", "198.51.100.9", 22, TCP, NULL,
		  "198.51.101.9", 23, POLICY_PROTO_TCP },
		{ "2001:db8::/32:5000-5100/udp", "2001:db8:1::1", 5100, UDP,
		  NULL, "2001:db9::1", 5101, POLICY_PROTO_UDP },
		{ "[2001:db8::1]:443", "2001:db8::1", 443, UDP, NULL,
		  "2001:db8::2", 80, POLICY_PROTO_ANY },
		{ "[2001:db8::1]:443/https", "2001:db8::1", 443, TCP, NULL,
		  "2001:db8::2", 80, POLICY_PROTO_HTTPS },
		{ "[2001:db8::/48]:80,443", "2001:db8:0:1::1", 80, TCP, NULL,
		  "2001:db8:1::1", 81, POLICY_PROTO_ANY },
		{ "2001:db8::1", "2001:db8::1", 9, TCP, NULL, "2001:db8::2",
		  0, POLICY_PROTO_ANY },
		{ "2001:db8::/32", "2001:db8::7", 9, UDP, NULL, "2001:db9::7",
		  0, POLICY_PROTO_ANY },
		{ "2001:db8::/32/tcp", "2001:db8::7", 9, TCP, NULL,
		  "2001:db9::7", 0, POLICY_PROTO_TCP },
		{ "198.51.100.7", "198.51.100.7", 1, UDP, NULL,
		  "198.51.100.8", 0, POLICY_PROTO_ANY },
		{ "198.51.100.7:53/udp", "198.51.100.7", 53, UDP, NULL,
		  "198.51.100.8", 54, POLICY_PROTO_UDP },
		{ "198.51.100.7:80,443,8000-8100", "198.51.100.7", 8050, TCP,
		  NULL, "198.51.100.8", 8101, POLICY_PROTO_ANY },
		{ "github.com:22/ssh", "140.82.112.3", 22, TCP, "github.com",
		  NULL, 2222, POLICY_PROTO_SSH },
		{ "github.com/ssh", "140.82.112.3", 22, TCP, "github.com", NULL,
		  23, POLICY_PROTO_SSH },
		{ "github.com", "140.82.112.3", 7, UDP, "github.com", NULL, 0,
		  POLICY_PROTO_ANY },
		{ "*.github.com/https", "140.82.112.5", 443, TCP,
		  "api.github.com", NULL, 80, POLICY_PROTO_HTTPS },
		{ ".pool.ntp.org:123/udp", "203.0.113.4", 123, UDP,
		  "pool.ntp.org", NULL, 124, POLICY_PROTO_UDP },
		{ "api-*.example.com:8443/tls", "203.0.113.4", 8443, TCP,
		  "api-eu.example.com", NULL, 443, POLICY_PROTO_TLS },
		{ "example.com/quic", "203.0.113.4", 443, UDP, "example.com",
		  NULL, 80, POLICY_PROTO_QUIC },
		{ "example.com/ftp", "203.0.113.4", 21, TCP, "example.com",
		  NULL, 20, POLICY_PROTO_FTP },
		{ "example.com/http", "203.0.113.4", 80, TCP, "example.com",
		  NULL, 8080, POLICY_PROTO_HTTP },
		{ "198.51.100.0/24/icmp", "198.51.100.1", 0, ICMP, NULL,
		  "198.51.101.1", 0, POLICY_PROTO_ICMP },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		const char *allow[1] = { tab[i].spec };
		struct policy_decision d;
		char want[128];
		struct policy *p;
		char *errs;

		p = load(NULL, allow, 1, &errs);
		ck_assert_msg(p, "%s: %s", tab[i].spec, errs);
		free(errs);
		ask(p, tab[i].ip, tab[i].port, tab[i].t, tab[i].name, &d);
		ck_assert_msg(d.verdict == ALLOW, "%s", tab[i].spec);
		snprintf(want, sizeof(want), "--allow %s", tab[i].spec);
		ck_assert_str_eq(d.rule, want);
		ck_assert_int_eq(d.proto, tab[i].proto);
		if (tab[i].no_ip)
			ck_assert_msg(verdict(p, tab[i].no_ip, tab[i].port,
					      tab[i].t, NULL) == DENY,
				      "%s allows %s", tab[i].spec,
				      tab[i].no_ip);
		if (tab[i].no_port)
			ck_assert_msg(verdict(p, tab[i].ip, tab[i].no_port,
					      tab[i].t, tab[i].name) == DENY,
				      "%s allows port %u", tab[i].spec,
				      tab[i].no_port);
		policy_free(p);
	}
}
END_TEST

START_TEST(test_policy_spec_bad)
{
	static const struct {
		const char *spec;
		const char *want;
	} tab[] = {
		{ "", "--allow '': empty (expected DST[:PORTS][/PROTO]" },
		{ "github.com:0", "--allow 'github.com:0': port 0 is not a "
				  "port (expected 1-65535)" },
		{ "github.com:65536", "--allow 'github.com:65536': port "
				      "'65536' is out of range" },
		{ "github.com:", "--allow 'github.com:': nothing after ':'" },
		{ "github.com:ssh", "--allow 'github.com:ssh': bad port 'ssh'" },
		{ "github.com/sshh", "--allow 'github.com/sshh': unknown proto "
				     "'sshh' (expected one of: tcp, udp," },
		{ "github.com/", "--allow 'github.com/': nothing after '/'" },
		{ "github.com:22/icmp", "--allow 'github.com:22/icmp': proto "
					"icmp has no ports" },
		{ "github.com/tls", "--allow 'github.com/tls': proto tls needs "
				    "a port" },
		{ "*.com", "--allow '*.com': '*.com' is too broad: fewer than "
			   "two fixed labels (expected a longer name such as "
			   "'*.example.com'; only a policy file rule" },
		{ "**.example.com", "--allow '**.example.com': '**' is not a "
				    "pattern" },
		{ "[2001:db8::1", "--allow '[2001:db8::1': missing ']'" },
		{ "[2001:db8::1]443", "--allow '[2001:db8::1]443': unexpected "
				      "'443' after ']'" },
		{ "[198.51.100.1]:80", "--allow '[198.51.100.1]:80': brackets "
				       "hold IPv6 addresses only" },
		{ "2001:db8::/129", "--allow '2001:db8::/129': bad prefix "
				    "length '/129'" },
		{ "2001:db8::1/64:80", "--allow '2001:db8::1/64:80': "
				       "'2001:db8::1/64' has host bits set" },
		{ "198.51.100.0/24:22-", "--allow '198.51.100.0/24:22-': bad "
					 "port '22-'" },
		{ "198.51.100.0/24:80,,443", "--allow '198.51.100.0/24:80,,443'"
					     ": bad port ''" },
		{ "198.51.100.256", "--allow '198.51.100.256': bad IPv4 "
				    "address" },
		{ ":80", "--allow ':80': no destination" },
		{ "a b.example.com", "--allow 'a b.example.com': bad character "
				     "' '" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		const char *allow[2] = { "198.51.100.1", tab[i].spec };
		struct policy *p;
		char *errs;

		errno = 0;
		p = load(NULL, allow, 2, &errs);
		ck_assert_msg(!p, "%s loaded", tab[i].spec);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_msg(!strncmp(errs, tab[i].want, strlen(tab[i].want)),
			      "got: %s\nwant: %s", errs, tab[i].want);
		free(errs);
	}
}
END_TEST

/* File errors and --allow errors are reported together */
START_TEST(test_policy_spec_and_file_errors)
{
	const char *allow[] = { "x.example.com:0", "ok.example.com" };
	struct policy *p;
	char *errs;

	p = load("version: 1\nmode: x\n", allow, 2, &errs);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(errs,
			 "policy.yaml:2:7: unknown mode 'x' (expected one of: "
			 "enforce, audit)\n"
			 "--allow 'x.example.com:0': port 0 is not a port "
			 "(expected 1-65535)\n");
	free(errs);

	/* --allow rules add to the file's */
	p = load("version: 1\nrules:\n  - dst: a.example.com\n", allow + 1, 1,
		 &errs);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(verdict(p, "203.0.113.1", 1, TCP, "a.example.com"),
			 ALLOW);
	ck_assert_int_eq(verdict(p, "203.0.113.1", 1, TCP, "ok.example.com"),
			 ALLOW);
	ck_assert_int_eq(verdict(p, "203.0.113.1", 1, TCP, "no.example.com"),
			 DENY);
	policy_free(p);
	free(errs);
}
END_TEST

START_TEST(test_policy_broad_patterns)
{
	static const struct {
		const char *dst;
		const char *name;
	} tab[] = {
		{ "\"*.com\"", "example.com" },
		{ ".com", "com" },
		{ "\"*\"", "anything.example" },
		{ "\"api-*.com\"", "api-1.com" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		char yaml[256];
		struct policy *p;
		char *errs;

		snprintf(yaml, sizeof(yaml),
			 "version: 1\nrules:\n  - dst: %s\n", tab[i].dst);
		p = load(yaml, NULL, 0, &errs);
		ck_assert_ptr_null(p);
		ck_assert_msg(strstr(errs, "too broad"), "%s", errs);
		free(errs);
		snprintf(yaml, sizeof(yaml),
			 "version: 1\nrules:\n  - dst: %s\n"
			 "    allow_broad: true\n", tab[i].dst);
		p = load_ok(yaml);
		ck_assert_int_eq(verdict(p, "203.0.113.1", 1, TCP,
					 tab[i].name), ALLOW);
		policy_free(p);
	}
}
END_TEST

START_TEST(test_policy_http_rules)
{
	static const struct {
		const char *method;
		const char *path;
		enum policy_verdict v;
		const char *reason;
	} tab[] = {
		{ "GET", "/v1/users", ALLOW, "path_rule" },
		{ "HEAD", "/v1/", ALLOW, "path_rule" },
		{ "POST", "/v1/users", DENY, "path_default" },
		{ "GET", "/v2/users", DENY, "path_default" },
		{ "DELETE", "/v1/admin", DENY, "path_rule" },
		{ "DELETE", "/v1/admin/x", DENY, "path_rule" },
		{ "DELETE", "/v1/adminx", DENY, "path_default" },
		{ "PUT", "/v1/x", DENY, "method" },
		{ "POST", "/v2/users/bob", ALLOW, "path_rule" },
		{ "POST", "/v2/users/Bob", DENY, "path_default" },
	};
	struct policy *p = load_ok(
		"version: 1\nrules:\n  - dst: api.example.com\n"
		"    proto: http\n"
		"    methods: [get, HEAD, POST, DELETE]\n"
		"    path_rules:\n"
		"      - { path: \"~^/v1/admin(/.*)?$\", action: deny }\n"
		"      - { path: /v1/, action: allow, methods: [GET, HEAD] }\n"
		"      - { path: \"~^/v[0-9]+/(users|groups)/[a-z]{1,32}$\","
		" action: allow }\n"
		"  - dst: open.example.com\n    proto: http\n"
		"  - dst: git.example.com\n    proto: ssh\n"
		"    verify_banner: true\n");
	struct policy_decision d;
	const char *why;
	size_t i;

	ask(p, "203.0.113.1", 80, TCP, "api.example.com", &d);
	ck_assert_ptr_nonnull(d.match);
	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		ck_assert_int_eq(policy_http_verdict(p, d.match,
						     tab[i].method,
						     tab[i].path, &why),
				 tab[i].v);
		ck_assert_str_eq(why, tab[i].reason);
	}
	ck_assert(!policy_rule_verify_banner(d.match));
	ask(p, "203.0.113.1", 80, TCP, "open.example.com", &d);
	ck_assert_int_eq(policy_http_verdict(p, d.match, "PUT", "/x", &why),
			 ALLOW);
	ask(p, "203.0.113.1", 22, TCP, "git.example.com", &d);
	ck_assert(policy_rule_verify_banner(d.match));
	policy_free(p);
}
END_TEST

/* https rules with path rules or intercept: true: the relay terminates TLS
 * and decides every request like an http rule's */
START_TEST(test_policy_https_intercept)
{
	struct policy *p = load_ok(
		"version: 1\n"
		"tls:\n  ca_dir: /var/lib/es/ca\n"
		"  upstream_ca: /etc/es/upstream.pem\n"
		"rules:\n"
		"  - dst: api.example.com\n    proto: https\n"
		"    path_rules:\n"
		"      - { path: /v1/, action: allow }\n"
		"  - dst: all.example.com\n    proto: https\n"
		"    intercept: true\n    insecure_skip_tls_verify: true\n"
		"  - dst: plain.example.com\n    proto: https\n"
		"  - dst: get.example.com\n    proto: https\n"
		"    methods: [GET]\n    intercept: true\n");
	struct policy_decision d;
	const char *why;

	ck_assert(policy_intercepts(p));
	ck_assert_str_eq(policy_tls_ca_dir(p), "/var/lib/es/ca");
	ck_assert_ptr_null(policy_tls_ca_cert(p));
	ck_assert_ptr_null(policy_tls_ca_key(p));
	ck_assert_str_eq(policy_tls_upstream_ca(p), "/etc/es/upstream.pem");

	ask(p, "203.0.113.1", 443, TCP, "api.example.com", &d);
	ck_assert_int_eq(d.verdict, ALLOW);
	ck_assert_int_eq(d.proto, POLICY_PROTO_HTTPS);
	ck_assert(policy_rule_intercepts(d.match));
	ck_assert(!policy_rule_skip_tls_verify(d.match));
	ck_assert_int_eq(policy_http_verdict(p, d.match, "GET", "/v1/x", &why),
			 ALLOW);
	ck_assert_str_eq(why, "path_rule");
	ck_assert_int_eq(policy_http_verdict(p, d.match, "GET", "/v2/", &why),
			 DENY);
	ck_assert_str_eq(why, "path_default");

	ask(p, "203.0.113.1", 443, TCP, "all.example.com", &d);
	ck_assert(policy_rule_intercepts(d.match));
	ck_assert(policy_rule_skip_tls_verify(d.match));
	ck_assert_int_eq(policy_http_verdict(p, d.match, "PUT", "/x", &why),
			 ALLOW);

	ask(p, "203.0.113.1", 443, TCP, "plain.example.com", &d);
	ck_assert_int_eq(d.verdict, ALLOW);
	ck_assert(!policy_rule_intercepts(d.match));
	ck_assert_int_eq(policy_http_verdict(p, d.match, "PUT", "/x", &why),
			 ALLOW);
	ck_assert_str_eq(why, "rule");

	ask(p, "203.0.113.1", 443, TCP, "get.example.com", &d);
	ck_assert(policy_rule_intercepts(d.match));
	ck_assert_int_eq(policy_http_verdict(p, d.match, "POST", "/", &why),
			 DENY);
	ck_assert_str_eq(why, "method");
	policy_free(p);

	p = load_ok("version: 1\nrules:\n  - dst: a.example.com\n"
		    "    proto: https\n    intercept: false\n");
	ck_assert(!policy_intercepts(p));
	ck_assert_ptr_null(policy_tls_ca_dir(p));
	policy_free(p);
}
END_TEST

/* Strip comment lines: rule origins differ between a file and its print */
static void strip_comments(char *s)
{
	char *out = s, *line = s;

	while (*line) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		const char *t = line + strspn(line, " ");

		if (*t != '#') {
			memmove(out, line, len);
			out += len;
		}
		line += len;
	}
	*out = '\0';
}

static char *print_str(const struct policy *p)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	policy_print(p, f);
	fclose(f);
	return buf;
}

START_TEST(test_policy_print_roundtrip)
{
	static const char *const files[] = {
		issue_example,
		"version: 1\nmode: audit\ndefault: allow\n"
		"deny_errno: EHOSTUNREACH\n"
		"dns:\n  upstream: 2001:db8::53\n  deny_answer: nodata\n"
		"rules:\n"
		"  - dst: \"Bücher.example\"\n    proto: quic\n"
		"  - dst: \"*\"\n    allow_broad: true\n    proto: icmp\n"
		"  - dst: git.example.com\n    proto: ssh\n"
		"    verify_banner: true\n    port: 2222\n"
		"  - dst: web.example.com\n    proto: http\n"
		"    path_default: deny\n    methods: [GET]\n"
		"    path_rules:\n"
		"      - { path: \"~^/a\\\\\\\"b\\u2028\", action: allow }\n",
		"version: 1\ntls:\n  ca_cert: /a/ca.pem\n  ca_key: /b/key.pem\n"
		"  upstream_ca: /c/up.pem\n"
		"rules:\n  - dst: api.example.com\n    proto: https\n"
		"    path_rules:\n      - { path: /v1/, action: allow }\n"
		"  - dst: b.example.com\n    proto: https\n"
		"    intercept: true\n    insecure_skip_tls_verify: true\n",
	};
	const char *allow[] = { "2001:db8::/32:5000-5100/udp",
				"*.example.org:80,443/tcp" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		struct policy *p, *p2;
		char *out, *out2, *errs;

		p = load(files[i], allow, 2, &errs);
		ck_assert_msg(p, "%s", errs);
		free(errs);
		out = print_str(p);
		p2 = load(out, NULL, 0, &errs);
		ck_assert_msg(p2, "printed policy does not load:\n%s\n%s", out,
			      errs);
		free(errs);
		out2 = print_str(p2);
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

START_TEST(test_policy_print_normalized)
{
	struct policy *p = load_ok("version: 1\nadd_domains: [GitHub.com]\n"
				   "rules:\n  - dst: 2001:DB8::/32\n"
				   "    proto: tcp\n    port: \"80,443\"\n");
	char *out = print_str(p);

	ck_assert_msg(strstr(out, "  # policy.yaml:2\n"
				  "  - dst: \"github.com\"\n"
				  "    proto: https\n"
				  "    port: [443]\n"
				  "    action: allow\n"), "%s", out);
	ck_assert_msg(strstr(out, "  - dst: \"2001:db8::/32\"\n"
				  "    proto: tcp\n"
				  "    port: [80, 443]\n"), "%s", out);
	ck_assert_msg(strstr(out, "version: 1\nmode: enforce\ndefault: deny\n"
				  "deny_errno: EACCES\n"), "%s", out);
	free(out);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_str_tables)
{
	ck_assert_str_eq(policy_proto_str[POLICY_PROTO_QUIC], "quic");
	ck_assert_str_eq(policy_transport_str[POLICY_TRANSPORT_ICMP], "icmp");
	ck_assert_str_eq(policy_verdict_str[POLICY_VERDICT_AUDIT], "audit");
	ck_assert_int_eq(proto_parse("https"), POLICY_PROTO_HTTPS);
	ck_assert_int_eq(proto_parse("HTTPS"), -EINVAL);
}
END_TEST

/* A name to decide is split without copying: bad names never match */
START_TEST(test_policy_query_names_robust)
{
	static const char *const bad[] = {
		"", ".", "a..example.com", ".a.example.com",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		".example.com",
	};
	struct policy *p = load_ok("version: 1\nrules:\n"
				   "  - dst: \"*\"\n    allow_broad: true\n");
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(verdict(p, "203.0.113.1", 1, TCP, bad[i]) ==
				      DENY, "'%s' matched", bad[i]);
	ck_assert_int_eq(verdict(p, "203.0.113.1", 1, TCP, "a.example."),
			 ALLOW);
	policy_free(p);
}
END_TEST

/* Every example shipped with the man page loads */
START_TEST(test_policy_examples_load)
{
	struct dirent **ents;
	unsigned int loaded = 0;
	int n, i;

	n = scandir(POLICY_EXAMPLES_DIR, &ents, NULL, alphasort);
	ck_assert_int_ge(n, 0);
	for (i = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		size_t len = strlen(f);
		char path[4096];
		struct policy *p;

		if (len > 5 && !strcmp(f + len - 5, ".yaml")) {
			snprintf(path, sizeof(path), "%s/%s",
				 POLICY_EXAMPLES_DIR, f);
			p = policy_load(path, NULL, 0, stderr);
			ck_assert_msg(p, "%s does not load", path);
			policy_free(p);
			loaded++;
		}
		free(ents[i]);
	}
	free(ents);
	ck_assert_uint_ge(loaded, 3);
}
END_TEST

/* Among matching allow rules, one that needs no inspection wins; the
 * relay learns from the decision's proto and match what to inspect */
START_TEST(test_policy_plain_rule_wins)
{
	struct policy *p = load_ok("version: 1\n"
				   "rules:\n"
				   "  - dst: a.example\n"
				   "    proto: https\n"
				   "  - dst: 198.51.100.0/24\n"
				   "    proto: tcp\n"
				   "    port: 443\n"
				   "  - dst: b.example\n"
				   "    proto: ssh\n"
				   "    verify_banner: true\n"
				   "  - dst: c.example\n"
				   "    proto: http\n"
				   "    path_rules:\n"
				   "      - { path: /ok/, action: allow }\n"
				   "  - dst: d.example\n"
				   "    proto: http\n");
	struct policy_decision d;

	/* the tcp CIDR rule allows every byte: no inspection */
	ask(p, "198.51.100.10", 443, TCP, "a.example", &d);
	ck_assert_int_eq(d.verdict, ALLOW);
	ck_assert_int_eq(d.proto, POLICY_PROTO_TCP);
	/* elsewhere the https rule is the only one */
	ask(p, "203.0.113.5", 443, TCP, "a.example", &d);
	ck_assert_int_eq(d.verdict, ALLOW);
	ck_assert_int_eq(d.proto, POLICY_PROTO_HTTPS);
	ck_assert_str_eq(d.name, "a.example");
	ask(p, "203.0.113.5", 22, TCP, "b.example", &d);
	ck_assert_int_eq(d.proto, POLICY_PROTO_SSH);
	ck_assert(policy_rule_verify_banner(d.match));
	ck_assert(!policy_rule_has_paths(d.match));
	ask(p, "203.0.113.5", 80, TCP, "c.example", &d);
	ck_assert_int_eq(d.proto, POLICY_PROTO_HTTP);
	ck_assert(policy_rule_has_paths(d.match));
	ask(p, "203.0.113.5", 80, TCP, "d.example", &d);
	ck_assert_int_eq(d.proto, POLICY_PROTO_HTTP);
	ck_assert(!policy_rule_has_paths(d.match));
	/* no SNI, no name: only the address can allow */
	ask(p, "203.0.113.5", 443, TCP, NULL, &d);
	ck_assert_int_eq(d.verdict, DENY);
	policy_free(p);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_policy_issue_example);
	tcase_add_test(tc, test_policy_proto_default_ports);
	tcase_add_test(tc, test_policy_proto_any);
	tcase_add_test(tc, test_policy_name_patterns);
	tcase_add_test(tc, test_policy_name_normalize);
	tcase_add_test(tc, test_policy_punycode_rfc3492);
	tcase_add_test(tc, test_policy_error_messages);
	tcase_add_test(tc, test_policy_all_errors_reported);
	tcase_add_test(tc, test_policy_file_errors);
	tcase_add_test(tc, test_policy_no_file);
	tcase_add_test(tc, test_policy_settings);
	tcase_add_test(tc, test_policy_errno_names);
	tcase_add_test(tc, test_policy_deny_wins);
	tcase_add_test(tc, test_policy_reasons);
	tcase_add_test(tc, test_policy_special_addresses);
	tcase_add_test(tc, test_policy_audit_mode);
	tcase_add_test(tc, test_policy_set_mode_audit);
	tcase_add_test(tc, test_policy_name_verdict);
	tcase_add_test(tc, test_policy_name_verdict_default_allow);
	tcase_add_test(tc, test_policy_spec_good);
	tcase_add_test(tc, test_policy_quic_plain_udp_wins);
	tcase_add_test(tc, test_policy_spec_bad);
	tcase_add_test(tc, test_policy_spec_and_file_errors);
	tcase_add_test(tc, test_policy_broad_patterns);
	tcase_add_test(tc, test_policy_http_rules);
	tcase_add_test(tc, test_policy_https_intercept);
	tcase_add_test(tc, test_policy_print_roundtrip);
	tcase_add_test(tc, test_policy_print_normalized);
	tcase_add_test(tc, test_policy_str_tables);
	tcase_add_test(tc, test_policy_query_names_robust);
	tcase_add_test(tc, test_policy_examples_load);
	tcase_add_test(tc, test_policy_plain_rule_wins);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
