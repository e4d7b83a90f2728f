// SPDX-License-Identifier: GPL-2.0-or-later
/* adv-attack.c - bypass techniques against egress-supervise, one per op
 *
 * usage: adv-attack OP ARGS...   (run.sh is the only caller; see its cases)
 *
 * Each op tries one way out and prints one line per step:
 *
 *	<step> <RESULT> [details]
 *
 * RESULT is OK or the errno name. The verdict is never this program's:
 * run.sh compares what it says with the packet counters and server logs on
 * the far side, and runs every op once without the supervisor to show that
 * the technique does reach the denied host when nothing stops it.
 *
 * "The supervisor" below is this process' parent (egress-supervise execs
 * CMD directly), or the pid given with -p.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef IPV6_2292PKTOPTIONS
#define IPV6_2292PKTOPTIONS 6
#endif
#ifndef IPV6_RTHDR
#define IPV6_RTHDR 57
#endif
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

static pid_t sup_pid;

static const char *en(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "E?";
}

static int say(const char *step, long rc)
{
	int e = errno;

	printf("%s %s\n", step, rc < 0 ? en(e) : "OK");
	fflush(stdout);
	errno = e;
	return rc < 0 ? -1 : 0;
}

static void die_usage(void)
{
	fprintf(stderr, "adv-attack: bad arguments (see run.sh)\n");
	exit(2);
}

/* "A.B.C.D:PORT" or "[v6]:PORT" */
static socklen_t parse_sa(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *c;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		c = strchr(s, ']');
		if (!c || c[1] != ':')
			die_usage();
		hl = (size_t)(c - s - 1);
		if (hl >= sizeof(host))
			die_usage();
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		c++;
	} else {
		c = strrchr(s, ':');
		if (!c || (size_t)(c - s) >= sizeof(host))
			die_usage();
		memcpy(host, s, (size_t)(c - s));
		host[c - s] = 0;
	}
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		char *scope = strchr(host, '%');

		if (scope) {	/* fe80::1%eth0 */
			*scope++ = 0;
			a->sin6_scope_id = if_nametoindex(scope);
		}
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)atoi(c + 1));
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			die_usage();
		return sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)atoi(c + 1));
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			die_usage();
		return sizeof(*a);
	}
}

static struct in_addr v4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		die_usage();
	return a;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A TCP connect with a timeout, for "is the supervisor still serving?" */
static int probe_connect(const char *step, const char *dst)
{
	struct sockaddr_storage ss;
	socklen_t l = parse_sa(dst, &ss);
	struct timeval tv = { .tv_sec = 3 };
	int s = socket(ss.ss_family, SOCK_STREAM, 0);
	int rc;

	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rc = connect(s, (struct sockaddr *)&ss, l);
	say(step, rc);
	close(s);
	return rc;
}

static int udp_send(const char *step, const char *dst, int flags)
{
	struct sockaddr_storage ss;
	socklen_t l = parse_sa(dst, &ss);
	int s = socket(ss.ss_family, SOCK_DGRAM, 0), one = 1;
	int rc;

	/* broadcast needs it, and it changes nothing else */
	setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	rc = (int)sendto(s, "adv\n", 4, flags, (struct sockaddr *)&ss, l);

	say(step, rc);
	close(s);
	return rc;
}

/* ------------------------------------------------------------ io_uring */

static int uring_one(const char *dst, bool is_connect)
{
	struct io_uring_params p;
	struct sockaddr_storage ss;
	socklen_t l = parse_sa(dst, &ss);
	static struct iovec iov = { .iov_base = "adv-uring\n", .iov_len = 10 };
	struct msghdr m = { .msg_name = &ss, .msg_namelen = l,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	uint8_t *sq, *cq;
	unsigned *tail, *array, *ctail;
	int fd, s, ret;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (say("io_uring_setup", fd))
		return 1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(*cqes),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return say("io_uring_mmap", -1), 1;
	s = socket(ss.ss_family, is_connect ? SOCK_STREAM : SOCK_DGRAM, 0);
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].fd = s;
	if (is_connect) {
		sqes[0].opcode = IORING_OP_CONNECT;
		sqes[0].addr = (uintptr_t)&ss;
		sqes[0].off = l;
	} else {
		sqes[0].opcode = IORING_OP_SENDMSG;
		sqes[0].addr = (uintptr_t)&m;
		sqes[0].len = 1;
	}
	tail = (unsigned *)(sq + p.sq_off.tail);
	array = (unsigned *)(sq + p.sq_off.array);
	array[*tail & *(unsigned *)(sq + p.sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	ret = (int)syscall(__NR_io_uring_enter, fd, 1, 1,
			   IORING_ENTER_GETEVENTS, NULL, 0);
	if (say("io_uring_enter", ret))
		return 1;
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	ctail = (unsigned *)(cq + p.cq_off.tail);
	if (__atomic_load_n(ctail, __ATOMIC_ACQUIRE) == 0)
		return printf("io_uring_op NOCQE\n"), 1;
	errno = -cqes[0].res;
	say(is_connect ? "io_uring_connect" : "io_uring_sendmsg",
	    cqes[0].res < 0 ? -1 : 0);
	return 0;
}

/* ------------------------------------------------------------ ABI, sockets */

static int op_x32_connect(const char *dst)
{
	struct sockaddr_storage ss;
	socklen_t l = parse_sa(dst, &ss);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	/* x32 connect is 42 | __X32_SYSCALL_BIT, as on x86_64 */
	return say("x32-connect",
		   syscall(0x40000000 | __NR_connect, s, &ss, l)) ? 1 : 0;
}

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int icmp_echo(int s, const char *dst)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = v4(dst) };
	struct icmphdr h;

	/* memset, not an initializer: the union's other members' bytes
	 * are summed too (and scan-build cannot tell them initialized) */
	memset(&h, 0, sizeof(h));
	h.type = ICMP_ECHO;
	h.un.echo.id = htons(0x4144);
	h.checksum = csum(&h, sizeof(h));
	return (int)sendto(s, &h, sizeof(h), 0, (struct sockaddr *)&sa,
			   sizeof(sa));
}

