// SPDX-License-Identifier: GPL-2.0-or-later
/* es-net.c - generic network client for the integration tests
 *
 * One invocation performs one operation and prints one line per attempt:
 *
 *	<op> <destination> <RESULT> [details]
 *
 * where RESULT is OK, TIMEOUT or the errno *name* (EACCES, ENOSYS, ...), so
 * that shell scripts can grep for it. The exit status is 0 when every attempt
 * succeeded, 1 when one failed, 2 on usage errors.
 *
 * Destinations are ADDR:PORT or [ADDR6]:PORT. How the address is encoded in
 * the sockaddr (-a) and which socket family is used (-s) are independent, so
 * the kernel's family quirks (AF_UNSPEC on udp4, AF_INET on udp6, v4-mapped
 * addresses) can be produced on purpose.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef IPV6_RTHDR
#define IPV6_RTHDR 57
#endif

#define MAX_DST 64

enum enc {
	ENC_NATIVE,	/* sockaddr of the address' own family */
	ENC_INET,	/* sockaddr_in (v4 address) */
	ENC_UNSPEC,	/* sockaddr_in layout, sin_family = AF_UNSPEC */
	ENC_MAPPED,	/* sockaddr_in6 with ::ffff:a.b.c.d */
};

struct dst {
	const char *str;
	struct sockaddr_storage ss;
	socklen_t len;
	int family;		/* family of the parsed address */
};

static struct {
	int sock_family;	/* 0: from the first destination */
	enum enc enc;
	bool nonblock;
	int timeout_ms;
	const char *payload;
	bool read_reply;
	bool timing;
	int proto;		/* 0: default for the type */
	const char *wait_file;
} opt = {
	.timeout_ms = 3000,
};

static const char *errname(int err)
{
	static char buf[32];
	const char *n = strerrorname_np(err);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void usage(void)
{
	fprintf(stderr,
"usage: es-net [options] OP ARGS...\n"
"options:\n"
"  -s inet|inet6        socket family (default: the destination's)\n"
"  -a native|inet|unspec|mapped  sockaddr encoding of the destination\n"
"  -n                   non-blocking connect, then poll\n"
"  -t MS                poll/read timeout (default 3000)\n"
"  -p PAYLOAD           payload to send (default: \"es-net DST\\n\")\n"
"  -r                   read and print the peer's first reply\n"
"  -T                   print elapsed milliseconds\n"
"  -P tcp|udp|mptcp|N   protocol argument of socket()\n"
"  -w FILE              print \"ready pid=N\", wait until FILE exists\n"
"ops:\n"
"  tcp DST              connect a TCP socket\n"
"  tfo DST              sendto(MSG_FASTOPEN) on a fresh TCP socket\n"
"  tfo-msg DST          sendmsg(MSG_FASTOPEN) on a fresh TCP socket\n"
"  udp-sendto DST...    one sendto per destination, one socket\n"
"  udp-sendmsg DST...   one sendmsg per destination, one socket\n"
"  udp-sendmmsg DST...  one sendmmsg carrying every destination\n"
"  udp-connect DST      connect, then send\n"
"  udp-connected-sendto CDST DST  connect to CDST, sendto DST\n"
"  sockopt ipopts|rthdr set IP_OPTIONS (LSRR) / IPV6_RTHDR\n"
"  socket FAM TYPE [PROTO]  FAM: unix inet inet6 packet netlink alg vsock\n"
"                       TYPE: stream dgram raw seqpacket; PROTO: name/N\n"
"  io-uring             io_uring_setup(2)\n"
"  x32                  socket() through the x32 syscall number\n"
"  flood N DST          N threads doing blocking connects to DST; prints\n"
"                       \"flood ready N\" once all threads are about to\n"
"                       connect, \"flood-connect RESULT\" as each one ends\n");
	exit(2);
}

static int parse_dst(const char *s, struct dst *d)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	struct in6_addr a6;
	struct in_addr a4;
	size_t hl;
	long port;
	char *end;

	memset(d, 0, sizeof(*d));
	d->str = s;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hl = rb - s - 1;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = colon - s;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;

	if (inet_pton(AF_INET, host, &a4) == 1) {
		d->family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		d->family = AF_INET6;
	} else {
		return -1;
	}

	if (d->family == AF_INET6 && opt.enc != ENC_NATIVE) {
		fprintf(stderr, "es-net: -a %d needs an IPv4 destination\n",
			opt.enc);
		return -1;
	}

	if (d->family == AF_INET6 || opt.enc == ENC_MAPPED) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d->ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (d->family == AF_INET6) {
			sin6->sin6_addr = a6;
		} else {
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&sin6->sin6_addr.s6_addr[12], &a4, 4);
		}
		d->len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&d->ss;

		sin->sin_family = opt.enc == ENC_UNSPEC ? AF_UNSPEC : AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a4;
		d->len = sizeof(*sin);
	}
	return 0;
}

