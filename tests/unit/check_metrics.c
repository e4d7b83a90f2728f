// SPDX-License-Identifier: GPL-2.0-or-later
/* check_metrics.c - Prometheus text, bounded tables, the denial summary,
 * the scraper's request parser, and the file written atomically */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loop.h"
#include "metrics.h"

static char text[65536];

static const char *render(void)
{
	size_t n = metrics_render(text, sizeof(text));

	ck_assert_uint_lt(n, sizeof(text));
	return text;
}

static void setup(void)
{
	metrics_reset();
	loop_init();
}

START_TEST(test_metrics_decisions_by_labels)
{
	metrics_decision("allow", "rule", "tcp", "198.51.100.10", 22, "a.test");
	metrics_decision("allow", "rule", "tcp", "198.51.100.10", 22, NULL);
	metrics_decision("deny", "default", "tcp", "198.51.100.20", 22, NULL);
	metrics_decision("audit", "unknown_ip", "udp", "203.0.113.5", 53, NULL);
	metrics_decision("deny", NULL, "unix", "/run/docker.sock", 0, NULL);
	render();
	ck_assert_ptr_nonnull(strstr(text,
		"# TYPE egress_supervise_decisions_total counter\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_decisions_total{verdict=\"allow\","
		"reason=\"rule\",proto=\"tcp\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_decisions_total{verdict=\"deny\","
		"reason=\"default\",proto=\"tcp\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"{verdict=\"audit\",reason=\"unknown_ip\",proto=\"udp\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"{verdict=\"deny\",reason=\"default\",proto=\"unix\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_relay_bytes_total{direction=\"up\"} 0\n"));
}
END_TEST

START_TEST(test_metrics_other_counters)
{
	metrics_dns("allow", "NOERROR", "a.test");
	metrics_dns("allow", "NOERROR", "a.test");
	metrics_dns("deny", "NXDOMAIN", "evil.test");
	metrics_relay_bytes(100, 2000);
	metrics_relay_bytes(1, 1);
	metrics_notification();
	metrics_notification();
	metrics_notification();
	metrics_in_flight(7);
	metrics_exec_sessions(2);
	render();
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_dns_queries_total{verdict=\"allow\","
		"rcode=\"NOERROR\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_dns_queries_total{verdict=\"deny\","
		"rcode=\"NXDOMAIN\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_relay_bytes_total{direction=\"up\"} 101\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_relay_bytes_total{direction=\"down\"} 2001\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_notifications_total 3\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"# TYPE egress_supervise_notifications_in_flight gauge\n"
		"egress_supervise_notifications_in_flight 7\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"egress_supervise_exec_sessions 2\n"));
	/* a denied name is not a decision on a call */
	ck_assert_ptr_null(strstr(text, "proto=\"dns\""));
}
END_TEST

START_TEST(test_metrics_label_escaping)
{
	metrics_decision("deny", "we\"ird\\re\nason", "tcp", "x", 1, NULL);
	render();
	ck_assert_ptr_nonnull(strstr(text,
		"reason=\"we\\\"ird\\\\re\\nason\""));
}
END_TEST

START_TEST(test_metrics_bounded_tables)
{
	char reason[32], dst[32];
	int i;

	/* far more label sets than rows: the rest is counted as "other" */
	for (i = 0; i < 1000; i++) {
		snprintf(reason, sizeof(reason), "r%d", i);
		snprintf(dst, sizeof(dst), "198.51.100.%d", i % 256);
		metrics_decision("deny", reason, "tcp", dst, (unsigned)i, NULL);
	}
	render();
	ck_assert_ptr_nonnull(strstr(text, "{verdict=\"other\",reason="
					   "\"other\",proto=\"other\"} "));
	ck_assert_uint_lt(strlen(text), sizeof(text) / 2);
}
END_TEST

START_TEST(test_metrics_summary_top)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	f = open_memstream(&buf, &len);
	metrics_summary(f, 10);
	fflush(f);
	ck_assert_uint_eq(len, 0);	/* nothing denied: nothing said */

	metrics_decision("allow", "rule", "tcp", "198.51.100.10", 22, NULL);
	for (i = 0; i < 5; i++)
		metrics_decision("deny", "default", "tcp", "198.51.100.20", 22,
				 "evil.test");
	for (i = 0; i < 2; i++)
		metrics_decision("deny", "default", "udp", "2001:db8::7", 5000,
				 NULL);
	metrics_dns("deny", "NXDOMAIN", "leak.test");
	for (i = 0; i < 3; i++)
		metrics_decision("deny", "default", "tcp", "203.0.113.5", 80,
				 NULL);
	metrics_summary(f, 3);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "summary: 11 denied, 0 audited"));
	ck_assert_ptr_nonnull(strstr(buf,
		"5  deny  tcp   198.51.100.20:22 (evil.test)\n"));
	ck_assert_ptr_nonnull(strstr(buf, "3  deny  tcp   203.0.113.5:80\n"));
	ck_assert_ptr_nonnull(strstr(buf, "2  deny  udp   [2001:db8::7]:5000\n"));
	/* ordered by count */
	ck_assert(strstr(buf, "198.51.100.20") < strstr(buf, "203.0.113.5"));
	ck_assert(strstr(buf, "203.0.113.5") < strstr(buf, "2001:db8::7"));
	ck_assert_ptr_null(strstr(buf, "leak.test"));	/* past the top 3 */
	ck_assert_ptr_nonnull(strstr(buf, "and 1 more destinations"));
	free(buf);
}
END_TEST