static int op_raw_icmp(const char *dst, bool hibits, int type)
{
	long fam = AF_INET;
	int s;

	if (hibits)		/* the kernel reads an int: still AF_INET */
		fam |= 1L << 32;
	s = (int)syscall(SYS_socket, fam, type, IPPROTO_ICMP);
	if (say("socket", s))
		return 1;
	return say("sendto", icmp_echo(s, dst)) ? 1 : 0;
}

/* AF_PACKET: a hand-made IPv4/UDP datagram to DST, straight to the router */
static int op_packet(const char *ifname, const char *mac, const char *src,
		     const char *dst, int port)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_IP),
				  .sll_halen = 6 };
	uint8_t pkt[sizeof(struct iphdr) + 8 + 8];
	struct iphdr *ip = (struct iphdr *)pkt;
	uint8_t *udp = pkt + sizeof(*ip);
	unsigned int m[6];
	int s;

	if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3],
		   &m[4], &m[5]) != 6)
		die_usage();
	for (int i = 0; i < 6; i++)
		ll.sll_addr[i] = (uint8_t)m[i];
	ll.sll_ifindex = (int)if_nametoindex(ifname);
	memset(pkt, 0, sizeof(pkt));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(sizeof(pkt));
	ip->saddr = v4(src).s_addr;
	ip->daddr = v4(dst).s_addr;
	ip->check = csum(ip, sizeof(*ip));
	udp[0] = 0x9c;			/* source port 40000 */
	udp[1] = 0x40;
	udp[2] = (uint8_t)(port >> 8);
	udp[3] = (uint8_t)port;
	udp[5] = 16;			/* length; checksum 0 = none */
	memcpy(udp + 8, "adv-pkt\n", 8);

	s = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (say("socket", s))
		return 1;
	return say("sendto", sendto(s, pkt, sizeof(pkt), 0,
				    (struct sockaddr *)&ll, sizeof(ll))) ? 1 : 0;
}

static int op_socket(int fam, int type, int proto)
{
	int s = (int)syscall(SYS_socket, fam, type, proto);

	say("socket", s);
	return s < 0;
}

static int op_mptcp(const char *dst)
{
	struct sockaddr_storage ss;
	socklen_t l = parse_sa(dst, &ss);
	int s = socket(ss.ss_family, SOCK_STREAM, IPPROTO_MPTCP);

	if (say("socket", s))
		return 1;
	return say("connect", connect(s, (struct sockaddr *)&ss, l)) ? 1 : 0;
}

/* sendto with the address at a pointer whose low 32 bits are zero: a
 * filter comparing only the low half of the argument would see NULL */
static int op_hiptr(const char *dst)
{
	struct sockaddr_storage ss;
	socklen_t l = parse_sa(dst, &ss);
	void *p = mmap((void *)0x7e0000000000UL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	int s = socket(ss.ss_family, SOCK_DGRAM, 0);

	if (p != (void *)0x7e0000000000UL)
		return say("mmap", -1), 1;
	memcpy(p, &ss, l);
	return say("sendto", sendto(s, "adv-hiptr\n", 10, 0, p, l)) ? 1 : 0;
}

/* ------------------------------------------------------------ races */

static atomic_int stop;

struct race {
	volatile uint64_t *word;
	uint64_t a, b;
};

static atomic_long flips;

static void *flipper(void *arg)
{
	struct race *r = arg;

	/* an even duty cycle: each state lasts long enough to be copied */
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		volatile int k;

		*r->word = r->b;
		for (k = 0; k < 256; k++)
			;
		*r->word = r->a;
		for (k = 0; k < 256; k++)
			;
		atomic_fetch_add_explicit(&flips, 1, memory_order_relaxed);
	}
	return NULL;
}

static void tally(const char *op, long n, long ok, long *errs)
{
	printf("%s attempts=%ld ok=%ld", op, n, ok);
	for (int e = 1; e < 256; e++)
		if (errs[e])
			printf(" %s=%ld", en(e), errs[e]);
	printf("\n");
}

/* One UDP socket, N sendmsg() with a msghdr whose msg_name pointer (or
 * the iovec length, or the cmsg level) another thread keeps changing. */
static int op_race(const char *what, const char *a_dst, const char *d_dst,
		   long n)
{
	static struct sockaddr_storage sa_a, sa_d;
	static uint8_t cbuf[CMSG_SPACE(8)];
	static struct iovec iov = { .iov_base = "adv-race\n", .iov_len = 9 };
	static struct msghdr m;
	struct race r;
	struct timespec t0;
	pthread_t t;
	long ok = 0, errs[256] = { 0 }, i;
	socklen_t l = parse_sa(a_dst, &sa_a);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	parse_sa(d_dst, &sa_d);
	m.msg_name = &sa_a;
	m.msg_namelen = l;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (!strcmp(what, "msgname")) {
		r = (struct race){ (volatile uint64_t *)&m.msg_name,
				   (uintptr_t)&sa_a, (uintptr_t)&sa_d };
	} else if (!strcmp(what, "iov")) {
		/* 9 bytes, or 1 GiB (bigger than any bound) */
		r = (struct race){ (volatile uint64_t *)&iov.iov_len, 9,
				   1UL << 30 };
	} else if (!strcmp(what, "cmsg")) {
		/* level 255 is ignored by the kernel; level SOL_IP with
		 * IP_RETOPTS carries an LSRR whose first hop is D */
		struct cmsghdr *c = (struct cmsghdr *)cbuf;
		uint8_t *o = CMSG_DATA(c);

		c->cmsg_len = CMSG_LEN(8);
		c->cmsg_level = 255;
		c->cmsg_type = IP_RETOPTS;
		o[0] = 0x83;	/* IPOPT_LSRR */
		o[1] = 7;
		o[2] = 4;
		memcpy(o + 3, &((struct sockaddr_in *)&sa_d)->sin_addr, 4);
		o[7] = 0;	/* IPOPT_END */
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		/* cmsg_len is a size_t; level and type share the next word */
		r.word = (volatile uint64_t *)((uint8_t *)c +
					       offsetof(struct cmsghdr,
							cmsg_level));
		r.a = (uint64_t)(uint32_t)IP_RETOPTS << 32 | 255;
		r.b = (uint64_t)(uint32_t)IP_RETOPTS << 32 | SOL_IP;
	} else {
		die_usage();
	}
	/* once in the bad state before the race, so that the run without
	 * the supervisor surely shows the bad state's effect */
	*r.word = r.b;
	say("sendmsg-bad-state-before-race", sendmsg(s, &m, 0));
	*r.word = r.a;
	pthread_create(&t, NULL, flipper, &r);
	/* n tries at least, and on until the flipper has really run */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n || (atomic_load(&flips) < n / 2 &&
			      ms_since(&t0) < 5000); i++) {
		if (sendmsg(s, &m, 0) >= 0)
			ok++;
		else
			errs[errno & 255]++;
		if (i >= n)
			sched_yield();
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	tally(what, i, ok, errs);
	return 0;
}

