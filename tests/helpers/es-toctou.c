// SPDX-License-Identifier: GPL-2.0-or-later
/* es-toctou.c - race the supervisor's read of a connect() address
 *
 * usage: es-toctou ALLOWED_V4 DENIED_V4 PORT N [connect|sendto|sendmsg]
 *
 * A second thread flips the address in one shared sockaddr_in between
 * ALLOWED and DENIED as fast as it can, while the main thread connects N
 * fresh TCP sockets with that very buffer. A supervisor that checks the
 * address and then lets the kernel re-read it (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
 * loses this race now and then, and the kernel connects to DENIED.
 *
 * With sendto/sendmsg, one UDP socket sends N datagrams through the same
 * raced buffer instead (escaped is then unknown to this side: 0).
 *
 * Prints "toctou attempts=N ok=A denied=D other=O escaped=E", where escaped
 * counts connects whose peer (getpeername) is DENIED. The test's verdict is
 * the packet counter on the denied host, not this program's own view.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static struct sockaddr_in shared_sa;
static atomic_int stop;
static uint32_t addr_ok, addr_bad;

static void *flipper(void *arg)
{
	volatile uint32_t *p = (volatile uint32_t *)&shared_sa.sin_addr.s_addr;

	(void)arg;
	/* Equal time in both states, a few hundred nanoseconds each: short
	 * against the microseconds between a supervisor's read and the
	 * kernel's second read, long enough for either read to see either.
	 */
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		*p = addr_bad;
		for (volatile int i = 0; i < 64; i++)
			;
		*p = addr_ok;
		for (volatile int i = 0; i < 64; i++)
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long ok = 0, denied = 0, other = 0, escaped = 0;
	struct in_addr a, b;
	pthread_t t;
	long n;

	if (argc < 5 || argc > 6 || inet_pton(AF_INET, argv[1], &a) != 1 ||
	    inet_pton(AF_INET, argv[2], &b) != 1) {
		fprintf(stderr, "usage: es-toctou ALLOWED DENIED PORT N [connect|sendto|sendmsg]\n");
		return 2;
	}
	addr_ok = a.s_addr;
	addr_bad = b.s_addr;
	n = atol(argv[4]);
	shared_sa.sin_family = AF_INET;
	shared_sa.sin_port = htons(atoi(argv[3]));
	shared_sa.sin_addr = a;

	if (pthread_create(&t, NULL, flipper, NULL))
		return 2;

	if (argc > 5 && strcmp(argv[5], "connect")) {
		bool use_msg = !strcmp(argv[5], "sendmsg");
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		char msg[] = "es-toctou\n";
		struct iovec iov = { .iov_base = msg, .iov_len = strlen(msg) };
		struct msghdr mh = {
			.msg_name = &shared_sa, .msg_namelen = sizeof(shared_sa),
			.msg_iov = &iov, .msg_iovlen = 1,
		};

		for (long i = 0; i < n; i++) {
			ssize_t r;

			if (use_msg)
				r = sendmsg(fd, &mh, 0);
			else
				r = sendto(fd, msg, strlen(msg), 0,
					   (struct sockaddr *)&shared_sa,
					   sizeof(shared_sa));
			if (r >= 0)
				ok++;
			else if (errno == EACCES || errno == EPERM)
				denied++;
			else
				other++;
		}
		close(fd);
		n = ok + denied + other;
		goto out;
	}

	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0) {
			perror("socket");
			return 2;
		}
		if (connect(fd, (struct sockaddr *)&shared_sa,
			    sizeof(shared_sa)) == 0) {
			struct sockaddr_in peer = { 0 };
			socklen_t sl = sizeof(peer);

			ok++;
			if (!getpeername(fd, (struct sockaddr *)&peer, &sl) &&
			    peer.sin_addr.s_addr == addr_bad)
				escaped++;
		} else if (errno == EACCES || errno == EPERM ||
			   errno == ECONNREFUSED) {
			denied++;
		} else {
			other++;
			if (other < 5)
				fprintf(stderr, "es-toctou: connect: %s\n",
					strerrorname_np(errno));
		}
		close(fd);
	}
out:
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("toctou attempts=%ld ok=%ld denied=%ld other=%ld escaped=%ld\n",
	       n, ok, denied, other, escaped);
	return 0;
}
