// SPDX-License-Identifier: GPL-2.0-or-later
/* bench-udp.c - UDP request/reply round trips, for the bench
 *
 *	bench-udp echo PORT
 *	bench-udp [-d SECS] [-c] [-s SIZE] ADDR PORT
 *
 * echo: answers every datagram on [::]:PORT (IPv4 too) with the same
 * bytes; prints "ready" once bound, then runs until killed.
 *
 * The client sends SIZE bytes (default 32) to ADDR:PORT and waits for the
 * reply, again and again for SECS seconds (default 1.2): with sendto() and
 * an address on an unconnected socket (every send is notified under the
 * supervisor), or with -c after connect() with send() (only the connect
 * is).  A reply lost or late (200 ms) is counted and the loop goes on.
 * Prints one line:
 *	udp mode=unconnected rate=RTT_PER_S ns_per_call=NS n=N lost=L
 *	    cpu_parent=PCT
 * (cpu_parent: CPU of the parent process, the supervisor when run under
 * it, in % of one CPU over the run.)  Exit status 0, or 1 when no round
 * trip completed.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of a process, in seconds */
static double cpu_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int echo(int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port) };
	struct sockaddr_storage from;
	char buf[65536];
	int fd, zero = 0;

	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("bench-udp echo");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
			       fl);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	double secs = 1.2, t0, t1, c0, c1;
	unsigned long n = 0, lost = 0;
	int opt, fd, connected = 0;
	size_t size = 32;
	char buf[65536];
	pid_t parent;

	if (argc == 3 && !strcmp(argv[1], "echo"))
		return echo(atoi(argv[2]));
	while ((opt = getopt(argc, argv, "d:cs:")) != -1) {
		switch (opt) {
		case 'd': secs = atof(optarg); break;
		case 'c': connected = 1; break;
		case 's': size = (size_t)atol(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || size > sizeof(buf) ||
	    inet_pton(AF_INET, argv[optind], &sa.sin_addr) != 1)
		goto usage;
	sa.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 2;
	if (connected && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("udp mode=connected errno=%d\n", errno);
		return 1;
	}
	memset(buf, 'r', size);
	parent = getppid();
	c0 = cpu_of(parent);
	t0 = now_s();
	do {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (connected)
			r = send(fd, buf, size, 0);
		else
			r = sendto(fd, buf, size, 0, (struct sockaddr *)&sa,
				   sizeof(sa));
		if (r < 0) {
			printf("udp mode=%s errno=%d\n",
			       connected ? "connected" : "unconnected", errno);
			return 1;
		}
		if (poll(&p, 1, 200) == 1 && recv(fd, buf, sizeof(buf), 0) >= 0)
			n++;
		else
			lost++;
		t1 = now_s();
	} while (t1 - t0 < secs);
	c1 = cpu_of(parent);
	printf("udp mode=%s rate=%.0f ns_per_call=%.0f n=%lu lost=%lu "
	       "cpu_parent=%.0f\n", connected ? "connected" : "unconnected",
	       (double)n / (t1 - t0), n ? (t1 - t0) * 1e9 / (double)n : 0,
	       n, lost, c0 >= 0 && c1 >= 0 ? 100 * (c1 - c0) / (t1 - t0) : -1);
	return n ? 0 : 1;
usage:
	fprintf(stderr, "usage: bench-udp echo PORT\n"
			"       bench-udp [-d SECS] [-c] [-s SIZE] ADDR PORT\n");
	return 2;
}