static int sock_family_for(const struct dst *d)
{
	if (opt.sock_family)
		return opt.sock_family;
	if (opt.enc == ENC_MAPPED || d->family == AF_INET6)
		return AF_INET6;
	return AF_INET;
}

static int open_socket(int family, int type)
{
	int fd = socket(family, type, opt.proto);

	if (fd < 0) {
		printf("socket - %s\n", errname(errno));
		exit(1);
	}
	return fd;
}

/* The default payload names the destination and, for several destinations,
 * the message's index, so the receiving side can tell the messages apart.
 */
static const char *payload_idx(const struct dst *d, int idx, char *buf,
			       size_t len)
{
	if (opt.payload)
		return opt.payload;
	if (idx < 0)
		snprintf(buf, len, "es-net %s\n", d->str);
	else
		snprintf(buf, len, "es-net %s #%d\n", d->str, idx);
	return buf;
}

static const char *payload_for(const struct dst *d, char *buf, size_t len)
{
	return payload_idx(d, -1, buf, len);
}

/* Print the first reply of the peer (one line, or what arrives in time). */
static void read_reply(int fd, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[512];
	ssize_t n;
	int ret;

	ret = poll(&pfd, 1, opt.timeout_ms);
	if (ret <= 0) {
		printf("recv %s TIMEOUT\n", what);
		return;
	}
	/* Let the echo of our payload follow the banner. */
	usleep(100 * 1000);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0) {
		printf("recv %s %s\n", what, errname(errno));
		return;
	}
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			buf[i] = '|';
	printf("recv %s OK %s\n", what, buf);
}

/* Wait for a non-blocking connect; returns 0 or a positive errno. */
static int wait_connect(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t sl;
	int err = 0;
	int ret;

	ret = poll(&pfd, 1, opt.timeout_ms);
	if (ret == 0)
		return ETIMEDOUT;
	if (ret < 0)
		return errno;
	sl = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl))
		return errno;
	return err;
}

