// SPDX-License-Identifier: GPL-2.0-or-later
/* bench-dns.c - getaddrinfo() lookups per second for one name
 *
 *   bench-dns NAME SECONDS
 *
 * Prints "lookups=N secs=S rate=R ns_per_lookup=T errors=E".  Each lookup
 * is a full getaddrinfo(AF_INET, SOCK_STREAM): resolv.conf, a UDP socket,
 * the query, the answer.
 */

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET,
				  .ai_socktype = SOCK_STREAM };
	double t0, secs, el;
	long n = 0, errors = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-dns NAME SECONDS\n");
		return 2;
	}
	secs = atof(argv[2]);
	t0 = now();
	do {
		struct addrinfo *res;

		if (getaddrinfo(argv[1], NULL, &hints, &res))
			errors++;
		else
			freeaddrinfo(res);
		n++;
	} while ((el = now() - t0) < secs);
	printf("lookups=%ld secs=%.3f rate=%.1f ns_per_lookup=%.0f "
	       "errors=%ld\n", n, el, (double)n / el, el * 1e9 / (double)n,
	       errors);
	return errors == n;
}
