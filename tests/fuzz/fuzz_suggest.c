// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_suggest.c - fuzz `egress-supervise suggest`
 *
 * A decision log carries what CMD and DNS answers put in it (names,
 * command names), so its reader must hold up against any bytes; and
 * whatever it reads, the policy it prints must load: that is checked for
 * every input, with the wildcard threshold taken from the input.
 *
 * Built with libFuzzer (--enable-fuzz) or with tests/fuzz/fuzz_main.c to
 * replay the seed corpus under `make check`.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "suggest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "/tmp/fuzz_suggest.XXXXXX";
	static FILE *devnull;
	static int fd = -1;
	struct suggest_opts o = { .source = "fuzz" };
	struct policy *p;
	char *out = NULL;
	size_t len = 0;
	FILE *in, *f;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (fd < 0) {
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		unlink(path);	/* read back through /proc/self/fd */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (!size)
		return 0;
	o.min_wildcard = data[0] % 5;
	o.all = data[0] & 0x80;
	in = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "r");
	f = open_memstream(&out, &len);
	if (!in || !f)
		abort();
	suggest_run(in, &o, f, devnull);
	fclose(in);
	fclose(f);

	if (ftruncate(fd, 0) || pwrite(fd, out, len, 0) != (ssize_t)len)
		abort();
	p = policy_load(path, NULL, 0, stderr);
	if (!p) {
		fprintf(stderr, "the suggested policy does not load:\n%s\n",
			out);
		abort();
	}
	policy_free(p);
	free(out);
	return 0;
}