static int op_tcp(const struct dst *d)
{
	char pbuf[256];
	double t0;
	int fd, ret, err;

	fd = open_socket(sock_family_for(d),
			 SOCK_STREAM | (opt.nonblock ? SOCK_NONBLOCK : 0));
	t0 = now_ms();
	ret = connect(fd, (struct sockaddr *)&d->ss, d->len);
	err = ret ? errno : 0;
	if (opt.timing)
		printf("connect %s %s ms=%.1f\n", d->str,
		       err ? errname(err) : "OK", now_ms() - t0);
	else
		printf("connect %s %s\n", d->str, err ? errname(err) : "OK");
	if (err == EINPROGRESS && opt.nonblock) {
		err = wait_connect(fd);
		printf("poll %s %s\n", d->str,
		       err == ETIMEDOUT ? "TIMEOUT" : err ? errname(err) : "OK");
	}
	fflush(stdout);
	if (err) {
		close(fd);
		return 1;
	}
	if (opt.nonblock) {
		int fl = fcntl(fd, F_GETFL);

		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	if (opt.payload || opt.read_reply) {
		const char *p = payload_for(d, pbuf, sizeof(pbuf));

		if (send(fd, p, strlen(p), MSG_NOSIGNAL) < 0)
			printf("send %s %s\n", d->str, errname(errno));
	}
	if (opt.read_reply)
		read_reply(fd, d->str);
	close(fd);
	return 0;
}

static int op_tfo(const struct dst *d, bool use_msg)
{
	char pbuf[256];
	const char *p = payload_for(d, pbuf, sizeof(pbuf));
	ssize_t n;
	int fd;

	fd = open_socket(sock_family_for(d), SOCK_STREAM);
	if (use_msg) {
		struct iovec iov = { .iov_base = (void *)p, .iov_len = strlen(p) };
		struct msghdr mh = {
			.msg_name = (void *)&d->ss, .msg_namelen = d->len,
			.msg_iov = &iov, .msg_iovlen = 1,
		};

		n = sendmsg(fd, &mh, MSG_FASTOPEN | MSG_NOSIGNAL);
	} else {
		n = sendto(fd, p, strlen(p), MSG_FASTOPEN | MSG_NOSIGNAL,
			   (struct sockaddr *)&d->ss, d->len);
	}
	if (n < 0) {
		printf("%s %s %s\n", use_msg ? "sendmsg" : "sendto", d->str,
		       errname(errno));
		close(fd);
		return 1;
	}
	printf("%s %s OK %zd\n", use_msg ? "sendmsg" : "sendto", d->str, n);
	fflush(stdout);
	if (opt.read_reply)
		read_reply(fd, d->str);
	close(fd);
	return 0;
}

static int udp_socket(const struct dst *d)
{
	return open_socket(sock_family_for(d), SOCK_DGRAM);
}

static int op_udp_send(struct dst *d, int n, bool use_msg)
{
	int fd = udp_socket(&d[0]);
	int fails = 0;

	for (int i = 0; i < n; i++) {
		char pbuf[256];
		const char *p = payload_idx(&d[i], i, pbuf, sizeof(pbuf));
		ssize_t r;

		if (use_msg) {
			struct iovec iov = {
				.iov_base = (void *)p, .iov_len = strlen(p),
			};
			struct msghdr mh = {
				.msg_name = &d[i].ss, .msg_namelen = d[i].len,
				.msg_iov = &iov, .msg_iovlen = 1,
			};

			r = sendmsg(fd, &mh, 0);
		} else {
			r = sendto(fd, p, strlen(p), 0,
				   (struct sockaddr *)&d[i].ss, d[i].len);
		}
		if (r < 0) {
			printf("%s %s %s\n", use_msg ? "sendmsg" : "sendto",
			       d[i].str, errname(errno));
			fails++;
		} else {
			printf("%s %s OK %zd\n", use_msg ? "sendmsg" : "sendto",
			       d[i].str, r);
		}
	}
	close(fd);
	return fails ? 1 : 0;
}

static int op_udp_sendmmsg(struct dst *d, int n)
{
	static char bufs[MAX_DST][256];
	struct mmsghdr mm[MAX_DST];
	struct iovec iov[MAX_DST];
	int fd = udp_socket(&d[0]);
	int r;

	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < n; i++) {
		const char *p = payload_idx(&d[i], i, bufs[i],
					    sizeof(bufs[i]));

		iov[i].iov_base = (void *)p;
		iov[i].iov_len = strlen(p);
		mm[i].msg_hdr.msg_name = &d[i].ss;
		mm[i].msg_hdr.msg_namelen = d[i].len;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	r = sendmmsg(fd, mm, n, 0);
	if (r < 0) {
		printf("sendmmsg %d %s\n", n, errname(errno));
		close(fd);
		return 1;
	}
	printf("sendmmsg %d OK %d", n, r);
	for (int i = 0; i < r; i++)
		printf(" %u", mm[i].msg_len);
	printf("\n");
	close(fd);
	return r == n ? 0 : 1;
}

static int op_udp_connect(const struct dst *c, const struct dst *d)
{
	char pbuf[256];
	const struct dst *t = d ? d : c;
	const char *p = payload_for(t, pbuf, sizeof(pbuf));
	int fd = udp_socket(c);
	ssize_t r;

	if (connect(fd, (struct sockaddr *)&c->ss, c->len)) {
		printf("connect %s %s\n", c->str, errname(errno));
		close(fd);
		return 1;
	}
	printf("connect %s OK\n", c->str);
	if (d)
		r = sendto(fd, p, strlen(p), 0, (struct sockaddr *)&d->ss,
			   d->len);
	else
		r = send(fd, p, strlen(p), 0);
	if (r < 0) {
		printf("%s %s %s\n", d ? "sendto" : "send", t->str,
		       errname(errno));
		close(fd);
		return 1;
	}
	printf("%s %s OK %zd\n", d ? "sendto" : "send", t->str, r);
	close(fd);
	return 0;
}

static int op_sockopt(const char *which)
{
	int fd, ret;

	if (!strcmp(which, "ipopts")) {
		/* Loose source route via 203.0.113.5, padded with a NOP. */
		unsigned char o[8] = { IPOPT_NOP, IPOPT_LSRR, 7, 4,
				       203, 0, 113, 5 };

		fd = open_socket(AF_INET, SOCK_STREAM);
		ret = setsockopt(fd, IPPROTO_IP, IP_OPTIONS, o, sizeof(o));
		printf("setsockopt IP_OPTIONS %s\n",
		       ret ? errname(errno) : "OK");
	} else if (!strcmp(which, "rthdr")) {
		/* A segment routing header (type 4), which the kernel lets
		 * unprivileged sockets set, with one segment.
		 */
		unsigned char rh[24] = { 0, 2, 4, 0, 0 };

		inet_pton(AF_INET6, "2001:db8:3::5", &rh[8]);
		fd = open_socket(AF_INET6, SOCK_DGRAM);
		ret = setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, rh, sizeof(rh));
		printf("setsockopt IPV6_RTHDR %s\n",
		       ret ? errname(errno) : "OK");
	} else {
		usage();
	}
	close(fd);
	return ret ? 1 : 0;
}