START_TEST(test_metrics_http_parse)
{
	static const struct {
		const char *req;
		enum metrics_http want;
		bool head;
	} tab[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", METRICS_HTTP_OK },
		{ "GET /metrics HTTP/1.0\n\n", METRICS_HTTP_OK },
		{ "GET /metrics?x=1 HTTP/1.1\r\n\r\n", METRICS_HTTP_OK },
		{ "HEAD /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_OK, true },
		{ "GET / HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND },
		{ "GET /metricsx HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND },
		{ "POST /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD_METHOD },
		{ "PUT /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD_METHOD },
		{ "DELETE /x HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD_METHOD },
		{ "GET /metrics\r\n\r\n", METRICS_HTTP_BAD_REQUEST },
		{ "garbage\r\n\r\n", METRICS_HTTP_BAD_REQUEST },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", METRICS_HTTP_MORE },
		{ "", METRICS_HTTP_MORE },
	};
	char big[1024];
	bool head;
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		head = false;
		ck_assert_msg(metrics_http_parse(tab[i].req, strlen(tab[i].req),
						 1024, &head) == tab[i].want,
			      "request %zu", i);
		if (tab[i].want == METRICS_HTTP_OK)
			ck_assert_int_eq(head, tab[i].head);
	}
	/* a head that never ends within the limit */
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(metrics_http_parse(big, sizeof(big), sizeof(big),
					    &head),
			 METRICS_HTTP_BAD_REQUEST);
}
END_TEST

START_TEST(test_metrics_spec)
{
	ck_assert(metrics_spec_is_addr("127.0.0.1:9464"));
	ck_assert(metrics_spec_is_addr("[::1]:9464"));
	ck_assert(metrics_spec_is_addr("0.0.0.0:1"));
	ck_assert(!metrics_spec_is_addr("/run/metrics.prom"));
	ck_assert(!metrics_spec_is_addr("metrics.prom"));
	ck_assert(!metrics_spec_is_addr("host:9464"));
	ck_assert(!metrics_spec_is_addr("127.0.0.1:"));
	ck_assert(!metrics_spec_is_addr("127.0.0.1:94641"));
	ck_assert(!metrics_spec_is_addr("::1:9464"));
}
END_TEST

START_TEST(test_metrics_file)
{
	char dir[] = "/tmp/check_metrics.XXXXXX", path[64], buf[4096];
	struct stat st;
	size_t n;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	ck_assert_int_eq(metrics_init(path, 1), 0);
	ck_assert_int_eq(stat(path, &st), 0);	/* written at once */
	metrics_decision("deny", "default", "tcp", "198.51.100.20", 22, NULL);
	metrics_exit();
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "{verdict=\"deny\",reason="
					  "\"default\",proto=\"tcp\"} 1\n"));
	/* no temporary file left behind */
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_metrics_decisions_by_labels);
	tcase_add_test(tc, test_metrics_other_counters);
	tcase_add_test(tc, test_metrics_label_escaping);
	tcase_add_test(tc, test_metrics_bounded_tables);
	tcase_add_test(tc, test_metrics_summary_top);
	tcase_add_test(tc, test_metrics_http_parse);
	tcase_add_test(tc, test_metrics_spec);
	tcase_add_test(tc, test_metrics_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
