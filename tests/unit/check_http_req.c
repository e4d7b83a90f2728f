// SPDX-License-Identifier: GPL-2.0-or-later
/* check_http_req.c - unit tests of the HTTP/1.x request head parser and
 * the request body tracker
 *
 * Tables: whole requests (what the relay reads from a head), paths (what
 * the policy matches), bodies (where the next request begins).  Every
 * accepted head is also fed in all its prefixes, which must all ask for
 * more, and every body is also fed byte by byte.
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static struct http_req req;

static int parse_str(const char *s)
{
	return http_req_parse((const uint8_t *)s, strlen(s), &req);
}

/* ------------------------------------------------------------ heads */

struct req_case {
	const char *name;
	const char *in;
	int ret;
	const char *method;
	const char *host;
	int port;
	const char *path;
	int version;
	enum http_body_kind body;
	uint64_t cl;
	bool keep_alive;
	bool upgrade;
	bool connect;
};

#define H11 " HTTP/1.1\r\nHost: a.example\r\n"

static const struct req_case req_cases[] = {
	/* forms of the request-target */
	{ "origin", "GET /" H11 "\r\n", 1, "GET", "a.example", 0, "/", 11,
	  HTTP_BODY_NONE, 0, true },
	{ "origin query", "GET /a/b?x=1&y=%zz/../" H11 "\r\n", 1, "GET",
	  "a.example", 0, "/a/b?x=1&y=%zz/../", 11, HTTP_BODY_NONE, 0,
	  true },
	{ "absolute", "GET http://Api.Example:8080/v1/x?q HTTP/1.1\r\n"
	  "Host: other.example\r\n\r\n", 1, "GET", "api.example", 8080,
	  "/v1/x?q", 11, HTTP_BODY_NONE, 0, true },
	{ "absolute no path", "GET http://a.example HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n", 1, "GET", "a.example", 0, "/", 11,
	  HTTP_BODY_NONE, 0, true },
	{ "absolute query only", "GET http://a.example?x=1 HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n", 1, "GET", "a.example", 0, "/?x=1", 11,
	  HTTP_BODY_NONE, 0, true },
	{ "absolute scheme case", "GET HTTP://A.Example/x HTTP/1.0\r\n\r\n",
	  1, "GET", "a.example", 0, "/x", 10, HTTP_BODY_NONE, 0, false },
	{ "absolute ipv6", "GET http://[2001:db8::10]:81/ HTTP/1.1\r\n"
	  "Host: x.example\r\n\r\n", 1, "GET", "2001:db8::10", 81, "/", 11,
	  HTTP_BODY_NONE, 0, true },
	{ "connect", "CONNECT a.example:443 HTTP/1.1\r\n"
	  "Host: a.example:443\r\n\r\n", 1, "CONNECT", "a.example", 443, "",
	  11, HTTP_BODY_NONE, 0, true, false, true },
	{ "connect ipv6", "CONNECT [2001:DB8::1]:22 HTTP/1.1\r\n"
	  "Host: [2001:db8::1]:22\r\n\r\n", 1, "CONNECT", "2001:db8::1", 22,
	  "", 11, HTTP_BODY_NONE, 0, true, false, true },
	{ "connect cl 0", "CONNECT a.example:443 HTTP/1.1\r\n"
	  "Host: a.example\r\nContent-Length: 0\r\n\r\n", 1, "CONNECT",
	  "a.example", 443, "", 11, HTTP_BODY_LENGTH, 0, true, false, true },
	{ "options asterisk", "OPTIONS *" H11 "\r\n", 1, "OPTIONS",
	  "a.example", 0, "*", 11, HTTP_BODY_NONE, 0, true },
	/* Host */
	{ "host case", "GET / HTTP/1.1\r\nHost: Example.COM\r\n\r\n", 1,
	  "GET", "example.com", 0, "/", 11, HTTP_BODY_NONE, 0, true },
	{ "host name case", "GET / HTTP/1.1\r\nhOsT: a.example\r\n\r\n", 1,
	  "GET", "a.example", 0, "/", 11, HTTP_BODY_NONE, 0, true },
	{ "host ipv6 port", "GET / HTTP/1.1\r\nHost: [2001:DB8:0:0::10]:8080"
	  "\r\n\r\n", 1, "GET", "2001:db8::10", 8080, "/", 11,
	  HTTP_BODY_NONE, 0, true },
	{ "host ipv4 port", "GET / HTTP/1.1\r\nHost: 198.51.100.10:80\r\n\r\n",
	  1, "GET", "198.51.100.10", 80, "/", 11, HTTP_BODY_NONE, 0, true },
	{ "host final dot", "GET / HTTP/1.1\r\nHost: a.example.\r\n\r\n", 1,
	  "GET", "a.example", 0, "/", 11, HTTP_BODY_NONE, 0, true },
	{ "host ows", "GET / HTTP/1.1\r\nHost: \t a.example \t\r\n\r\n", 1,
	  "GET", "a.example", 0, "/", 11, HTTP_BODY_NONE, 0, true },
	{ "host empty port", "GET / HTTP/1.1\r\nHost: a.example:\r\n\r\n", 1,
	  "GET", "a.example", 0, "/", 11, HTTP_BODY_NONE, 0, true },
	{ "host empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 1, "GET", "", 0,
	  "/", 11, HTTP_BODY_NONE, 0, true },
	{ "host underscore", "GET / HTTP/1.1\r\nHost: _a-b.example\r\n\r\n",
	  1, "GET", "_a-b.example", 0, "/", 11, HTTP_BODY_NONE, 0, true },
	{ "1.0 no host", "GET /x HTTP/1.0\r\n\r\n", 1, "GET", "", 0, "/x", 10,
	  HTTP_BODY_NONE, 0, false },
	{ "leading crlf", "\r\n\r\nGET /" H11 "\r\n", 1, "GET", "a.example",
	  0, "/", 11, HTTP_BODY_NONE, 0, true },
	{ "method dash", "VERSION-CONTROL /" H11 "\r\n", 1, "VERSION-CONTROL",
	  "a.example", 0, "/", 11, HTTP_BODY_NONE, 0, true },
	/* persistence and upgrades */
	{ "1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
	  1, "GET", "", 0, "/", 10, HTTP_BODY_NONE, 0, true },
	{ "1.0 keep-alive close", "GET / HTTP/1.0\r\n"
	  "Connection: keep-alive, close\r\n\r\n", 1, "GET", "", 0, "/", 10,
	  HTTP_BODY_NONE, 0, false },
	{ "1.1 close", "GET /" H11 "Connection: close\r\n\r\n", 1, "GET",
	  "a.example", 0, "/", 11, HTTP_BODY_NONE, 0, false },
	{ "1.1 close second line", "GET /" H11 "Connection: x-foo\r\n"
	  "connection: CLOSE\r\n\r\n", 1, "GET", "a.example", 0, "/", 11,
	  HTTP_BODY_NONE, 0, false },
	{ "websocket", "GET /chat" H11 "Upgrade: websocket\r\n"
	  "Connection: keep-alive, Upgrade\r\n\r\n", 1, "GET", "a.example", 0,
	  "/chat", 11, HTTP_BODY_NONE, 0, true, true },
	{ "upgrade without connection", "GET /" H11 "Upgrade: h2c\r\n\r\n", 1,
	  "GET", "a.example", 0, "/", 11, HTTP_BODY_NONE, 0, true, false },
	{ "upgrade 1.0", "GET / HTTP/1.0\r\nUpgrade: websocket\r\n"
	  "Connection: upgrade\r\n\r\n", 1, "GET", "", 0, "/", 10,
	  HTTP_BODY_NONE, 0, false, false },
	/* framing */
	{ "content-length", "POST /" H11 "Content-Length: 5\r\n\r\n", 1,
	  "POST", "a.example", 0, "/", 11, HTTP_BODY_LENGTH, 5, true },
	{ "content-length list", "POST /" H11 "Content-Length: 5 , 5\r\n\r\n",
	  1, "POST", "a.example", 0, "/", 11, HTTP_BODY_LENGTH, 5, true },
	{ "content-length twice", "POST /" H11 "Content-Length: 7\r\n"
	  "content-length: 7\r\n\r\n", 1, "POST", "a.example", 0, "/", 11,
	  HTTP_BODY_LENGTH, 7, true },
	{ "content-length big", "PUT /" H11
	  "Content-Length: 9223372036854775807\r\n\r\n", 1, "PUT",
	  "a.example", 0, "/", 11, HTTP_BODY_LENGTH, 9223372036854775807ull,
	  true },
	{ "chunked", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n", 1,
	  "POST", "a.example", 0, "/", 11, HTTP_BODY_CHUNKED, 0, true },
	{ "chunked case", "POST /" H11 "transfer-encoding: Chunked\r\n\r\n", 1,
	  "POST", "a.example", 0, "/", 11, HTTP_BODY_CHUNKED, 0, true },
	{ "gzip chunked", "POST /" H11 "Transfer-Encoding: gzip, chunked\r\n"
	  "\r\n", 1, "POST", "a.example", 0, "/", 11, HTTP_BODY_CHUNKED, 0,
	  true },
	{ "te two lines", "POST /" H11 "Transfer-Encoding: gzip\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, "POST", "a.example", 0,
	  "/", 11, HTTP_BODY_CHUNKED, 0, true },

	/* malformed */
	{ "bare lf", "GET / HTTP/1.1\nHost: a.example\n\n", -EBADMSG },
	{ "bare lf header", "GET /" H11 "X: y\n\r\n", -EBADMSG },
	{ "bare cr", "GET /" H11 "X: a\rb\r\n\r\n", -EBADMSG },
	{ "nul in value", "GET /" H11 "X: a\0b\r\n\r\n", -EBADMSG },
	{ "ctl in value", "GET /" H11 "X: a\x01" "b\r\n\r\n", -EBADMSG },
	{ "obs-fold", "GET /" H11 "X: a\r\n b\r\n\r\n", -EBADMSG },
	{ "obs-fold tab", "GET /" H11 "X: a\r\n\tb\r\n\r\n", -EBADMSG },
	{ "space before colon", "GET / HTTP/1.1\r\nHost : a.example\r\n\r\n",
	  -EBADMSG },
	{ "space in name", "GET /" H11 "X Y: 1\r\n\r\n", -EBADMSG },
	{ "no colon", "GET /" H11 "Xyz\r\n\r\n", -EBADMSG },
	{ "empty name", "GET /" H11 ": x\r\n\r\n", -EBADMSG },
	{ "missing host 1.1", "GET / HTTP/1.1\r\n\r\n", -EBADMSG },
	{ "two hosts same", "GET /" H11 "Host: a.example\r\n\r\n", -EBADMSG },
	{ "two hosts differ", "GET /" H11 "Host: b.example\r\n\r\n",
	  -EBADMSG },
	{ "bad host absolute", "GET http://a.example/ HTTP/1.1\r\n"
	  "Host: a b\r\n\r\n", -EBADMSG },
	{ "cl and te", "POST /" H11 "Content-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", -EBADMSG },
	{ "te and cl", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	  "Content-Length: 0\r\n\r\n", -EBADMSG },
	{ "cl differ list", "POST /" H11 "Content-Length: 5, 6\r\n\r\n",
	  -EBADMSG },
	{ "cl differ lines", "POST /" H11 "Content-Length: 5\r\n"
	  "Content-Length: 6\r\n\r\n", -EBADMSG },
	{ "cl sign", "POST /" H11 "Content-Length: +5\r\n\r\n", -EBADMSG },
	{ "cl negative", "POST /" H11 "Content-Length: -1\r\n\r\n", -EBADMSG },
	{ "cl hex", "POST /" H11 "Content-Length: 0x5\r\n\r\n", -EBADMSG },
	{ "cl empty", "POST /" H11 "Content-Length: \r\n\r\n", -EBADMSG },
	{ "cl comma only", "POST /" H11 "Content-Length: 5\r\n"
	  "Content-Length: ,\r\n\r\n", -EBADMSG },
	{ "cl inner space", "POST /" H11 "Content-Length: 1 0\r\n\r\n",
	  -EBADMSG },
	{ "cl overflow", "POST /" H11 "Content-Length: 18446744073709551616"
	  "\r\n\r\n", -EBADMSG },
	{ "cl over int64", "POST /" H11 "Content-Length: 9223372036854775808"
	  "\r\n\r\n", -EBADMSG },
	{ "te gzip", "POST /" H11 "Transfer-Encoding: gzip\r\n\r\n", -EBADMSG },
	{ "te chunked gzip", "POST /" H11
	  "Transfer-Encoding: chunked, gzip\r\n\r\n", -EBADMSG },
	{ "te chunked twice", "POST /" H11
	  "Transfer-Encoding: chunked, chunked\r\n\r\n", -EBADMSG },
	{ "te chunked param", "POST /" H11
	  "Transfer-Encoding: chunked;q=1\r\n\r\n", -EBADMSG },
	{ "te xchunked", "POST /" H11 "Transfer-Encoding: xchunked\r\n\r\n",
	  -EBADMSG },
	{ "te empty", "POST /" H11 "Transfer-Encoding:\r\n\r\n", -EBADMSG },
	{ "te 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	  -EBADMSG },
	{ "content_length", "POST /" H11 "Content_Length: 5\r\n\r\n",
	  -EBADMSG },
	{ "transfer_encoding", "POST /" H11 "transfer_encoding: chunked\r\n"
	  "\r\n", -EBADMSG },
	{ "connect with body", "CONNECT a.example:443 HTTP/1.1\r\n"
	  "Host: a.example\r\nContent-Length: 5\r\n\r\n", -EBADMSG },
	{ "connect chunked", "CONNECT a.example:443 HTTP/1.1\r\n"
	  "Host: a.example\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG },
	/* request line */
	{ "lowercase method", "get /" H11 "\r\n", -EBADMSG },
	{ "method digit", "G3T /" H11 "\r\n", -EBADMSG },
	{ "method too long", "ABCDEFGHIJKLMNOP /" H11 "\r\n", -EBADMSG },
	{ "no method", " /" H11 "\r\n", -EBADMSG },
	{ "two spaces", "GET  /" H11 "\r\n", -EBADMSG },
	{ "tab", "GET\t/" H11 "\r\n", -EBADMSG },
	{ "no version", "GET /\r\nHost: a.example\r\n\r\n", -EBADMSG },
	{ "http/2.0", "GET / HTTP/2.0\r\nHost: a.example\r\n\r\n", -EBADMSG },
	{ "http/1.2", "GET / HTTP/1.2\r\nHost: a.example\r\n\r\n", -EBADMSG },
	{ "http/0.9", "GET /\r\n\r\n", -EBADMSG },
	{ "version case", "GET / http/1.1\r\nHost: a.example\r\n\r\n",
	  -EBADMSG },
	{ "trailing space", "GET / HTTP/1.1 \r\nHost: a.example\r\n\r\n",
	  -EBADMSG },
	{ "fragment", "GET /a#b" H11 "\r\n", -EBADMSG },
	{ "relative", "GET a/b" H11 "\r\n", -EBADMSG },
	{ "https absolute", "GET https://a.example/ HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n", -EBADMSG },
	{ "absolute no host", "GET http:///x HTTP/1.1\r\nHost: a.example\r\n"
	  "\r\n", -EBADMSG },
	{ "userinfo", "GET http://u:p@a.example/ HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n", -EBADMSG },
	{ "asterisk get", "GET *" H11 "\r\n", -EBADMSG },
	{ "connect origin", "CONNECT /" H11 "\r\n", -EBADMSG },
	{ "connect no port", "CONNECT a.example HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n", -EBADMSG },
	{ "connect empty port", "CONNECT a.example: HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n", -EBADMSG },
	{ "ctl in target", "GET /a\x7f" H11 "\r\n", -EBADMSG },
	/* Host values */
	{ "host space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -EBADMSG },
	{ "host slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -EBADMSG },
	{ "host comma", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", -EBADMSG },
	{ "host userinfo", "GET / HTTP/1.1\r\nHost: u@a.example\r\n\r\n",
	  -EBADMSG },
	{ "host empty label", "GET / HTTP/1.1\r\nHost: a..example\r\n\r\n",
	  -EBADMSG },
	{ "host dot", "GET / HTTP/1.1\r\nHost: .\r\n\r\n", -EBADMSG },
	{ "host short ipv4", "GET / HTTP/1.1\r\nHost: 127.1\r\n\r\n",
	  -EBADMSG },
	{ "host decimal ipv4", "GET / HTTP/1.1\r\nHost: 2130706433\r\n\r\n",
	  -EBADMSG },
	{ "host hex ipv4", "GET / HTTP/1.1\r\nHost: 0x7f000001\r\n\r\n",
	  -EBADMSG },
	{ "host octal ipv4", "GET / HTTP/1.1\r\nHost: 010.0.0.1\r\n\r\n",
	  -EBADMSG },
	{ "host ipv4 256", "GET / HTTP/1.1\r\nHost: 1.2.3.256\r\n\r\n",
	  -EBADMSG },
	{ "host ipv6 unbracketed",
	  "GET / HTTP/1.1\r\nHost: 2001:db8::1\r\n\r\n",
	  -EBADMSG },
	{ "host ipv6 zone", "GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n",
	  -EBADMSG },
	{ "host ipv6 bad", "GET / HTTP/1.1\r\nHost: [2001:db8:::1]\r\n\r\n",
	  -EBADMSG },
	{ "host ipvfuture", "GET / HTTP/1.1\r\nHost: [v1.x]\r\n\r\n",
	  -EBADMSG },
	{ "host port 0", "GET / HTTP/1.1\r\nHost: a.example:0\r\n\r\n",
	  -EBADMSG },
	{ "host port big", "GET / HTTP/1.1\r\nHost: a.example:65536\r\n\r\n",
	  -EBADMSG },
	{ "host port alpha", "GET / HTTP/1.1\r\nHost: a.example:8o\r\n\r\n",
	  -EBADMSG },
	{ "host two ports", "GET / HTTP/1.1\r\nHost: a.example:1:2\r\n\r\n",
	  -EBADMSG },
	{ "host label 64", "GET / HTTP/1.1\r\nHost: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".example\r\n\r\n", -EBADMSG },
	/* not HTTP at all: refused before a whole line came */
	{ "tls", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", -EBADMSG },
	{ "ssh", "SSH-2.0-OpenSSH_9.2", -EBADMSG },
	{ "binary", "GET /\x01", -EBADMSG },
	{ "obs-fold early", "GET /" H11 " ", -EBADMSG },
	/* incomplete */
	{ "no end", "GET /" H11, 0 },
	{ "half line", "GET / HTT", 0 },
	{ "cr at end", "GET / HTTP/1.1\r", 0 },
	{ "only crlf", "\r\n\r\n\r", 0 },
	{ "empty", "", 0 },
};

static void check_req(const struct req_case *c)
{
	ck_assert_str_eq(req.method, c->method);
	ck_assert_str_eq(req.host, c->host);
	ck_assert_int_eq(req.port, c->port);
	ck_assert_str_eq(req.path, c->path);
	ck_assert_int_eq(req.version, c->version);
	ck_assert_int_eq(req.body, c->body);
	ck_assert_uint_eq(req.content_length, c->cl);
	ck_assert_int_eq(req.keep_alive, c->keep_alive);
	ck_assert_int_eq(req.upgrade, c->upgrade);
	ck_assert_int_eq(req.connect, c->connect);
}

/* An input's length: the table holds NULs in some inputs */
static size_t case_len(const struct req_case *c)
{
	if (!strcmp(c->name, "nul in value"))
		return strlen(c->in) + 1 + strlen(c->in + strlen(c->in) + 1);
	return strlen(c->in);
}

START_TEST(test_http_req_table)
{
	const struct req_case *c = &req_cases[_i];
	size_t len = case_len(c);
	int ret;

	ret = http_req_parse((const uint8_t *)c->in, len, &req);
	if (ret != c->ret)
		ck_abort_msg("%s: got %d, want %d", c->name, ret, c->ret);
	if (ret != 1)
		return;
	ck_assert_uint_eq(req.head_len, len);
	check_req(c);
}
END_TEST

/* Every proper prefix of an accepted head asks for more, and bytes after
 * the head change nothing */
START_TEST(test_http_req_prefixes)
{
	const struct req_case *c = &req_cases[_i];
	static uint8_t buf[1024];
	size_t len = case_len(c), k;

	if (c->ret != 1)
		return;
	for (k = 0; k < len; k++)
		ck_assert_msg(http_req_parse((const uint8_t *)c->in, k, &req) ==
				      0,
			      "%s: prefix %zu", c->name, k);
	ck_assert_uint_lt(len + 9, sizeof(buf));
	memcpy(buf, c->in, len);
	memcpy(buf + len, "\0\x16junk\n\n", 8);
	ck_assert_int_eq(http_req_parse(buf, len + 8, &req), 1);
	ck_assert_uint_eq(req.head_len, len);
	check_req(c);
}
END_TEST

START_TEST(test_http_req_leading_crlf_len)
{
	ck_assert_int_eq(parse_str("\r\nGET / HTTP/1.0\r\n\r\nGET"), 1);
	ck_assert_uint_eq(req.head_len, 20);
}
END_TEST

START_TEST(test_http_req_target_kept)
{
	ck_assert_int_eq(parse_str("GET /a/../%41?q=%20 HTTP/1.1\r\n"
				   "Host: a.example\r\n\r\n"),
			 1);
	ck_assert_str_eq(req.target, "/a/../%41?q=%20");
	ck_assert_str_eq(req.path, "/A?q=%20");
	ck_assert(req.has_host);
	ck_assert(!req.encoded_slash);
}
END_TEST

static uint8_t big[HTTP_HEAD_MAX + 4096];

/* a head of exactly @len bytes: request line, one long header, CRLF */
static size_t build_head(size_t len)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: a.example\r\nX: ";
	size_t n = strlen(start);

	memcpy(big, start, n);
	memset(big + n, 'x', len - n - 4);
	memcpy(big + len - 4, "\r\n\r\n", 4);
	return len;
}

START_TEST(test_http_req_too_big)
{
	size_t n;

	n = build_head(HTTP_HEAD_MAX);
	ck_assert_int_eq(http_req_parse(big, n, &req), 1);
	ck_assert_uint_eq(req.head_len, HTTP_HEAD_MAX);
	n = build_head(HTTP_HEAD_MAX + 1);
	ck_assert_int_eq(http_req_parse(big, n, &req), -E2BIG);
	/* no end yet: more is wanted until HTTP_HEAD_MAX bytes are in */
	ck_assert_int_eq(http_req_parse(big, HTTP_HEAD_MAX - 1, &req), 0);
	ck_assert_int_eq(http_req_parse(big, HTTP_HEAD_MAX, &req), -E2BIG);
	ck_assert_int_eq(http_req_parse(big, sizeof(big), &req), -E2BIG);
}
END_TEST

START_TEST(test_http_req_long_target)
{
	static const char end[] = " HTTP/1.1\r\nHost: a.example\r\n\r\n";
	size_t n;

	/* a path of HTTP_PATH_SIZE - 1 bytes fits, one more does not */
	big[0] = 'G';
	big[1] = 'E';
	big[2] = 'T';
	big[3] = ' ';
	big[4] = '/';
	memset(big + 5, 'a', HTTP_PATH_SIZE - 2);
	n = 5 + HTTP_PATH_SIZE - 2;
	memcpy(big + n, end, strlen(end));
	ck_assert_int_eq(http_req_parse(big, n + strlen(end), &req), 1);
	ck_assert_uint_eq(strlen(req.path), HTTP_PATH_SIZE - 1);
	ck_assert_uint_eq(strlen(req.target), HTTP_PATH_SIZE - 1);

	big[n] = 'a';
	memcpy(big + n + 1, end, strlen(end));
	ck_assert_int_eq(http_req_parse(big, n + 1 + strlen(end), &req),
			 -E2BIG);

	/* a long target that decodes short is fine; the log copy is cut */
	n = 5;
	while (n < 5 + 3 * 1500) {
		memcpy(big + n, "%61", 3);
		n += 3;
	}
	memcpy(big + n, end, strlen(end));
	ck_assert_int_eq(http_req_parse(big, n + strlen(end), &req), 1);
	ck_assert_uint_eq(strlen(req.path), 1501);
	ck_assert_uint_eq(strlen(req.target), HTTP_PATH_SIZE - 1);
}
END_TEST

/* ------------------------------------------------------------ paths */

struct path_case {
	const char *in;
	const char *out;	/* NULL: refused */
	bool enc_slash;
};

static const struct path_case path_cases[] = {
	{ "/", "/" },
	{ "/a/b", "/a/b" },
	{ "/a/", "/a/" },
	{ "/a/../b", "/b" },
	{ "/a/./b", "/a/b" },
	{ "/a/%2e%2e/b", "/b" },
	{ "/a/%2E./b", "/b" },
	{ "/a/.%2e/b", "/b" },
	{ "/a/%2e/b", "/a/b" },
	{ "/a/%2e", "/a/" },
	{ "/a/.", "/a/" },
	{ "/a/..", "/" },
	{ "/a/b/..", "/a/" },
	{ "/../a", "/a" },
	{ "/a/b/../../../../c", "/c" },
	{ "/..", "/" },
	{ "//a", "/a" },
	{ "/a//b///c", "/a/b/c" },
	{ "/a/b//", "/a/b/" },
	{ "/a\\b", "/a/b" },
	{ "/a%5Cb", "/a/b" },
	{ "/a%5cb\\\\c", "/a/b/c" },
	{ "/a%2Fb", "/a%2Fb", true },
	{ "/a%2fb", "/a%2Fb", true },
	{ "/a%2F%2F", "/a%2F%2F", true },
	{ "/a%2F/../b", "/b", false },
	{ "/a/b%2Fc/../d", "/a/d", false },
	{ "/%61dmin", "/admin" },
	{ "/%41%42%7e", "/AB~" },
	{ "/a%20b", "/a b" },
	{ "/a%25b", "/a%25b" },
	{ "/a%252Fb", "/a%252Fb" },
	{ "/a%3Fb?x", "/a%3Fb?x" },
	{ "/a%3fb", "/a%3Fb" },
	{ "/a%23b", "/a%23b" },
	{ "/caf%C3%A9", "/caf\xc3\xa9" },
	{ "/caf\xc3\xa9", "/caf\xc3\xa9" },
	{ "/a;x/b", "/a;x/b" },
	{ "/a?b/../c", "/a?b/../c" },
	{ "/a/../b?%2e%2e", "/b?%2e%2e" },
	{ "/a?", "/a?" },
	{ "/?", "/?" },
	{ "/a.b/..c/c..", "/a.b/..c/c.." },
	{ "/.well-known/x", "/.well-known/x" },
	{ "/a%00b", NULL },
	{ "/%00", NULL },
	{ "/a%zzb", NULL },
	{ "/a%2", NULL },
	{ "/a%", NULL },
	{ "/a%0ab", NULL },
	{ "/a%0Db", NULL },
	{ "/a%7f", NULL },
	{ "/a%09", NULL },
	{ "/a/..%2Fb", NULL },
	{ "/a/..%2fb", NULL },
	{ "/a/%2F../b", NULL },
	{ "/a/b%2F.", NULL },
	{ "/a/..;/b", NULL },
	{ "/a/.;x/b", NULL },
	{ "/a/%2e%2e;/b", NULL },
	{ "/a/..\\b", NULL },
	{ "/a\\..\\b", NULL },
	{ "/a/%2e%2e%5Cb", NULL },
	{ "/a/.\\b", NULL },
	{ "/a/.../b", NULL },
	{ "/a/..%20/b", NULL },
	{ "/a/%20/b", NULL },
	{ "/a/. /b", NULL },	/* raw SP ends the target: bad request line */
};

START_TEST(test_http_req_path)
{
	const struct path_case *c = &path_cases[_i];
	char line[256];
	int ret;

	snprintf(line, sizeof(line),
		 "GET %s HTTP/1.1\r\nHost: a.example\r\n\r\n", c->in);
	ret = parse_str(line);
	if (!c->out) {
		if (ret != -EBADMSG)
			ck_abort_msg("%s: got %d (%s), want -EBADMSG", c->in,
				     ret, ret == 1 ? req.path : "");
		return;
	}
	if (ret != 1)
		ck_abort_msg("%s: got %d", c->in, ret);
	ck_assert_str_eq(req.path, c->out);
	ck_assert_int_eq(req.encoded_slash, c->enc_slash);

	/* the same path in absolute-form */
	snprintf(line, sizeof(line),
		 "GET http://a.example%s HTTP/1.1\r\nHost: a.example\r\n\r\n",
		 c->in);
	ck_assert_int_eq(parse_str(line), 1);
	ck_assert_str_eq(req.path, c->out);

	/* normalizing is idempotent: the output reads as itself */
	if (strchr(c->out, '?'))
		return;
	snprintf(line, sizeof(line),
		 "GET %s HTTP/1.1\r\nHost: a.example\r\n\r\n", c->out);
	if (strchr(c->out, ' ') || strchr(c->out, '\xc3'))
		return;
	ck_assert_int_eq(parse_str(line), 1);
	ck_assert_str_eq(req.path, c->out);
}
END_TEST

/* ------------------------------------------------------------ bodies */

struct body_case {
	const char *name;
	const char *head;
	const char *body;	/* the bytes that belong to the body */
	const char *rest;	/* what follows it */
	int ret;		/* 0, or -EBADMSG: refused within @body */
	bool done;		/* the body ends with @body */
};

#define POST_CL(n)                                                            \
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " n "\r\n\r\n"
#define POST_CH                                                               \
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
#define NEXT "GET / HTTP/1.1\r\n"

static const struct body_case body_cases[] = {
	{ "none", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "", NEXT, 0, true },
	{ "length 0", POST_CL("0"), "", NEXT, 0, true },
	{ "length", POST_CL("5"), "hello", NEXT, 0, true },
	{ "length partial", POST_CL("10"), "hello", "", 0, false },
	{ "chunked", POST_CH, "5\r\nhello\r\n0\r\n\r\n", NEXT, 0, true },
	{ "chunked two", POST_CH, "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", NEXT, 0,
	  true },
	{ "chunked hex", POST_CH, "A\r\n0123456789\r\nb\r\n0123456789a\r\n"
	  "0\r\n\r\n", NEXT, 0, true },
	{ "chunked zeros", POST_CH, "0005\r\nhello\r\n000\r\n\r\n", "", 0,
	  true },
	{ "chunked ext", POST_CH, "5;name=\"v;1\"\r\nhello\r\n0;x\r\n\r\n",
	  NEXT, 0, true },
	{ "chunked bws ext", POST_CH, "5 \t;x\r\nhello\r\n0\r\n\r\n", NEXT, 0,
	  true },
	{ "chunked trailer", POST_CH, "1\r\nx\r\n0\r\nX-Sum: 1\r\nY:\r\n\r\n",
	  NEXT, 0, true },
	{ "chunked crlf in data", POST_CH, "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n",
	  0, true },
	{ "chunked next at once", POST_CH, "0\r\n\r\n", "0\r\n\r\n", 0, true },
	{ "chunked partial", POST_CH, "5\r\nhel", "", 0, false },
	{ "chunked no final crlf", POST_CH, "0\r\n", "", 0, false },
	{ "no digits", POST_CH, "\r\n", "", -EBADMSG },
	{ "bad digit", POST_CH, "g\r\n", "", -EBADMSG },
	{ "0x", POST_CH, "0x5\r\nhello\r\n", "", -EBADMSG },
	{ "sign", POST_CH, "-5\r\n", "", -EBADMSG },
	{ "bws no ext", POST_CH, "5 \r\nhello\r\n0\r\n\r\n", "", -EBADMSG },
	{ "bare lf size", POST_CH, "5\nhello\r\n0\r\n\r\n", "", -EBADMSG },
	{ "bare cr size", POST_CH, "5\rhello", "", -EBADMSG },
	{ "bare lf data", POST_CH, "5\r\nhello\n0\r\n\r\n", "", -EBADMSG },
	{ "no crlf data", POST_CH, "5\r\nhelloX\r\n", "", -EBADMSG },
	{ "short data", POST_CH, "5\r\nhell\r\n0\r\n\r\n", "", -EBADMSG },
	{ "overflow", POST_CH, "10000000000000000\r\n", "", -EBADMSG },
	{ "ctl in ext", POST_CH, "5;a\x01\r\nhello\r\n0\r\n\r\n", "",
	  -EBADMSG },
	{ "lf in ext", POST_CH, "5;a\nb\r\nhello\r\n0\r\n\r\n", "", -EBADMSG },
	{ "trailer fold", POST_CH, "0\r\nX: 1\r\n 2\r\n\r\n", "", -EBADMSG },
	{ "trailer bare lf", POST_CH, "0\r\nX: 1\n\r\n", "", -EBADMSG },
	{ "trailer no name", POST_CH, "0\r\n: 1\r\n\r\n", "", -EBADMSG },
	{ "trailer space name", POST_CH, "0\r\nX Y: 1\r\n\r\n", "", -EBADMSG },
	{ "trailer no colon", POST_CH, "0\r\nXY\r\n\r\n", "", -EBADMSG },
	{ "final bare lf", POST_CH, "0\r\n\n", "", -EBADMSG },
	{ "final cr x", POST_CH, "0\r\n\rx", "", -EBADMSG },
};

START_TEST(test_http_body_table)
{
	const struct body_case *c = &body_cases[_i];
	static uint8_t stream[256];
	size_t blen = strlen(c->body), len, i, total = 0;
	struct http_body body;
	ssize_t ret;
	bool done = true;

	len = blen + strlen(c->rest);
	ck_assert_uint_lt(len, sizeof(stream));
	memcpy(stream, c->body, blen);
	memcpy(stream + blen, c->rest, strlen(c->rest));
	ck_assert_int_eq(parse_str(c->head), 1);
	ck_assert_uint_eq(req.head_len, strlen(c->head));

	/* all at once */
	http_body_init(&body, &req);
	ret = http_body_consume(&body, stream, len, &done);
	if (c->ret < 0) {
		if (ret != c->ret)
			ck_abort_msg("%s: got %zd, want %d", c->name, ret,
				     c->ret);
	} else {
		if (ret != (ssize_t)blen)
			ck_abort_msg("%s: got %zd, want %zu", c->name, ret,
				     blen);
		ck_assert_int_eq(done, c->done);
	}

	/* byte by byte: the same, and nothing after the end */
	http_body_init(&body, &req);
	ret = 0;
	done = false;
	for (i = 0; i < len && !done; i++) {
		ret = http_body_consume(&body, stream + i, 1, &done);
		if (ret < 0)
			break;
		total += (size_t)ret;
	}
	if (c->ret < 0) {
		ck_assert_int_eq(ret, -EBADMSG);
		ck_assert_uint_lt(i, blen);
		/* sticky */
		ck_assert_int_eq(http_body_consume(&body, stream, len, &done),
				 -EBADMSG);
		return;
	}
	ck_assert_uint_eq(total, blen);
	ck_assert_int_eq(done, c->done);
	if (done) {
		ck_assert_int_eq(http_body_consume(&body, stream, len, &done),
				 0);
		ck_assert(done);
	}
}
END_TEST

/* Split a chunked body at every point: the sum is the same */
START_TEST(test_http_body_split_everywhere)
{
	static const char s[] = "1a;e=1\r\nabcdefghijklmnopqrstuvwxyz\r\n"
				"3\r\nabc\r\n0\r\nT: v\r\n\r\n" NEXT;
	size_t len = strlen(s), want = len - strlen(NEXT), k;

	ck_assert_int_eq(parse_str(POST_CH), 1);
	for (k = 0; k <= len; k++) {
		struct http_body body;
		ssize_t a, b;
		bool done;

		http_body_init(&body, &req);
		a = http_body_consume(&body, (const uint8_t *)s, k, &done);
		ck_assert_int_ge(a, 0);
		ck_assert(!done || k >= want);
		b = http_body_consume(&body, (const uint8_t *)s + a,
				      len - (size_t)a, &done);
		ck_assert_int_ge(b, 0);
		ck_assert(done);
		ck_assert_uint_eq((size_t)(a + b), want);
		ck_assert_uint_eq(body.total, want);
	}
}
END_TEST

START_TEST(test_http_body_limits)
{
	static uint8_t buf[HTTP_TRAILER_MAX + 64];
	struct http_body body;
	bool done;
	size_t n;

	ck_assert_int_eq(parse_str(POST_CH), 1);

	/* a chunk line of HTTP_CHUNK_LINE_MAX bytes, CRLF included */
	buf[0] = '1';
	buf[1] = ';';
	memset(buf + 2, 'e', HTTP_CHUNK_LINE_MAX - 4);
	memcpy(buf + HTTP_CHUNK_LINE_MAX - 2, "\r\n", 2);
	http_body_init(&body, &req);
	ck_assert_int_eq(http_body_consume(&body, buf, HTTP_CHUNK_LINE_MAX,
					   &done),
			 HTTP_CHUNK_LINE_MAX);
	ck_assert(!done);
	/* one more extension byte is too long */
	buf[HTTP_CHUNK_LINE_MAX - 2] = 'e';
	memcpy(buf + HTTP_CHUNK_LINE_MAX - 1, "\r\n", 2);
	http_body_init(&body, &req);
	ck_assert_int_eq(http_body_consume(&body, buf, HTTP_CHUNK_LINE_MAX + 1,
					   &done),
			 -EBADMSG);

	/* the largest chunk size, then data in pieces */
	http_body_init(&body, &req);
	ck_assert_int_eq(http_body_consume(&body, (const uint8_t *)
					   "ffffffffffffffff\r\n", 18, &done),
			 18);
	ck_assert_uint_eq(body.left, UINT64_MAX);
	ck_assert_int_eq(http_body_consume(&body, buf, sizeof(buf), &done),
			 (ssize_t)sizeof(buf));
	ck_assert(!done);

	/* trailers: HTTP_TRAILER_MAX bytes at most */
	http_body_init(&body, &req);
	ck_assert_int_eq(http_body_consume(&body, (const uint8_t *)"0\r\n", 3,
					   &done),
			 3);
	for (n = 0; n + 9 <= sizeof(buf); n += 9)
		memcpy(buf + n, "X: 1234\r\n", 9);
	ck_assert_int_eq(http_body_consume(&body, buf, sizeof(buf), &done),
			 -EBADMSG);
}
END_TEST

/* ------------------------------------------------------------ responses */

struct resp_case {
	const char *in;
	int ret;
	int status;
	size_t head_len;	/* 0: all of @in */
};

static const struct resp_case resp_cases[] = {
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	  "Connection: Upgrade\r\n\r\n\x81\x05hello", 1, 101, 77 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", 1, 200, 38 },
	{ "HTTP/1.0 404 Not Found\r\n\r\n", 1, 404 },
	{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 x\r\n\r\n", 1, 100,
	  25 },
	{ "HTTP/1.1 204\r\n\r\n", 1, 204 },
	{ "HTTP/1.1 426 \r\n\r\n", 1, 426 },
	{ "HTTP/1.1 200 OK\nServer: x\n\n", 1, 200 },
	{ "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", 1, 200 },
	{ "HTTP/1.1 200 caf\xc3\xa9\r\n\r\n", 1, 200 },
	{ "HTTP/1.1 200 OK\r\nServer: x\r\n", 0 },
	{ "HTTP/1.1 200 OK\r", 0 },
	{ "HTTP/1", 0 },
	{ "", 0 },
	{ "HTTP/2 200\r\n\r\n", -EBADMSG },
	{ "HTTP/1.2 200 OK\r\n\r\n", -EBADMSG },
	{ "HTTP/1.1 20 OK\r\n\r\n", -EBADMSG },
	{ "HTTP/1.1 2000 OK\r\n\r\n", -EBADMSG },
	{ "HTTP/1.1 600 x\r\n\r\n", -EBADMSG },
	{ "HTTP/1.1 099 x\r\n\r\n", -EBADMSG },
	{ "HTTP/1.1  200 OK\r\n\r\n", -EBADMSG },
	{ "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", -EBADMSG },
	{ "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n", -EBADMSG },
	{ "HTTP/1.1 200 OK\r\n\r\r\n", -EBADMSG },
	{ "http/1.1 200 OK\r\n\r\n", -EBADMSG },
	{ "SSH-2.0-x\r\n", -EBADMSG },
	{ "\x16\x03\x03", -EBADMSG },
};

START_TEST(test_http_resp_table)
{
	const struct resp_case *c = &resp_cases[_i];
	size_t len = strlen(c->in), hl = 7, k;
	int st = 7, ret;

	ret = http_resp_head((const uint8_t *)c->in, len, &st, &hl);
	if (ret != c->ret)
		ck_abort_msg("%s: got %d, want %d", c->in, ret, c->ret);
	if (ret == 1) {
		ck_assert_int_eq(st, c->status);
		ck_assert_uint_eq(hl, c->head_len ? c->head_len : len);
	}
	for (k = 0; k < len; k++) {
		int r = http_resp_head((const uint8_t *)c->in, k, &st, &hl);

		ck_assert(r == 0 || r == c->ret);
		ck_assert(r != 1 || k >= (c->head_len ? c->head_len : len));
	}
}
END_TEST

START_TEST(test_http_resp_too_big)
{
	int st;
	size_t hl;

	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	memset(big + 17, 'x', sizeof(big) - 17);
	ck_assert_int_eq(http_resp_head(big, HTTP_HEAD_MAX - 1, &st, &hl), 0);
	ck_assert_int_eq(http_resp_head(big, HTTP_HEAD_MAX, &st, &hl), -E2BIG);
	memcpy(big + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	ck_assert_int_eq(http_resp_head(big, sizeof(big), &st, &hl), 1);
	ck_assert_uint_eq(hl, HTTP_HEAD_MAX);
}
END_TEST

/* A tracker nobody initialized lets nothing through as a body */
START_TEST(test_http_body_uninitialized)
{
	struct http_body body;
	bool done = true;

	memset(&body, 0, sizeof(body));
	ck_assert_int_eq(http_body_consume(&body, (const uint8_t *)"x", 1,
					   &done),
			 -EBADMSG);
	ck_assert(!done);
}
END_TEST

static Suite *http_req_suite(void)
{
	Suite *s = suite_create("http_req");
	TCase *tc = tcase_create("head");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_http_req_table, 0,
			    (int)ARRAY_SIZE(req_cases));
	tcase_add_loop_test(tc, test_http_req_prefixes, 0,
			    (int)ARRAY_SIZE(req_cases));
	tcase_add_test(tc, test_http_req_leading_crlf_len);
	tcase_add_test(tc, test_http_req_target_kept);
	tcase_add_test(tc, test_http_req_too_big);
	tcase_add_test(tc, test_http_req_long_target);
	suite_add_tcase(s, tc);

	tc = tcase_create("path");
	tcase_add_loop_test(tc, test_http_req_path, 0,
			    (int)ARRAY_SIZE(path_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("body");
	tcase_add_loop_test(tc, test_http_body_table, 0,
			    (int)ARRAY_SIZE(body_cases));
	tcase_add_test(tc, test_http_body_split_everywhere);
	tcase_add_test(tc, test_http_body_limits);
	tcase_add_test(tc, test_http_body_uninitialized);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_loop_test(tc, test_http_resp_table, 0,
			    (int)ARRAY_SIZE(resp_cases));
	tcase_add_test(tc, test_http_resp_too_big);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_req_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
