// SPDX-License-Identifier: GPL-2.0-or-later
/* bench-shim.c - the calls libegress-shim.so makes faster, timed
 *
 *	bench-shim echo PORT			UDP echo server on [::]:PORT
 *	bench-shim udp ADDR PORT SECS		request/reply round trips on
 *						an unconnected socket (sendto
 *						with the address, recv)
 *	bench-shim udp-conn ADDR PORT SECS	the same on a connected socket,
 *						still sendto with the address
 *	bench-shim gai NAME SECS		getaddrinfo(NAME, "443",
 *						AF_UNSPEC, SOCK_STREAM) loop
 *
 * Prints "mode=MODE calls=N secs=S rate=R" (R per second); exit status 1
 * when a call failed (the errno is printed), 2 on usage errors.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int echo(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port) };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), off = 0;
	char buf[2048];

	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("bench-shim echo");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
			       fl);
	}
}

static int udp(const char *addr, int port, double secs, int connected)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	long calls = 0;
	double t0, t;
	char buf[64];
	int fd;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    (connected && connect(fd, (struct sockaddr *)&a, sizeof(a)))) {
		printf("mode=udp error=%s\n", strerrorname_np(errno));
		return 1;
	}
	t0 = now();
	do {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (sendto(fd, "ping", 4, 0, (struct sockaddr *)&a,
			   sizeof(a)) != 4) {
			printf("mode=udp error=%s\n", strerrorname_np(errno));
			return 1;
		}
		if (poll(&p, 1, 1000) != 1 || recv(fd, buf, sizeof(buf), 0) < 0) {
			printf("mode=udp error=lost\n");
			return 1;
		}
		calls++;
		t = now();
	} while (t - t0 < secs);
	printf("mode=%s calls=%ld secs=%.3f rate=%.1f\n",
	       connected ? "udp-conn" : "udp", calls, t - t0,
	       (double)calls / (t - t0));
	return 0;
}

static int gai(const char *name, double secs)
{
	struct addrinfo h = { .ai_socktype = SOCK_STREAM }, *res;
	long calls = 0;
	double t0, t;
	int r;

	t0 = now();
	do {
		r = getaddrinfo(name, "443", &h, &res);
		if (r) {
			printf("mode=gai error=%s\n", gai_strerror(r));
			return 1;
		}
		freeaddrinfo(res);
		calls++;
		t = now();
	} while (t - t0 < secs);
	printf("mode=gai calls=%ld secs=%.3f rate=%.1f\n", calls, t - t0,
	       (double)calls / (t - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "echo"))
		return echo(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "udp"))
		return udp(argv[2], atoi(argv[3]), atof(argv[4]), 0);
	if (argc == 5 && !strcmp(argv[1], "udp-conn"))
		return udp(argv[2], atoi(argv[3]), atof(argv[4]), 1);
	if (argc == 4 && !strcmp(argv[1], "gai"))
		return gai(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: see bench-shim.c\n");
	return 2;
}