/* fd number 100 is a TCP socket connected to ALLOWED one instant and an
 * unconnected UDP socket the next, while sendto(100, DENIED) runs: a
 * supervisor that looked at one object and sent on another would send
 * the datagram to DENIED undecided ("a connected stream ignores the
 * address"). */
static int swap_a, swap_b;
static atomic_long swaps;

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		dup2(swap_a, 100);
		dup2(swap_b, 100);
		atomic_fetch_add_explicit(&swaps, 1, memory_order_relaxed);
	}
	return NULL;
}

static int op_dup2_race(const char *a_dst, const char *d_dst, long n)
{
	struct sockaddr_storage sa, sd;
	socklen_t la = parse_sa(a_dst, &sa), ld = parse_sa(d_dst, &sd);
	long ok = 0, errs[256] = { 0 }, i;
	struct timespec t0;
	pthread_t t;

	swap_a = socket(AF_INET, SOCK_STREAM, 0);
	if (say("connect-allowed", connect(swap_a, (struct sockaddr *)&sa, la)))
		return 1;
	swap_b = socket(AF_INET, SOCK_DGRAM, 0);
	dup2(swap_b, 100);
	/* once before the race, so that the run without the supervisor
	 * surely reaches DENIED whatever the scheduler does */
	say("sendto-udp-before-race", sendto(100, "adv-dup2\n", 9, 0,
					     (struct sockaddr *)&sd, ld));
	pthread_create(&t, NULL, swapper, NULL);
	/* n tries at least, and on until the swapper has really run (a busy
	 * machine may leave it preempted with fd 100 = TCP all along) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n || (atomic_load(&swaps) < n / 2 &&
			      ms_since(&t0) < 5000); i++) {
		if (sendto(100, "adv-dup2\n", 9, MSG_NOSIGNAL,
			   (struct sockaddr *)&sd, ld) >= 0)
			ok++;
		else
			errs[errno & 255]++;
		if (i >= n)
			sched_yield();
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	tally("dup2", i, ok, errs);
	printf("dup2 swaps=%ld\n", atomic_load(&swaps));
	return 0;
}

/* ------------------------------------------------------------ ingress */

/* An unfiltered socket's view of a peer: "SRC", IPv4-mapped unmapped */
static const char *peer_str(const struct sockaddr_in6 *a, char *buf,
			    size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(&a->sin6_addr, mapped, sizeof(mapped)))
		return inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf,
				 (socklen_t)len);
	return inet_ntop(AF_INET6, &a->sin6_addr, buf, (socklen_t)len);
}

/* dup2 back and forth with an even duty cycle: each state lasts long
 * enough for a call to find it */
static void *swapper_even(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		volatile int k;

		dup2(swap_b, 100);
		for (k = 0; k < 2000; k++)
			;
		dup2(swap_a, 100);
		for (k = 0; k < 2000; k++)
			;
		atomic_fetch_add_explicit(&swaps, 1, memory_order_relaxed);
	}
	return NULL;
}

/* Length of a socket's classic filter (SO_GET_FILTER counts in
 * instructions; it needs no privilege) */
static unsigned int filter_len(int fd)
{
	socklen_t fl = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, NULL, &fl))
		return 0;
	return fl;
}

