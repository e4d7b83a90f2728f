// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_ftp_ctl.c - fuzz the FTP control reply follower
 *
 * Each input is a server's control stream, fed whole and again in pieces
 * whose sizes come from the input: the same result, the same passive
 * replies in the same order (how the bytes arrive may not change what the
 * relay lets through).  Every reported reply must be one the relay can
 * use: 227 with an IPv4 address, 229 without one, never port 0.
 *
 * Built with libFuzzer (--enable-fuzz) or with tests/fuzz/fuzz_main.c to
 * replay the seed corpus under `make check`.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,    \
				#cond);                                       \
			abort();                                              \
		}                                                             \
	} while (0)

#define FUZZ_MAXP	256

struct run {
	int ret;
	size_t n;
	struct ftp_pasv p[FUZZ_MAXP];
};

static struct run whole, pieces;
static struct ftp_ctl ctl;

static void check_pasv(const struct ftp_pasv *p)
{
	static const uint8_t zero[4];

	FUZZ_CHECK(p->port != 0);
	if (p->code == 227) {
		FUZZ_CHECK(p->family == AF_INET);
	} else {
		FUZZ_CHECK(p->code == 229 && p->family == AF_UNSPEC);
		FUZZ_CHECK(!memcmp(p->addr, zero, 4));
	}
}

/*
 * Feed one piece with room for @room replies a call, again and again
 * until it is consumed; append what is reported to @run
 */
static bool feed(struct run *run, const uint8_t *data, size_t len,
		 size_t room)
{
	struct ftp_pasv p[FUZZ_MAXP];
	size_t off = 0;

	do {
		size_t n = (size_t)-1, k;
		ssize_t r;

		r = ftp_ctl_feed(&ctl, data + off, len - off, p, room, &n);
		FUZZ_CHECK(r == -EBADMSG ||
			   (r >= 0 && (size_t)r <= len - off));
		FUZZ_CHECK(n <= room);
		/* fewer bytes only when the room is full */
		FUZZ_CHECK(r < 0 || (size_t)r == len - off || n == room);
		for (k = 0; k < n; k++) {
			check_pasv(&p[k]);
			if (run->n < FUZZ_MAXP)
				run->p[run->n] = p[k];
			run->n++;
		}
		if (r < 0) {
			run->ret = (int)r;
			return false;
		}
		off += (size_t)r;
	} while (off < len);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, k = 0;

	memset(&whole, 0, sizeof(whole));
	memset(&pieces, 0, sizeof(pieces));

	ftp_ctl_init(&ctl);
	feed(&whole, data, size, FUZZ_MAXP);

	/* pieces of 1 to 97 bytes, room for 1 to 4 replies a call */
	ftp_ctl_init(&ctl);
	while (off < size) {
		size_t n = data[k++ % size] % 97 + 1;

		if (n > size - off)
			n = size - off;
		if (!feed(&pieces, data + off, n, data[off] % 4 + 1))
			break;
		off += n;
	}
	FUZZ_CHECK(whole.ret == pieces.ret);
	FUZZ_CHECK(whole.n == pieces.n);
	for (k = 0; k < whole.n && k < FUZZ_MAXP; k++) {
		const struct ftp_pasv *a = &whole.p[k], *b = &pieces.p[k];

		FUZZ_CHECK(a->code == b->code && a->family == b->family &&
			   !memcmp(a->addr, b->addr, 4) && a->port == b->port);
	}

	/* errors are sticky */
	if (whole.ret) {
		size_t n = 1;
		struct ftp_pasv p;

		FUZZ_CHECK(ftp_ctl_feed(&ctl, (const uint8_t *)"200 ok\r\n", 8,
					&p, 1, &n) == -EBADMSG);
		FUZZ_CHECK(n == 0);
	}
	return 0;
}
