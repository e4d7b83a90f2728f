// SPDX-License-Identifier: GPL-2.0-or-later
/* bench-server.c - accept-and-close TCP server and UDP sink for the bench
 *
 *	bench-server [-t THREADS] PORT
 *
 * Listens on [::]:PORT for TCP (dual stack, so IPv4 too) with the largest
 * backlog the namespace allows, and THREADS threads (default 2) accept and
 * close at once.  A UDP socket is bound to the same port and never read:
 * datagrams are dropped once its buffer is full, silently, so the sender
 * gets no ICMP errors.  Prints "ready" on stdout when both are bound, then
 * runs until killed.
 *
 * The server must never be what limits connects/s: bench-connect -m PID
 * reports its CPU use next to each figure.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int lfd;

static void *acceptor(void *arg)
{
	int fd;

	(void)arg;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		else if (errno == EMFILE || errno == ENFILE)
			usleep(1000);
	}
	return NULL;
}

static int bind_any(int type, int port)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons((uint16_t)port),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	int fd, zero = 0, one = 1;

	fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6))) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	pthread_t th;
	int c, i, port, threads = 2, ufd;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't')
			goto usage;
		threads = atoi(optarg);
		if (threads < 1 || threads > 64)
			goto usage;
	}
	if (argc - optind != 1)
		goto usage;
	port = atoi(argv[optind]);
	if (port <= 0 || port > 65535)
		goto usage;

	lfd = bind_any(SOCK_STREAM, port);
	if (lfd < 0 || listen(lfd, 65535)) {
		perror("bench-server: tcp");
		return 1;
	}
	ufd = bind_any(SOCK_DGRAM, port);
	if (ufd < 0) {
		perror("bench-server: udp");
		return 1;
	}

	for (i = 1; i < threads; i++)
		if (pthread_create(&th, NULL, acceptor, NULL)) {
			fprintf(stderr, "bench-server: pthread_create\n");
			return 1;
		}
	printf("ready\n");
	fflush(stdout);
	acceptor(NULL);
	return 0;

usage:
	fprintf(stderr, "usage: bench-server [-t THREADS] PORT\n");
	return 2;
}
