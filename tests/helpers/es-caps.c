// SPDX-License-Identifier: GPL-2.0-or-later
/* es-caps.c - report the capabilities and ids this process runs with
 *
 * Prints the CapBnd/CapEff/CapPrm/CapAmb masks, one "bnd CAP_X 0|1" line
 * per capability the supervisor must drop from the bounding set, the ids
 * ("uid=U gid=G groups=G1,G2"), and "nnp=0|1" (no_new_privs).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static const struct {
	const char *name;
	int bit;
} caps[] = {
	{ "CAP_NET_ADMIN", 12 },
	{ "CAP_NET_RAW", 13 },
	{ "CAP_SYS_PTRACE", 19 },
	{ "CAP_SYS_ADMIN", 21 },
};

int main(void)
{
	uint64_t bnd = 0;
	gid_t groups[64];
	char line[256];
	FILE *f;
	int n;

	f = fopen("/proc/self/status", "r");
	if (!f) {
		perror("/proc/self/status");
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10))
			fputs(line, stdout);
		if (!strncmp(line, "CapBnd:", 7))
			bnd = strtoull(line + 7, NULL, 16);
	}
	fclose(f);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		printf("bnd %s %d\n", caps[i].name,
		       (int)((bnd >> caps[i].bit) & 1));
	printf("uid=%d gid=%d groups=", (int)getuid(), (int)getgid());
	n = getgroups(64, groups);
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", (int)groups[i]);
	printf("\nnnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	return 0;
}
