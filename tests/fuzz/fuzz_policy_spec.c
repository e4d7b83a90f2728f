// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_policy_spec.c - libFuzzer target: --allow DST[:PORTS][/PROTO] specs
 *
 * Input: up to 8 specs, one per line.  Also feeds each line to the name
 * pattern parser directly, since most specs are names.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_policy_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *specs[8];
	size_t n = 0, i;
	struct policy *p;
	char *buf, *s;

	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (s = buf; n < ARRAY_SIZE(specs);) {
		char *nl = strchr(s, '\n');

		specs[n++] = s;
		if (!nl)
			break;
		*nl = '\0';
		s = nl + 1;
	}
	for (i = 0; i < n; i++) {
		struct pname pn;
		char msg[256];

		if (!pname_parse(&pn, specs[i], i & 1, msg, sizeof(msg)))
			pname_free(&pn);
	}
	p = policy_load_buffer(NULL, NULL, 0, specs, n, fuzz_devnull());
	if (p) {
		fuzz_check_policy(p);
		policy_free(p);
	}
	free(buf);
	return 0;
}