/* A fresh dual-stack IP socket for one round; TCP ones bound to @sa */
static int race_socket(bool tcp, const struct sockaddr_in6 *sa)
{
	int one = 1, zero = 0;
	int fd = socket(AF_INET6, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);

	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (tcp && bind(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Is the round's IP socket listening (TCP) or bound to @port (UDP)? */
static bool race_hit(int fd, bool tcp, int port)
{
	struct sockaddr_in6 b = { 0 };
	socklen_t bl = sizeof(b), sl = sizeof(int);
	int state = 0;

	if (tcp)
		return !getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &state, &sl) &&
		       state;
	return !getsockname(fd, (struct sockaddr *)&b, &bl) &&
	       ntohs(b.sin6_port) == port;
}

/* fd 100 is a unix socket one instant and a fresh dual-stack TCP socket
 * bound to PORT (or an unbound UDP socket) the next, while listen(100)
 * (or bind(100, [::]:PORT)) runs: a supervisor that filtered the object it
 * looked at and then let the kernel act on the fd number would, sooner or
 * later, leave an IP socket listening on (bound to) PORT that it never
 * saw, unfiltered.  Round after round (SO_REUSEPORT) until one such socket
 * exists or N tries are spent; then the one kept (unfiltered if any, else
 * the last filtered one) says how long its filter is and is served for MS
 * milliseconds: "accepted SRC" / "received SRC" per peer. */
static int op_ingress_race(const char *what, int port, long n, int ms)
{
	bool tcp = !strcmp(what, "listen");
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port) };
	long ok = 0, errs[256] = { 0 }, i = 0, rounds = 0, hits = 0;
	int keep = -1;
	struct timespec t0;
	char buf[INET6_ADDRSTRLEN];

	if (!tcp && strcmp(what, "bind"))
		die_usage();
	swap_a = socket(AF_UNIX, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* n tries, and on until one found an IP socket (the unix one always
	 * fails: unbound, or given an IPv6 address): on a busy machine the
	 * threads may take turns instead of racing */
	while ((i < n || !hits) && ms_since(&t0) < 10000) {
		pthread_t t;
		long k;

		swap_b = race_socket(tcp, &sa);
		if (swap_b < 0)
			break;
		dup2(swap_a, 100);
		atomic_store(&stop, 0);
		pthread_create(&t, NULL, swapper_even, NULL);
		for (k = 0; k < 64 && !race_hit(swap_b, tcp, port); k++, i++) {
			int r = tcp ? listen(100, 16) :
				      bind(100, (struct sockaddr *)&sa,
					   sizeof(sa));

			if (!r)
				ok++;
			else
				errs[errno & 255]++;
			sched_yield();	/* let the swapper run, on 1 CPU too */
		}
		atomic_store(&stop, 1);
		pthread_join(t, NULL);
		dup2(swap_a, 100);
		rounds++;
		if (!race_hit(swap_b, tcp, port)) {
			close(swap_b);
			continue;
		}
		hits++;
		if (keep >= 0 && (!filter_len(keep) || filter_len(swap_b))) {
			close(swap_b);	/* keep an unfiltered one */
			continue;
		}
		if (keep >= 0)
			close(keep);
		keep = swap_b;
		if (!filter_len(keep) && i >= n)
			break;
	}
	tally(what, i, ok, errs);
	printf("%s rounds=%ld hits=%ld swaps=%ld\n", what, rounds, hits,
	       atomic_load(&swaps));
	printf("%s-state %s filter=%u swaps=%ld\n", what,
	       keep >= 0 ? "yes" : "no", keep >= 0 ? filter_len(keep) : 0,
	       atomic_load(&swaps));
	fflush(stdout);
	if (keep < 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < ms) {
		struct pollfd p = { .fd = keep, .events = POLLIN };
		struct sockaddr_in6 from;
		socklen_t len = sizeof(from);
		char d[64];
		int c;

		if (poll(&p, 1, 100) != 1)
			continue;
		if (tcp) {
			c = accept(keep, (struct sockaddr *)&from, &len);
			if (c < 0)
				continue;
			close(c);
			printf("accepted %s\n", peer_str(&from, buf, sizeof(buf)));
		} else {
			if (recvfrom(keep, d, sizeof(d), 0,
				     (struct sockaddr *)&from, &len) < 0)
				continue;
			printf("received %s\n", peer_str(&from, buf, sizeof(buf)));
		}
		fflush(stdout);
	}
	return 0;
}

/* ------------------------------------------------------------ source routes */

static void lsrr(uint8_t o[8], const char *first_hop)
{
	struct in_addr h = v4(first_hop);

	o[0] = 0x83;		/* IPOPT_LSRR: first hop, then the dst */
	o[1] = 7;
	o[2] = 4;
	memcpy(o + 3, &h, 4);
	o[7] = 0;
}

static int op_lsrr_sockopt(const char *a, const char *d, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = v4(a),
				  .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t o[8];

	lsrr(o, d);
	say("setsockopt-IP_OPTIONS", setsockopt(s, SOL_IP, IP_OPTIONS, o, 8));
	say("sendto-allowed", sendto(s, "adv-lsrr\n", 9, 0,
				     (struct sockaddr *)&sa, sizeof(sa)));
	return 0;
}

static int op_lsrr_cmsg(const char *a, const char *d, int port, bool v6sock)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = v4(a),
				  .sin_port = htons((uint16_t)port) };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port) };
	uint8_t cbuf[CMSG_SPACE(8)] = { 0 };
	struct iovec iov = { .iov_base = "adv-lsrr-cmsg\n", .iov_len = 14 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = (struct cmsghdr *)cbuf;
	int s;

	c->cmsg_len = CMSG_LEN(8);
	c->cmsg_level = SOL_IP;
	c->cmsg_type = IP_RETOPTS;
	lsrr(CMSG_DATA(c), d);
	if (v6sock) {
		s6.sin6_addr.s6_addr[10] = 0xff;
		s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &sa.sin_addr, 4);
		m.msg_name = &s6;
		m.msg_namelen = sizeof(s6);
		s = socket(AF_INET6, SOCK_DGRAM, 0);
	} else {
		m.msg_name = &sa;
		m.msg_namelen = sizeof(sa);
		s = socket(AF_INET, SOCK_DGRAM, 0);
	}
	return say("sendmsg-IP_RETOPTS", sendmsg(s, &m, 0)) ? 1 : 0;
}

/* A segment routing header (type 4): the first hop is segments[1] = D */
static size_t srh(uint8_t *b, const char *a6, const char *d6)
{
	memset(b, 0, 40);
	b[1] = 4;		/* hdrlen: 2 segments of 2 units */
	b[2] = 4;		/* IPV6_SRCRT_TYPE_4 */
	b[3] = 1;		/* segments_left */
	b[4] = 1;		/* first_segment */
	inet_pton(AF_INET6, a6, b + 8);
	inet_pton(AF_INET6, d6, b + 24);
	return 40;
}

static int op_rthdr(const char *how, const char *a6, const char *d6, int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port) };
	uint8_t cbuf[CMSG_SPACE(40)] = { 0 };
	struct cmsghdr *c = (struct cmsghdr *)cbuf;
	struct iovec iov = { .iov_base = "adv-rthdr\n", .iov_len = 10 };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa),
			    .msg_iov = &iov, .msg_iovlen = 1 };
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	uint8_t h[40];

	inet_pton(AF_INET6, a6, &sa.sin6_addr);
	srh(h, a6, d6);
	c->cmsg_len = CMSG_LEN(40);
	c->cmsg_level = SOL_IPV6;
	c->cmsg_type = IPV6_RTHDR;
	memcpy(CMSG_DATA(c), h, 40);
	if (!strcmp(how, "sockopt")) {
		say("setsockopt-IPV6_RTHDR",
		    setsockopt(s, SOL_IPV6, IPV6_RTHDR, h, 40));
	} else if (!strcmp(how, "pktoptions")) {
		say("setsockopt-IPV6_2292PKTOPTIONS",
		    setsockopt(s, SOL_IPV6, IPV6_2292PKTOPTIONS, cbuf,
			       sizeof(cbuf)));
	} else if (!strcmp(how, "cmsg")) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
	}
	return say("sendmsg-allowed", sendmsg(s, &m, 0)) ? 1 : 0;
}

