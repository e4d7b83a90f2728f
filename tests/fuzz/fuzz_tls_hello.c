// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_tls_hello.c - fuzz the TLS ClientHello parser
 *
 * Each input is read three ways, and the three must agree:
 *  - as a TCP stream, fed in one piece and again in pieces whose sizes
 *    come from the input itself: same result, same bytes consumed, same
 *    info (the split must never change the answer);
 *  - as one Handshake message (the QUIC path);
 *  - as a Handshake message framed into records of a size taken from the
 *    input: the same answer as the message alone.
 * Whatever is DONE must satisfy what the relay relies on: the SNI is a
 * lowercase DNS name, the counts are within their arrays.
 *
 * Built with libFuzzer (--enable-fuzz) or with tests/fuzz/fuzz_main.c to
 * replay the seed corpus under `make check`.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,    \
				#cond);                                       \
			abort();                                              \
		}                                                             \
	} while (0)

static struct tls_hello h1, h2;
static struct tls_hello_info info;
static uint8_t framed[3 * (TLS_HELLO_HDR_LEN + TLS_HELLO_MAX) + 64];

static void check_info(const struct tls_hello_info *i)
{
	size_t k, label = 0;

	FUZZ_CHECK(i->sni_len == strlen(i->sni));
	FUZZ_CHECK(i->sni_len <= 253);
	FUZZ_CHECK(!i->sni_len || i->has_sni);
	for (k = 0; k < i->sni_len; k++) {
		char c = i->sni[k];

		FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_' || c == '.');
		label = c == '.' ? 0 : label + 1;
		FUZZ_CHECK(label <= 63);
		FUZZ_CHECK(c != '.' || (k && i->sni[k - 1] != '.'));
	}
	FUZZ_CHECK(!i->has_sni || (i->sni_len && label));
	FUZZ_CHECK(i->nalpn <= TLS_ALPN_MAX && i->nalpn <= i->alpn_count);
	FUZZ_CHECK(!i->alpn_count || i->has_alpn);
	for (k = 0; k < i->nalpn; k++)
		FUZZ_CHECK(strlen(i->alpn[k]) > 0 &&
			   strlen(i->alpn[k]) < TLS_ALPN_SIZE);
	FUZZ_CHECK(i->nversions <= TLS_VERSIONS_MAX);
	FUZZ_CHECK(i->len >= TLS_HELLO_HDR_LEN + 38 &&
		   i->len <= TLS_HELLO_HDR_LEN + TLS_HELLO_MAX);
}

static void fuzz_stream(const uint8_t *data, size_t size)
{
	size_t off = 0, step = 1;
	int r1, r2 = TLS_HELLO_NEED_MORE;

	tls_hello_init(&h1);
	r1 = tls_hello_feed(&h1, data, size);
	FUZZ_CHECK(r1 == TLS_HELLO_NEED_MORE || r1 == TLS_HELLO_DONE ||
		   r1 == -EBADMSG || r1 == -EINVAL || r1 == -E2BIG);
	FUZZ_CHECK(h1.consumed <= size);
	FUZZ_CHECK(r1 != TLS_HELLO_NEED_MORE || h1.consumed == size);
	if (r1 == TLS_HELLO_DONE) {
		check_info(&h1.info);
		FUZZ_CHECK(tls_hello_parse_handshake(h1.msg, h1.msg_len,
						     &info) == TLS_HELLO_DONE);
		info.record_version = h1.info.record_version;
		FUZZ_CHECK(!memcmp(&info, &h1.info, sizeof(info)));
	}

	/* again, in pieces of 1, 2, 4, ... bytes, wrapping at 256 */
	tls_hello_init(&h2);
	while (off < size) {
		size_t n = step < size - off ? step : size - off;

		r2 = tls_hello_feed(&h2, data + off, n);
		off += n;
		step = step >= 256 ? 1 : step * 2 + (data[off - 1] & 1);
	}
	if (!size)
		r2 = tls_hello_feed(&h2, data, 0);
	FUZZ_CHECK(r1 == r2);
	/* on errors, consumed only says how far we read: not compared */
	FUZZ_CHECK(r1 < 0 || h1.consumed == h2.consumed);
	if (r1 == TLS_HELLO_DONE)
		FUZZ_CHECK(!memcmp(&h1.info, &h2.info, sizeof(info)));
}

static void fuzz_message(const uint8_t *data, size_t size)
{
	size_t rec, off, n = 0, msg_len;
	int r1, r2;

	r1 = tls_hello_parse_handshake(data, size, &info);
	if (r1 == TLS_HELLO_DONE)
		check_info(&info);
	if (size < 1 || r1 == -E2BIG)
		return;

	/* the same message through the record layer */
	rec = data[size - 1] % 64 ? data[size - 1] % 64 : TLS_RECORD_MAX;
	msg_len = size;
	if (size >= TLS_HELLO_HDR_LEN) {
		size_t body = (size_t)data[1] << 16 | (size_t)data[2] << 8 |
			      data[3];

		if (TLS_HELLO_HDR_LEN + body < msg_len)
			msg_len = TLS_HELLO_HDR_LEN + body;
	}
	for (off = 0; off < msg_len; off += rec) {
		size_t k = msg_len - off < rec ? msg_len - off : rec;

		if (n + 5 + k > sizeof(framed))
			return;
		framed[n++] = 22;
		framed[n++] = 3;
		framed[n++] = 1;
		framed[n++] = (uint8_t)(k >> 8);
		framed[n++] = k & 0xff;
		memcpy(framed + n, data + off, k);
		n += k;
	}
	tls_hello_init(&h1);
	r2 = tls_hello_feed(&h1, framed, n);
	FUZZ_CHECK(r1 == r2);
	if (r1 == TLS_HELLO_DONE) {
		h1.info.record_version = 0;
		FUZZ_CHECK(!memcmp(&info, &h1.info, sizeof(info)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * (TLS_HELLO_HDR_LEN + TLS_HELLO_MAX))
		return 0;
	fuzz_stream(data, size);
	fuzz_message(data, size);
	return 0;
}
