// SPDX-License-Identifier: GPL-2.0-or-later
/* check_ftp_ctl.c - unit tests of the FTP control reply follower
 *
 * Each case is a piece of a server's control stream with the passive
 * replies it must yield.  Every case is also fed split at every byte and
 * byte by byte: the result may not depend on how the bytes arrived.  The
 * "vsftpd" transcripts are server-to-client bytes of vsftpd 3.0.3 captured
 * on loopback (curl with --disable-epsv, and curl -Q FEAT -Q HELP); the
 * "pure-ftpd" and "proftpd" ones are written after those servers' reply
 * formats.
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp_ctl.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAXP		8

struct ftp_case {
	const char *name;
	const char *in;
	int ret;		/* 0 or -EBADMSG */
	size_t npasv;		/* replies found (before the error, if any) */
	struct ftp_pasv pasv[3];
};

#define P227(a, b, c, d, pt)                                                  \
	{ .code = 227, .family = AF_INET, .addr = { a, b, c, d },             \
	  .port = pt }
#define P229(pt)                                                              \
	{ .code = 229, .family = AF_UNSPEC, .port = pt }

static const struct ftp_case cases[] = {
	/* PASV */
	{ "227 parens", "227 Entering Passive Mode (192,168,1,2,19,137)\r\n",
	  0, 1, { P227(192, 168, 1, 2, 5001) } },
	{ "227 parens dot", "227 Entering Passive Mode (127,0,0,1,117,48).\r\n",
	  0, 1, { P227(127, 0, 0, 1, 30000) } },
	{ "227 bare", "227 Entering Passive Mode 10,0,0,1,4,1\r\n", 0, 1,
	  { P227(10, 0, 0, 1, 1025) } },
	{ "227 equals", "227 =198,51,100,10,0,21\r\n", 0, 1,
	  { P227(198, 51, 100, 10, 21) } },
	{ "227 first", "227 198,51,100,10,255,255 ok\r\n", 0, 1,
	  { P227(198, 51, 100, 10, 65535) } },
	{ "227 text after", "227 Passive (0,0,0,0,1,0) see 1,2,3,4,5,6\r\n", 0,
	  1, { P227(0, 0, 0, 0, 256) } },
	{ "227 lf only", "227 Entering Passive Mode (1,2,3,4,5,6)\n", 0, 1,
	  { P227(1, 2, 3, 4, 1286) } },
	{ "227 leading zeros", "227 (001,002,003,004,005,006)\r\n", 0, 1,
	  { P227(1, 2, 3, 4, 1286) } },
	/* EPSV */
	{ "229", "229 Entering Extended Passive Mode (|||6446|)\r\n", 0, 1,
	  { P229(6446) } },
	{ "229 bang", "229 Entering Extended Passive Mode (!!!6446!)\r\n", 0,
	  1, { P229(6446) } },
	{ "229 tilde", "229 ok (~~~1~)\r\n", 0, 1, { P229(1) } },
	{ "229 max", "229 (|||65535|) thanks\r\n", 0, 1, { P229(65535) } },
	{ "229 lf only", "229 (|||21|)\n", 0, 1, { P229(21) } },
	/* whole sessions */
	{ "vsftpd pasv", "220 (vsFTPd 3.0.3)\r\n230 Login successful.\r\n257 "
	  "\"/\" is the current directory\r\n227 Entering Passive Mode "
	  "(127,0,0,1,156,135).\r\n200 Switching to Binary mode.\r\n213 3"
	  "\r\n150 Opening BINARY mode data connection for x (3 bytes).\r\n"
	  "226 Transfer complete.\r\n227 Entering Passive Mode (127,0,0,1,"
	  "156,109).\r\n213 3\r\n150 Opening BINARY mode data connection "
	  "for x (3 bytes).\r\n226 Transfer complete.\r\n221 Goodbye.\r\n",
	  0, 2, { P227(127, 0, 0, 1, 40071), P227(127, 0, 0, 1, 40045) } },
	{ "vsftpd epsv", "220 (vsFTPd 3.0.3)\r\n230 Login successful.\r\n257 "
	  "\"/\" is the current directory\r\n211-Features:\r\n EPRT\r\n "
	  "EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n"
	  "211 End\r\n214-The following commands are recognized.\r\n ABOR "
	  "ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD\r\n"
	  " MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN REST RETR RMD  "
	  "RNFR\r\n RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER "
	  "XCUP XCWD XMKD\r\n XPWD XRMD\r\n214 Help OK.\r\n229 Entering "
	  "Extended Passive Mode (|||40042|)\r\n200 Switching to Binary mode."
	  "\r\n213 3\r\n150 Opening BINARY mode data connection for x (3 "
	  "bytes).\r\n226 Transfer complete.\r\n221 Goodbye.\r\n", 0, 1,
	  { P229(40042) } },
	{ "pure-ftpd", "220---------- Welcome to Pure-FTPd [privsep] "
	  "----------\r\n220-You are user number 1 of 50 allowed.\r\n"
	  "220-Local time is now 10:32. Server port: 21.\r\n220 You will be "
	  "disconnected after 15 minutes of inactivity.\r\n229 Extended "
	  "Passive mode OK (|||30005|)\r\n", 0, 1, { P229(30005) } },
	{ "proftpd", "211-Features:\r\n LANG en-US*\r\n EPSV\r\n PASV\r\n"
	  " MDTM\r\n211 End\r\n227 Entering Passive Mode "
	  "(198,51,100,10,195,81).\r\n", 0, 1,
	  { P227(198, 51, 100, 10, 50001) } },
	/* multi-line replies of other codes hide what is in them */
	{ "multi inner 227", "150-Here it comes\r\n227 Entering Passive Mode "
	  "(6,6,6,6,6,6)\r\n229 (|||666|)\r\n150 go\r\n", 0, 0 },
	{ "multi inner other code", "220-hi\r\n123-abc\r\n221 bye\r\n"
	  "220 ready\r\n227 (1,2,3,4,0,1)\r\n", 0, 1,
	  { P227(1, 2, 3, 4, 1) } },
	{ "multi inner junk", "220-hi\r\n\r\n\xff\xfe junk\r\n  227 x\r\n"
	  "220 ready\r\n", 0, 0 },
	{ "multi end bare code", "220-hi\r\n220\r\n229 (|||80|)\r\n", 0, 1,
	  { P229(80) } },
	{ "multi end needs space", "220-hi\r\n220-more\r\n220x\r\n"
	  "227 (1,2,3,4,0,1)\r\n220 ok\r\n", 0, 0 },
	{ "several", "227 (1,2,3,4,0,1)\r\n200 ok\r\n229 (|||2|)\r\n"
	  "227 (5,6,7,8,0,3)\r\n", 0, 3, { P227(1, 2, 3, 4, 1), P229(2),
	  P227(5, 6, 7, 8, 3) } },
	{ "6xx", "631 base64stuff\r\n227 (1,2,3,4,0,9)\r\n", 0, 1,
	  { P227(1, 2, 3, 4, 9) } },
	{ "bare code", "200\r\n", 0, 0 },
	{ "partial", "227 Entering Passive Mode (1,2,3,4,5,6)", 0, 0 },
	{ "empty", "", 0, 0 },

	/* garbage */
	{ "227 port 0", "227 Entering Passive Mode (1,2,3,4,0,0)\r\n",
	  -EBADMSG },
	{ "227 octet 256", "227 Entering Passive Mode (1,2,3,256,0,1)\r\n",
	  -EBADMSG },
	{ "227 port byte 256", "227 (1,2,3,4,256,1)\r\n", -EBADMSG },
	{ "227 five", "227 Entering Passive Mode (1,2,3,4,5)\r\n", -EBADMSG },
	{ "227 seven", "227 Entering Passive Mode (1,2,3,4,5,6,7)\r\n",
	  -EBADMSG },
	{ "227 spaces", "227 Entering Passive Mode (1, 2, 3, 4, 5, 6)\r\n",
	  -EBADMSG },
	{ "227 four digits", "227 (1,2,3,4,5,0006)\r\n", -EBADMSG },
	{ "227 other digits first", "227 Mode 1 (1,2,3,4,5,6)\r\n", -EBADMSG },
	{ "227 no numbers", "227 Entering Passive Mode\r\n", -EBADMSG },
	{ "227 alone", "227\r\n", -EBADMSG },
	{ "227 8bit", "227 Entering Passive Mode \xc3\xa9 (1,2,3,4,5,6)\r\n",
	  -EBADMSG },
	{ "227 ctl", "227 Entering\x01 (1,2,3,4,5,6)\r\n", -EBADMSG },
	{ "227 inner cr", "227 Entering\r (1,2,3,4,5,6)\r\n", -EBADMSG },
	{ "227 multi", "227-Entering Passive Mode (1,2,3,4,5,6)\r\n227 ok\r\n",
	  -EBADMSG },
	{ "229 multi", "229-x (|||5|)\r\n229 y\r\n", -EBADMSG },
	{ "229 port 0", "229 (|||0|)\r\n", -EBADMSG },
	{ "229 port big", "229 (|||65536|)\r\n", -EBADMSG },
	{ "229 six digits", "229 (|||000080|)\r\n", -EBADMSG },
	{ "229 no port", "229 (||||)\r\n", -EBADMSG },
	{ "229 mixed delims", "229 (||!6446|)\r\n", -EBADMSG },
	{ "229 end delim", "229 (|||6446!)\r\n", -EBADMSG },
	{ "229 no paren", "229 (|||6446|\r\n", -EBADMSG },
	{ "229 no open", "229 Entering Extended Passive Mode |||6446|\r\n",
	  -EBADMSG },
	{ "229 digit delim", "229 (1116441)\r\n", -EBADMSG },
	{ "229 space delim", "229 (   6446 )\r\n", -EBADMSG },
	{ "229 address", "229 (|1|198.51.100.10|6446|)\r\n", -EBADMSG },
	{ "229 8bit", "229 \x80 (|||6446|)\r\n", -EBADMSG },
	{ "not a reply", "hello\r\n", -EBADMSG },
	{ "two digits", "22 ok\r\n", -EBADMSG },
	{ "four digits", "2270 (1,2,3,4,5,6)\r\n", -EBADMSG },
	{ "code 099", "099 x\r\n", -EBADMSG },
	{ "code 700", "700 x\r\n", -EBADMSG },
	{ "empty line", "\r\n", -EBADMSG },
	{ "tab after code", "200\tok\r\n", -EBADMSG },
	{ "error after pasv", "229 (|||7|)\r\nbad\r\n", -EBADMSG, 1,
	  { P229(7) } },
};

