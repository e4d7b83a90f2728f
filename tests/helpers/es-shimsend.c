// SPDX-License-Identifier: GPL-2.0-or-later
/* es-shimsend.c - test helper: the sends the shim may take past the filter
 *
 *   es-shimsend PEER OTHER
 *
 * PEER and OTHER are IPv4 ADDR:PORT.  Connects one UDP socket to PEER and
 * sends, printing one line per call, "NAME OK BYTES" or "NAME ERRNO":
 *
 *   sendto-peer	sendto() with PEER's address (the shim: no address)
 *   sendmsg-noname	sendmsg() without an address (the shim: sendto)
 *   sendmsg-iov	sendmsg() to PEER from three iovecs (gathered)
 *   sendmsg-cmsg	sendmsg() to PEER with an IP_TOS cmsg (the filter's)
 *   sendto-other	sendto() to OTHER (decided: denied in the tests)
 *   sendmmsg		[PEER, OTHER, PEER]: "sendmmsg OK COUNT" - the kernel
 *			stops at the denied one
 *   raw-other		syscall(SYS_sendto) to OTHER: no libc, no shim
 *   raw-peer		syscall(SYS_sendto) to PEER
 *
 * Each payload starts with the call's name, so the server's log tells
 * which arrived.  Exit status 0 unless usage is wrong.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int parse(const char *s, struct sockaddr_in *a)
{
	char buf[64], *colon;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, buf, &a->sin_addr) == 1 ? 0 : -1;
}

static void report(const char *name, ssize_t r)
{
	if (r < 0)
		printf("%s %s\n", name, strerrorname_np(errno));
	else
		printf("%s OK %zd\n", name, r);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sockaddr_in peer, other;
	char a[] = "sendmsg-iov:", b[] = "three ", c[] = "parts";
	char tosbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov[3] = { { a, strlen(a) }, { b, strlen(b) },
				{ c, strlen(c) } };
	struct msghdr m = { 0 };
	struct mmsghdr mm[3];
	struct iovec miov[3];
	const char *mp[3] = { "sendmmsg-1", "sendmmsg-2", "sendmmsg-3" };
	struct cmsghdr *cm;
	int fd, i, r;

	if (argc != 3 || parse(argv[1], &peer) || parse(argv[2], &other)) {
		fprintf(stderr, "usage: es-shimsend PEER OTHER\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&peer, sizeof(peer))) {
		report("connect", -1);
		return 0;
	}
	report("connect", 0);

	report("sendto-peer",
	       sendto(fd, "sendto-peer", 11, 0, (struct sockaddr *)&peer,
		      sizeof(peer)));

	m.msg_iov = &iov[1];
	m.msg_iovlen = 1;
	iov[1].iov_base = "sendmsg-noname";
	iov[1].iov_len = 14;
	report("sendmsg-noname", sendmsg(fd, &m, 0));
	iov[1].iov_base = b;
	iov[1].iov_len = strlen(b);

	m.msg_name = &peer;
	m.msg_namelen = sizeof(peer);
	m.msg_iov = iov;
	m.msg_iovlen = 3;
	report("sendmsg-iov", sendmsg(fd, &m, 0));

	miov[0].iov_base = "sendmsg-cmsg";
	miov[0].iov_len = 12;
	m.msg_iov = miov;
	m.msg_iovlen = 1;
	m.msg_control = tosbuf;
	m.msg_controllen = sizeof(tosbuf);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_TOS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	*(int *)(void *)CMSG_DATA(cm) = 0x10;
	report("sendmsg-cmsg", sendmsg(fd, &m, 0));

	report("sendto-other",
	       sendto(fd, "sendto-other", 12, 0, (struct sockaddr *)&other,
		      sizeof(other)));

	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 3; i++) {
		miov[i].iov_base = (void *)mp[i];
		miov[i].iov_len = strlen(mp[i]);
		mm[i].msg_hdr.msg_iov = &miov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = i == 1 ? &other : &peer;
		mm[i].msg_hdr.msg_namelen = sizeof(peer);
	}
	r = sendmmsg(fd, mm, 3, 0);
	report("sendmmsg", r);

	report("raw-other", syscall(SYS_sendto, fd, "raw-other", 9, 0,
				    &other, sizeof(other)));
	report("raw-peer", syscall(SYS_sendto, fd, "raw-peer", 8, 0, &peer,
				   sizeof(peer)));
	close(fd);
	return 0;
}