/* ------------------------------------------------------------ bounds */

static int op_huge(const char *what, const char *a, const char *d)
{
	struct sockaddr_storage sa, sd;
	socklen_t la = parse_sa(a, &sa);
	struct iovec iov = { .iov_base = "adv-huge\n", .iov_len = 9 };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = la,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	int s = socket(AF_INET, SOCK_DGRAM, 0), t;

	parse_sa(d, &sd);
	if (!strcmp(what, "addrlen")) {
		t = socket(AF_INET, SOCK_STREAM, 0);
		say("connect-len-2^31-1", connect(t, (struct sockaddr *)&sd,
						  0x7fffffff));
		say("connect-len-u32max", syscall(SYS_connect, t, &sd,
						  0xffffffffUL));
		say("connect-len-2^40", syscall(SYS_connect, t, &sd,
						1UL << 40 | 16));
		say("sendto-len-2^31-1", sendto(s, "x", 1, 0,
						(struct sockaddr *)&sd,
						0x7fffffff));
		say("sendto-payload-2^40", syscall(SYS_sendto, s, "x",
						   1UL << 40, 0, &sd, 16));
	} else if (!strcmp(what, "namelen")) {
		m.msg_namelen = 0x7fffffffU;	/* clamped by the kernel */
		m.msg_name = &sd;
		say("sendmsg-namelen-2^31-1-denied", sendmsg(s, &m, 0));
		m.msg_name = &sa;
		say("sendmsg-namelen-2^31-1-allowed", sendmsg(s, &m, 0));
		m.msg_namelen = 0xffffffffU;	/* negative for the kernel */
		say("sendmsg-namelen-u32max-allowed", sendmsg(s, &m, 0));
	} else if (!strcmp(what, "vlen")) {
		/* two real messages at the end of a mapping, then nothing */
		uint8_t *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct mmsghdr *v = (struct mmsghdr *)(p + 4096) - 2;
		long r;

		munmap(p + 4096, 4096);
		memset(v, 0, 2 * sizeof(*v));
		v[0].msg_hdr = m;
		v[1].msg_hdr = m;
		r = syscall(SYS_sendmmsg, s, v, 0xffffffffUL, 0);
		printf("sendmmsg-vlen-u32max %s count=%ld\n",
		       r < 0 ? en(errno) : "OK", r);
		v[1].msg_hdr.msg_name = &sd;
		r = syscall(SYS_sendmmsg, s, v, 1UL << 40, 0);
		printf("sendmmsg-vlen-2^40 %s count=%ld\n",
		       r < 0 ? en(errno) : "OK", r);
	} else if (!strcmp(what, "iovlen")) {
		m.msg_iovlen = 1UL << 30;
		say("sendmsg-iovlen-2^30", sendmsg(s, &m, 0));
		m.msg_iovlen = 1025;
		say("sendmsg-iovlen-1025", sendmsg(s, &m, 0));
		m.msg_iovlen = (size_t)-1;
		say("sendmsg-iovlen-max", sendmsg(s, &m, 0));
	} else if (!strcmp(what, "controllen")) {
		static uint8_t big[1 << 17];
		m.msg_control = big;
		m.msg_controllen = (size_t)1 << 31;
		say("sendmsg-controllen-2^31", sendmsg(s, &m, 0));
		m.msg_controllen = (size_t)-1;
		say("sendmsg-controllen-max", sendmsg(s, &m, 0));
		m.msg_controllen = sizeof(big);
		say("sendmsg-controllen-128k-zeros", sendmsg(s, &m, 0));
		m.msg_name = &sd;
		say("sendmsg-controllen-128k-denied", sendmsg(s, &m, 0));
	} else {
		die_usage();
	}
	m.msg_name = &sa;
	m.msg_namelen = la;
	m.msg_control = NULL;
	m.msg_controllen = 0;
	m.msg_iovlen = 1;
	return say("after-sendmsg-allowed", sendmsg(s, &m, 0)) ? 1 : 0;
}

/* Children that die (SIGKILL) in the middle of notified calls */
static int op_die(const char *a, const char *bh, int n)
{
	struct sockaddr_storage sa, sb;
	socklen_t la = parse_sa(a, &sa), lb = parse_sa(bh, &sb);

	for (int i = 0; i < n; i++) {
		pid_t c = fork();

		if (!c) {
			int s = socket(AF_INET, (i & 1) ? SOCK_DGRAM : SOCK_STREAM,
				       0);

			if (i & 1)
				for (;;)
					sendto(s, "adv-die\n", 8, 0,
					       (struct sockaddr *)&sa, la);
			connect(s, (struct sockaddr *)&sb, lb);
			_exit(0);
		}
		usleep((useconds_t)(i % 7) * 300);
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	printf("children %d killed\n", n);
	return probe_connect("after-connect-allowed", a) ? 1 : 0;
}

/* ------------------------------------------------------------ the supervisor */

static uint64_t first_map(pid_t pid, bool writable)
{
	char path[64], line[512];
	unsigned long lo = 0, hi;
	char perms[8];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f) {
		/* non-dumpable: maps unreadable; aim at a typical address */
		return 0x400000;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
			continue;
		if (perms[0] == 'r' && (!writable || perms[1] == 'w'))
			break;
		lo = 0;
	}
	fclose(f);
	return lo ? lo : 0x400000;
}

