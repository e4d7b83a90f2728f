// SPDX-License-Identifier: GPL-2.0-or-later
/* check_policy_unix.c - which AF_UNIX sockets a policy lets CMD reach */

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "policy_internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct policy *load(const char *yaml, FILE *errs)
{
	return policy_load_buffer("u.yaml", yaml, strlen(yaml), NULL, 0, errs);
}

static const struct {
	const char *policy;
	const char *name;
	enum policy_verdict verdict;
	const char *reason;
} cases[] = {
	/* no unix section: engine sockets and abstract sockets denied */
	{ "version: 1\n", "/run/app/app.sock", POLICY_VERDICT_ALLOW,
	  "unix_default" },
	{ "version: 1\n", "/var/run/docker.sock", POLICY_VERDICT_DENY,
	  "engine_socket" },
	{ "version: 1\n", "/mnt/host/docker.sock", POLICY_VERDICT_DENY,
	  "engine_socket" },
	{ "version: 1\n", "/run/containerd/containerd.sock",
	  POLICY_VERDICT_DENY, "engine_socket" },
	{ "version: 1\n", "/run/containerd/s/abc123", POLICY_VERDICT_DENY,
	  "engine_socket" },
	{ "version: 1\n", "/run/user/1000/podman/podman.sock",
	  POLICY_VERDICT_DENY, "engine_socket" },
	{ "version: 1\n", "/var/lib/kubelet/pod-resources/kubelet.sock",
	  POLICY_VERDICT_DENY, "engine_socket" },
	{ "version: 1\n", "/run/buildkit/buildkitd.sock",
	  POLICY_VERDICT_DENY, "engine_socket" },
	{ "version: 1\n", "/run/crio/crio.sock", POLICY_VERDICT_DENY,
	  "engine_socket" },
	{ "version: 1\n", "@/containerd-shim/k8s.io/abc.sock",
	  POLICY_VERDICT_DENY, "abstract_socket" },
	{ "version: 1\n", "@x11", POLICY_VERDICT_DENY, "abstract_socket" },
	/* allow lists open engine and abstract sockets, deny wins */
	{ "version: 1\nunix:\n  allow: [/var/run/docker.sock]\n",
	  "/var/run/docker.sock", POLICY_VERDICT_ALLOW, "unix_rule" },
	{ "version: 1\nunix:\n  allow: [\"@x11*\"]\n", "@x11-unix",
	  POLICY_VERDICT_ALLOW, "unix_rule" },
	{ "version: 1\nunix:\n  allow: [\"/run/*\"]\n  deny: [/run/secret.sock]\n",
	  "/run/secret.sock", POLICY_VERDICT_DENY, "unix_deny_rule" },
	{ "version: 1\nunix:\n  deny: [\"/tmp/*\"]\n", "/tmp/a/b.sock",
	  POLICY_VERDICT_DENY, "unix_deny_rule" },
	{ "version: 1\nunix:\n  deny: [\"/tmp/*\"]\n", "/srv/b.sock",
	  POLICY_VERDICT_ALLOW, "unix_default" },
	/* audit mode */
	{ "version: 1\nmode: audit\n", "/var/run/docker.sock",
	  POLICY_VERDICT_AUDIT, "engine_socket" },
};

START_TEST(test_policy_unix_decide_table)
{
	struct policy_decision d;
	struct policy *p = load(cases[_i].policy, stderr);

	ck_assert_ptr_nonnull(p);
	policy_unix_decide(p, cases[_i].name, &d);
	ck_assert_msg(d.verdict == cases[_i].verdict,
		      "%s: verdict %d, expected %d", cases[_i].name, d.verdict,
		      cases[_i].verdict);
	ck_assert_str_eq(d.reason, cases[_i].reason);
	ck_assert_ptr_nonnull(d.rule);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_unix_errors_have_positions)
{
	static const char bad[] = "version: 1\nunix:\n  allow: [relative.sock]\n"
				  "  deny: 3\n  other: []\n";
	char buf[2048] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	ck_assert_ptr_null(load(bad, f));
	fclose(f);
	ck_assert_msg(strstr(buf, "u.yaml:3:"), "%s", buf);
	ck_assert_msg(strstr(buf, "neither an absolute path"), "%s", buf);
	ck_assert_msg(strstr(buf, "u.yaml:4:"), "%s", buf);
	ck_assert_msg(strstr(buf, "unknown key 'other'"), "%s", buf);
}
END_TEST

START_TEST(test_policy_unix_printed_and_reloaded)
{
	static const char y[] = "version: 1\nunix:\n  allow: [\"@x\", /a.sock]\n";
	char buf[4096] = "";
	struct policy *p = load(y, stderr), *q;
	struct policy_decision d;
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	ck_assert_ptr_nonnull(p);
	policy_print(p, f);
	fclose(f);
	ck_assert_msg(strstr(buf, "unix:"), "%s", buf);
	q = load(buf, stderr);
	ck_assert_ptr_nonnull(q);
	policy_unix_decide(q, "@x", &d);
	ck_assert_int_eq(d.verdict, POLICY_VERDICT_ALLOW);
	policy_free(p);
	policy_free(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_unix");
	TCase *tc = tcase_create("unix");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_policy_unix_decide_table, 0,
			    ARRAY_LEN(cases));
	tcase_add_test(tc, test_policy_unix_errors_have_positions);
	tcase_add_test(tc, test_policy_unix_printed_and_reloaded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