struct result {
	int ret;
	size_t n;
	struct ftp_pasv p[MAXP];
};

/* Feed @in in pieces ending at each offset of @cuts (0-terminated), with
 * room for @room replies per call: a call that fills it is repeated */
static void feed(const uint8_t *in, size_t len, const size_t *cuts,
		 size_t room, struct result *res)
{
	struct ftp_ctl c;
	size_t off = 0;

	memset(res, 0, sizeof(*res));
	ftp_ctl_init(&c);
	for (;;) {
		size_t end = *cuts && *cuts < len ? *cuts++ : len;

		while (off < end || (!len && !off)) {
			struct ftp_pasv p[MAXP];
			ssize_t r;
			size_t n = 99, k;

			r = ftp_ctl_feed(&c, in + off, end - off, p, room, &n);
			ck_assert_uint_le(n, room);
			for (k = 0; k < n; k++) {
				ck_assert_uint_lt(res->n, MAXP);
				res->p[res->n++] = p[k];
			}
			if (r < 0) {
				res->ret = (int)r;
				return;
			}
			ck_assert_int_le(r, (ssize_t)(end - off));
			/* fewer bytes only when the room is full */
			ck_assert(r == (ssize_t)(end - off) || n == room);
			off += (size_t)r;
			if (!len)
				break;
		}
		if (off == len)
			return;
	}
}