static int op_self(const char *what)
{
	pid_t p = sup_pid;
	uint8_t byte = 0;
	struct iovec l = { &byte, 1 }, r = { NULL, 1 };
	long rc;

	if (!strcmp(what, "ptrace")) {
		char path[64];
		struct dirent *de;
		int bad = 0;
		DIR *dir;

		/* every thread of the supervisor, then PTRACE_SEIZE */
		snprintf(path, sizeof(path), "/proc/%d/task", p);
		dir = opendir(path);
		while (dir && (de = readdir(dir))) {
			pid_t tid = atoi(de->d_name);

			if (tid <= 0)
				continue;
			rc = ptrace(PTRACE_ATTACH, tid, 0, 0);
			printf("ptrace-attach-tid %s\n",
			       rc < 0 ? en(errno) : "OK");
			if (rc >= 0) {
				waitpid(tid, NULL, __WALL);
				ptrace(PTRACE_DETACH, tid, 0, 0);
				bad = 1;
			}
		}
		if (dir)
			closedir(dir);
		rc = ptrace(PTRACE_SEIZE, p, 0, 0);
		if (rc >= 0)
			ptrace(PTRACE_DETACH, p, 0, 0);
		say("ptrace-seize", rc);
		return bad;
	}
	if (!strcmp(what, "vmread")) {
		r.iov_base = (void *)(uintptr_t)first_map(p, false);
		return say("process_vm_readv",
			   process_vm_readv(p, &l, 1, &r, 1, 0)) ? 1 : 0;
	}
	if (!strcmp(what, "vmwrite")) {
		/* read a byte and write the same value back: harmless when
		 * it works (the baseline), refused when it must be */
		r.iov_base = (void *)(uintptr_t)first_map(p, true);
		process_vm_readv(p, &l, 1, &r, 1, 0);
		return say("process_vm_writev",
			   process_vm_writev(p, &l, 1, &r, 1, 0)) ? 1 : 0;
	}
	if (!strcmp(what, "kcmp"))
		return say("kcmp", syscall(SYS_kcmp, getpid(), p, KCMP_VM,
					   0, 0)) ? 1 : 0;
	if (!strcmp(what, "pidfd_open"))
		return say("pidfd_open", syscall(SYS_pidfd_open, p, 0)) ? 1 : 0;
	if (!strcmp(what, "pidfd_getfd")) {
		int pfd = (int)syscall(SYS_pidfd_open, p, 0);

		say("pidfd_open", pfd);
		if (pfd < 0) {
			/* the next best handle: a /proc directory fd */
			char path[32];

			snprintf(path, sizeof(path), "/proc/%d", p);
			pfd = open(path, O_DIRECTORY | O_RDONLY);
		}
		rc = -1;
		for (int fd = 0; fd < 16 && rc < 0; fd++)
			rc = syscall(SYS_pidfd_getfd, pfd, fd, 0);
		return say("pidfd_getfd", rc) ? 1 : 0;
	}
	if (!strcmp(what, "procmem")) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/mem", p);
		say("open-mem", open(path, O_RDWR));
		snprintf(path, sizeof(path), "/proc/%d/fd/0", p);
		say("open-fd0", open(path, O_RDONLY));
		snprintf(path, sizeof(path), "/proc/%d/environ", p);
		say("open-environ", open(path, O_RDONLY));
		return 0;
	}
	if (!strcmp(what, "dumpable"))
		return say("prctl-PR_SET_DUMPABLE-0",
			   prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) ? 1 : 0;
	if (!strcmp(what, "uffd-syscall"))
		return say("userfaultfd", syscall(SYS_userfaultfd,
						  O_CLOEXEC)) ? 1 : 0;
	die_usage();
	return 2;
}

/* A seccomp listener of our own for connect(): a thread answers every
 * notification with CONTINUE. Were it installed under the supervisor's
 * filter, its verdict would come first and the supervisor's never. */
static int hijack_fd = -1;

static void *hijacker(void *arg)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	(void)arg;
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(hijack_fd, SECCOMP_IOCTL_NOTIF_RECV, &req))
			continue;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(hijack_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return NULL;
}

static int op_listener(const char *d_dst, bool with_listener, const char *a)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, with_listener ?
			 SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	pthread_t t;
	long fd;

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     with_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0,
		     &prog);
	say(with_listener ? "seccomp-NEW_LISTENER" : "seccomp-nested", fd);
	if (fd >= 0 && with_listener) {
		hijack_fd = (int)fd;
		pthread_create(&t, NULL, hijacker, NULL);
	}
	if (a)
		probe_connect("connect-allowed", a);
	probe_connect("connect-denied", d_dst);
	return 0;
}

/* userfaultfd through /dev/userfaultfd: connect() with its address on a
 * page nobody has filled. The supervisor's read of that address faults
 * into our uffd and waits for us. A child meanwhile times an ordinary
 * allowed connect: if the supervisor is stuck, so is everyone. */
static void *stall_addr;
static socklen_t stall_len;

static void *stalled_connect(void *arg)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	(void)arg;
	say("stalled-connect", connect(s, stall_addr, stall_len));
	return NULL;
}

