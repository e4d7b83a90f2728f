// SPDX-License-Identifier: GPL-2.0-or-later
/* check_log.c - JSON lines: escaping, one line per event, truncation */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char path[] = "/tmp/check_log.XXXXXX";

static char *slurp(void)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void setup(void)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(path), 0);
}

static void teardown(void)
{
	log_close();
	unlink(path);
	strcpy(path, "/tmp/check_log.XXXXXX");
}

START_TEST(test_log_fields_and_escaping)
{
	const char *names[] = { "a.example", "b\"q" };
	struct log_line l;
	char *out;

	log_begin(&l, "connect");
	log_str(&l, "comm", "evil\"\n\\\x01");
	log_int(&l, "port", 443);
	log_bool(&l, "audit", false);
	log_strv(&l, "names", names, 2);
	log_str(&l, "none", NULL);
	log_end(&l);
	out = slurp();

	ck_assert_ptr_nonnull(strstr(out, "{\"ts\":\""));
	ck_assert_ptr_nonnull(strstr(out, "\"event\":\"connect\""));
	ck_assert_ptr_nonnull(strstr(out, "\"comm\":\"evil\\\"\\u000a\\\\\\u0001\""));
	ck_assert_ptr_nonnull(strstr(out, "\"port\":443"));
	ck_assert_ptr_nonnull(strstr(out, "\"audit\":false"));
	ck_assert_ptr_nonnull(strstr(out, "\"names\":[\"a.example\",\"b\\\"q\"]"));
	ck_assert_ptr_nonnull(strstr(out, "\"none\":null"));
	/* exactly one line */
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
}
END_TEST

START_TEST(test_log_truncates_at_key_boundary)
{
	char big[900];
	struct log_line l;
	char *out;
	int i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_begin(&l, "send");
	for (i = 0; i < 10; i++)
		log_str(&l, "k", big);
	log_int(&l, "last", 1);
	log_end(&l);
	out = slurp();

	ck_assert_uint_le(strlen(out), sizeof(l.buf));
	ck_assert_ptr_nonnull(strstr(out, "\"truncated\":true}\n"));
	/* every value that made it in is complete */
	ck_assert_ptr_null(strstr(out, "x,\""));
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("json");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_fields_and_escaping);
	tcase_add_test(tc, test_log_truncates_at_key_boundary);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
