// SPDX-License-Identifier: GPL-2.0-or-later
/* bench-echo.c - a TCP echo server and a client that pushes bytes through
 *
 *	bench-echo server PORT
 *	bench-echo client ADDR PORT BYTES
 *
 * The server listens on [::]:PORT (dual stack) and echoes every
 * connection, one thread each, with read(2)/write(2) of 256 KiB; it
 * prints "ready" once it listens, and "cpu=C" when a connection ends: the
 * CPU seconds (user + system) its thread spent.  The client connects,
 * writes BYTES zeros from one thread and reads them back in another, and
 * prints
 *
 *	bytes=N seconds=S MBps=M cpu=C
 *
 * where MB is 10^6 bytes, as dd(1) counts (alfwrapper's figures were
 * dd's), and C the client's CPU seconds.  The kernel's receive path,
 * socket filters included, mostly runs in the sender's context on veth
 * and loopback, so the two CPU figures together are the cost of the
 * transfer, and they vary far less than the elapsed time on a machine
 * shared with other work.  Exit status 0 when every byte came back.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	(256 * 1024)

static double cpu(int who)
{
	struct rusage r;

	if (getrusage(who, &r))
		return 0;
	return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
	       (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

static void *echo(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(CHUNK);
	ssize_t n;

	while (buf && (n = read(fd, buf, CHUNK)) > 0) {
		ssize_t off = 0;

		while (off < n) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));

			if (w <= 0)
				goto out;
			off += w;
		}
	}
out:
	free(buf);
	close(fd);
	printf("cpu=%.4f\n", cpu(RUSAGE_THREAD));
	fflush(stdout);
	return NULL;
}

static int server(int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port) };
	int one = 1, zero = 0, fd = socket(AF_INET6, SOCK_STREAM, 0);

	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		perror("bench-echo: bind/listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		pthread_t t;

		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, echo, (void *)(intptr_t)c))
			close(c);
		else
			pthread_detach(t);
	}
}

struct push {
	int fd;
	unsigned long long bytes;
};

static void *writer(void *arg)
{
	struct push *p = arg;
	char *buf = calloc(1, CHUNK);
	unsigned long long left = p->bytes;

	while (buf && left) {
		ssize_t w = write(p->fd, buf, left < CHUNK ? left : CHUNK);

		if (w <= 0)
			break;
		left -= (unsigned long long)w;
	}
	shutdown(p->fd, SHUT_WR);
	free(buf);
	return NULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int client(const char *addr, int port, unsigned long long bytes)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct push p = { .bytes = bytes };
	unsigned long long got = 0;
	socklen_t len;
	char *buf = malloc(CHUNK);
	pthread_t t;
	double t0;
	ssize_t n;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	} else {
		fprintf(stderr, "bench-echo: bad address %s\n", addr);
		return 2;
	}
	p.fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (!buf || connect(p.fd, (struct sockaddr *)&ss, len)) {
		perror("bench-echo: connect");
		return 1;
	}
	t0 = now();
	pthread_create(&t, NULL, writer, &p);
	while ((n = read(p.fd, buf, CHUNK)) > 0)
		got += (unsigned long long)n;
	pthread_join(t, NULL);
	t0 = now() - t0;
	printf("bytes=%llu seconds=%.3f MBps=%.1f cpu=%.4f\n", got, t0,
	       (double)got / t0 / 1e6, cpu(RUSAGE_SELF));
	free(buf);
	return got == bytes ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]),
			      strtoull(argv[4], NULL, 10));
	fprintf(stderr, "usage: bench-echo server PORT | "
			"bench-echo client ADDR PORT BYTES\n");
	return 2;
}
