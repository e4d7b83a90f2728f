// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_ssh_banner.c - fuzz the SSH identification line check
 *
 * The answer may not depend on how much of the server's stream was read:
 * every prefix asks for more or gives the same answer, and once an answer
 * is given, more bytes do not change it.
 *
 * Built with libFuzzer (--enable-fuzz) or with tests/fuzz/fuzz_main.c to
 * replay the seed corpus under `make check`.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_banner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,    \
				#cond);                                       \
			abort();                                              \
		}                                                             \
	} while (0)

/* Is there a line that begins "SSH-2.0-" or "SSH-1.99-" and ends? */
static bool has_ident(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		if (i && data[i - 1] != '\n')
			continue;
		if ((size - i > 8 && !memcmp(data + i, "SSH-2.0-", 8)) ||
		    (size - i > 9 && !memcmp(data + i, "SSH-1.99-", 9)))
			return memchr(data + i, '\n', size - i) != NULL;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int ret, r, prev = 0;
	size_t k, step;

	if (size > 2 * SSH_BANNER_TOTAL_MAX)
		return 0;
	ret = ssh_banner_check(data, size);
	FUZZ_CHECK(ret == 0 || ret == 1 || ret == -EBADMSG);
	FUZZ_CHECK(ret != 0 || size < SSH_BANNER_TOTAL_MAX);
	if (ret == 1)
		FUZZ_CHECK(has_ident(data, size));

	step = size / 128 + 1;
	for (k = 0; k < size; k += step) {
		r = ssh_banner_check(data, k);
		FUZZ_CHECK(r == 0 || r == ret);
		/* decided stays decided */
		FUZZ_CHECK(!prev || r == prev);
		prev = r;
	}
	return 0;
}