static int op_uffd_dev(const char *a, int hold_ms)
{
	pthread_t th;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct timespec t0;
	struct sockaddr_storage sa;
	socklen_t la = parse_sa(a, &sa);
	long page = sysconf(_SC_PAGESIZE);
	int dev, uffd, s, pfd[2];
	pid_t child;
	uint8_t *p;
	char buf[128];

	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (say("open-/dev/userfaultfd", dev))
		return 1;
	uffd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (say("USERFAULTFD_IOC_NEW", uffd))
		return 1;
	if (say("UFFDIO_API", ioctl(uffd, UFFDIO_API, &api)))
		return 1;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg = (struct uffdio_register){
		.range = { .start = (uintptr_t)p, .len = (uint64_t)page },
		.mode = UFFDIO_REGISTER_MODE_MISSING };
	if (say("UFFDIO_REGISTER", ioctl(uffd, UFFDIO_REGISTER, &reg)))
		return 1;

	if (pipe(pfd))
		return 1;
	child = fork();
	if (!child) {
		/* wait until the parent's connect is surely in flight */
		usleep(300 * 1000);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		s = probe_connect("other-process-connect-allowed", a);
		snprintf(buf, sizeof(buf), "other-process-ms %ld\n",
			 ms_since(&t0));
		if (write(pfd[1], buf, strlen(buf)) < 0)
			_exit(1);
		_exit(s ? 1 : 0);
	}
	/* the stalled caller: a thread (a forked child would not inherit
	 * the registration), so that this one can serve the fault */
	stall_addr = p;
	stall_len = la;
	pthread_create(&th, NULL, stalled_connect, NULL);
	{
		struct pollfd pf = { .fd = uffd, .events = POLLIN };
		struct uffd_msg msg;
		int faulted = poll(&pf, 1, hold_ms) > 0;

		printf("fault-seen %s\n", faulted ? "yes" : "no");
		/* wait hold_ms in all, then fill the page with the allowed
		 * address so that everything can finish */
		if (faulted) {
			if (read(uffd, &msg, sizeof(msg)) < 0)
				msg.arg.pagefault.address = (uintptr_t)p;
			usleep((useconds_t)hold_ms * 1000);
		}
		{
			uint8_t *src = mmap(NULL, (size_t)page,
					    PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			struct uffdio_copy cp = {
				.dst = (uintptr_t)p, .src = (uintptr_t)src,
				.len = (uint64_t)page };

			memcpy(src, &sa, la);
			ioctl(uffd, UFFDIO_COPY, &cp);
		}
	}
	{
		ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);

		if (n > 0) {
			buf[n] = 0;
			fputs(buf, stdout);
		}
	}
	waitpid(child, NULL, 0);
	pthread_join(th, NULL);
	return 0;
}

/* A blocking TCP connect; its result and duration as one line in @out */
static void timed_connect(const char *step, const char *dst, char *out,
			  size_t size)
{
	struct sockaddr_storage ss;
	socklen_t l = parse_sa(dst, &ss);
	struct timespec t0;
	int s = socket(ss.ss_family, SOCK_STREAM, 0);
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = connect(s, (struct sockaddr *)&ss, l);
	snprintf(out, size, "%s %s\n%s-ms %ld\n", step,
		 rc < 0 ? en(errno) : "OK", step, ms_since(&t0));
	close(s);
}

struct same_process {
	const char *dst;
	char out[128];
};

static void *same_process_connect(void *arg)
{
	struct same_process *sp = arg;

	usleep(300 * 1000);
	timed_connect("same-process-connect-allowed", sp->dst, sp->out,
		      sizeof(sp->out));
	return NULL;
}

/*
 * A connect() whose address lies in a MAP_SHARED mapping of FILE, never
 * touched by this process: the supervisor's read of it faults the page in
 * (run.sh serves FILE from es-slowfs, whose reads wait).  300 ms later a
 * child process and a thread of this one connect to the allowed address
 * A.  The lines come out in a fixed order once everything returned.
 */