static void check_result(const struct ftp_case *c, const struct result *r,
			 const char *how)
{
	size_t k;

	if (r->ret != c->ret)
		ck_abort_msg("%s (%s): got %d, want %d", c->name, how, r->ret,
			     c->ret);
	if (r->n != c->npasv)
		ck_abort_msg("%s (%s): %zu replies, want %zu", c->name, how,
			     r->n, c->npasv);
	for (k = 0; k < r->n; k++) {
		ck_assert_int_eq(r->p[k].code, c->pasv[k].code);
		ck_assert_int_eq(r->p[k].family, c->pasv[k].family);
		ck_assert_mem_eq(r->p[k].addr, c->pasv[k].addr, 4);
		ck_assert_uint_eq(r->p[k].port, c->pasv[k].port);
	}
}

START_TEST(test_ftp_ctl_table)
{
	const struct ftp_case *c = &cases[_i];
	const uint8_t *in = (const uint8_t *)c->in;
	size_t len = strlen(c->in);
	static size_t cuts[4096];
	struct result r;
	size_t k;

	cuts[0] = 0;
	feed(in, len, cuts, MAXP, &r);
	check_result(c, &r, "whole");
	/* room for one reply a call */
	feed(in, len, cuts, 1, &r);
	check_result(c, &r, "room 1");

	/* in two pieces, cut at every byte */
	for (k = 1; k < len; k++) {
		char how[32];

		cuts[0] = k;
		cuts[1] = 0;
		feed(in, len, cuts, 1 + k % 2, &r);
		snprintf(how, sizeof(how), "cut at %zu", k);
		check_result(c, &r, how);
	}

	/* byte by byte */
	ck_assert_uint_lt(len, ARRAY_SIZE(cuts));
	for (k = 1; k < len; k++)
		cuts[k - 1] = k;
	cuts[len ? len - 1 : 0] = 0;
	feed(in, len, cuts, MAXP, &r);
	check_result(c, &r, "byte by byte");
}
END_TEST