static int lookup(const char *s, const char *const *names, const int *vals)
{
	char *end;
	long v;

	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return vals[i];
	v = strtol(s, &end, 0);
	if (*end)
		usage();
	return v;
}

static int op_socket(int argc, char **argv)
{
	static const char *const fams[] = { "unix", "inet", "inet6", "packet",
		"netlink", "alg", "vsock", NULL };
	static const int famv[] = { AF_UNIX, AF_INET, AF_INET6, AF_PACKET,
		AF_NETLINK, AF_ALG, AF_VSOCK };
	static const char *const types[] = { "stream", "dgram", "raw",
		"seqpacket", NULL };
	static const int typev[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW,
		SOCK_SEQPACKET };
	static const char *const protos[] = { "tcp", "udp", "icmp", "icmpv6",
		"sctp", "mptcp", "raw", "all", NULL };
	static const int protov[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
		IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_MPTCP, IPPROTO_RAW,
		0x0300 /* htons(ETH_P_ALL) */ };
	int fam, type, proto = 0, fd;

	if (argc < 2)
		usage();
	fam = lookup(argv[0], fams, famv);
	type = lookup(argv[1], types, typev);
	if (argc > 2)
		proto = lookup(argv[2], protos, protov);
	fd = socket(fam, type, proto);
	printf("socket %s/%s/%s %s\n", argv[0], argv[1],
	       argc > 2 ? argv[2] : "0", fd < 0 ? errname(errno) : "OK");
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

static int op_io_uring(void)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 4, &p);
	printf("io_uring_setup - %s\n", fd < 0 ? errname(errno) : "OK");
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

static int op_x32(void)
{
	long fd = syscall(__NR_socket | 0x40000000, AF_INET, SOCK_STREAM, 0);

	printf("x32-socket - %s\n", fd < 0 ? errname(errno) : "OK");
	return fd < 0 ? 1 : 0;
}

static atomic_int flood_started;

static void *flood_thread(void *arg)
{
	const struct dst *d = arg;
	int fd = socket(sock_family_for(d), SOCK_STREAM, 0);

	atomic_fetch_add(&flood_started, 1);
	if (fd >= 0) {
		int ret = connect(fd, (struct sockaddr *)&d->ss, d->len);

		/* Only when the connect ends, which a black hole delays. */
		printf("flood-connect %s\n", ret ? errname(errno) : "OK");
	}
	return NULL;
}