static int op_mmap_connect(const char *file, const char *a)
{
	struct same_process sp = { .dst = a };
	char other[128] = "other-process-connect-allowed none\n";
	struct timespec t0;
	int fd, s, rc, e, pfd[2];
	pthread_t th;
	pid_t child;
	void *p;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (say("open-slow-file", fd))
		return 1;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (say("mmap-slow-file", p == MAP_FAILED ? -1 : 0))
		return 1;
	if (pipe(pfd))
		return 1;
	child = fork();
	if (!child) {
		char buf[128];

		/* wait until the parent's connect is surely in flight */
		usleep(300 * 1000);
		timed_connect("other-process-connect-allowed", a, buf,
			      sizeof(buf));
		if (write(pfd[1], buf, strlen(buf)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	pthread_create(&th, NULL, same_process_connect, &sp);
	s = socket(AF_INET, SOCK_STREAM, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = connect(s, p, sizeof(struct sockaddr_in));
	e = errno;
	printf("stalled-connect %s\nstalled-connect-ms %ld\n",
	       rc < 0 ? en(e) : "OK", ms_since(&t0));
	{
		ssize_t n = read(pfd[0], other, sizeof(other) - 1);

		if (n > 0)
			other[n] = 0;
	}
	waitpid(child, NULL, 0);
	pthread_join(th, NULL);
	fputs(other, stdout);
	fputs(sp.out, stdout);
	return 0;
}

/* CMD mounts a FUSE file system of its own (whose reads it would serve) */
static int op_fuse_mount(const char *dir)
{
	char opts[128];
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (say("open-/dev/fuse", fd))
		return 1;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (say("fuse-mount", mount("adv", dir, "fuse.adv", MS_NOSUID | MS_NODEV,
				     opts)))
		return 0;
	umount2(dir, MNT_DETACH);
	return 0;
}

/* kill -9 the supervisor, then try */
static int op_kill_parent(const char *a, const char *d_udp)
{
	say("kill-supervisor", kill(sup_pid, SIGKILL));
	usleep(300 * 1000);
	probe_connect("connect-allowed", a);
	udp_send("sendto-denied", d_udp, 0);
	return 0;
}

/* ------------------------------------------------------------ fds, unix */

static int op_fd_write(int fd)
{
	return say("write-inherited-fd", write(fd, "adv-fd\n", 7)) ? 1 : 0;
}

static int unix_connect(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, type, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (say("unix-connect", connect(s, (struct sockaddr *)&sun,
					sizeof(sun))))
		return -1;
	return s;
}

static int op_unix_connect(const char *path)
{
	char buf[128];
	ssize_t n;
	int s = unix_connect(path, SOCK_STREAM);

	if (s < 0)
		return 1;
	if (say("unix-send", send(s, "adv-unix\n", 9, MSG_NOSIGNAL)))
		return 1;
	n = read(s, buf, sizeof(buf) - 1);
	printf("unix-reply %s\n", n > 0 ? "OK" : "NONE");
	return 0;
}

/* Take a socket from an unfiltered process, and write on it */
static int op_scm_recv(const char *path)
{
	uint8_t cbuf[CMSG_SPACE(sizeof(int))];
	char b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int s = unix_connect(path, SOCK_STREAM), fd = -1;

	if (s < 0)
		return 1;
	if (say("recvmsg", recvmsg(s, &m, 0)))
		return 1;
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	printf("received-fd %d\n", fd);
	return say("write-received-socket", write(fd, "adv-scm\n", 8)) ? 1 : 0;
}

/* SCM_CREDENTIALS claiming uid 0 / gid 0 on a unix datagram */
static int op_scm_cred(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t cbuf[CMSG_SPACE(sizeof(struct ucred))] = { 0 };
	struct iovec iov = { .iov_base = "adv-cred\n", .iov_len = 9 };
	struct msghdr m = { .msg_name = &sun, .msg_namelen = sizeof(sun),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = (struct cmsghdr *)cbuf;
	struct ucred u = { .pid = getpid(), .uid = 0, .gid = 0 };
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	c->cmsg_len = CMSG_LEN(sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	memcpy(CMSG_DATA(c), &u, sizeof(u));
	printf("uid %d\n", (int)getuid());
	return say("sendmsg-SCM_CREDENTIALS-uid0", sendmsg(s, &m, 0)) ? 1 : 0;
}

/* SO_MARK in a cmsg needs CAP_NET_RAW or CAP_NET_ADMIN at send time:
 * whoever performs the sendmsg must be the one checked */
static int op_mark_cmsg(const char *dst)
{
	struct sockaddr_storage ss;
	socklen_t l = parse_sa(dst, &ss);
	uint8_t cbuf[CMSG_SPACE(sizeof(uint32_t))] = { 0 };
	struct cmsghdr *c = (struct cmsghdr *)cbuf;
	struct iovec iov = { .iov_base = "adv-mark\n", .iov_len = 9 };
	struct msghdr m = { .msg_name = &ss, .msg_namelen = l,
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	uint32_t mark = 0x2a;
	int s = socket(ss.ss_family, SOCK_DGRAM, 0);

	c->cmsg_len = CMSG_LEN(sizeof(mark));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_MARK;
	memcpy(CMSG_DATA(c), &mark, sizeof(mark));
	return say("sendmsg-SO_MARK-cmsg", sendmsg(s, &m, 0)) ? 1 : 0;
}

/* Capabilities CMD must not have: probes that need no filtered call */
static int op_caps(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	say("IP_TRANSPARENT(CAP_NET_RAW|ADMIN)",
	    setsockopt(s, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)));
	say("SO_MARK(CAP_NET_ADMIN)",
	    setsockopt(s, SOL_SOCKET, SO_MARK, &one, sizeof(one)));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "-p")) {
		sup_pid = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	} else {
		sup_pid = getppid();
	}
	if (argc < 2)
		die_usage();
#define OP(name, n) (!strcmp(argv[1], name) && argc == (n) + 2)
	if (OP("uring-connect", 1))
		return uring_one(argv[2], true);
	if (OP("uring-sendmsg", 1))
		return uring_one(argv[2], false);
	if (OP("x32-connect", 1))
		return op_x32_connect(argv[2]);
	if (OP("raw-icmp", 1))
		return op_raw_icmp(argv[2], false, SOCK_RAW);
	if (OP("raw-icmp-hibits", 1))
		return op_raw_icmp(argv[2], true, SOCK_RAW);
	if (OP("ping-dgram", 1))
		return op_raw_icmp(argv[2], false, SOCK_DGRAM);
	if (OP("packet", 5))
		return op_packet(argv[2], argv[3], argv[4], argv[5],
				 atoi(argv[6]));
	if (OP("socket", 3))
		return op_socket(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (OP("mptcp", 1))
		return op_mptcp(argv[2]);
	if (OP("hiptr-sendto", 1))
		return op_hiptr(argv[2]);
	if (OP("race", 4))
		return op_race(argv[2], argv[3], argv[4], atol(argv[5]));
	if (OP("ingress-race", 4))
		return op_ingress_race(argv[2], atoi(argv[3]), atol(argv[4]),
				       atoi(argv[5]));
	if (OP("dup2-race", 3))
		return op_dup2_race(argv[2], argv[3], atol(argv[4]));
	if (OP("lsrr-sockopt", 3))
		return op_lsrr_sockopt(argv[2], argv[3], atoi(argv[4]));
	if (OP("lsrr-cmsg", 3))
		return op_lsrr_cmsg(argv[2], argv[3], atoi(argv[4]), false);
	if (OP("lsrr-cmsg6", 3))
		return op_lsrr_cmsg(argv[2], argv[3], atoi(argv[4]), true);
	if (OP("rthdr", 4))
		return op_rthdr(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (OP("huge", 3))
		return op_huge(argv[2], argv[3], argv[4]);
	if (OP("die", 3))
		return op_die(argv[2], argv[3], atoi(argv[4]));
	if (OP("self", 1))
		return op_self(argv[2]);
	if (OP("listener", 2))
		return op_listener(argv[2], true, argv[3]);
	if (OP("nested", 2))
		return op_listener(argv[2], false, argv[3]);
	if (OP("uffd-dev", 2))
		return op_uffd_dev(argv[2], atoi(argv[3]));
	if (OP("mmap-connect", 2))
		return op_mmap_connect(argv[2], argv[3]);
	if (OP("fuse-mount", 1))
		return op_fuse_mount(argv[2]);
	if (OP("kill-parent", 2))
		return op_kill_parent(argv[2], argv[3]);
	if (OP("fd-write", 1))
		return op_fd_write(atoi(argv[2]));
	if (OP("unix-connect", 1))
		return op_unix_connect(argv[2]);
	if (OP("scm-recv", 1))
		return op_scm_recv(argv[2]);
	if (OP("scm-cred", 1))
		return op_scm_cred(argv[2]);
	if (OP("mark-cmsg", 1))
		return op_mark_cmsg(argv[2]);
	if (OP("caps", 0))
		return op_caps();
	if (OP("sendto", 1))
		return udp_send("sendto", argv[2], 0) ? 1 : 0;
	if (OP("connect", 1))
		return probe_connect("connect", argv[2]) ? 1 : 0;
	die_usage();
	return 2;
}
