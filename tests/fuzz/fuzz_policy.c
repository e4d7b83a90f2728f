// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_policy.c - libFuzzer target: the YAML policy loader
 *
 * Input: a policy file.  Loading must never crash or leak, and a policy
 * that loads must survive fuzz_check_policy().
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_policy_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p;

	p = policy_load_buffer("fuzz.yaml", (const char *)data, size, NULL, 0,
			       fuzz_devnull());
	if (p) {
		fuzz_check_policy(p);
		policy_free(p);
	}
	return 0;
}
