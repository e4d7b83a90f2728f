// SPDX-License-Identifier: GPL-2.0-or-later
/* check_ssh_banner.c - unit tests of the SSH identification line check
 *
 * "openssh" is what OpenSSH 9.2p1's sshd sent on loopback: its
 * identification line and the first bytes of its KEXINIT packet.  Every
 * accepted input is also checked in all its prefixes, which must ask for
 * more until the line's LF is in.
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_banner.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const uint8_t openssh[] = {
	'S', 'S', 'H', '-', '2', '.', '0', '-', 'O', 'p', 'e', 'n', 'S', 'S',
	'H', '_', '9', '.', '2', 'p', '1', ' ', 'D', 'e', 'b', 'i', 'a', 'n',
	'-', '2', '+', 'd', 'e', 'b', '1', '2', 'u', '1', '0', '\r', '\n',
	0x00, 0x00, 0x04, 0x3c, 0x09, 0x14, 0xc7, 0xb0, 0x50, 0x13, 0x00, 0xf2,
	0xe0, 0xf6, 0x86, 0x08, 0x2c, 0x2d, 0x22, 0x55, 0xac, 0x62, 0x00, 0x00,
	0x01, 0x3d, 0x73, 0x6e, 0x74, 0x72, 0x75, 0x70, 0x37, 0x36, 0x31, 0x78,
	0x32, 0x35, 0x35, 0x31, 0x39, 0x2d, 0x73, 0x68, 0x61, 0x35, 0x31, 0x32,
};

START_TEST(test_ssh_banner_openssh)
{
	size_t k;

	ck_assert_int_eq(ssh_banner_check(openssh, sizeof(openssh)), 1);
	for (k = 0; k < 41; k++)
		ck_assert_int_eq(ssh_banner_check(openssh, k), 0);
	for (; k <= sizeof(openssh); k++)
		ck_assert_int_eq(ssh_banner_check(openssh, k), 1);
}
END_TEST

struct banner_case {
	const char *name;
	const char *in;
	int ret;
};

static const struct banner_case cases[] = {
	{ "dropbear", "SSH-2.0-dropbear_2022.83\r\n", 1 },
	{ "1.99", "SSH-1.99-Cisco-1.25\r\n", 1 },
	{ "dash in version", "SSH-2.0-Cisco-1.25\r\n", 1 },
	{ "comments", "SSH-2.0-x some comments, with ! punctuation\r\n", 1 },
	{ "lf only", "SSH-2.0-OpenSSH_3.9\n", 1 },
	{ "pre-banner", "Welcome to host a\r\nauthorized use only\r\n\r\n"
	  "SSH-2.0-OpenSSH_9.6\r\n", 1 },
	{ "pre-banner lf", "hello\nSSH-2.0-Go\n", 1 },
	{ "pre-banner 8bit", "caf\xc3\xa9\r\nSSH-2.0-x\r\n", 1 },
	{ "trailing data", "SSH-2.0-x\r\n\x00\x00\x01\x0c", 1 },
	{ "partial", "SSH-2.0-Open", 0 },
	{ "partial prefix", "SSH-1.9", 0 },
	{ "partial cr", "SSH-2.0-x\r", 0 },
	{ "partial pre-banner", "Welcome\r\nSS", 0 },
	{ "empty", "", 0 },
	{ "http reply", "HTTP/1.1 400 Bad Request\r\n\r\n", 0 },
	{ "ssh 1.5", "SSH-1.5-x\r\n", -EBADMSG },
	{ "ssh 1.5 early", "SSH-1.5", -EBADMSG },
	{ "ssh 3.0", "SSH-3.0-x\r\n", -EBADMSG },
	{ "ssh 2.00", "SSH-2.00-x\r\n", -EBADMSG },
	{ "ssh 2 early", "SSH-2.1", -EBADMSG },
	{ "no software", "SSH-2.0-\r\n", -EBADMSG },
	{ "no software comment", "SSH-2.0- comment\r\n", -EBADMSG },
	{ "no software early", "SSH-2.0- ", -EBADMSG },
	{ "no dash", "SSH-2.0\r\n", -EBADMSG },
	{ "ctl in version", "SSH-2.0-a\x01\r\n", -EBADMSG },
	{ "tab in comment", "SSH-2.0-a b\tc\r\n", -EBADMSG },
	{ "del in comment", "SSH-2.0-a b\x7f\r\n", -EBADMSG },
	{ "8bit in version", "SSH-2.0-caf\xc3\xa9\r\n", -EBADMSG },
	{ "inner cr", "SSH-2.0-a\rb\r\n", -EBADMSG },
	{ "inner cr early", "SSH-2.0-a\rb", -EBADMSG },
	{ "nul in pre-banner", "ab\0c\r\nSSH-2.0-x\r\n", -EBADMSG },
	{ "lowercase", "ssh-2.0-x\r\n", 0 },	/* a pre-banner line */
	{ "tls", "\x16\x03\x01\x02", 0 },
};

/* The table holds a NUL in one input: its length by name */
static size_t case_len(const struct banner_case *c)
{
	if (!strcmp(c->name, "nul in pre-banner"))
		return 2 + 1 + strlen(c->in + 3);
	if (!strcmp(c->name, "trailing data"))
		return strlen(c->in) + 4;
	return strlen(c->in);
}