/* Start N blocking connects to DST, report readiness, then wait (forever,
 * or until the connects end: a black hole keeps them for minutes).
 */
static int op_flood(int n, const struct dst *d)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, &attr, flood_thread, (void *)d)) {
			printf("flood %s pthread_create failed at %d\n",
			       d->str, i);
			return 1;
		}
	}
	while (atomic_load(&flood_started) < n)
		usleep(1000);
	/* Give the last threads time to enter connect(). */
	usleep(200 * 1000);
	printf("flood ready %d\n", n);
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

static void wait_for_file(const char *path)
{
	struct stat st;

	printf("ready pid=%d\n", getpid());
	fflush(stdout);
	while (stat(path, &st))
		usleep(10 * 1000);
}

int main(int argc, char **argv)
{
	static struct dst dsts[MAX_DST];
	const char *op;
	int c, n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "+s:a:nt:p:rTP:w:")) != -1) {
		switch (c) {
		case 's':
			if (!strcmp(optarg, "inet"))
				opt.sock_family = AF_INET;
			else if (!strcmp(optarg, "inet6"))
				opt.sock_family = AF_INET6;
			else
				usage();
			break;
		case 'a':
			if (!strcmp(optarg, "native"))
				opt.enc = ENC_NATIVE;
			else if (!strcmp(optarg, "inet"))
				opt.enc = ENC_INET;
			else if (!strcmp(optarg, "unspec"))
				opt.enc = ENC_UNSPEC;
			else if (!strcmp(optarg, "mapped"))
				opt.enc = ENC_MAPPED;
			else
				usage();
			break;
		case 'n':
			opt.nonblock = true;
			break;
		case 't':
			opt.timeout_ms = atoi(optarg);
			break;
		case 'p':
			opt.payload = optarg;
			break;
		case 'r':
			opt.read_reply = true;
			break;
		case 'T':
			opt.timing = true;
			break;
		case 'P': {
			static const char *const pn[] = { "tcp", "udp",
				"mptcp", NULL };
			static const int pv[] = { IPPROTO_TCP, IPPROTO_UDP,
				IPPROTO_MPTCP };

			opt.proto = lookup(optarg, pn, pv);
			break;
		}
		case 'w':
			opt.wait_file = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	op = argv[optind++];
	argc -= optind;
	argv += optind;

	if (opt.wait_file)
		wait_for_file(opt.wait_file);

	if (!strcmp(op, "sockopt"))
		return argc == 1 ? op_sockopt(argv[0]) : (usage(), 2);
	if (!strcmp(op, "socket"))
		return op_socket(argc, argv);
	if (!strcmp(op, "io-uring"))
		return op_io_uring();
	if (!strcmp(op, "x32"))
		return op_x32();
	if (!strcmp(op, "flood")) {
		if (argc != 2 || parse_dst(argv[1], &dsts[0]))
			usage();
		return op_flood(atoi(argv[0]), &dsts[0]);
	}

	if (argc < 1 || argc > MAX_DST)
		usage();
	for (n = 0; n < argc; n++)
		if (parse_dst(argv[n], &dsts[n])) {
			fprintf(stderr, "es-net: bad destination '%s'\n",
				argv[n]);
			usage();
		}

	if (!strcmp(op, "tcp"))
		return op_tcp(&dsts[0]);
	if (!strcmp(op, "tfo"))
		return op_tfo(&dsts[0], false);
	if (!strcmp(op, "tfo-msg"))
		return op_tfo(&dsts[0], true);
	if (!strcmp(op, "udp-sendto"))
		return op_udp_send(dsts, n, false);
	if (!strcmp(op, "udp-sendmsg"))
		return op_udp_send(dsts, n, true);
	if (!strcmp(op, "udp-sendmmsg"))
		return op_udp_sendmmsg(dsts, n);
	if (!strcmp(op, "udp-connect"))
		return op_udp_connect(&dsts[0], NULL);
	if (!strcmp(op, "udp-connected-sendto") && n == 2)
		return op_udp_connect(&dsts[0], &dsts[1]);
	usage();
	return 2;
}
