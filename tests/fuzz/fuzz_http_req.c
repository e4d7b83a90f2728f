// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_http_req.c - fuzz the HTTP request head parser and body tracker
 *
 * Each input is read as a client's stream: a head, then its body.
 *  - The head's answer may not depend on how much was read: every prefix
 *    asks for more or gives the same answer, bytes after the head change
 *    nothing, and the parsed request satisfies what the relay and the
 *    policy rely on (host lowercase without '/', path starting with '/'
 *    with no dot segment, empty segment or '\' left, normalizing it again
 *    changes nothing, ...).
 *  - The body that follows is fed whole and in pieces whose sizes come
 *    from the input: the same answer, never a byte past the body.
 *  - The whole input is also fed to the tracker as a chunked body, so the
 *    chunk parser is fuzzed even when the head is not valid, and read as
 *    a response head: again prefixes may only ask for more.
 *
 * Built with libFuzzer (--enable-fuzz) or with tests/fuzz/fuzz_main.c to
 * replay the seed corpus under `make check`.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,    \
				#cond);                                       \
			abort();                                              \
		}                                                             \
	} while (0)

static struct http_req r1, r2;
static uint8_t line[HTTP_PATH_SIZE + 64];

static void check_host(const struct http_req *r)
{
	size_t i, n = strlen(r->host);

	FUZZ_CHECK(n < HTTP_HOST_SIZE && n <= 253);
	if (strchr(r->host, ':')) {
		struct in6_addr a;

		FUZZ_CHECK(inet_pton(AF_INET6, r->host, &a) == 1);
		return;
	}
	FUZZ_CHECK(!n || (r->host[0] != '.' && r->host[n - 1] != '.'));
	for (i = 0; i < n; i++) {
		char c = r->host[i];

		FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_' || c == '.');
		FUZZ_CHECK(c != '.' || r->host[i + 1] != '.');
	}
}

static void check_path(const struct http_req *r)
{
	const char *p = r->path, *q = strchr(p, '?');
	size_t n = q ? (size_t)(q - p) : strlen(p), i;
	bool enc = false;
	int ret;

	if (r->connect) {
		FUZZ_CHECK(!*p);
		return;
	}
	if (!strcmp(p, "*")) {
		FUZZ_CHECK(!strcmp(r->method, "OPTIONS"));
		return;
	}
	FUZZ_CHECK(p[0] == '/');
	for (i = 0; p[i]; i++)
		FUZZ_CHECK((uint8_t)p[i] >= 0x20 && p[i] != 0x7f);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(p[i] != '\\' && p[i] != '#');
		/* the only escapes left: %25 %2F %3F %23 */
		if (p[i] == '%')
			FUZZ_CHECK(i + 2 < n && (!strncmp(p + i, "%25", 3) ||
						 !strncmp(p + i, "%2F", 3) ||
						 !strncmp(p + i, "%3F", 3) ||
						 !strncmp(p + i, "%23", 3)));
		if (!strncmp(p + i, "%2F", 3))
			enc = true;
		if (p[i] != '/')
			continue;
		/* no empty, "." or ".." segment */
		FUZZ_CHECK(i + 1 == n || p[i + 1] != '/');
		FUZZ_CHECK(strncmp(p + i, "/./", 3) &&
			   strncmp(p + i, "/../", 4));
		FUZZ_CHECK(!(i + 2 == n && p[i + 1] == '.'));
		FUZZ_CHECK(!(i + 3 == n && p[i + 1] == '.' && p[i + 2] == '.'));
	}
	FUZZ_CHECK(r->encoded_slash == enc);

	/* normalizing again changes nothing, if it can be sent as is */
	for (i = 0; i < n; i++)
		if (p[i] == ' ' || (uint8_t)p[i] >= 0x80)
			return;
	snprintf((char *)line, sizeof(line),
		 "GET %.*s HTTP/1.1\r\nHost: a\r\n\r\n", (int)n, p);
	ret = http_req_parse(line, strlen((char *)line), &r2);
	FUZZ_CHECK(ret == 1);
	FUZZ_CHECK(strlen(r2.path) == n && !memcmp(r2.path, p, n));
}

static void check_req(const struct http_req *r, const uint8_t *data,
		      size_t size)
{
	size_t i, m = strlen(r->method);

	FUZZ_CHECK(r->head_len >= 16 && r->head_len <= size &&
		   r->head_len <= HTTP_HEAD_MAX);
	FUZZ_CHECK(!memcmp(data + r->head_len - 4, "\r\n\r\n", 4));
	FUZZ_CHECK(m > 0 && m < HTTP_METHOD_SIZE);
	for (i = 0; i < m; i++)
		FUZZ_CHECK((r->method[i] >= 'A' && r->method[i] <= 'Z') ||
			   r->method[i] == '-');
	FUZZ_CHECK(r->version == 10 || r->version == 11);
	FUZZ_CHECK(r->connect == !strcmp(r->method, "CONNECT"));
	FUZZ_CHECK(!r->connect || (r->port && r->host[0]));
	FUZZ_CHECK(r->body == HTTP_BODY_NONE || r->body == HTTP_BODY_LENGTH ||
		   r->body == HTTP_BODY_CHUNKED);
	FUZZ_CHECK(r->body != HTTP_BODY_CHUNKED || r->version == 11);
	FUZZ_CHECK(r->body == HTTP_BODY_LENGTH || !r->content_length);
	FUZZ_CHECK(!r->connect || (r->body != HTTP_BODY_CHUNKED &&
				   !r->content_length));
	FUZZ_CHECK(!r->upgrade || r->version == 11);
	FUZZ_CHECK(r->version == 10 || r->has_host);
	FUZZ_CHECK(strlen(r->target) < HTTP_PATH_SIZE);
	check_host(r);
	check_path(r);
}