START_TEST(test_ssh_banner_table)
{
	const struct banner_case *c = &cases[_i];
	const uint8_t *in = (const uint8_t *)c->in;
	size_t len = case_len(c), k;
	int ret;

	ret = ssh_banner_check(in, len);
	if (ret != c->ret)
		ck_abort_msg("%s: got %d, want %d", c->name, ret, c->ret);
	/* prefixes: need more, or the same answer */
	for (k = 0; k < len; k++) {
		ret = ssh_banner_check(in, k);
		if (ret != 0 && ret != c->ret)
			ck_abort_msg("%s: prefix %zu: got %d", c->name, k, ret);
	}
}
END_TEST

static uint8_t big[SSH_BANNER_TOTAL_MAX + 512];

START_TEST(test_ssh_banner_id_max)
{
	/* SSH_BANNER_MAX bytes, CR LF included: fine */
	memcpy(big, "SSH-2.0-", 8);
	memset(big + 8, 'v', SSH_BANNER_MAX - 10);
	memcpy(big + SSH_BANNER_MAX - 2, "\r\n", 2);
	ck_assert_int_eq(ssh_banner_check(big, SSH_BANNER_MAX), 1);
	/* LF only: the same limit */
	big[SSH_BANNER_MAX - 2] = 'v';
	big[SSH_BANNER_MAX - 1] = '\n';
	ck_assert_int_eq(ssh_banner_check(big, SSH_BANNER_MAX), 1);
	/* one byte more */
	memset(big + 8, 'v', SSH_BANNER_MAX - 9);
	memcpy(big + SSH_BANNER_MAX - 1, "\r\n", 2);
	ck_assert_int_eq(ssh_banner_check(big, SSH_BANNER_MAX + 1), -EBADMSG);
	/* known too long before the LF comes */
	ck_assert_int_eq(ssh_banner_check(big, SSH_BANNER_MAX - 1), 0);
	ck_assert_int_eq(ssh_banner_check(big, SSH_BANNER_MAX), -EBADMSG);
}
END_TEST

START_TEST(test_ssh_banner_pre_lines)
{
	size_t n = 0;
	int i;

	for (i = 0; i < SSH_BANNER_PRE_LINES; i++) {
		memcpy(big + n, "line\r\n", 6);
		n += 6;
	}
	memcpy(big + n, "SSH-2.0-x\r\n", 11);
	ck_assert_int_eq(ssh_banner_check(big, n + 11), 1);
	/* one line more */
	memcpy(big + n, "line\r\nSSH-2.0-x\r\n", 17);
	ck_assert_int_eq(ssh_banner_check(big, n + 17), -EBADMSG);
	/* refused as soon as the extra line is complete */
	ck_assert_int_eq(ssh_banner_check(big, n + 5), 0);
	ck_assert_int_eq(ssh_banner_check(big, n + 6), -EBADMSG);
}
END_TEST

START_TEST(test_ssh_banner_pre_line_max)
{
	size_t n = SSH_BANNER_PRE_LINE_MAX;

	/* SSH_BANNER_PRE_LINE_MAX bytes with the LF: fine */
	memset(big, 'x', n - 2);
	memcpy(big + n - 2, "\r\n", 2);
	memcpy(big + n, "SSH-2.0-x\r\n", 11);
	ck_assert_int_eq(ssh_banner_check(big, n + 11), 1);
	/* one more byte: refused, with or without its LF yet */
	memset(big, 'x', n - 1);
	memcpy(big + n - 1, "\r\n", 2);
	ck_assert_int_eq(ssh_banner_check(big, n + 1), -EBADMSG);
	ck_assert_int_eq(ssh_banner_check(big, n - 1), 0);
	ck_assert_int_eq(ssh_banner_check(big, n), -EBADMSG);
}
END_TEST

START_TEST(test_ssh_banner_total_max)
{
	size_t n = 0;
	int i;

	/* 8 lines of 1000 bytes, then an identification line that would
	 * end past SSH_BANNER_TOTAL_MAX */
	for (i = 0; i < 8; i++) {
		memset(big + n, 'x', 998);
		memcpy(big + n + 998, "\r\n", 2);
		n += 1000;
	}
	memcpy(big + n, "SSH-2.0-", 8);
	memset(big + n + 8, 'v', 200);
	memcpy(big + n + 208, "\r\n", 2);
	ck_assert_int_eq(ssh_banner_check(big, n + 210), -EBADMSG);
	ck_assert_int_eq(ssh_banner_check(big, SSH_BANNER_TOTAL_MAX - 1), 0);
	ck_assert_int_eq(ssh_banner_check(big, SSH_BANNER_TOTAL_MAX), -EBADMSG);
	/* a shorter one that ends in time is fine */
	memcpy(big + n + 20, "\r\n", 2);
	ck_assert_int_eq(ssh_banner_check(big, n + 22), 1);
	/* as is a pre-banner that stops short of the limit */
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(ssh_banner_check(big, 100), 0);
}
END_TEST

static Suite *ssh_banner_suite(void)
{
	Suite *s = suite_create("ssh_banner");
	TCase *tc = tcase_create("banner");

	tcase_add_test(tc, test_ssh_banner_openssh);
	tcase_add_loop_test(tc, test_ssh_banner_table, 0,
			    (int)ARRAY_SIZE(cases));
	tcase_add_test(tc, test_ssh_banner_id_max);
	tcase_add_test(tc, test_ssh_banner_pre_lines);
	tcase_add_test(tc, test_ssh_banner_pre_line_max);
	tcase_add_test(tc, test_ssh_banner_total_max);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ssh_banner_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