START_TEST(test_ftp_ctl_out_full)
{
	static const char in[] = "227 (1,2,3,4,0,1)\r\n229 (|||2|)\r\n"
				 "229 (|||3|)\r\n200 ok\r\n";
	const uint8_t *b = (const uint8_t *)in;
	struct ftp_pasv p[2];
	struct ftp_ctl c;
	size_t n;

	/* three replies, room for two: the feed stops before the third */
	memset(p, 0xee, sizeof(p));
	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, b, strlen(in), p, 2, &n), 32);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(p[0].code, 227);
	ck_assert_uint_eq(p[0].port, 1);
	ck_assert_int_eq(p[1].code, 229);
	ck_assert_uint_eq(p[1].port, 2);
	ck_assert_int_eq(ftp_ctl_feed(&c, b + 32, strlen(in) - 32, p, 2, &n),
			 (ssize_t)strlen(in) - 32);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(p[0].port, 3);

	/* the reply's line began in an earlier piece: kept for the retry */
	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, b, 40, p, 2, &n), 40);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ftp_ctl_feed(&c, b + 40, 5, p, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ftp_ctl_feed(&c, b + 40, 5, p, 1, &n), 5);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(p[0].port, 3);

	/* no room at all: nothing consumed from the first reply on */
	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, b, strlen(in), NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_ftp_ctl_line_max)
{
	static uint8_t line[FTP_LINE_MAX + 8];
	struct ftp_pasv p[1];
	struct ftp_ctl c;
	size_t n;

	/* FTP_LINE_MAX bytes with CR LF: fine */
	memcpy(line, "200 ", 4);
	memset(line + 4, 'x', FTP_LINE_MAX - 6);
	memcpy(line + FTP_LINE_MAX - 2, "\r\n", 2);
	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, line, FTP_LINE_MAX, p, 1, &n),
			 FTP_LINE_MAX);
	ck_assert_uint_eq(n, 0);
	/* one more byte is too long, even in pieces */
	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, line, FTP_LINE_MAX - 2, p, 1, &n),
			 FTP_LINE_MAX - 2);
	ck_assert_int_eq(ftp_ctl_feed(&c, (const uint8_t *)"x\r\n", 3, p, 1,
				      &n),
			 -EBADMSG);
	/* and without an LF at all */
	memset(line, 'x', sizeof(line));
	memcpy(line, "220-", 4);
	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, line, sizeof(line), p, 1, &n),
			 -EBADMSG);
	/* inside a multi-line reply, too */
	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, (const uint8_t *)"220-x\r\n", 7, p,
				      1, &n),
			 7);
	ck_assert_int_eq(ftp_ctl_feed(&c, line + 4, sizeof(line) - 4, p, 1,
				      &n),
			 -EBADMSG);
}
END_TEST

START_TEST(test_ftp_ctl_sticky)
{
	struct ftp_pasv p[1];
	struct ftp_ctl c;
	size_t n = 7;

	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, (const uint8_t *)"xyz\r\n", 5, p, 1,
				      &n),
			 -EBADMSG);
	ck_assert_int_eq(ftp_ctl_feed(&c, (const uint8_t *)"227 (1,2,3,4,5,6)"
							  "\r\n",
				      19, p, 1, &n),
			 -EBADMSG);
	ck_assert_uint_eq(n, 0);
	/* init starts over */
	ftp_ctl_init(&c);
	ck_assert_int_eq(ftp_ctl_feed(&c, (const uint8_t *)"227 (1,2,3,4,5,6)"
							  "\r\n",
				      19, p, 1, &n),
			 19);
	ck_assert_uint_eq(n, 1);
}
END_TEST

static Suite *ftp_ctl_suite(void)
{
	Suite *s = suite_create("ftp_ctl");
	TCase *tc = tcase_create("replies");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_ftp_ctl_table, 0, (int)ARRAY_SIZE(cases));
	tcase_add_test(tc, test_ftp_ctl_out_full);
	tcase_add_test(tc, test_ftp_ctl_line_max);
	tcase_add_test(tc, test_ftp_ctl_sticky);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ftp_ctl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