/* Feed @data to a body tracker whole and in pieces: same answer */
static void fuzz_body(const struct http_req *r, const uint8_t *data,
		      size_t size, const uint8_t *sizes, size_t nsizes)
{
	struct http_body b1, b2;
	size_t off = 0, k = 0;
	ssize_t whole, piece = 0;
	bool d1 = false, d2 = false;

	http_body_init(&b1, r);
	whole = http_body_consume(&b1, data, size, &d1);
	FUZZ_CHECK(whole == -EBADMSG || (whole >= 0 && (size_t)whole <= size));
	FUZZ_CHECK(whole < 0 || d1 || (size_t)whole == size);
	if (r->body != HTTP_BODY_CHUNKED && whole >= 0)
		FUZZ_CHECK((size_t)whole == (r->body == HTTP_BODY_NONE ? 0 :
					     size < r->content_length ?
					     size : r->content_length));

	http_body_init(&b2, r);
	while (off < size && !d2) {
		size_t n = nsizes ? sizes[k++ % nsizes] % 64 + 1 : 1;

		if (n > size - off)
			n = size - off;
		piece = http_body_consume(&b2, data + off, n, &d2);
		if (piece < 0)
			break;
		FUZZ_CHECK((size_t)piece <= n);
		FUZZ_CHECK(d2 || (size_t)piece == n);
		off += (size_t)piece;
	}
	if (!size)
		piece = http_body_consume(&b2, data, 0, &d2);
	if (whole < 0) {
		FUZZ_CHECK(piece == -EBADMSG);
		return;
	}
	FUZZ_CHECK(piece >= 0 && off == (size_t)whole && d1 == d2);
	FUZZ_CHECK(b1.total == (uint64_t)whole && b2.total == off);
	if (d1) {
		/* nothing after the end */
		FUZZ_CHECK(http_body_consume(&b1, data, size, &d1) == 0 && d1);
	}
}

static void fuzz_resp(const uint8_t *data, size_t size)
{
	size_t hl = 0, hl2, k, step = size / 64 + 1;
	int st = 0, st2, ret, r;

	ret = http_resp_head(data, size, &st, &hl);
	FUZZ_CHECK(ret == 0 || ret == 1 || ret == -EBADMSG || ret == -E2BIG);
	FUZZ_CHECK(ret != 0 || size < HTTP_HEAD_MAX);
	if (ret == 1) {
		FUZZ_CHECK(st >= 100 && st <= 599);
		FUZZ_CHECK(hl >= 14 && hl <= size && hl <= HTTP_HEAD_MAX);
		FUZZ_CHECK(!memcmp(data, "HTTP/1.", 7) && data[hl - 1] == '\n');
		FUZZ_CHECK(http_resp_head(data, hl, &st2, &hl2) == 1 &&
			   st2 == st && hl2 == hl);
	}
	for (k = 0; k < size; k += step) {
		r = http_resp_head(data, k, &st2, &hl2);
		FUZZ_CHECK(r == 0 || r == ret);
		FUZZ_CHECK(r != 1 || hl2 == hl);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t k, step;
	int ret, r;

	if (size > 2 * HTTP_HEAD_MAX)
		return 0;
	ret = http_req_parse(data, size, &r1);
	FUZZ_CHECK(ret == 0 || ret == 1 || ret == -EBADMSG || ret == -E2BIG);
	FUZZ_CHECK(ret != 0 || size < HTTP_HEAD_MAX);
	if (ret == 1)
		check_req(&r1, data, size);

	/* prefixes: need more, or the same answer */
	step = size / 64 + 1;
	for (k = 0; k < size; k += step) {
		r = http_req_parse(data, k, &r2);
		FUZZ_CHECK(r == 0 || r == ret);
		FUZZ_CHECK(r != 1 || r2.head_len == r1.head_len);
		FUZZ_CHECK(ret != 1 || k >= r1.head_len || r == 0);
	}
	if (ret == 1) {
		FUZZ_CHECK(http_req_parse(data, r1.head_len, &r2) == 1);
		FUZZ_CHECK(!memcmp(&r1, &r2, sizeof(r1)));
		FUZZ_CHECK(http_req_parse(data, r1.head_len - 1, &r2) == 0);
		fuzz_body(&r1, data + r1.head_len, size - r1.head_len, data,
			  r1.head_len);
	}

	/* the whole input as a chunked body, and as a Content-Length one */
	memset(&r2, 0, sizeof(r2));
	r2.body = HTTP_BODY_CHUNKED;
	fuzz_body(&r2, data, size, data + size / 2, size - size / 2);
	r2.body = HTTP_BODY_LENGTH;
	r2.content_length = size ? data[0] * 3u : 0;
	fuzz_body(&r2, data, size, data, size);

	fuzz_resp(data, size);
	return 0;
}
